import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';
import { createPostgresDatabase, type TestDatabase } from '../support/postgres';
import { ALICE, basic, localUsers } from '../support/local-users';

const ADMIN = basic('root', 'root-pw');
const DEADLINE_MS = 1000;

const config = {
  providers: [localUsers('root', 'alice'), { type: 'tokens', name: 'tokens' }],
  services: [{ name: 'polytope', scopes: ['read'] }],
  portal: { realm: 'local' },
  tokens: { cache_ttl: '5m' }, // long: only the notification can make a replica forget
  jwt: { iss: 'disabled', aud: 'backend', exp: 60 },
  auth: { failure_delay_ms: 0 },
};

/** A user disabled in the portal is refused with every credential (password and tokens), on every replica. */
describe.each(DATABASE_KINDS)('disabled users (%s)', (kind) => {
  let database: TestDatabase | undefined;
  let replicas: RunningApp[] = [];

  beforeAll(async () => {
    if (kind === 'postgres') {
      database = await createPostgresDatabase();
      const url = database.url;
      replicas = await Promise.all([startApp({ config, databaseUrl: url }), startApp({ config, databaseUrl: url })]);
    } else {
      replicas = [await startApp({ config, database: 'pglite' })]; // one process per embedded database
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await database?.drop();
  });

  const first = () => replicas[0] as RunningApp;
  const check = (app: RunningApp, authorization: string) => fetch(`${app.url}/api/authenticate`, { headers: { Authorization: authorization } }).then((r) => r.status);
  const admin = (path: string, init: RequestInit = {}) => fetch(`${first().url}${path}`, { ...init, headers: { Authorization: ADMIN, 'Content-Type': 'application/json', ...init.headers } });

  it('refuses the password and the tokens of a disabled user within a second everywhere, and takes them back on enable', async () => {
    const created = await fetch(`${first().url}/api/tokens`, {
      method: 'POST',
      headers: { Authorization: ALICE, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'mine', scopes: ['polytope:read'] }),
    });
    expect(created.status).toBe(201);
    const token = `Bearer ${((await created.json()) as { secret: string }).secret}`;
    for (const app of replicas) {
      expect(await check(app, ALICE)).toBe(200); // both verdicts now cached on every replica
      expect(await check(app, token)).toBe(200);
    }

    const { users } = (await (await admin('/api/admin/users?search=alice')).json()) as { users: Array<{ id: string; username: string }> };
    const alice = users.find((u) => u.username === 'alice');
    expect(alice).toBeDefined();
    expect((await admin(`/api/admin/users/${alice?.id}`, { method: 'PATCH', body: JSON.stringify({ disabled: true }) })).status).toBe(200);
    for (const app of replicas) {
      await expect.poll(() => check(app, ALICE), { timeout: DEADLINE_MS, interval: 10 }).toBe(401);
      await expect.poll(() => check(app, token), { timeout: DEADLINE_MS, interval: 10 }).toBe(401);
    }
    expect(await check(first(), ADMIN)).toBe(200); // nobody else is affected
    const whoami = await fetch(`${first().url}/api/whoami`, { headers: { Authorization: ALICE } });
    expect(whoami.status).toBe(401);

    expect((await admin(`/api/admin/users/${alice?.id}`, { method: 'PATCH', body: JSON.stringify({ disabled: false }) })).status).toBe(200);
    for (const app of replicas) {
      await expect.poll(() => check(app, ALICE), { timeout: DEADLINE_MS, interval: 10 }).toBe(200);
      await expect.poll(() => check(app, token), { timeout: DEADLINE_MS, interval: 10 }).toBe(200);
    }
  });

  it('keeps refusing a disabled user after a restart (read from the database at start)', async () => {
    if (kind !== 'postgres' || !database) return; // PGlite: the directory is the test's own; covered above
    const { users } = (await (await admin('/api/admin/users?search=alice')).json()) as { users: Array<{ id: string; username: string }> };
    const id = users.find((u) => u.username === 'alice')?.id;
    expect((await admin(`/api/admin/users/${id}`, { method: 'PATCH', body: JSON.stringify({ disabled: true }) })).status).toBe(200);
    const fresh = await startApp({ config, databaseUrl: database.url });
    try {
      expect(await check(fresh, ALICE)).toBe(401);
    } finally {
      await fresh.stop();
      await admin(`/api/admin/users/${id}`, { method: 'PATCH', body: JSON.stringify({ disabled: false }) });
    }
  });
});
