import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { appSecrets } from '@/db/schema';
import { upsertUserOnSignIn } from '@/db/users';
import { DEMO_REALM, demoConfig } from '@/lib/config/demo';
import { DEMO_ACCOUNTS } from '@/lib/demo-idp/users';
import { ConfigError } from '@/lib/config/load';
import { configSchema } from '@/lib/config/schema';
import { createLogger } from '@/lib/log/logger';
import { createRuntime } from '@/lib/runtime';
import { createPostgresDatabase, type TestDatabase } from '../support/postgres';

const quiet = () => createLogger({ level: 'fatal', format: 'json' }, new Writable({ write: (_c, _e, done) => done() }));
const configured = (database: Record<string, string>) =>
  configSchema.parse({ providers: [{ type: 'plain', name: 'real-users', realm: 'corp', users: [{ username: 'ops', password: 'a-real-password', roles: [] }] }], database });

/** The demo's users have published passwords and its key signs for anyone: a real installation never inherits them. */
describe('demo data stays out of a configured installation', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aot-demo-guard-'));
  const postgres: TestDatabase[] = [];
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all(postgres.map((p) => p.drop()));
  });

  async function databaseOf(kind: 'pglite' | 'postgres', name: string): Promise<Record<string, string>> {
    if (kind === 'pglite') return { path: path.join(dir, name) };
    const created = await createPostgresDatabase();
    postgres.push(created);
    return { url: created.url };
  }

  async function refusal(database: Record<string, string>): Promise<string> {
    const attempt = createRuntime({ config: configured(database), demo: false, source: 'config.yaml', warnings: [] }, quiet());
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    return attempt.then(
      () => '',
      (error: ConfigError) => error.problems.join('\n'),
    );
  }

  it('keeps the demo in a directory of its own, apart from the configured default', () => {
    const demo = configSchema.parse(demoConfig());
    expect(demo.database.path).toBe('./data/demo');
    expect(configured({}).database.path).toBe('./data/pglite');
  });

  it.each(['pglite', 'postgres'] as const)('refuses to start a configured installation on a database the demo wrote (%s), saying how to reset', async (kind) => {
    const database = await databaseOf(kind, 'pglite');
    const demo = await createRuntime({ config: configSchema.parse({ ...demoConfig(), database }), demo: true, source: 'demo', warnings: [] }, quiet());
    await demo.close();

    const problems = await refusal(database);
    expect(problems).toContain('demo');
    expect(problems).toMatch(kind === 'pglite' ? /rm -rf .*pglite/ : /database\.url/);

    // The demo itself starts again on its own data.
    const again = await createRuntime({ config: configSchema.parse({ ...demoConfig(), database }), demo: true, source: 'demo', warnings: [] }, quiet());
    await again.close();
  });

  it.each(['pglite', 'postgres'] as const)('refuses a database the demo wrote before it marked its databases, by its demo users (%s)', async (kind) => {
    // The demo before the mark: no database.path of its own (./data/pglite, a configured installation's
    // default), and its users as the demo IdP signs them in.
    const database = await databaseOf(kind, 'old-demo');
    const { database: _own, ...oldDemo } = demoConfig();
    const demo = await createRuntime({ config: configSchema.parse({ ...oldDemo, database }), demo: true, source: 'demo', warnings: [] }, quiet());
    const alice = DEMO_ACCOUNTS.find((a) => a.username === 'alice')!;
    await upsertUserOnSignIn(demo.database.db, { realm: DEMO_REALM, username: alice.username, email: alice.email, name: alice.name, roles: alice.roles, attributes: {} });
    await demo.database.db.delete(appSecrets).where(eq(appSecrets.name, 'installation.demo'));
    await demo.close();

    const problems = await refusal(database);
    expect(problems).toContain("holds the demo's data");
    expect(problems).toMatch(kind === 'pglite' ? /rm -rf .*old-demo/ : /database\.url/);
  });

  it('starts a configured installation whose own alice of realm local is no demo user', async () => {
    // The README's example config has an `alice` of realm `local` too: only the demo IdP's profile marks the demo's.
    const database = { path: path.join(dir, 'own-alice') };
    const first = await createRuntime({ config: configured(database), demo: false, source: 'config.yaml', warnings: [] }, quiet());
    await upsertUserOnSignIn(first.database.db, { realm: DEMO_REALM, username: 'alice', email: 'alice@corp.example.com', name: 'Alice Real', roles: ['user'], attributes: {} });
    await first.close();
    const again = await createRuntime({ config: configured(database), demo: false, source: 'config.yaml', warnings: [] }, quiet());
    await again.close();
  });

  it('starts a configured installation on a database the demo never wrote', async () => {
    const runtime = await createRuntime({ config: configured({ path: path.join(dir, 'fresh') }), demo: false, source: 'config.yaml', warnings: [] }, quiet());
    await runtime.close();
  });
});
