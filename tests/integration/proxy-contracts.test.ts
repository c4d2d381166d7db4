import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/app';
import { rawRequest, type RawResponse } from '../support/nginx';
import { API_HOST, CHALLENGE, FORGED_ORIGINALS, INTERNAL_HOST, startProxyFixture, VIEWER_REFUSED, type ProxyFixture } from '../support/proxy-fixture';
import { throughEnvoy, throughTraefik, type ClientRequest, type ProxyOutcome, type Upstreams } from '../support/proxy-models';

/**
 * Traefik and Envoy do not install here: tests/support/proxy-models.ts builds, from the shipped
 * deploy/traefik/dynamic.yml and deploy/envoy/envoy.yaml, exactly the check each sends (its
 * documentation and source are cited there), sends it to the built app, and does with the answer
 * what the proxy does, passing allowed requests on to a backend that verifies the JWT.
 */
const CLIENT_ADDRESS = '203.0.113.7';
const client = (method: string, target: string, headers: Record<string, string> = {}, host = API_HOST): ClientRequest => ({ method, target, host, headers, address: CLIENT_ADDRESS });
const json = (body: string) => JSON.parse(body) as Record<string, unknown>;
const denial = (headers: Record<string, string>) => JSON.parse(headers['x-auth-denied'] ?? 'null') as unknown;

