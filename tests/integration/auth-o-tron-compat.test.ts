import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app';
import { waitForOutput } from '../support/gateway-client';
import { startTestIssuer, type TestIssuer } from '../support/jwks-server';
import { parseExposition, series, unselected } from '../support/prometheus';
import { basic, localUsers } from '../support/local-users';

/** auth-o-tron's own files and behaviour, measured on the running app (issue 15). */

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/auth-o-tron');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

/** The port a listener announced in the app's JSON log (`"msg":"<message>"`). */
async function loggedPort(app: RunningApp, message: string): Promise<number> {
  await waitForOutput(app.output, `"${message}"`, 10_000);
  const line =
    app
      .output()
      .split('\n')
      .find((l) => l.includes(`"${message}"`)) ?? '{}';
  return (JSON.parse(line) as { port: number }).port;
}

describe("auth-o-tron's integration-test config (two providers share a name)", () => {
  let app: RunningApp;

  beforeAll(async () => {
    // A platform's variable nobody chose must not stop the process.
    app = await startApp({ config: fixture('integration-test.yml'), env: { AOT_PLATFORM_REGION: 'eu-west-1', AOT_JWT__AUD: 'integration-backends' } });
  });
  afterAll(() => app?.stop());

  const call = (pathname: string, headers: Record<string, string> = {}) => fetch(`${app.url}${pathname}`, { headers });

  it('starts, warning about the shared name and the unknown variable', async () => {
    await waitForOutput(app.output, 'AOT_PLATFORM_REGION: names no config key');
    expect(app.output()).toContain('Plain provider\\" is used more than once; accepted as auth-o-tron does, and called \\"Plain provider#2\\"');
  });

  it("authenticates as its tests do: the first realm with the augmenter's role, the second realm apart", async () => {
    const first = await call('/authenticate', { Authorization: basic('adam', 'adam-in-ecmwf') });
    expect(first.status).toBe(200);
    const claims = decodeJwt(first.headers.get('authorization')!.slice(7));
    expect(claims).toMatchObject({ realm: 'ecmwf', username: 'adam', auth: { provider: 'Plain provider' } });
    expect([...(claims.roles as string[])].sort()).toEqual(['admin', 'user']);

    const other = await call('/authenticate', { Authorization: basic('adam', 'adam-in-other') });
    expect(other.status).toBe(200);
    expect(decodeJwt(other.headers.get('authorization')!.slice(7))).toMatchObject({ realm: 'other', roles: ['user'], auth: { provider: 'Plain provider#2' } });

    expect((await call('/authenticate', { Authorization: basic('adam', 'wrongpassword') })).status).toBe(401);
    expect((await call('/whoami', { Authorization: basic('adam', 'wrongpassword') })).status).toBe(401);
    const whoami = await call('/whoami', { Authorization: basic('adam', 'adam-in-ecmwf') });
    expect(whoami.headers.get('cache-control')).toBe('no-store');
    expect(await whoami.json()).toMatchObject({ username: 'adam', realm: 'ecmwf' });
  });

  it('HS256 as auth-o-tron: verifies with the secret and no audience option, and carries no aud (jwt.emit_aud is not set)', async () => {
    const response = await call('/authenticate', { Authorization: basic('eve', 'eve-in-ecmwf') });
    const { payload, protectedHeader } = await jwtVerify(response.headers.get('authorization')!.slice(7), new TextEncoder().encode('integration-test-secret'));
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({ iss: 'authotron-integration', sub: 'ecmwf-eve' });
    expect(payload).not.toHaveProperty('aud');
  });

  it('/providers tells the two apart', async () => {
    expect(await (await call('/providers')).json()).toEqual({
      providers: [
        { name: 'API key provider', type: 'ecmwf-api', realm: 'ecmwf' },
        { name: 'Plain provider', type: 'plain', realm: 'ecmwf' },
        { name: 'Plain provider#2', type: 'plain', realm: 'other' },
      ],
    });
  });

  it('metrics tell the two apart: provider_name="Plain provider#2" on a scrape', async () => {
    expect((await call('/authenticate', { Authorization: basic('adam', 'adam-in-other') })).status).toBe(200);
    const samples = parseExposition(await (await call('/metrics')).text());
    const attempts = (labels: Record<string, string>) => series(samples, 'auth_provider_attempts_total', labels).reduce((sum, s) => sum + s.value, 0);
    expect(attempts({ provider_name: 'Plain provider#2', realm: 'other', result: 'success' })).toBeGreaterThanOrEqual(1);
    expect(attempts({ provider_name: 'Plain provider', realm: 'ecmwf', result: 'success' })).toBeGreaterThanOrEqual(1);
    // Every attempt in realm other is #2's: no series mixes the two.
    expect(series(samples, 'auth_provider_attempts_total', { realm: 'other' }).every((s) => s.labels.provider_name === 'Plain provider#2')).toBe(true);
  });

  it('the token-store routes answer 503 with the store off, as auth-o-tron', async () => {
    for (const [method, pathname] of [
      ['GET', '/token'],
      ['GET', '/tokens'],
      ['DELETE', '/token/anything'],
    ] as const) {
      const response = await fetch(`${app.url}${pathname}`, { method, headers: { Authorization: basic('adam', 'adam-in-ecmwf') } });
      expect(response.status, `${method} ${pathname}`).toBe(503);
      expect(await response.json()).toEqual({ error: 'Token store is disabled' });
    }
  });
});

