import { createHmac } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '@/lib/crypto/secrets';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';
import { startTestIssuer, type TestIssuer } from '../support/jwks-server';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
const ALICE = basic('alice', 'alice-secret-1');
const JORG = basic('jörg', 'plain-secret-2');

describe.each(DATABASE_KINDS)('gateway over HTTP (%s)', (database) => {
  let app: RunningApp;
  let idp: TestIssuer;
  let downIdp: TestIssuer;
  let hangingIdp: TestIssuer;

  beforeAll(async () => {
    [idp, downIdp, hangingIdp] = await Promise.all([startTestIssuer(), startTestIssuer(), startTestIssuer()]);
    downIdp.setMode('error');
    hangingIdp.setMode('hang');
    app = await startApp({
      database,
      config: {
        version: '2.0.0',
        providers: [
          {
            type: 'plain',
            name: 'local-users',
            realm: 'local',
            users: [
              { username: 'alice', password_hash: await hashSecret('alice-secret-1'), roles: ['user'] },
              { username: 'jörg', password: 'plain-secret-2', roles: ['editor'] },
            ],
          },
          { type: 'jwt', name: 'idp', realm: 'idp', cert_uri: idp.jwksUri, issuer: idp.issuer, audience: 'aot-test', roles_claim: 'groups' },
          { type: 'jwt', name: 'idp-down', realm: 'down', cert_uri: downIdp.jwksUri },
          { type: 'jwt', name: 'idp-hanging', realm: 'hanging', cert_uri: hangingIdp.jwksUri },
        ],
        augmenters: [
          { type: 'plain', name: 'static-roles', realm: 'local', roles: { auditor: ['alice'] } },
          { type: 'plain_advanced', name: 'auditors', realm: 'local', match: { role: ['auditor'] }, augment: { roles: ['reader'], attributes: { department: 'engineering' } } },
        ],
        services: [{ name: 'polytope', scopes: ['read', 'write'] }],
        policies: [
          { match: { methods: ['POST'], path: '/v1/**' }, require: { roles_any: ['editor'] } },
          { match: { path: '/admin/**' }, require: { roles_all: ['admin'] } },
          { match: { host: 'internal.example.org' }, require: { attributes: { department: 'engineering' } } },
        ],
        default_policy: 'allow',
        include_legacy_headers: true,
        jwt: { iss: 'aot-test', aud: 'backends', exp: 120 },
        auth: { timeout_in_ms: 1500 },
        logging: { level: 'debug' }, // the most verbose logs must still hold no secret
      },
    });
  });

  afterAll(async () => {
    await app?.stop();
    await Promise.all([idp, downIdp, hangingIdp].map((s) => s?.close()));
  });

  // Policies are configured, so a check must name its original request: by default the way Caddy and
  // Traefik do (X-Forwarded-*), which gets JSON answers; `original()` below sends nginx's headers.
  const FORWARDED = { 'X-Forwarded-Uri': '/', 'X-Forwarded-Method': 'GET', 'X-Forwarded-Host': 'api.example.org' };
  const call = (headers: Record<string, string> = {}, path = '/api/authenticate', method = 'GET', named = true) =>
    fetch(`${app.url}${path}`, { method, headers: named && /authenticate$/.test(path) ? { ...FORWARDED, ...headers } : headers, redirect: 'manual' });

  async function verifiedClaims(response: Response): Promise<JWTPayload> {
    const bearer = response.headers.get('authorization') ?? '';
    expect(bearer).toMatch(/^Bearer /);
    const jwks = createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(bearer.slice(7), jwks, { issuer: 'aot-test', audience: 'backends' });
    return payload;
  }

  it('accepts an argon2id user and issues a JWT backends can verify with the published keys', async () => {
    const response = await call({ Authorization: ALICE });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const claims = await verifiedClaims(response);
    expect(decodeProtectedHeader(response.headers.get('authorization')!.slice(7))).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(claims).toMatchObject({
      sub: 'local-alice',
      username: 'alice',
      realm: 'local',
      aud: 'backends',
      attributes: { department: 'engineering' },
      scopes: { polytope: ['read', 'write'] },
      auth: { method: 'plain', provider: 'local-users' },
    });
    expect(claims.roles).toEqual(['user', 'auditor', 'reader']);
    expect(claims.exp! - claims.iat!).toBe(120);
    expect(claims.jti).toEqual(expect.any(String));
  });

  it('accepts auth-o-tron plaintext passwords and unicode names, with safe legacy headers', async () => {
    const response = await call({ Authorization: JORG });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-auth-username')).toBe(encodeURIComponent('jörg'));
    expect(response.headers.get('x-auth-realm')).toBe('local');
    expect(response.headers.get('x-auth-roles')).toBe('editor');
    expect((await verifiedClaims(response)).username).toBe('jörg');
  });

  it('serves the same answer on the auth-o-tron path and for any method', async () => {
    for (const [path, method] of [
      ['/authenticate', 'GET'],
      ['/api/authenticate', 'POST'],
      ['/api/authenticate', 'HEAD'],
    ] as const) {
      const response = await call({ Authorization: ALICE }, path, method);
      expect(response.status, `${method} ${path}`).toBe(200);
    }
  });

  it.each([
    ['no credentials', {}],
    ['a wrong password', { Authorization: basic('alice', 'wrong') }],
    ['an unknown user', { Authorization: basic('mallory', 'alice-secret-1') }],
    ['non-base64 Basic', { Authorization: 'Basic %%%not-base64%%%' }],
    ['Basic without a colon', { Authorization: `Basic ${Buffer.from('alice').toString('base64')}` }],
    ['an empty username', { Authorization: basic('', 'alice-secret-1') }],
    ['an unknown scheme', { Authorization: 'Negotiate YWxpY2U=' }],
    ['a scheme without a credential', { Authorization: 'Bearer' }],
    ['two credentials of the same scheme', { Authorization: `${ALICE}, ${JORG}` }],
    ['more than three credentials', { Authorization: `${ALICE}, Bearer a.b.c, Foo x, Bar y` }],
    ['a 16 KB header', { Authorization: `Bearer ${'a'.repeat(16 * 1024)}` }],
    ['an unknown realm', { Authorization: ALICE, 'X-Auth-Realm': 'nowhere' }],
    ['a realm differing in case', { Authorization: ALICE, 'X-Auth-Realm': 'LOCAL' }],
    ['a garbage bearer token', { Authorization: 'Bearer not-a-jwt' }],
  ])('refuses %s with 401 and a challenge, never a redirect', async (_, headers) => {
    const response = await call(headers as Record<string, string>);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Basic realm="local"');
    expect(response.headers.get('authorization')).toBeNull();
    expect(await response.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('lists one challenge per scheme and realm, narrowed by X-Auth-Realm', async () => {
    const all = await call();
    expect(all.headers.get('www-authenticate')).toBe('Basic realm="local", Bearer realm="idp", Bearer realm="down", Bearer realm="hanging"');
    const narrowed = await call({ 'X-Auth-Realm': 'idp' });
    expect(narrowed.headers.get('www-authenticate')).toBe('Bearer realm="idp"');
  });

  it('tolerates extra spaces and finds the right credential among several', async () => {
    const response = await call({ Authorization: `  bearer   not-a-jwt ,  ${ALICE.replace('Basic ', 'BASIC   ')}  ` });
    expect(response.status).toBe(200);
    expect((await verifiedClaims(response)).username).toBe('alice');
  });

  it('filters providers by X-Auth-Realm exactly', async () => {
    expect((await call({ Authorization: ALICE, 'X-Auth-Realm': 'local' })).status).toBe(200);
    expect((await call({ Authorization: ALICE, 'X-Auth-Realm': 'idp' })).status).toBe(401);
  });

  describe('identity-provider JWTs', () => {
    const claims = {
      sub: 'u-123',
      preferred_username: 'carol',
      aud: 'aot-test',
      email: 'carol@example.org',
      scope: 'openid profile',
      realm_access: { roles: ['realm-role'] },
      resource_access: { 'aot-test': { roles: ['client-role'] }, other: { roles: ['admin'] } },
      entitlements: ['entitled'],
      groups: ['group-role'],
    };

    it('accepts a valid JWT with roles from roles_claim alone and the upstream expiry', async () => {
      const token = await idp.sign(claims, { expiresIn: '60s' });
      const response = await call({ Authorization: `Bearer ${token}` });
      expect(response.status).toBe(200);
      const issued = await verifiedClaims(response);
      expect(issued).toMatchObject({ sub: 'idp-carol', username: 'carol', realm: 'idp', attributes: { email: 'carol@example.org' } });
      // A configured roles_claim replaces the default claims (realm_access, resource_access.aot-test, …).
      expect(issued.roles).toEqual(['group-role']);
      expect(issued.scopes).toMatchObject({ polytope: ['read', 'write'], idp: ['openid', 'profile'] });
      // Never outlives the upstream token (60 s), although jwt.exp is 120 s.
      expect(issued.exp! - issued.iat!).toBeLessThanOrEqual(60);
    });

    it('accepts a JWT without a scope claim (auth-o-tron required one)', async () => {
      const { scope: _scope, ...withoutScope } = claims;
      expect((await call({ Authorization: `Bearer ${await idp.sign(withoutScope)}` })).status).toBe(200);
    });

    const unsigned = (payload: object) => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

    it.each([
      ['alg none', async () => unsigned({ ...claims, iss: idp.issuer, exp: Math.floor(Date.now() / 1000) + 60 })],
      [
        'HS256 signed with the JWKS public key',
        async () => {
          const header = Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'test-key-1', typ: 'JWT' })).toString('base64url');
          const body = Buffer.from(JSON.stringify({ ...claims, iss: idp.issuer, exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
          const mac = createHmac('sha256', JSON.stringify(idp.publicJwk)).update(`${header}.${body}`).digest('base64url');
          return `${header}.${body}.${mac}`;
        },
      ],
      ['an expired JWT', () => idp.sign(claims, { expiresIn: Math.floor(Date.now() / 1000) - 120 })],
      ['a not-yet-valid JWT', () => idp.sign({ ...claims, nbf: Math.floor(Date.now() / 1000) + 600 })],
      ['a wrong issuer', () => idp.sign(claims, { issuer: 'https://evil.example' })],
      ['a wrong audience', () => idp.sign({ ...claims, aud: 'someone-else' })],
      ['an unknown kid', () => idp.sign(claims, { kid: 'unknown-kid' })],
      [
        'a tampered payload',
        async () => {
          const [h, , s] = (await idp.sign(claims)).split('.');
          return `${h}.${Buffer.from(JSON.stringify({ ...claims, preferred_username: 'admin' })).toString('base64url')}.${s}`;
        },
      ],
    ])('refuses %s with 401', async (_, makeToken) => {
      // Realm-scoped: the other JWT providers in this config are down on purpose (their answer would be 503).
      const response = await call({ Authorization: `Bearer ${await makeToken()}`, 'X-Auth-Realm': 'idp' });
      expect(response.status).toBe(401);
    });

    it('refetches the JWKS for an unknown kid at most once per 30 s, however many arrive', async () => {
      expect((await call({ Authorization: `Bearer ${await idp.sign(claims)}`, 'X-Auth-Realm': 'idp' })).status).toBe(200);
      const before = idp.requests();
      for (let i = 0; i < 5; i++) {
        const response = await call({ Authorization: `Bearer ${await idp.sign(claims, { kid: `rotated-${i}` })}`, 'X-Auth-Realm': 'idp' });
        expect(response.status).toBe(401);
      }
      expect(idp.requests() - before).toBeLessThanOrEqual(1);
    });

    it('answers 503 with Retry-After when the JWKS server fails, not 401', async () => {
      const response = await call({ Authorization: `Bearer ${await downIdp.sign(claims)}`, 'X-Auth-Realm': 'down' });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    });

    it('answers 503 when the JWKS server hangs, after the configured timeout', async () => {
      const response = await call({ Authorization: `Bearer ${await hangingIdp.sign(claims)}`, 'X-Auth-Realm': 'hanging' });
      expect(response.status).toBe(503);
    });

    it('still accepts a valid credential of another provider while one upstream is down', async () => {
      const response = await call({ Authorization: `${ALICE}, Bearer ${await downIdp.sign(claims)}` });
      expect(response.status).toBe(200);
    });
  });

  describe('policies on the original request', () => {
    const original = (uri: string, method = 'GET', host = 'api.example.org') => ({ 'X-Original-URI': uri, 'X-Original-Method': method, 'X-Original-Host': host });
    // An auth sub-request's answer has no body (nginx would not reuse the connection): the denial is a header.
    const deniedBy = (response: Response) => JSON.parse(response.headers.get('x-auth-denied') ?? 'null') as unknown;

    it('answers auth sub-requests without a body, everything in headers, and direct calls with JSON', async () => {
      const allowed = await call({ Authorization: ALICE, ...original('/v1/data') });
      const refused = await call({ Authorization: 'Bearer nonsense', ...original('/v1/data') });
      const denied = await call({ Authorization: ALICE, ...original('/v1/data', 'POST') });
      for (const [response, status] of [
        [allowed, 200],
        [refused, 401],
        [denied, 403],
      ] as const) {
        expect(response.status).toBe(status);
        expect(response.headers.get('content-length')).toBe('0');
        expect(response.headers.get('content-type')).toBeNull();
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(await response.text()).toBe('');
      }
      expect(allowed.headers.get('authorization')).toMatch(/^Bearer ey/);
      expect(refused.headers.get('www-authenticate')).toContain('Basic realm="local"');
      expect(deniedBy(denied)).toMatchObject({ missing: { roles_any: ['editor'] } });

      const direct = await call({ Authorization: ALICE });
      expect(direct.headers.get('content-type')).toBe('application/json');
      expect(await direct.json()).toMatchObject({ authenticated: true, username: 'alice', realm: 'local' });
      const directDenied = await call({ Authorization: 'Bearer nonsense' });
      expect(await directDenied.json()).toMatchObject({ error: 'unauthorized' });
    });

    it('denies with 403 naming what is missing, and allows who has it', async () => {
      const denied = await call({ Authorization: ALICE, ...original('/v1/data', 'POST') });
      expect(denied.status).toBe(403);
      expect(denied.headers.get('authorization')).toBeNull();
      expect(deniedBy(denied)).toMatchObject({ rule: expect.any(Number), missing: { roles_any: ['editor'] } });
      expect((await call({ Authorization: JORG, ...original('/v1/data', 'POST') })).status).toBe(200);
      expect((await call({ Authorization: ALICE, ...original('/v1/data', 'GET') })).status).toBe(200);
    });

    it.each(['/admin/users', '/v1/../admin/users', '/admin//users', '/%61dmin/users', '/public/%2e%2e/admin/x?y=1'])('cannot be bypassed by path tricks: %s', async (uri) => {
      const response = await call({ Authorization: ALICE, ...original(uri) });
      expect(response.status).toBe(403);
      expect(deniedBy(response)).toMatchObject({ missing: { roles_all: ['admin'] } });
    });

    it('matches hosts and attributes', async () => {
      expect((await call({ Authorization: ALICE, ...original('/x', 'GET', 'internal.example.org') })).status).toBe(200);
      const denied = await call({ Authorization: JORG, ...original('/x', 'GET', 'Internal.Example.org:443') });
      expect(denied.status).toBe(403);
      expect(deniedBy(denied)).toMatchObject({ missing: { attributes: { department: 'engineering' } } });
    });

    it('does not apply policies to unauthenticated requests (401 first)', async () => {
      expect((await call(original('/admin/x'))).status).toBe(401);
    });

    it('fails closed: a check that names no original request is refused, never matched against nothing', async () => {
      const response = await call({ Authorization: ALICE }, '/api/authenticate', 'GET', false);
      expect(response.status).toBe(403);
      expect(response.headers.get('authorization')).toBeNull();
      expect(await response.json()).toMatchObject({ error: 'forbidden', message: 'original request unknown' });
      expect((await call({ Authorization: ALICE }, '/api/whoami')).status).toBe(200); // identity-only callers
    });

    it.each(['/admin/x%ff', '/%61dmin/x%ff', '/v1/x/%2e%2e/admin/y%ff', '/admin/%zz', '/a%00/admin', '/../admin'])(
      'refuses a path it cannot decode (%s) with 403, never matching it raw',
      async (uri) => {
        const response = await call({ Authorization: JORG, ...original(uri) });
        expect(response.status).toBe(403);
        expect(deniedBy(response)).toMatchObject({ rule: 'original-request', reason: expect.stringContaining('original request refused') });
      },
    );

    it("reads the original request from each proxy's header set, the first present winning", async () => {
      const admin = { roles_all: ['admin'] };
      const ingress = await call({ Authorization: ALICE, 'X-Original-URL': 'https://api.example.org/admin/x', 'X-Original-Method': 'GET' }, '/api/authenticate', 'GET', false);
      expect(ingress.status).toBe(403);
      expect(deniedBy(ingress)).toMatchObject({ missing: admin });
      const caddy = await call({ Authorization: ALICE, 'X-Forwarded-Uri': '/admin/x', 'X-Forwarded-Method': 'GET', 'X-Forwarded-Host': 'api.example.org' });
      expect(caddy.status).toBe(403);
      expect(await caddy.json()).toMatchObject({ error: 'forbidden', missing: admin }); // Caddy passes the body on
      // nginx's set comes first: a forwarded set beside it does not decide.
      const both = await call({ Authorization: ALICE, ...original('/admin/x'), 'X-Forwarded-Uri': '/public' });
      expect(both.status).toBe(403);
      for (const url of ['/admin/x', 'api.example.org/admin', 'https:///admin', 'ftp://api.example.org/x', '']) {
        const bad = await call({ Authorization: ALICE, 'X-Original-URL': url }, '/api/authenticate', 'GET', false);
        expect(bad.status, url).toBe(403);
        expect(deniedBy(bad), url).toMatchObject({ rule: 'original-request' });
      }
    });
  });

  describe('other endpoints', () => {
    it('whoami returns the identity, on both paths', async () => {
      for (const path of ['/api/whoami', '/whoami']) {
        const response = await call({ Authorization: ALICE }, path);
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ username: 'alice', realm: 'local', roles: ['user', 'auditor', 'reader'] });
      }
      expect((await call({}, '/api/whoami')).status).toBe(401);
    });

    it('lists providers and augmenters without secrets', async () => {
      const providers = await (await call({}, '/providers')).text();
      expect(JSON.parse(providers)).toMatchObject({ providers: [{ name: 'local-users', type: 'plain', realm: 'local' }, { name: 'idp', type: 'jwt', realm: 'idp' }, {}, {}] });
      expect(providers).not.toMatch(/secret|password|argon2/);
      expect(await (await call({}, '/api/augmenters')).json()).toMatchObject({
        augmenters: [
          { name: 'static-roles', type: 'plain' },
          { name: 'auditors', type: 'plain_advanced' },
        ],
      });
    });

    it('reports health and readiness', async () => {
      expect((await call({}, '/health')).status).toBe(200);
      expect((await call({}, '/api/health')).status).toBe(200);
      expect(await (await call({}, '/api/ready')).json()).toMatchObject({ status: 'ready', database: 'ok' });
    });

    it('publishes only public keys', async () => {
      const { keys } = (await (await call({}, '/.well-known/jwks.json')).json()) as { keys: Array<Record<string, unknown>> };
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key).toMatchObject({ kid: expect.any(String), alg: 'ES256', use: 'sig' });
        expect(key).not.toHaveProperty('d');
      }
    });
  });

  it('never writes a password, credential or issued token to its logs', async () => {
    const response = await call({ Authorization: ALICE });
    const issued = response.headers.get('authorization')!.slice(7);
    await call({ Authorization: basic('alice', 'wrong-password-xyz') });
    const logs = app.output();
    expect(logs).toContain('"authenticated"');
    for (const secret of ['alice-secret-1', 'plain-secret-2', 'wrong-password-xyz', ALICE.slice(6), JORG.slice(6), issued]) {
      expect(logs).not.toContain(secret);
    }
  });
});
