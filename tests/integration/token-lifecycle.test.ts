import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatToken, newToken, newTokenId } from '@/lib/tokens/format';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';
import { createPostgresDatabase, type TestDatabase } from '../support/postgres';
import { ALICE, BOB, ROOT, basic } from '../support/local-users';
import { jsonApi } from '../support/json-api';

const CAROL = basic('carol', 'carol-pw');
const SVC = basic('svc', 'svc-pw');

interface TokenBody {
  id: string;
  name: string;
  status: string;
  scopes: string[];
  revoked_by: string | null;
  previous_secret_expires_at: string | null;
}
interface Created {
  token: TokenBody;
  secret: string;
}
interface AuditEntry {
  actor: string;
  action: string;
  target_user: string | null;
  token_id: string | null;
}

/** alice's extra roles are what she loses in the last test (a restart with `lost: true`). */
const configOf = (lost = false) => ({
  providers: [
    {
      type: 'plain',
      name: 'users',
      realm: 'local',
      users: [
        { username: 'alice', password: 'alice-pw', roles: lost ? ['user'] : ['user', 'editor'] },
        { username: 'bob', password: 'bob-pw', roles: ['user'] },
        { username: 'carol', password: 'carol-pw', roles: ['user'] },
        { username: 'root', password: 'root-pw', roles: ['admin', 'editor'] },
        { username: 'svc', password: 'svc-pw', roles: ['introspector'] },
      ],
    },
    { type: 'tokens', name: 'tokens' },
  ],
  augmenters: lost ? [] : [{ type: 'plain_advanced', name: 'mars', realm: 'local', match: { username: ['alice'] }, augment: { roles: ['mars-users'] } }],
  services: [
    { name: 'polytope', scopes: ['read', { name: 'write', description: 'Change data', roles_any: ['editor'] }] },
    { name: 'mars', scopes: [{ name: 'retrieve', description: 'Retrieve from MARS', roles_any: ['mars-users'] }] },
  ],
  portal: { realm: 'local', admin_roles: ['admin'] },
  tokens: { creations_per_minute: 1000, cache_ttl: '5m' },
  jwt: { iss: 'lifecycle', exp: 60 },
  auth: { failure_delay_ms: 0 },
  logging: { level: 'trace' }, // everything the app can log, for the test that no looked-up value is
});