describe("auth-o-tron's Helm chart default config (empty iss and secret, metrics on their own port)", () => {
  let app: RunningApp;
  let metricsPort: number;

  beforeAll(async () => {
    // The chart's default with one plain user added (its values leave providers to the operator).
    const config = fixture('helm-default.yml').replace('providers: []', 'providers:\n  - {type: plain, name: users, realm: local, users: [{username: alice, password: alice-pw}]}');
    expect(config).toContain('username: alice');
    app = await startApp({ config, env: { AOT_METRICS__PORT: '0' } });
    metricsPort = await loggedPort(app, 'metrics listening');
  });
  afterAll(() => app?.stop());

  it('starts, warning about the empty iss and secret', () => {
    expect(app.output()).toContain('jwt.iss: empty');
    expect(app.output()).toContain('jwt.secret: empty');
  });

  it('issues a JWT with iss "" that verifies against the published keys', async () => {
    const response = await fetch(`${app.url}/authenticate`, { headers: { Authorization: basic('alice', 'alice-pw') } });
    expect(response.status).toBe(200);
    const token = response.headers.get('authorization')!.slice(7);
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)));
    expect(protectedHeader.alg).toBe('ES256'); // secret: "" is no secret
    expect(payload).toMatchObject({ iss: '', sub: 'local-alice', username: 'alice', realm: 'local' });
    expect(payload).not.toHaveProperty('aud');
  });

  it('serves /metrics and /health on the metrics port, and nothing else', async () => {
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(series(parseExposition(await metrics.text()), 'authotron_build_info')).toHaveLength(1);
    const health = await fetch(`http://127.0.0.1:${metricsPort}/health`);
    expect([health.status, await health.text()]).toEqual([200, 'OK']);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/authenticate`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('answers /health as text OK on the app port, /api/health as JSON, and /ready and /metrics without /api', async () => {
    const health = await fetch(`${app.url}/health`);
    expect([health.status, health.headers.get('content-type'), await health.text()]).toEqual([200, 'text/plain; charset=utf-8', 'OK']);
    expect(await (await fetch(`${app.url}/api/health`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${app.url}/ready`)).json()).toMatchObject({ status: 'ready' });
    expect(await (await fetch(`${app.url}/metrics`)).text()).toContain('# TYPE auth_requests_total counter');
  });

  it('closes the metrics listener on SIGTERM and exits 0', async () => {
    await app.stop();
    expect(await app.exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${metricsPort}/health`)).rejects.toThrow();
  });
});

describe('the token store (store.enabled) and a dashboard over a real scrape', () => {
  let app: RunningApp;
  let downIdp: TestIssuer;
  let metricsPort: number;
  const ALICE = basic('alice', 'alice-pw');
  const BOB = basic('bob', 'bob-pw');

  beforeAll(async () => {
    downIdp = await startTestIssuer();
    downIdp.setMode('error');
    app = await startApp({
      config: {
        version: '2.0.0',
        store: { enabled: true },
        // As auth-o-tron: metrics on the metrics port only.
        metrics: { enabled: true, port: 0, app_port: false },
        providers: [localUsers(), { type: 'jwt', name: 'down-idp', realm: 'down', cert_uri: downIdp.jwksUri }],
        augmenters: [{ type: 'plain', name: 'static', realm: 'local', roles: { reader: ['alice'] } }],
        services: [
          { name: 'polytope', scopes: ['read', 'write'] },
          { name: 'mars', scopes: ['retrieve'] },
          // Scopes only some roles may hold: alice is a reader (the augmenter), root an admin.
          {
            name: 'admin-api',
            scopes: [
              { name: 'manage', roles_any: ['admin'] },
              { name: 'browse', roles_any: ['reader'] },
            ],
          },
        ],
        jwt: { iss: 'compat', aud: 'compat-backends', exp: 60, secret: 'a-shared-secret-for-the-compat-test', emit_aud: true },
        tokens: { creations_per_minute: 100 },
        auth: { failure_delay_ms: 0 },
      },
    });
    metricsPort = await loggedPort(app, 'metrics listening');
  });
  afterAll(async () => {
    await app?.stop();
    await downIdp?.close();
  });

  const call = (pathname: string, headers: Record<string, string> = {}, method = 'GET') => fetch(`${app.url}${pathname}`, { method, headers, redirect: 'manual' });

  it('GET /tokens for a caller without tokens is 200 with an empty list (auth-o-tron: 500 User not found)', async () => {
    const response = await call('/tokens', { Authorization: BOB });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ tokens: [] });
  });

  it("GET /token makes a token for the caller, with the default lifetime and every catalog scope the caller's roles allow, that authenticates", async () => {
    const response = await call('/token', { Authorization: ALICE });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: string; id: string; expires_at: string; scopes: Record<string, string[]> };
    expect(body.token).toMatch(/^aot_/);
    // admin-api:manage needs admin, which alice lacks: not granted; admin-api:browse needs reader, which she has.
    expect(body.scopes).toEqual({ polytope: ['read', 'write'], mars: ['retrieve'], 'admin-api': ['browse'] });
    const root = (await (await call('/token', { Authorization: basic('root', 'root-pw') })).json()) as { scopes: Record<string, string[]> };
    expect(root.scopes).toEqual({ polytope: ['read', 'write'], mars: ['retrieve'], 'admin-api': ['manage'] });
    const lifetime = Date.parse(body.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(29 * 86400_000); // tokens.default_lifetime: 30d
    expect(lifetime).toBeLessThanOrEqual(30 * 86400_000);

    const used = await call('/authenticate', { Authorization: `Bearer ${body.token}` });
    expect(used.status).toBe(200);
    // jwt.emit_aud: true, so this HS256 token carries aud; jose without an audience option still verifies it.
    const { payload } = await jwtVerify(used.headers.get('authorization')!.slice(7), new TextEncoder().encode('a-shared-secret-for-the-compat-test'));
    expect(payload).toMatchObject({
      username: 'alice',
      realm: 'local',
      aud: 'compat-backends',
      scopes: { polytope: ['read', 'write'], mars: ['retrieve'], 'admin-api': ['browse'] },
      auth: { method: 'tokens', provider: 'token-store' },
    });
  });

  it("GET /tokens lists the caller's tokens without any secret, and says why", async () => {
    const { token, id } = (await (await call('/token', { Authorization: ALICE })).json()) as { token: string; id: string };
    await call('/token', { Authorization: BOB });
    const response = await call('/tokens', { Authorization: ALICE });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain(token);
    const body = JSON.parse(text) as { tokens: Array<{ version: number; token_string: string; scopes: Record<string, string[]> }>; note: string };
    expect(body.tokens.map((t) => t.token_string)).toContain(id);
    expect(body.tokens.every((t) => t.version === 1)).toBe(true);
    expect(body.tokens).toHaveLength(2); // alice's two, not bob's
    expect(body.note).toContain('argon2id hashes');
  });

  it('tells an API client from a browser on GET /tokens', async () => {
    expect((await call('/tokens', { Accept: 'application/json' })).status).toBe(401); // asks for JSON: the API, which wants credentials
    const browser = await call('/tokens', { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
    expect(browser.headers.get('content-type') ?? '').not.toContain('application/json'); // the portal's page
  });

  it('refuses our own tokens, cross-site requests and the portal session as the caller', async () => {
    const { token } = (await (await call('/token', { Authorization: ALICE })).json()) as { token: string };
    expect((await call('/token', { Authorization: `Bearer ${token}` })).status).toBe(403);
    expect((await call('/tokens', { Authorization: `Bearer ${token}` })).status).toBe(403);
    expect((await call('/token', { Authorization: ALICE, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await call('/token', { Cookie: 'authjs.session-token=anything' })).status).toBe(401);
    // The portal API's 401: JSON, and no WWW-Authenticate (auth-o-tron sent its challenge list).
    const wrong = await call('/token', { Authorization: basic('alice', 'wrong') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBeNull();
    expect(await wrong.json()).toEqual({ error: 'unauthorized', message: 'missing or invalid credentials' });
  });

  it("DELETE /token/{token} revokes the caller's own token only (whole token or id); others look missing", async () => {
    const mine = (await (await call('/token', { Authorization: ALICE })).json()) as { token: string; id: string };
    const bobs = (await (await call('/token', { Authorization: BOB })).json()) as { token: string; id: string };
    expect((await call(`/token/${bobs.token}`, { Authorization: ALICE }, 'DELETE')).status).toBe(404);
    // Not even an admin revokes someone else's here (that is /api/admin/tokens).
    expect((await call(`/token/${bobs.id}`, { Authorization: basic('root', 'root-pw') }, 'DELETE')).status).toBe(404);
    expect((await call('/authenticate', { Authorization: `Bearer ${bobs.token}` })).status).toBe(200);

    const revoked = await call(`/token/${mine.token}`, { Authorization: ALICE }, 'DELETE');
    expect(revoked.status).toBe(204);
    expect(await revoked.text()).toBe('');
    await expect.poll(async () => (await call('/authenticate', { Authorization: `Bearer ${mine.token}` })).status, { timeout: 3000 }).toBe(401);
    expect((await call(`/token/${bobs.id}`, { Authorization: BOB }, 'DELETE')).status).toBe(204);
    expect((await call('/tokens', { Authorization: BOB })).status).toBe(200);
    expect(((await (await call('/tokens', { Authorization: BOB })).json()) as { tokens: unknown[] }).tokens.map((t) => (t as { id: string }).id)).not.toContain(bobs.id);
  });

  it('audits what the routes did', async () => {
    const audit = (await (await call('/api/admin/audit', { Authorization: basic('root', 'root-pw') })).json()) as { entries?: Array<Record<string, unknown>> } & Record<string, unknown>;
    const entries = JSON.stringify(audit);
    expect(entries).toContain('token.create');
    expect(entries).toContain('made with GET /token');
    expect(entries).toContain('token.revoke');
  });

  it('metrics.app_port: false: /metrics and /api/metrics are 404 on the app port, served on the metrics port', async () => {
    for (const pathname of ['/metrics', '/api/metrics']) {
      const response = await call(pathname);
      expect([response.status, await response.text()], pathname).toEqual([404, '']);
    }
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
  });

  it('every query of an auth-o-tron-shaped dashboard selects series from a scrape of the metrics port', async () => {
    // Traffic of each kind the panels tell apart: successes, refusals of each cause, a 503 and a 404.
    await call('/authenticate', { Authorization: ALICE });
    await call('/api/authenticate', { Authorization: basic('alice', 'wrong') });
    await call('/authenticate');
    await call('/authenticate', { Authorization: 'Basic' });
    await call('/authenticate', { Authorization: `Bearer ${await downIdp.sign({ sub: 'x' })}`, 'X-Auth-Realm': 'down' });
    await call('/nothing-here');
    await call('/whoami', { Authorization: ALICE });

    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    const samples = parseExposition(await scrape.text());
    const dashboard = JSON.parse(fixture('dashboard-queries.json')) as {
      variables: Array<{ name: string; query: string }>;
      annotations: Array<{ name: string; expr: string }>;
      panels: Array<{ title: string; expr: string }>;
    };
    const queries = [
      ...dashboard.variables.map((v) => [`variable ${v.name}`, v.query]),
      ...dashboard.annotations.map((a) => [`annotation ${a.name}`, a.expr]),
      ...dashboard.panels.map((p) => [p.title, p.expr]),
    ];
    expect(queries.length).toBeGreaterThan(30);
    const failures = queries.flatMap(([title, expr]) => unselected(expr ?? '', samples).map((problem) => `${title}: ${problem}`));
    expect(failures).toEqual([]);

    // And the values the panels show are the traffic above.
    const count = (name: string, labels: Record<string, string>) => series(samples, name, labels).reduce((sum, s) => sum + s.value, 0);
    expect(count('auth_requests_total', { result: 'no_auth_header', realm: 'unknown' })).toBe(1);
    expect(count('auth_requests_total', { result: 'invalid_header', realm: 'unknown' })).toBe(1);
    expect(count('auth_requests_total', { result: 'all_failed', realm: 'unknown' })).toBeGreaterThanOrEqual(1);
    expect(count('auth_requests_total', { result: 'unavailable', realm: 'unknown' })).toBe(1);
    expect(count('auth_provider_attempts_total', { provider_name: 'down-idp', provider_type: 'Bearer', realm: 'down', result: 'error' })).toBe(1);
    expect(count('authotron_http_requests_total', { route: '/authenticate', status_code: '503' })).toBe(1);
    expect(count('authotron_http_requests_total', { route: '/api/authenticate', method: 'GET', status_code: '401' })).toBe(1);
    expect(count('authotron_http_requests_total', { route: 'unmatched', status_code: '404' })).toBe(1);
    expect(count('authotron_http_requests_total', { route: '/token', method: 'GET', status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(count('authotron_http_requests_total', { route: '/token/{token}', method: 'DELETE', status_code: '204' })).toBe(2);
    expect(count('authotron_http_requests_total', { route: '/whoami', status_code: '200' })).toBe(1);
    expect(count('authotron_http_requests_in_flight', {})).toBe(0);
  });
});

describe('GET /token has the limits of every token creation (auth-o-tron had none)', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({
      config: { store: { enabled: true }, providers: [localUsers()], tokens: { max_per_user: 1, creations_per_minute: 2 }, auth: { failure_delay_ms: 0 } },
    });
  });
  afterAll(() => app?.stop());

  const call = (pathname: string, authorization: string, method = 'GET') => fetch(`${app.url}${pathname}`, { method, headers: { Authorization: authorization } });

  it('tokens.max_per_user: 409; tokens.creations_per_minute: 429 with Retry-After', async () => {
    const first = (await (await call('/token', basic('alice', 'alice-pw'))).json()) as { id: string };
    const full = await call('/token', basic('alice', 'alice-pw'));
    expect(full.status).toBe(409);
    expect(((await full.json()) as { error: string }).error).toBe('conflict');
    expect((await call(`/token/${first.id}`, basic('alice', 'alice-pw'), 'DELETE')).status).toBe(204);
    const second = await call('/token', basic('alice', 'alice-pw'));
    expect(second.status).toBe(200); // the second creation this minute
    expect((await call(`/token/${((await second.json()) as { id: string }).id}`, basic('alice', 'alice-pw'), 'DELETE')).status).toBe(204);
    expect((await call('/token', basic('bob', 'bob-pw'))).status).toBe(200); // bob's own minute
    // Room for a token again, but not a third creation this minute.
    const again = await call('/token', basic('alice', 'alice-pw'));
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
