import { availableParallelism } from 'node:os';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, PASSWORD_HASH } from '@/lib/crypto/secrets';
import { formatToken, newToken, newTokenId } from '@/lib/tokens/format';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';
import { POSTGRES_ADMIN_URL } from '../support/postgres';
import { ALICE, BOB, ROOT, basic, localUsers } from '../support/local-users';
import { jsonApi } from '../support/json-api';

interface TokenBody {
  id: string;
  status: string;
  scopes: string[];
  owner: { realm: string; username: string };
  last_used_at: string | null;
  last_used_address: string | null;
}
interface Created {
  token: TokenBody;
  secret: string;
}

describe.each(DATABASE_KINDS)('scoped tokens through the JSON API and the gateway (%s)', (database) => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({
      database,
      config: {
        providers: [localUsers(), { type: 'tokens', name: 'portal-tokens' }],
        augmenters: [{ type: 'plain_advanced', name: 'team', realm: 'local', match: { username: ['alice'] }, augment: { roles: ['team-a'], attributes: { team: 'a' } } }],
        services: [
          { name: 'polytope', scopes: ['read', 'write'] },
          { name: 'mars', scopes: ['retrieve'] },
        ],
        portal: { realm: 'local', admin_roles: ['admin'] },
        // alice creates and rotates more than the default 10 tokens a minute here (tokens-limits.test.ts tests the limit).
        tokens: { max_lifetime: '90d', default_lifetime: '30d', cache_ttl: '30s', creations_per_minute: 100 },
        jwt: { iss: 'tokens-test', exp: 300 },
      },
    });
  });
  afterAll(() => app?.stop());

  const api = jsonApi(() => app.url);
  const gateway = (authorization: string) => fetch(`${app.url}/api/authenticate`, { headers: { Authorization: authorization } });
  const create = async (auth: string, body: object) => {
    const response = await api('POST', '/api/tokens', auth, body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as Created;
  };

  it('creates a token with two scopes that authenticates as its owner with exactly those scopes', async () => {
    const created = await create(ALICE, { name: 'ci script', scopes: ['polytope:read', 'mars:retrieve'], expires_in: '7d' });
    expect(created.secret).toMatch(/^aot_/);
    expect(created.token).toMatchObject({ status: 'active', scopes: ['polytope:read', 'mars:retrieve'], owner: { realm: 'local', username: 'alice' } });

    const response = await gateway(`Bearer ${created.secret}`);
    expect(response.status).toBe(200);
    const { payload } = await jwtVerify(response.headers.get('authorization')!.slice(7), createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)), { issuer: 'tokens-test' });
    expect(payload).toMatchObject({
      sub: 'local-alice',
      scopes: { polytope: ['read'], mars: ['retrieve'] },
      auth: { method: 'tokens', provider: 'portal-tokens', token_id: created.token.id },
      attributes: { team: 'a' },
    });
    expect(payload.roles).toEqual(['user', 'team-a']);

    // OpenCloud style: Basic username:token, for the owner only.
    expect((await gateway(basic('alice', created.secret))).status).toBe(200);
    expect((await gateway(basic('bob', created.secret))).status).toBe(401);
  });

  it('records last use time and address without slowing the response', async () => {
    const { secret, token } = await create(ALICE, { name: 'usage', scopes: [] });
    expect((await gateway(`Bearer ${secret}`)).status).toBe(200);
    await expect.poll(async () => ((await api('GET', `/api/tokens/${token.id}`, ALICE)).body as TokenBody).last_used_address, { timeout: 15_000, interval: 500 }).toBe('127.0.0.1');
  });

  it('revokes at once, harmlessly twice, and the token stops working', async () => {
    const { secret, token } = await create(ALICE, { name: 'to revoke', scopes: ['polytope:write'] });
    expect((await gateway(`Bearer ${secret}`)).status).toBe(200); // now cached
    const first = await api('DELETE', `/api/tokens/${token.id}`, ALICE);
    expect(first).toMatchObject({ status: 200, body: { status: 'revoked', revoked_by: 'local/alice' } });
    expect((await api('DELETE', `/api/tokens/${token.id}`, ALICE)).status).toBe(200);
    await expect.poll(async () => (await gateway(`Bearer ${secret}`)).status, { timeout: 1000, interval: 50 }).toBe(401);
  });

  it('rotates in place: the same token with a new secret; the old one stops at once or after the grace period', async () => {
    const { secret: old, token } = await create(ALICE, { name: 'rotating', scopes: ['polytope:read'] });
    expect((await gateway(`Bearer ${old}`)).status).toBe(200); // now cached
    const rotated = await api('POST', `/api/tokens/${token.id}/rotate`, ALICE, {});
    expect(rotated.status).toBe(201);
    const next = rotated.body as Created;
    expect(next.token).toMatchObject({ id: token.id, name: 'rotating', rotated_from: null, scopes: ['polytope:read'], previous_secret_expires_at: null });
    expect(next.secret.startsWith(`aot_${token.id}_`)).toBe(true);
    expect((await gateway(`Bearer ${next.secret}`)).status).toBe(200);
    await expect.poll(async () => (await gateway(`Bearer ${old}`)).status, { timeout: 1000, interval: 50 }).toBe(401);

    const graced = await api('POST', `/api/tokens/${token.id}/rotate`, ALICE, { grace_period: '1h' });
    expect(graced.status).toBe(201);
    expect((graced.body as Created).token).toMatchObject({ id: token.id, previous_secret_expires_at: expect.any(String) });
    expect((await gateway(`Bearer ${next.secret}`)).status).toBe(200);
    expect((await gateway(`Bearer ${(graced.body as Created).secret}`)).status).toBe(200);
    const mine = (await api('GET', '/api/tokens', ALICE)).body.tokens as TokenBody[];
    expect(mine.filter((t) => t.id === token.id)).toHaveLength(1);
  });

  it.each([
    ['an empty name', { name: '  ', scopes: [] }, 'name'],
    ['a 200-character name', { name: 'x'.repeat(200), scopes: [] }, 'name'],
    ['an unknown scope', { name: 'n', scopes: ['polytope:delete'] }, 'scopes'],
    ['an expiry in the past', { name: 'n', expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
    ['an expiry beyond the maximum', { name: 'n', expires_in: '400d' }, 'expires_in'],
    ['a malformed duration', { name: 'n', expires_in: 'soon' }, 'expires_in'],
    ['a malformed date', { name: 'n', expires_at: 'next tuesday' }, 'expires_at'],
    ['both expiry forms', { name: 'n', expires_in: '1d', expires_at: '2030-01-01T00:00:00Z' }, 'expires_at'],
    ['an unknown field', { name: 'n', admin: true }, '_'],
  ])('refuses %s with 422 and field errors, writing nothing', async (_, body, field) => {
    const before = ((await api('GET', '/api/tokens', BOB)).body as { tokens: unknown[] }).tokens.length;
    const response = await api('POST', '/api/tokens', BOB, body);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ error: 'invalid_input', fields: { [field]: expect.any(Array) } });
    expect(((await api('GET', '/api/tokens', BOB)).body as { tokens: unknown[] }).tokens.length).toBe(before);
  });

  it('refuses a body that is not JSON with 400', async () => {
    expect((await api('POST', '/api/tokens', BOB, '{"name": ')).status).toBe(400);
  });

  it("hides other users' tokens: 404 for get, revoke and rotate", async () => {
    const { token, secret } = await create(ALICE, { name: 'private', scopes: [] });
    for (const [method, path] of [
      ['GET', `/api/tokens/${token.id}`],
      ['DELETE', `/api/tokens/${token.id}`],
      ['POST', `/api/tokens/${token.id}/rotate`],
      ['GET', '/api/tokens/does-not-exist'],
    ] as const) {
      expect((await api(method, path, BOB)).status, `${method} ${path}`).toBe(404);
    }
    expect((await gateway(`Bearer ${secret}`)).status).toBe(200);
    expect(((await api('GET', '/api/tokens', BOB)).body as { tokens: TokenBody[] }).tokens.map((t) => t.id)).not.toContain(token.id);
  });

  it('does not let an opaque token manage tokens', async () => {
    const { secret } = await create(ALICE, { name: 'no-manage', scopes: [] });
    expect((await api('GET', '/api/tokens', `Bearer ${secret}`)).status).toBe(403);
    expect((await api('POST', '/api/tokens', `Bearer ${secret}`, { name: 'x' })).status).toBe(403);
  });

  it('needs credentials, and refuses a cross-origin POST', async () => {
    expect((await fetch(`${app.url}/api/tokens`)).status).toBe(401);
    const before = ((await api('GET', '/api/tokens', BOB)).body as { tokens: unknown[] }).tokens.length;
    expect((await api('POST', '/api/tokens', BOB, { name: 'csrf' }, { Origin: 'https://evil.example' })).status).toBe(403);
    expect(((await api('GET', '/api/tokens', BOB)).body as { tokens: unknown[] }).tokens.length).toBe(before);
  });

  describe('admin', () => {
    it('refuses non-admins on every admin endpoint', async () => {
      for (const [method, path] of [
        ['GET', '/api/admin/tokens'],
        ['POST', '/api/admin/tokens'],
        ['GET', '/api/admin/users'],
        ['GET', '/api/admin/audit'],
        ['PATCH', '/api/admin/users/00000000-0000-0000-0000-000000000000'],
      ] as const) {
        expect((await api(method, path, ALICE, method === 'GET' ? undefined : {})).status, `${method} ${path}`).toBe(403);
      }
      expect((await api('GET', '/api/tokens?all=1', ALICE)).body.tokens.every((t: TokenBody) => t.owner.username === 'alice')).toBe(true);
    });

    it("searches everyone's tokens, revokes any, creates one for a user, disables and enables a user", async () => {
      const bobs = await create(BOB, { name: 'bob-job', scopes: ['mars:retrieve'] });
      const found = await api('GET', '/api/admin/tokens?search=bob-job&status=active', ROOT);
      expect(found.body.tokens.map((t: TokenBody) => t.id)).toEqual([bobs.token.id]);

      expect((await api('DELETE', `/api/admin/tokens/${bobs.token.id}`, ROOT)).body).toMatchObject({ status: 'revoked', revoked_by: 'local/root' });
      await expect.poll(async () => (await gateway(`Bearer ${bobs.secret}`)).status, { timeout: 1000 }).toBe(401);

      const forBob = await api('POST', '/api/admin/tokens', ROOT, { user: { realm: 'local', username: 'bob' }, name: 'made by admin', scopes: ['polytope:read'], expires_in: '1d' });
      expect(forBob.status).toBe(201);
      expect(forBob.body.token).toMatchObject({ owner: { username: 'bob' }, created_by: 'local/root' });
      expect((await gateway(`Bearer ${forBob.body.secret}`)).status).toBe(200);
      expect((await api('POST', '/api/admin/tokens', ROOT, { user: { realm: 'local', username: 'nobody' }, name: 'x' })).status).toBe(422);

      const users = (await api('GET', '/api/admin/users?search=bob', ROOT)).body.users as Array<{ id: string; username: string }>;
      const bob = users.find((u) => u.username === 'bob')!;
      expect((await api('PATCH', `/api/admin/users/${bob.id}`, ROOT, { disabled: true })).body).toMatchObject({ disabled: true });
      await expect.poll(async () => (await gateway(`Bearer ${forBob.body.secret}`)).status, { timeout: 1000 }).toBe(401);
      await api('PATCH', `/api/admin/users/${bob.id}`, ROOT, { disabled: false });
      await expect.poll(async () => (await gateway(`Bearer ${forBob.body.secret}`)).status, { timeout: 2000 }).toBe(200);

      const audit = await api('GET', '/api/admin/audit?page=1', ROOT);
      const actions = (audit.body.entries as Array<{ action: string; actor: string; target_user: string; client_address: string }>).map((e) => `${e.actor} ${e.action} ${e.target_user}`);
      expect(actions).toEqual(
        expect.arrayContaining([
          'local/root token.revoke local/bob',
          'local/root token.create_for_user local/bob',
          'local/root user.disable local/bob',
          'local/root user.enable local/bob',
          'local/bob token.create local/bob',
        ]),
      );
      expect(audit.body.entries[0].client_address).toBe('127.0.0.1');
    });
  });

  it('never logs a token secret or hash', async () => {
    const { secret } = await create(ALICE, { name: 'log-check', scopes: [] });
    await gateway(`Bearer ${secret}`);
    await gateway(`Bearer ${secret.slice(0, -1)}x`);
    const logs = app.output();
    expect(logs).not.toContain(secret.slice(4));
    expect(logs).not.toContain('$argon2');
  });

  it.runIf(database === 'postgres')('refuses a broken checksum without touching the database (database unreachable)', async () => {
    const { secret } = await create(ALICE, { name: 'checksum', scopes: [] });
    const broken = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    const name = new URL(app.databaseUrl!).pathname.slice(1);
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`alter database ${name} allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      // A well-formed token needs the database: the gateway says "try again" (503), not "wrong" (401)…
      expect((await gateway(`Bearer ${newToken('aot', newTokenId()).token}`)).status).toBe(503);
      // …while a broken checksum is refused offline.
      expect((await gateway(`Bearer ${broken}`)).status).toBe(401);
      expect((await gateway('Bearer aot_garbage')).status).toBe(401);
    } finally {
      await admin.query(`alter database ${name} allow_connections true`);
      await admin.end();
    }
  });

  it.runIf(database === 'postgres')('still propagates revocations after the database dropped every connection', async () => {
    // The previous test terminated the LISTEN connection; it must have come back.
    const { secret, token } = await create(ALICE, { name: 'after-outage', scopes: [] });
    expect((await gateway(`Bearer ${secret}`)).status).toBe(200);
    await api('DELETE', `/api/tokens/${token.id}`, ALICE);
    await expect.poll(async () => (await gateway(`Bearer ${secret}`)).status, { timeout: 1000, interval: 50 }).toBe(401);
  });

  it.runIf(database === 'postgres')('sheds a burst of cold tokens with 503 and Retry-After instead of piling up argon2 work', async () => {
    // Old-style hashes (password parameters) so each first check costs real argon2 work, and a burst
    // well beyond what the main lane takes (a core each, 16 waiting per core) on any machine.
    const burst = Math.max(300, 40 * availableParallelism());
    const secret = 'C'.repeat(36);
    const client = new pg.Client({ connectionString: app.databaseUrl });
    await client.connect();
    try {
      const owner = await client.query<{ id: string }>(`insert into users (realm, username) values ('local', 'alice') on conflict (realm, username) do update set realm = excluded.realm returning id`);
      await client.query(
        `insert into tokens (id, owner_id, name, scopes, secret_hash, expires_at)
         select 'burst' || lpad(g::text, 11, '0'), $1, 'burst', '[]', $2, now() + interval '1 day' from generate_series(1, $3::integer) g`,
        [owner.rows[0]!.id, await hashSecret(secret, PASSWORD_HASH), burst],
      );
    } finally {
      await client.end();
    }
    const responses = await Promise.all(Array.from({ length: burst }, (_, i) => gateway(`Bearer ${formatToken('aot', `burst${String(i + 1).padStart(11, '0')}`, secret)}`)));
    const statuses = responses.map((r) => r.status);
    expect(new Set(statuses)).toEqual(new Set([200, 503]));
    const shed = responses.filter((r) => r.status === 503);
    expect(shed.length).toBeGreaterThan(0);
    for (const response of shed) expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
