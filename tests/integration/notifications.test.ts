import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@/db/client';
import { notifications, users } from '@/db/schema';
import { insertToken, revokeToken } from '@/db/tokens';
import { ensureUser, updateUserLocked } from '@/db/users';
import { configSchema } from '@/lib/config/schema';
import { hashSecret } from '@/lib/crypto/secrets';
import { createLogger } from '@/lib/log/logger';
import { Notifier } from '@/lib/notifications/notifier';
import { newToken, newTokenId } from '@/lib/tokens/format';
import { decodeMail, eventually, startSmtpServer, startWebhookReceiver } from '../support/notification-receivers';
import { createPostgresDatabase, DATABASE_KINDS, type TestDatabase } from '../support/postgres';

const DAY = 86_400_000;
const TOKEN_HASH = { memory_kib: 256, iterations: 1, parallelism: 1 };
const WEBHOOK_SECRET = 'webhook-secret-of-the-test-0123456789';
const logger = createLogger({ level: 'silent', format: 'json' });

describe.each(DATABASE_KINDS)('owner notifications (%s)', (kind) => {
  let postgres: TestDatabase | undefined;
  let database: Database;
  let replica: Database;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let notifiers: Notifier[];
  const secrets: string[] = [];
  const ids: Record<string, string> = {};

  const seed = async (ownerId: string, name: string, lifetime: { createdDaysAgo: number; expiresInDays: number }) => {
    const id = newTokenId();
    const { token, secret } = newToken('aot', id);
    secrets.push(token, secret);
    const now = Date.now();
    await insertToken(
      database.db,
      {
        id,
        ownerId,
        name,
        scopes: [],
        secretHash: await hashSecret(secret, TOKEN_HASH),
        createdAt: new Date(now - lifetime.createdDaysAgo * DAY),
        expiresAt: new Date(now + lifetime.expiresInDays * DAY),
      },
      { actor: 'local/x', action: 'token.create', tokenId: id, details: {} },
      100,
    );
    ids[name] = id;
    return id;
  };
  const revoke = (id: string, actor: string, target: string, details: Record<string, unknown> = {}) =>
    revokeToken(database.db, id, actor, { actor, action: 'token.revoke', targetUser: target, tokenId: id, details });
  const runAll = async () => {
    await Promise.all(notifiers.map((n) => n.run()));
  };

  beforeAll(async () => {
    postgres = kind === 'postgres' ? await createPostgresDatabase() : undefined;
    database = await openDatabase({ url: postgres?.url, path: 'memory://' });
    // A second replica: its own connection pool on Postgres (PGlite belongs to one process).
    replica = postgres ? await openDatabase({ url: postgres.url, path: 'memory://' }) : database;
    smtp = await startSmtpServer();
    webhook = await startWebhookReceiver(WEBHOOK_SECRET);
    const config = configSchema.parse({
      notifications: {
        smtp: { url: smtp.url, from: 'Auth-O-Tron <aot@example.org>' },
        webhook: { url: webhook.url, secret: WEBHOOK_SECRET },
        retry_delay: '1s',
        max_attempts: 5,
      },
    }).notifications;
    if (!config) throw new Error('no notifications config');
    notifiers = [database, replica].map((d) => new Notifier({ db: d.db, config, prefix: 'aot', portalUrl: 'https://auth.example.org', logger }));
  });
  afterAll(async () => {
    await Promise.all((notifiers ?? []).map((n) => n.close()));
    await smtp?.close();
    await webhook?.close();
    if (replica !== database) await replica?.close();
    await database?.close();
    await postgres?.drop();
  });

  it('tells owners about revocations by others, leaks and coming expiry, once each, by e-mail and webhook, never with a secret', async () => {
    const alice = await ensureUser(database.db, { realm: 'local', username: 'alice' });
    await database.db.update(users).set({ email: 'alice@example.org' }).where(eq(users.id, alice.id));
    const bob = await ensureUser(database.db, { realm: 'local', username: 'bob' }); // no e-mail address
    const historic = await seed(alice.id, 'historic', { createdDaysAgo: 1, expiresInDays: 30 });
    await revoke(historic, 'local/root', 'local/alice');
    await runAll(); // the first pass starts after what the audit log already holds

    const byAdmin = await seed(alice.id, 'by-admin', { createdDaysAgo: 1, expiresInDays: 30 });
    const byHerself = await seed(alice.id, 'by-herself', { createdDaysAgo: 1, expiresInDays: 30 });
    const leaked = await seed(alice.id, 'leaked', { createdDaysAgo: 1, expiresInDays: 30 });
    const holder = await seed(bob.id, 'bob-holder', { createdDaysAgo: 1, expiresInDays: 30 });
    await seed(alice.id, 'in-2-days', { createdDaysAgo: 30, expiresInDays: 2 });
    await seed(alice.id, 'in-12-hours', { createdDaysAgo: 30, expiresInDays: 0.5 });
    await seed(alice.id, 'short-lived', { createdDaysAgo: 0, expiresInDays: 0.5 }); // made to last less than a day: no warning
    await revoke(byAdmin, 'local/root', 'local/alice');
    await revoke(byHerself, 'local/alice', 'local/alice');
    await revoke(leaked, 'secret-scanning', 'local/alice', { reported_by: 'github', url: 'https://github.com/alice/repo/blob/main/.env', source: 'content' });
    await revoke(holder, 'token-holder', 'local/bob');

    webhook.failNext(1); // the receiver fails once: that delivery is retried
    const expected = 5; // by-admin, leaked, bob-holder, in-2-days (7 d), in-12-hours (1 d)
    await eventually(() => webhook.hooks.length >= expected, runAll);
    await eventually(() => smtp.mails.length >= expected - 1, runAll); // bob has no address
    for (let i = 0; i < 3; i++) await runAll(); // more passes, on both replicas, send nothing again

    const hooks = webhook.hooks.map((h) => `${h.json.event} ${h.json.token.id}`).sort();
    expect(hooks).toEqual([`token.revoked ${byAdmin}`, `token.leaked ${leaked}`, `token.revoked ${holder}`, `token.expiring ${ids['in-2-days']}`, `token.expiring ${ids['in-12-hours']}`].sort());
    expect(webhook.badSignatures()).toBe(0);
    expect(webhook.hooks.every((h) => h.event === h.json.event)).toBe(true);
    expect(webhook.attempts()).toBe(expected + 1);
    const warned = webhook.hooks.filter((h) => h.json.event === 'token.expiring').map((h) => [h.json.token.id, h.json.warning_seconds]);
    expect(warned).toEqual(
      expect.arrayContaining([
        [ids['in-2-days'], 7 * 86400],
        [ids['in-12-hours'], 86400],
      ]),
    );
    expect(webhook.hooks.find((h) => h.json.event === 'token.leaked')?.json.leak).toEqual({ reported_by: 'github', url: 'https://github.com/alice/repo/blob/main/.env', source: 'content' });

    expect(smtp.mails).toHaveLength(expected - 1);
    expect(smtp.mails.every((m) => m.to.join() === 'alice@example.org')).toBe(true);
    const mails = smtp.mails.map((m) => decodeMail(m.raw));
    const subjects = mails.map((m) => m.subject).sort();
    expect(subjects).toEqual(
      [
        'Your API token "by-admin" was revoked',
        'Your API token "leaked" was found in public and revoked',
        'Your API token "in-2-days" expires in 7 days',
        'Your API token "in-12-hours" expires in 1 day',
      ].sort(),
    );
    expect(mails.find((m) => m.subject.includes('"by-admin"'))?.text).toContain(`was revoked by local/root`);
    expect(mails.find((m) => m.subject.includes('"leaked"'))?.text).toContain('https://github.com/alice/repo/blob/main/.env');

    const everything = [...smtp.mails.map((m) => m.raw), ...mails.map((m) => m.text), ...webhook.hooks.map((h) => h.body)].join('\n');
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });

  it('tells the owner about each token a user-wide revocation (SCIM DELETE) took', async () => {
    const carol = await ensureUser(database.db, { realm: 'local', username: 'carol' });
    const first = await seed(carol.id, 'carol-1', { createdDaysAgo: 1, expiresInDays: 30 });
    const second = await seed(carol.id, 'carol-2', { createdDaysAgo: 1, expiresInDays: 30 });
    const before = webhook.hooks.length;
    await updateUserLocked(database.db, carol.id, (row) => ({
      set: { deletedAt: new Date() },
      audit: [{ actor: 'scim', action: 'user.delete', targetUser: `${row.realm}/${row.username}`, details: {} }],
      revokeTokensBy: 'scim',
    }));
    await eventually(() => webhook.hooks.length >= before + 2, runAll);
    const revoked = webhook.hooks.slice(before).map((h) => [h.json.token.id, h.json.revoked_by]);
    expect(revoked.sort()).toEqual(
      [
        [first, 'scim'],
        [second, 'scim'],
      ].sort(),
    );
  });

  it('gives up after max_attempts and keeps why', async () => {
    const dave = await ensureUser(database.db, { realm: 'local', username: 'dave' });
    const id = await seed(dave.id, 'dave-1', { createdDaysAgo: 1, expiresInDays: 30 });
    webhook.failNext(100);
    await revoke(id, 'local/root', 'local/dave');
    const given = async () => (await database.db.select().from(notifications).where(eq(notifications.tokenId, id)))[0];
    let row: Awaited<ReturnType<typeof given>>;
    await eventually(
      () => row?.failedAt != null,
      async () => {
        await runAll();
        row = await given();
      },
      60_000,
    );
    webhook.failNext(0);
    expect(row).toMatchObject({ attempts: 5, sentAt: null, lastError: 'webhook: answered HTTP 500' });
  });
});