describe.each(DATABASE_KINDS)('proxy contracts (%s)', (database) => {
  let fixture: ProxyFixture;
  let upstreams: Upstreams;

  beforeAll(async () => {
    fixture = await startProxyFixture({ database });
    upstreams = { appUrl: fixture.app.url, backendUrl: fixture.backend.url, proxySecret: fixture.proxySecret };
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  beforeEach(() => fixture.backend.clear());

  type Through = (request: ClientRequest) => Promise<ProxyOutcome>;
  const proxies: Array<[string, Through, Through, { retryAfter: boolean }]> = [
    ['Traefik ForwardAuth (deploy/traefik/dynamic.yml)', (r) => throughTraefik('api', r, upstreams), (r) => throughTraefik('auth-o-tron', r, upstreams), { retryAfter: true }],
    // Envoy treats a 5xx check answer as an error: status_on_error, no headers (ext_authz_http_impl.cc, toResponse).
    ['Envoy ext_authz (deploy/envoy/envoy.yaml)', (r) => throughEnvoy(r, upstreams), (r) => throughEnvoy({ ...r, host: 'auth.example.org' }, upstreams), { retryAfter: false }],
  ];

  describe.each(proxies)('%s', (_, through, toApp, expected) => {
    it('passes an allowed request on with a JWT the backend verifies, never the client credential', async () => {
      const outcome = await through(client('GET', '/api/v1/data?x=1', { Authorization: fixture.viewer }));
      expect(outcome.answer?.status).toBe(200);
      expect(outcome.client.status).toBe(200);
      const [seen] = fixture.backend.received;
      expect(seen?.error).toBeUndefined();
      expect(seen?.claims).toMatchObject({ username: 'vera', realm: 'local' });
      expect(seen?.path).toBe('/api/v1/data?x=1');
    });

    it('answers 401 with the challenge and the JSON body', async () => {
      const outcome = await through(client('GET', '/api/v1/data'));
      expect(outcome.client.status).toBe(401);
      expect(outcome.client.headers['www-authenticate']).toBe(CHALLENGE);
      expect(json(outcome.client.body)).toMatchObject({ error: 'unauthorized' });
      expect(fixture.backend.received).toHaveLength(0);
    });

    it.each([
      ['the path rule', 'GET', '/api/v1/admin/users', API_HOST, { rule: 0, missing: { roles_all: ['admin'] } }],
      ['the path rule, through a dot segment', 'GET', '/api/v1/public/%2e%2e/admin/users', API_HOST, { rule: 0 }],
      ['the method rule', 'PUT', '/api/v1/data', API_HOST, { rule: 1, missing: { roles_any: ['editor'] } }],
      ['the host rule', 'GET', '/api/v1/data', INTERNAL_HOST, { rule: 2, missing: { roles_any: ['staff'] } }],
    ])('answers 403 for %s, with X-Auth-Denied and the JSON body', async (_, method, path, host, rule) => {
      const outcome = await through(client(method, path, { Authorization: fixture.viewer }, host));
      expect(outcome.client.status).toBe(403);
      expect(denial(outcome.client.headers)).toMatchObject(rule);
      expect(json(outcome.client.body)).toMatchObject({ error: 'forbidden', ...rule });
      expect(fixture.backend.received).toHaveLength(0);
      expect((await through(client(method, path, { Authorization: fixture.admin }, host))).client.status).toBe(200);
    });

    it('refuses with 503 when an identity provider cannot answer', async () => {
      const outcome = await through(client('GET', '/api/v1/data', { Authorization: `Bearer ${fixture.flakyJwt}` }));
      expect(outcome.answer?.status).toBe(503);
      expect(outcome.answer?.headers['retry-after']).toBe('5');
      expect(outcome.client.status).toBe(503);
      expect(outcome.client.headers['retry-after']).toBe(expected.retryAfter ? '5' : undefined);
      expect(fixture.backend.received).toHaveLength(0);
    });

    it.each(FORGED_ORIGINALS)('a client %s naming an allowed request has no effect on the path, method and host rules', async (_, forged) => {
      for (const [method, path, host] of VIEWER_REFUSED) {
        const outcome = await through(client(method, path, { Authorization: fixture.viewer, ...forged }, host));
        expect(outcome.client.status, `${method} ${host}${path}`).toBe(403);
      }
      expect(fixture.backend.received).toHaveLength(0);
    });

    it('a client X-SSL-Client-Cert (a valid certificate: they are public) and X-Aot-Proxy-Secret have no effect', async () => {
      const certificate = await through(client('GET', '/api/v1/admin/users', { 'X-SSL-Client-Cert': fixture.forgedCertificate, 'X-Auth-Realm': 'certs' }));
      expect(certificate.client.status).toBe(401);
      const guessed = await through(client('GET', '/api/v1/data', { Authorization: fixture.viewer, 'X-Aot-Proxy-Secret': 'a-guess-that-is-long-enough' }));
      expect(guessed.client.status).toBe(200);
      expect(fixture.backend.received[0]?.headers['x-aot-proxy-secret']).not.toBe(fixture.proxySecret); // the backend never sees the real one
    });

    it('on the route to the app, a client cannot name a request, even with the real secret', async () => {
      const forged = {
        Authorization: fixture.viewer,
        'X-Aot-Proxy-Secret': fixture.proxySecret,
        'X-Original-URI': '/api/v1/data',
        'X-Forwarded-Uri': '/api/v1/data',
        'X-SSL-Client-Cert': fixture.forgedCertificate,
      };
      for (const target of ['/api/authenticate', '/api/authenticate/api/v1/data']) {
        const outcome = await toApp(client('GET', target, forged));
        expect(outcome.check).toBeUndefined();
        expect(outcome.client.status, target).toBe(403);
        expect(json(outcome.client.body)).toMatchObject({ message: 'original request unknown' });
      }
      expect((await toApp(client('GET', '/api/whoami', { Authorization: fixture.admin }))).client.status).toBe(200);
    });
  });

  it('Traefik asks GET <address> with X-Forwarded-Method/-Uri/-Host from the request, and only the allowed client headers', async () => {
    const { check } = await throughTraefik('api', client('DELETE', '/api/v1/x?y=1', { Authorization: fixture.admin, Cookie: 'session=1', 'X-Original-URI': '/elsewhere' }), upstreams);
    expect(check).toMatchObject({ method: 'GET', target: '/api/authenticate' });
    expect(check?.headers).toMatchObject({
      'x-forwarded-method': 'DELETE',
      'x-forwarded-uri': '/api/v1/x?y=1',
      'x-forwarded-host': API_HOST,
      'x-forwarded-for': CLIENT_ADDRESS,
      'x-aot-proxy-secret': fixture.proxySecret,
    });
    expect(check?.headers.cookie).toBeUndefined();
    expect(check?.headers['x-original-uri']).toBeUndefined();
  });

  it("Envoy asks <path_prefix><path> with the request's own method and Host, and only the allowed client headers", async () => {
    const { check, answer } = await throughEnvoy(client('DELETE', '/api/v1/x?y=1', { Authorization: fixture.admin, Cookie: 'session=1', 'X-Original-URI': '/elsewhere' }), upstreams);
    expect(check).toMatchObject({ method: 'DELETE', target: '/api/authenticate/api/v1/x?y=1' });
    expect(check?.headers).toMatchObject({ host: API_HOST, 'content-length': '0', 'x-forwarded-for': CLIENT_ADDRESS, 'x-aot-proxy-secret': fixture.proxySecret });
    expect(check?.headers.cookie).toBeUndefined();
    expect(check?.headers['x-original-uri']).toBeUndefined();
    expect(answer?.status).toBe(200);
    expect(answer?.headers['content-type']).toBe('application/json'); // Envoy passes the body on: JSON, not a bodiless sub-request answer
  });

  describe('bad input straight at the app (from a trusted proxy, with the secret)', () => {
    const ask = (path: string, headers: Record<string, string>, method = 'GET') =>
      rawRequest(fixture.app.url, path, { method, headers: { Host: API_HOST, Authorization: fixture.viewer, 'X-Aot-Proxy-Secret': fixture.proxySecret, ...headers } });
    const refusal = (response: RawResponse) => JSON.parse(String(response.headers['x-auth-denied'] ?? 'null')) as unknown;

    it.each(['/api/v1/admin/x', 'api.example.org/api/v1/admin', 'https:///api/v1/admin', 'http://:80/api/v1/admin', 'ftp://api.example.org/x', ' '])(
      'X-Original-URL %j (not an absolute URL, or no host) is refused with 403 as unknown',
      async (url) => {
        const response = await ask('/api/authenticate', { 'X-Original-URL': url, 'X-Original-Method': 'GET' });
        expect(response.status).toBe(403);
        expect(refusal(response)).toEqual({ rule: 'original-request', reason: 'original request unknown: X-Original-URL is not an absolute http(s) URL with a host' });
      },
    );

    // nginx's auth sub-request is a GET whatever the client sent: a check naming only the path must not
    // be judged as a GET to no host, which the method and host rules would silently let through.
    it.each([
      ['X-Original-URI', { 'X-Original-URI': '/api/v1/data' }, { 'X-Original-URI': '/elsewhere', 'X-Original-Method': 'GET' }, 'X-Original-Method', 'X-Original-Host'],
      ['X-Forwarded-Uri', { 'X-Forwarded-Uri': '/api/v1/data' }, { 'X-Forwarded-Uri': '/elsewhere', 'X-Forwarded-Method': 'GET' }, 'X-Forwarded-Method', 'X-Forwarded-Host'],
    ])('a check naming only the path (%s) is 403 original request unknown for the method and the host rule', async (_, onlyPath, noHost, methodHeader, hostHeader) => {
      for (const method of ['GET', 'POST']) {
        const unknownMethod = await ask('/api/authenticate', onlyPath, method);
        expect(unknownMethod.status, method).toBe(403);
        expect(refusal(unknownMethod), method).toEqual({ rule: 'original-request', reason: expect.stringMatching(new RegExp(`^original request unknown: no ${methodHeader}`)) });
      }
      const unknownHost = await ask('/api/authenticate', noHost);
      expect(unknownHost.status).toBe(403);
      expect(refusal(unknownHost)).toEqual({ rule: 'original-request', reason: expect.stringMatching(new RegExp(`^original request unknown: no ${hostHeader}`)) });
      // Even for someone every rule allows: the rule cannot be judged. The path rule needs neither and decides.
      expect((await ask('/api/authenticate', { ...onlyPath, Authorization: fixture.admin })).status).toBe(403);
      const adminPath = Object.fromEntries(Object.entries(onlyPath).map(([k]) => [k, '/api/v1/admin/users']));
      expect(refusal(await ask('/api/authenticate', adminPath))).toMatchObject({ rule: 0, missing: { roles_all: ['admin'] } });
    });

    it("Envoy's check names the method and host by being the request: the method and host rules judge them", async () => {
      expect((await ask('/api/authenticate/api/v1/data', {})).status).toBe(200);
      expect(refusal(await ask('/api/authenticate/api/v1/data', {}, 'DELETE'))).toMatchObject({ rule: 1, missing: { roles_any: ['editor'] } });
      const internal = await rawRequest(fixture.app.url, '/api/authenticate/x', { headers: { Host: INTERNAL_HOST, Authorization: fixture.viewer, 'X-Aot-Proxy-Secret': fixture.proxySecret } });
      expect(refusal(internal)).toMatchObject({ rule: 2, missing: { roles_any: ['staff'] } });
    });

    it("two header sets at once: the first in the table's order decides", async () => {
      const admin = '/api/v1/admin/x';
      const open = '/api/v1/data';
      const sets: Array<[string, string, Record<string, string>, number]> = [
        ['nginx before ingress-nginx', '/api/authenticate', { 'X-Original-URI': admin, 'X-Original-URL': `http://${API_HOST}${open}`, 'X-Original-Method': 'GET' }, 403],
        ['nginx before ingress-nginx (reversed)', '/api/authenticate', { 'X-Original-URI': open, 'X-Original-URL': `http://${API_HOST}${admin}`, 'X-Original-Method': 'GET' }, 200],
        ['ingress-nginx before X-Forwarded-*', '/api/authenticate', { 'X-Original-URL': `http://${API_HOST}${admin}`, 'X-Forwarded-Uri': open, 'X-Forwarded-Method': 'GET' }, 403],
        ['X-Forwarded-* before Envoy', `/api/authenticate${open}`, { 'X-Forwarded-Uri': admin }, 403],
        ['X-Forwarded-* before Envoy (reversed)', `/api/authenticate${admin}`, { 'X-Forwarded-Uri': open, 'X-Forwarded-Method': 'GET', 'X-Forwarded-Host': API_HOST }, 200],
        ['nginx before Envoy', `/api/authenticate${open}`, { 'X-Original-URI': admin }, 403],
      ];
      for (const [name, path, headers, status] of sets) expect((await ask(path, headers)).status, name).toBe(status);
    });

    it('an Envoy path that climbs out of the prefix is a refused check, never the route it lands on', async () => {
      for (const path of ['/api/authenticate/../health', '/api/authenticate/%2e%2e/health', '/api/authenticate/x/../../whoami']) {
        const response = await ask(path, {});
        expect(response.status, path).toBe(403);
        expect(refusal(response), path).toMatchObject({ rule: 'original-request', reason: expect.stringContaining('climbs above the root') });
        expect((await rawRequest(fixture.app.url, path, { headers: { Host: API_HOST } })).status, path).toBe(401);
      }
    });
  });
});

describe('proxy headers from a peer that is not a trusted proxy', () => {
  let fixture: ProxyFixture;

  beforeAll(async () => {
    // Loopback, where the test connects from, is not in trusted_proxies.
    fixture = await startProxyFixture({ trustedProxies: ['10.9.9.9/32'] });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  const ask = (path: string, headers: Record<string, string>) =>
    rawRequest(fixture.app.url, path, { headers: { Host: API_HOST, Authorization: fixture.viewer, 'X-Aot-Proxy-Secret': fixture.proxySecret, ...headers } });

  it.each([
    ['nginx', '/api/authenticate', { 'X-Original-URI': '/api/v1/data', 'X-Original-Method': 'GET', 'X-Original-Host': API_HOST }],
    ['ingress-nginx', '/api/authenticate', { 'X-Original-URL': `http://${API_HOST}/api/v1/data`, 'X-Original-Method': 'GET' }],
    ['Traefik and Caddy', '/api/authenticate', { 'X-Forwarded-Uri': '/api/v1/data', 'X-Forwarded-Method': 'GET', 'X-Forwarded-Host': API_HOST }],
    ['Envoy', '/api/authenticate/api/v1/data', {}],
  ])('are ignored (%s): with policies, the check is refused as naming no request', async (_, path, headers) => {
    const response = await ask(path, headers);
    expect(response.status).toBe(403);
    expect(JSON.parse(String(response.headers['x-auth-denied']))).toEqual({ rule: 'original-request', reason: 'original request unknown' });
  });

  it('and so is a client certificate, even with the proxy secret', async () => {
    const response = await rawRequest(fixture.app.url, '/api/whoami', {
      headers: { 'X-SSL-Client-Cert': fixture.forgedCertificate, 'X-Aot-Proxy-Secret': fixture.proxySecret, 'X-Auth-Realm': 'certs' },
    });
    expect(response.status).toBe(401);
    expect((await ask('/api/whoami', {})).status).toBe(200); // identity-only callers are unaffected
  });
});