describe.each(DATABASE_KINDS)('token lifecycle through the JSON API and the gateway (%s)', (kind) => {
  let app: RunningApp;
  let postgres: TestDatabase | undefined;
  const pglitePath = mkdtempSync(path.join(tmpdir(), 'aot-lifecycle-'));
  const start = (lost = false) => startApp({ config: configOf(lost), ...(postgres ? { databaseUrl: postgres.url } : { pglitePath }) });

  beforeAll(async () => {
    if (kind === 'postgres') postgres = await createPostgresDatabase();
    app = await start();
  });
  afterAll(async () => {
    await app?.stop();
    await postgres?.drop();
    rmSync(pglitePath, { recursive: true, force: true });
  });

  const api = jsonApi(() => app.url);
  const create = async (auth: string, body: object): Promise<Created> => {
    const answer = await api('POST', '/api/tokens', auth, body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body as Created;
  };
  const gateway = (secret: string) => fetch(`${app.url}/api/authenticate`, { headers: { Authorization: `Bearer ${secret}` } }).then((r) => r.status);
  const whoami = async (auth: string) => (await api('GET', '/api/whoami', auth)).body as { scopes: Record<string, string[]>; roles: string[] };
  const audit = async (): Promise<{ entries: AuditEntry[]; total: number }> => (await api('GET', '/api/admin/audit?page=1', ROOT)).body;
  const post = (path: string, body: string, type: string, auth?: string) =>
    fetch(`${app.url}${path}`, { method: 'POST', headers: { 'Content-Type': type, ...(auth ? { Authorization: auth } : {}) }, body });

  describe('rotation keeps the token', () => {
    it('same id, name, scopes, restrictions and history; a new secret; the old one works until the grace ends, then is refused', async () => {
      const { secret: old, token } = await create(ALICE, { name: 'rotated', scopes: ['polytope:read'], restrictions: { ips: ['127.0.0.1'] } });
      expect(await gateway(old)).toBe(200); // cached from now on (cache_ttl: 5m)

      const rotated = await api('POST', `/api/tokens/${token.id}/rotate`, ALICE, { grace_period: '3s' });
      expect(rotated.status).toBe(201);
      const next = rotated.body as Created;
      expect(next.secret.startsWith(`aot_${token.id}_`)).toBe(true);
      expect(next.secret).not.toBe(old);
      expect(next.token).toMatchObject({ id: token.id, name: 'rotated', scopes: ['polytope:read'], restrictions: { ips: ['127.0.0.1'] }, status: 'active' });
      const graceEnds = Date.parse(next.token.previous_secret_expires_at ?? '');
      expect(graceEnds).toBeGreaterThan(Date.now());

      expect(await gateway(next.secret)).toBe(200);
      expect(await gateway(old)).toBe(200); // within its grace period
      await expect.poll(() => gateway(old), { timeout: Math.max(0, graceEnds - Date.now()) + 1000, interval: 50 }).toBe(401);
      expect(await gateway(next.secret)).toBe(200);

      const mine = ((await api('GET', '/api/tokens', ALICE)).body.tokens as TokenBody[]).filter((t) => t.name === 'rotated');
      expect(mine.map((t) => t.id)).toEqual([token.id]);
      const history = (await audit()).entries.filter((e) => e.token_id === token.id).map((e) => e.action);
      expect(history).toEqual(['token.rotate', 'token.create']);
      // README: rotate, then revoke $ID — the token (its new secret) is revoked.
      expect((await api('DELETE', `/api/tokens/${token.id}`, ALICE)).body).toMatchObject({ status: 'revoked' });
      await expect.poll(() => gateway(next.secret), { timeout: 1000, interval: 50 }).toBe(401);
    });

    it('rotating again ends an earlier grace period at once', async () => {
      const { secret: first, token } = await create(ALICE, { name: 'rotated twice' });
      const second = (await api('POST', `/api/tokens/${token.id}/rotate`, ALICE, { grace_period: '1h' })).body as Created;
      expect(await gateway(first)).toBe(200);
      const third = (await api('POST', `/api/tokens/${token.id}/rotate`, ALICE, { grace_period: '1h' })).body as Created;
      await expect.poll(() => gateway(first), { timeout: 1000, interval: 50 }).toBe(401);
      expect([await gateway(second.secret), await gateway(third.secret)]).toEqual([200, 200]);
    });

    it('with no grace period the old secret is refused at once, although it was cached', async () => {
      const { secret: old, token } = await create(ALICE, { name: 'rotated now', scopes: [] });
      expect(await gateway(old)).toBe(200);
      const next = (await api('POST', `/api/tokens/${token.id}/rotate`, ALICE, { grace_period: '0' })).body as Created;
      expect(next.token.previous_secret_expires_at).toBeNull();
      await expect.poll(() => gateway(old), { timeout: 1000, interval: 50 }).toBe(401);
      expect(await gateway(next.secret)).toBe(200);
    });
  });

  describe('scopes capped by roles', () => {
    it('refuses at creation, with 422 naming them, scopes the roles do not allow (the owner’s, when an admin creates), writing nothing', async () => {
      const before = (await api('GET', '/api/tokens', BOB)).body.tokens.length;
      const audits = (await audit()).total;
      const refused = await api('POST', '/api/tokens', BOB, { name: 'too much', scopes: ['polytope:read', 'polytope:write', 'mars:retrieve'] });
      expect(refused.status).toBe(422);
      expect(refused.body.message).toContain('polytope:write, mars:retrieve');
      expect(refused.body.fields.scopes.join(' ')).toMatch(/polytope:write.*editor.*mars:retrieve.*mars-users/);
      const forBob = await api('POST', '/api/admin/tokens', ROOT, { user: { realm: 'local', username: 'bob' }, name: 'too much', scopes: ['polytope:write'] });
      expect(forBob.status).toBe(422);
      expect((await api('GET', '/api/tokens', BOB)).body.tokens.length).toBe(before);
      expect((await audit()).total).toBe(audits);
      // Plain string scopes stay open to anyone; a direct caller has what its roles allow.
      await create(BOB, { name: 'read only', scopes: ['polytope:read'] });
      expect((await whoami(BOB)).scopes).toEqual({ polytope: ['read'] });
    });

    it('lets a user pick what roles from sign-in and augmenters allow, and a token keeps only what the owner’s current roles allow', async () => {
      const { secret } = await create(ALICE, { name: 'capped', scopes: ['polytope:read', 'polytope:write', 'mars:retrieve'] });
      const response = await fetch(`${app.url}/api/authenticate`, { headers: { Authorization: `Bearer ${secret}` } });
      const { payload } = await jwtVerify(response.headers.get('authorization')!.slice(7), createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)), { issuer: 'lifecycle' });
      expect(payload.scopes).toEqual({ polytope: ['read', 'write'], mars: ['retrieve'] });

      // alice loses editor (her next sign-in says so) and the augmenter's mars-users.
      await app.stop();
      app = await start(true);
      expect((await api('GET', '/api/tokens', ALICE)).status).toBe(200); // signs in: her roles are stored anew
      expect((await whoami(`Bearer ${secret}`)).scopes).toEqual({ polytope: ['read'] });
      expect((await whoami(ALICE)).scopes).toEqual({ polytope: ['read'] });
      expect((await api('POST', '/api/tokens', ALICE, { name: 'again', scopes: ['polytope:write'] })).status).toBe(422);
      const introspected = await post('/api/introspect', `token=${secret}`, 'application/x-www-form-urlencoded', SVC);
      expect(((await introspected.json()) as { scope: string }).scope).toBe('polytope:read');

      await app.stop();
      app = await start();
    });
  });

  describe('POST /api/revoke (RFC 7009)', () => {
    it('revokes a token sent as a form, audited as token-holder with the token and its owner', async () => {
      const { secret, token } = await create(ALICE, { name: 'leaked', scopes: [] });
      expect(await gateway(secret)).toBe(200);
      const response = await post('/api/revoke', `token=${encodeURIComponent(secret)}`, 'application/x-www-form-urlencoded');
      expect(response.status).toBe(200);
      await expect.poll(() => gateway(secret), { timeout: 1000, interval: 50 }).toBe(401);
      expect((await api('GET', `/api/tokens/${token.id}`, ALICE)).body).toMatchObject({ status: 'revoked', revoked_by: 'token-holder' });
      expect((await audit()).entries.find((e) => e.token_id === token.id && e.action === 'token.revoke')).toMatchObject({ actor: 'token-holder', target_user: 'local/alice' });
    });

    it('revokes one JSON token, or many at once; unknown, garbage and wrong-secret values change nothing and get the same 200', async () => {
      const [one, two, three] = [await create(ALICE, { name: 'j1' }), await create(ALICE, { name: 'j2' }), await create(CAROL, { name: 'j3' })];
      expect((await post('/api/revoke', JSON.stringify({ token: one!.secret }), 'application/json')).status).toBe(200);
      await expect.poll(() => gateway(one!.secret), { timeout: 1000, interval: 50 }).toBe(401);

      const audits = (await audit()).total;
      const guessed = formatToken('aot', three!.token.id, 'A'.repeat(36)); // a real id with a guessed secret
      const unknown = newToken('aot', newTokenId()).token;
      for (const token of [guessed, unknown, 'garbage', '']) {
        const response = await post('/api/revoke', JSON.stringify({ token }), 'application/json');
        expect(response.status).toBe(200);
        expect(await response.text()).toBe('{}');
      }
      expect(await gateway(three!.secret)).toBe(200);
      expect((await audit()).total).toBe(audits);

      const bulk = await post('/api/revoke', JSON.stringify({ tokens: [two!.secret, three!.secret, guessed, unknown, 'garbage'] }), 'application/json');
      expect(bulk.status).toBe(200);
      await expect.poll(async () => [await gateway(two!.secret), await gateway(three!.secret)], { timeout: 1000, interval: 50 }).toEqual([401, 401]);
      expect((await audit()).total).toBe(audits + 2);
    });

    it("revokes a suspended owner's leaked token, so enabling the owner does not bring it back", async () => {
      const leaked = await create(CAROL, { name: 'leaked while suspended' });
      const kept = await create(CAROL, { name: 'kept while suspended' });
      const carol = ((await api('GET', '/api/admin/users?search=carol', ROOT)).body.users as Array<{ id: string; username: string }>).find((u) => u.username === 'carol')!;
      await api('PATCH', `/api/admin/users/${carol.id}`, ROOT, { disabled: true });
      try {
        await expect.poll(() => gateway(leaked.secret), { timeout: 1000, interval: 50 }).toBe(401);
        expect((await post('/api/revoke', `token=${leaked.secret}`, 'application/x-www-form-urlencoded')).status).toBe(200);
        expect((await api('GET', `/api/admin/tokens/${leaked.token.id}`, ROOT)).body).toMatchObject({ status: 'revoked', revoked_by: 'token-holder' });
      } finally {
        await api('PATCH', `/api/admin/users/${carol.id}`, ROOT, { disabled: false });
      }
      await expect.poll(() => gateway(kept.secret), { timeout: 2000, interval: 50 }).toBe(200);
      expect(await gateway(leaked.secret)).toBe(401);
    });

    it('refuses bad requests without revoking anything: 1,001 tokens, malformed JSON, another content type, a 2 MB body, no token', async () => {
      const { secret } = await create(CAROL, { name: 'survivor' });
      const audits = (await audit()).total;
      const tooMany = await post('/api/revoke', JSON.stringify({ tokens: [secret, ...Array.from({ length: 1000 }, () => newToken('aot', newTokenId()).token)] }), 'application/json');
      expect(tooMany.status).toBe(422);
      expect(((await tooMany.json()) as { fields: Record<string, string[]> }).fields).toHaveProperty('tokens');
      expect((await post('/api/revoke', '{"token": ', 'application/json')).status).toBe(400);
      expect((await post('/api/revoke', `token=${secret}`, 'text/plain')).status).toBe(415);
      expect((await post('/api/revoke', `token=${secret}&pad=${'x'.repeat(2 * 1024 * 1024)}`, 'application/x-www-form-urlencoded')).status).toBe(413);
      expect((await post('/api/revoke', `token=${secret}&token=${secret}`, 'application/x-www-form-urlencoded')).status).toBe(400);
      expect((await post('/api/revoke', '{}', 'application/json')).status).toBe(422);
      expect(await gateway(secret)).toBe(200);
      expect((await audit()).total).toBe(audits);
    });
  });

  describe('POST /api/introspect (RFC 7662)', () => {
    it('needs a caller the gateway accepts (401) with a role in tokens.introspect_roles (403)', async () => {
      const { secret } = await create(ALICE, { name: 'to inspect' });
      expect((await post('/api/introspect', `token=${secret}`, 'application/x-www-form-urlencoded')).status).toBe(401);
      expect((await post('/api/introspect', `token=${secret}`, 'application/x-www-form-urlencoded', basic('svc', 'wrong'))).status).toBe(401);
      expect((await post('/api/introspect', `token=${secret}`, 'application/x-www-form-urlencoded', BOB)).status).toBe(403);
    });

    it('describes an active token (form or JSON, the caller may use a token too); anything else is exactly {"active": false}', async () => {
      const { secret, token } = await create(ALICE, { name: 'inspected', scopes: ['polytope:read', 'polytope:write'] });
      const form = await post('/api/introspect', `token=${encodeURIComponent(secret)}`, 'application/x-www-form-urlencoded', SVC);
      expect(form.status).toBe(200);
      const body = (await form.json()) as Record<string, unknown>;
      expect(body).toEqual({
        active: true,
        token_type: 'opaque',
        sub: 'local-alice',
        username: 'alice',
        realm: 'local',
        scope: 'polytope:read polytope:write',
        exp: expect.any(Number),
        iat: expect.any(Number),
        roles: expect.arrayContaining(['user', 'editor', 'mars-users']),
      });
      expect(body.exp as number).toBeGreaterThan(body.iat as number);

      const svcToken = await create(SVC, { name: 'introspection client' });
      const json = await post('/api/introspect', JSON.stringify({ token: secret }), 'application/json', `Bearer ${svcToken.secret}`);
      expect(((await json.json()) as { active: boolean }).active).toBe(true);

      const guessed = formatToken('aot', token.id, 'B'.repeat(36));
      await api('DELETE', `/api/tokens/${(await create(ALICE, { name: 'gone' })).token.id}`, ALICE);
      for (const value of [guessed, newToken('aot', newTokenId()).token, 'garbage']) {
        const inactive = await post('/api/introspect', `token=${encodeURIComponent(value)}`, 'application/x-www-form-urlencoded', SVC);
        expect(inactive.status).toBe(200);
        expect(await inactive.text()).toBe('{"active":false}');
      }
      await api('DELETE', `/api/tokens/${token.id}`, ALICE);
      await expect.poll(async () => (await post('/api/introspect', `token=${secret}`, 'application/x-www-form-urlencoded', SVC)).text(), { timeout: 1000, interval: 50 }).toBe('{"active":false}');
    });

    it('says inactive for a restricted token (a service that names no request cannot have them checked), active once they are lifted', async () => {
      const { secret, token } = await create(ALICE, { name: 'restricted, introspected', restrictions: { ips: ['127.0.0.1/32'] } });
      const introspect = async () => (await post('/api/introspect', `token=${secret}`, 'application/x-www-form-urlencoded', SVC)).text();
      expect(await gateway(secret)).toBe(200); // the gateway checks the restriction itself
      expect(await introspect()).toBe('{"active":false}');
      expect((await api('PATCH', `/api/tokens/${token.id}`, ALICE, { restrictions: {} })).status).toBe(200);
      await expect.poll(introspect, { timeout: 1000, interval: 50 }).toContain('"active":true');
    });

    it("says inactive for a suspended owner's token, and active again once the owner is enabled", async () => {
      const { secret } = await create(CAROL, { name: 'suspended' });
      const introspect = async () => (await post('/api/introspect', `token=${secret}`, 'application/x-www-form-urlencoded', SVC)).text();
      expect(await introspect()).toContain('"active":true');
      const carol = ((await api('GET', '/api/admin/users?search=carol', ROOT)).body.users as Array<{ id: string; username: string }>).find((u) => u.username === 'carol')!;
      await api('PATCH', `/api/admin/users/${carol.id}`, ROOT, { disabled: true });
      try {
        await expect.poll(introspect, { timeout: 1000, interval: 50 }).toBe('{"active":false}');
      } finally {
        await api('PATCH', `/api/admin/users/${carol.id}`, ROOT, { disabled: false });
      }
      await expect.poll(introspect, { timeout: 2000, interval: 50 }).toContain('"active":true');
    });

    it('refuses bad bodies: 400 malformed JSON, 415 another type, 413 2 MB, 422 no token', async () => {
      expect((await post('/api/introspect', '{"token": ', 'application/json', SVC)).status).toBe(400);
      expect((await post('/api/introspect', 'token=x', 'text/plain', SVC)).status).toBe(415);
      expect((await post('/api/introspect', `token=${'x'.repeat(2 * 1024 * 1024)}`, 'application/x-www-form-urlencoded', SVC)).status).toBe(413);
      expect((await post('/api/introspect', '{}', 'application/json', SVC)).status).toBe(422);
    });
  });

  describe('admin', () => {
    it('looks a token up by id or by its whole value (the current or, in a grace period, the previous secret); a wrong secret finds nothing', async () => {
      const { secret, token } = await create(CAROL, { name: 'looked up' });
      expect((await api('POST', '/api/admin/tokens/lookup', ROOT, { q: secret })).body.token).toMatchObject({ id: token.id, matched_by: 'value', owner: { username: 'carol' } });
      expect((await api('POST', '/api/admin/tokens/lookup', ROOT, { q: token.id })).body.token).toMatchObject({ id: token.id, matched_by: 'id' });
      expect((await api('POST', '/api/admin/tokens/lookup', ROOT, { q: formatToken('aot', token.id, 'C'.repeat(36)) })).status).toBe(404);
      expect((await api('POST', '/api/admin/tokens/lookup', ROOT, { q: 'nosuchtoken' })).status).toBe(404);
      expect((await api('POST', '/api/admin/tokens/lookup', CAROL, { q: secret })).status).toBe(403);
      expect((await api('POST', '/api/admin/tokens/lookup', ROOT, { q: '' })).status).toBe(422);
      expect((await api('POST', '/api/admin/tokens/lookup', ROOT, {})).body).toMatchObject({ error: 'invalid_input', fields: { q: expect.any(Array) } });
      expect((await api('POST', '/api/admin/tokens/lookup', ROOT, { q: 42 })).status).toBe(422);
      expect((await api('POST', '/api/admin/tokens/lookup', ROOT, '{"q": ')).status).toBe(400);
      expect((await api('POST', '/api/admin/tokens/lookup', ROOT, `q=${secret}`, { 'Content-Type': 'application/x-www-form-urlencoded' })).status).toBe(415);
      await api('POST', `/api/tokens/${token.id}/rotate`, CAROL, { grace_period: '1h' });
      expect((await api('POST', '/api/admin/tokens/lookup', ROOT, { q: secret })).body.token).toMatchObject({ id: token.id, matched_by: 'value' });
    });

    it('never logs or returns a whole token value an admin looks up, whatever the answer (found, previous secret, wrong secret, refused, malformed)', async () => {
      const { secret, token } = await create(CAROL, { name: 'looked up, not logged' });
      const rotated = (await api('POST', `/api/tokens/${token.id}/rotate`, CAROL, { grace_period: '1h' })).body as Created;
      const wrong = formatToken('aot', token.id, 'D'.repeat(36));
      const secretsOf = [secret, rotated.secret, wrong].map((value) => value.slice(-42, -6)); // the secret part, without the checksum
      const from = app.output().length;
      const lookup = async (auth: string, body: unknown, headers: Record<string, string> = {}) => {
        const answer = await api('POST', '/api/admin/tokens/lookup', auth, body, headers);
        for (const part of secretsOf) expect(answer.text).not.toContain(part);
        return answer.status;
      };
      expect(await lookup(ROOT, { q: rotated.secret })).toBe(200);
      expect(await lookup(ROOT, { q: ` ${secret} ` })).toBe(200); // the previous secret, in its grace period
      expect(await lookup(ROOT, { q: wrong })).toBe(404);
      expect(await lookup(CAROL, { q: rotated.secret })).toBe(403);
      expect(await lookup(basic('root', 'wrong'), { q: rotated.secret })).toBe(401);
      expect(await lookup(ROOT, { q: `${rotated.secret}${'x'.repeat(200)}` })).toBe(422);
      expect(await lookup(ROOT, `{"q": "${rotated.secret}"`)).toBe(400);
      expect(await lookup(ROOT, `q=${rotated.secret}`, { 'Content-Type': 'application/x-www-form-urlencoded' })).toBe(415);
      await new Promise((resolve) => setTimeout(resolve, 200)); // anything logged after the answers
      const logs = app.output().slice(from);
      expect(logs).toContain('provider rejected credential'); // the capture sees what these requests log (trace level)…
      for (const part of secretsOf) expect(logs).not.toContain(part); // …and no secret is in it
    });

    it("revokes all of a user's tokens at once, audited per token; only admins may", async () => {
      const dave = basic('carol', 'carol-pw');
      const made = [await create(dave, { name: 'all 1' }), await create(dave, { name: 'all 2' })];
      for (const { secret } of made) expect(await gateway(secret)).toBe(200);
      const carol = ((await api('GET', '/api/admin/users?search=carol', ROOT)).body.users as Array<{ id: string; username: string }>).find((u) => u.username === 'carol')!;
      expect((await api('POST', `/api/admin/users/${carol.id}/revoke-tokens`, CAROL)).status).toBe(403);
      const answer = await api('POST', `/api/admin/users/${carol.id}/revoke-tokens`, ROOT);
      expect(answer.status).toBe(200);
      expect(answer.body.tokens).toEqual(expect.arrayContaining(made.map((m) => m.token.id)));
      for (const { secret } of made) await expect.poll(() => gateway(secret), { timeout: 1000, interval: 50 }).toBe(401);
      const rows = (await audit()).entries.filter((e) => e.action === 'token.revoke' && e.actor === 'local/root' && e.target_user === 'local/carol');
      expect(rows.map((e) => e.token_id)).toEqual(expect.arrayContaining(made.map((m) => m.token.id)));
      expect((await api('POST', `/api/admin/users/${carol.id}/revoke-tokens`, ROOT)).body).toMatchObject({ revoked: 0 });
      expect((await api('POST', '/api/admin/users/00000000-0000-0000-0000-000000000000/revoke-tokens', ROOT)).status).toBe(404);
      expect((await api('POST', '/api/admin/users/not-a-user-id/revoke-tokens', ROOT)).status).toBe(404);
    });
  });
});
