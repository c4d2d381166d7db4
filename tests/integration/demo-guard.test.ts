import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { demoConfig } from '@/lib/config/demo';
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
  let postgres: TestDatabase | undefined;
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await postgres?.drop();
  });

  it('keeps the demo in a directory of its own, apart from the configured default', () => {
    const demo = configSchema.parse(demoConfig());
    expect(demo.database.path).toBe('./data/demo');
    expect(configured({}).database.path).toBe('./data/pglite');
  });

  it.each(['pglite', 'postgres'] as const)('refuses to start a configured installation on a database the demo wrote (%s), saying how to reset', async (kind) => {
    let database: Record<string, string>;
    if (kind === 'postgres') {
      postgres = await createPostgresDatabase();
      database = { url: postgres.url };
    } else {
      database = { path: path.join(dir, 'pglite') };
    }
    const demo = await createRuntime({ config: configSchema.parse({ ...demoConfig(), database }), demo: true, source: 'demo', warnings: [] }, quiet());
    await demo.close();

    const attempt = createRuntime({ config: configured(database), demo: false, source: 'config.yaml', warnings: [] }, quiet());
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    const problems = await attempt.catch((error: ConfigError) => error.problems.join('\n'));
    expect(problems).toContain('demo');
    expect(problems).toMatch(kind === 'pglite' ? /rm -rf .*pglite/ : /database\.url/);

    // The demo itself starts again on its own data.
    const again = await createRuntime({ config: configSchema.parse({ ...demoConfig(), database }), demo: true, source: 'demo', warnings: [] }, quiet());
    await again.close();
  });

  it('starts a configured installation on a database the demo never wrote', async () => {
    const runtime = await createRuntime({ config: configured({ path: path.join(dir, 'fresh') }), demo: false, source: 'config.yaml', warnings: [] }, quiet());
    await runtime.close();
  });
});
