import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '@/lib/crypto/secrets';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';
import { jsonApi } from '../support/json-api';
import { ALICE, ROOT, localUsers } from '../support/local-users';
import { decodeMail, eventually, startBrokenMailServer, startSmtpServer, startWebhookReceiver } from '../support/notification-receivers';
import { freePort } from '../support/ports';

const WEBHOOK_SECRET = 'webhook-secret-of-the-test-0123456789';
const SCIM_SECRET = `scim-${randomBytes(24).toString('base64url')}`;
/** Generous: a revocation that waited for the mail server would take its 10 s timeout. */
const PROMPT_MS = 5000;

interface Created {
  token: { id: string };
  secret: string;
}

/**
 * Owners told of revocations by others, through the running app: `POST /api/revoke` by whoever holds
 * the token and an admin's `revoke-tokens` each reach a real SMTP server and the signed webhook
 * receiver, from the background job: a revocation answers at once while the mail server hangs and
 * the webhook is down, and the notifications arrive once they are back.
 */
describe.each(DATABASE_KINDS)('owner notifications of revocations over HTTP (%s)', (database) => {
  let app: RunningApp;
  let smtpPort: number;
  let webhookPort: number;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>> | undefined;
  let webhook: Awaited<ReturnType<typeof startWebhookReceiver>> | undefined;
  let broken: Awaited<ReturnType<typeof startBrokenMailServer>> | undefined;
  const secrets: string[] = [];

  beforeAll(async () => {
    [smtpPort, webhookPort] = [await freePort(), await freePort()];
    app = await startApp({
      database,
      config: {
        providers: [localUsers(), { type: 'tokens', name: 'tokens' }],
        portal: { realm: 'local', admin_roles: ['admin'] },
        scim: { token_hash: await hashSecret(SCIM_SECRET) },
        tokens: { creations_per_minute: 100 },
        auth: { failure_delay_ms: 0 },
        notifications: {
          smtp: { url: `smtp://127.0.0.1:${smtpPort}`, from: 'Auth-O-Tron <aot@example.org>' },
          webhook: { url: `http://127.0.0.1:${webhookPort}/hooks/aot`, secret: WEBHOOK_SECRET },
          poll_interval: '1s',
          retry_delay: '1s',
          max_attempts: 20,
        },
      },
    });
    // alice's address comes the way an IdP's provisioning gives it (Basic sign-ins keep it).
    const provisioned = await fetch(`${app.url}/scim/v2/Users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${SCIM_SECRET}`, 'Content-Type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'alice', active: true, emails: [{ value: 'alice@example.org', primary: true }] }),
    });
    expect(provisioned.status).toBe(201);
  });
  afterAll(async () => {
    await app?.stop();
    await broken?.close();
    await smtp?.close();
    await webhook?.close();
  });

  const api = jsonApi(() => app.url);
  const create = async (name: string): Promise<Created> => {
    const answer = await api('POST', '/api/tokens', ALICE, { name });
    expect(answer.status).toBe(201);
    const created = answer.body as Created;
    secrets.push(created.secret.slice(-42, -6));
    return created;
  };
  const gateway = (secret: string) => fetch(`${app.url}/api/authenticate`, { headers: { Authorization: `Bearer ${secret}` } }).then((r) => r.status);
  /** The request answers with `status` within PROMPT_MS (it does not wait for a notification). */
  const promptly = async <T extends { status: number }>(request: () => Promise<T>, status = 200): Promise<T> => {
    const started = performance.now();
    const answer = await request();
    expect(performance.now() - started).toBeLessThan(PROMPT_MS);
    expect(answer.status).toBe(status);
    return answer;
  };
  const holderRevokes = (secret: string, type: 'form' | 'json') =>
    promptly(() =>
      fetch(`${app.url}/api/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': type === 'form' ? 'application/x-www-form-urlencoded' : 'application/json' },
        body: type === 'form' ? `token=${encodeURIComponent(secret)}` : JSON.stringify({ token: secret }),
      }),
    );
  const adminRevokesAllOfAlice = async () => {
    const users = (await api('GET', '/api/admin/users?search=alice', ROOT)).body as { users: Array<{ id: string; username: string }> };
    const alice = users.users.find((u) => u.username === 'alice');
    return (await promptly(() => api('POST', `/api/admin/users/${alice?.id}/revoke-tokens`, ROOT))).body as { tokens: string[] };
  };
  const receiversUp = async () => {
    await broken?.close();
    broken = undefined;
    smtp ??= await startSmtpServer(smtpPort);
    webhook ??= await startWebhookReceiver(WEBHOOK_SECRET, webhookPort);
  };
  const delivered = (tokenId: string) => ({
    hooks: webhook?.hooks.filter((h) => h.json.token.id === tokenId) ?? [],
    mails: (smtp?.mails ?? []).map((m) => ({ to: m.to, ...decodeMail(m.raw) })).filter((m) => m.text.includes(`aot_${tokenId}_`)),
  });
  /** The job's log since `from` says a send on `channel` failed (and is to be retried). */
  const failedSince = (from: number, channel: 'email' | 'webhook') => new RegExp(`"channel":"${channel}".*"notifications: could not send"`).test(app.output().slice(from));

  it('keeps notifying while the mail server hangs up at once: the revocation answers, the webhook is sent, the mail fails and is retried', async () => {
    await broken?.close();
    broken = await startBrokenMailServer(smtpPort, 'hang-up');
    webhook = await startWebhookReceiver(WEBHOOK_SECRET, webhookPort);
    const from = app.output().length;
    const first = await create('held, mail server hangs up');
    await holderRevokes(first.secret, 'form');
    await eventually(() => delivered(first.token.id).hooks.length === 1 && failedSince(from, 'email'));
    // The job is not stuck on the mail: a later revocation is notified too.
    const second = await create('bulk, mail server hangs up');
    expect((await adminRevokesAllOfAlice()).tokens).toEqual([second.token.id]);
    await eventually(() => delivered(second.token.id).hooks.length === 1);
    expect(delivered(second.token.id).hooks[0]?.json).toMatchObject({ event: 'token.revoked', revoked_by: 'local/root' });
    expect(broken.connections()).toBeGreaterThan(0);
    await broken.close();
    broken = undefined;
  });

  it('answers a revocation at once while the mail server never answers and the webhook is down, and delivers everything once they are back', async () => {
    await broken?.close();
    await webhook?.close();
    webhook = undefined; // nothing listens on the webhook port
    broken = await startBrokenMailServer(smtpPort, 'silent'); // accepts, never greets
    const from = app.output().length;
    const held = await create('held, mail server hung');
    const bulk = await create('bulk, mail server hung');
    expect(await gateway(held.secret)).toBe(200);

    await holderRevokes(held.secret, 'form');
    expect((await adminRevokesAllOfAlice()).tokens).toEqual([bulk.token.id]);
    expect([await gateway(held.secret), await gateway(bulk.secret)]).toEqual([401, 401]);

    // The background job has tried and failed: a refused webhook, a mail given up after its timeout…
    await eventually(() => failedSince(from, 'webhook') && failedSince(from, 'email'), undefined, 60_000);
    expect(broken.connections()).toBeGreaterThan(0);
    // …and retries until the receivers are back: every mail so far (the hung-up ones too) and both hooks.
    await receiversUp();
    const mailed = ['held, mail server hangs up', 'bulk, mail server hangs up', 'held, mail server hung', 'bulk, mail server hung'];
    await eventually(() => [held, bulk].every((t) => delivered(t.token.id).hooks.length === 1) && (smtp?.mails.length ?? 0) >= mailed.length, undefined, 60_000);
    expect(delivered(held.token.id).hooks[0]?.json).toMatchObject({ event: 'token.revoked', revoked_by: 'token-holder', owner: { realm: 'local', username: 'alice' } });
    expect(delivered(bulk.token.id).hooks[0]?.json).toMatchObject({ event: 'token.revoked', revoked_by: 'local/root', owner: { realm: 'local', username: 'alice' } });
    const mails = (smtp?.mails ?? []).map((m) => ({ to: m.to, ...decodeMail(m.raw) }));
    expect(mails.map((m) => m.subject).sort()).toEqual(mailed.map((name) => `Your API token "${name}" was revoked`).sort());
    expect(mails.every((m) => m.to.join() === 'alice@example.org')).toBe(true);
  }, 120_000);

  it('tells the owner by e-mail and signed webhook when a token holder (RFC 7009) or an admin (revoke-tokens) revokes her tokens, not when she does, never with a secret', async () => {
    await receiversUp();
    const own = await create('revoked by alice herself');
    const held = await create('revoked by its holder');
    const first = await create('revoked by an admin, 1');
    const second = await create('revoked by an admin, 2');
    expect((await api('DELETE', `/api/tokens/${own.token.id}`, ALICE)).status).toBe(200);
    await holderRevokes(held.secret, 'json');
    expect((await adminRevokesAllOfAlice()).tokens.sort()).toEqual([first.token.id, second.token.id].sort());

    const others = [held, first, second];
    await eventually(() => others.every((t) => delivered(t.token.id).hooks.length === 1 && delivered(t.token.id).mails.length === 1));
    await new Promise((resolve) => setTimeout(resolve, 2000)); // two more passes: nothing is sent twice, nothing for alice's own revocation
    for (const token of others) expect([delivered(token.token.id).hooks.length, delivered(token.token.id).mails.length]).toEqual([1, 1]);
    expect(delivered(own.token.id)).toEqual({ hooks: [], mails: [] });

    const hooks = others.map((t) => delivered(t.token.id).hooks[0]);
    expect(hooks.map((h) => [h?.event, h?.json.event, h?.json.revoked_by])).toEqual([
      ['token.revoked', 'token.revoked', 'token-holder'],
      ['token.revoked', 'token.revoked', 'local/root'],
      ['token.revoked', 'token.revoked', 'local/root'],
    ]);
    expect(webhook?.badSignatures()).toBe(0);
    const mails = others.map((t) => delivered(t.token.id).mails[0]);
    expect(mails.map((m) => m?.to)).toEqual([['alice@example.org'], ['alice@example.org'], ['alice@example.org']]);
    expect(mails[0]).toMatchObject({ subject: 'Your API token "revoked by its holder" was revoked', text: expect.stringContaining('was revoked by token-holder') });
    expect(mails[1]).toMatchObject({ subject: 'Your API token "revoked by an admin, 1" was revoked', text: expect.stringContaining('was revoked by local/root') });

    const everything = [...(smtp?.mails ?? []).map((m) => m.raw), ...(webhook?.hooks ?? []).map((h) => h.body), app.output()].join('\n');
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
