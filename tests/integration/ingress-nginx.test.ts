import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startIngressNginx, type RunningIngressNginx } from '../support/ingress-nginx';
import { rawRequest, type RawResponse } from '../support/nginx';
import { API_HOST, CHALLENGE, FORGED_ORIGINALS, INTERNAL_HOST, startProxyFixture, VIEWER_REFUSED, type ProxyFixture } from '../support/proxy-fixture';

/**
 * Real nginx running what ingress-nginx v1.15.1 generates for deploy/kubernetes/ingress-nginx.yaml
 * (tests/support/ingress-nginx.ts says how it follows that version's nginx.tmpl), in front of the
 * built app and a backend that verifies the JWT.
 */
describe('behind ingress-nginx auth-url (deploy/kubernetes/ingress-nginx.yaml)', () => {
  let fixture: ProxyFixture;
  let ingress: RunningIngressNginx;

  beforeAll(async () => {
    fixture = await startProxyFixture();
    const app = `127.0.0.1:${fixture.app.port}`;
    ingress = await startIngressNginx({ appAddress: app, services: { backend: fixture.backend.address, 'auth-o-tron': app }, proxySecret: fixture.proxySecret, allowSnippets: true });
  });

  afterAll(async () => {
    await ingress?.stop();
    await fixture?.stop();
  });

  beforeEach(() => fixture.backend.clear());

  const send = (path: string, headers: Record<string, string> = {}, method = 'GET', host = API_HOST) => rawRequest(ingress.url, path, { method, headers: { Host: host, ...headers } });
  const json = (response: RawResponse) => JSON.parse(response.body) as Record<string, unknown>;
  const denied = (response: RawResponse) => JSON.parse(String(response.headers['x-auth-denied'] ?? 'null')) as unknown;

  it('passes an allowed request to the backend with a JWT it verifies, never the client credential', async () => {
    for (const path of ['/api/v1/data?x=1', '/api/v1']) {
      fixture.backend.clear();
      const response = await send(path, { Authorization: fixture.viewer });
      expect(response.status, ingress.errorLog()).toBe(200);
      const [seen] = fixture.backend.received;
      expect(seen?.error).toBeUndefined();
      expect(seen?.claims).toMatchObject({ username: 'vera', realm: 'local' });
      expect(seen?.path).toBe(path);
    }
  });

  it('answers 401 with the challenge, and the backend sees nothing', async () => {
    const response = await send('/api/v1/data');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(CHALLENGE);
    expect(json(response)).toMatchObject({ error: 'unauthorized' });
    expect(fixture.backend.received).toHaveLength(0);
  });

  it.each([
    ['the path rule', 'GET', '/api/v1/admin/users', API_HOST, { rule: 0, missing: { roles_all: ['admin'] } }],
    ['the path rule, through a dot segment', 'GET', '/api/v1/public/%2e%2e/admin/users', API_HOST, { rule: 0 }],
    ['the method rule', 'POST', '/api/v1/data', API_HOST, { rule: 1, missing: { roles_any: ['editor'] } }],
    ['the host rule', 'GET', '/api/v1/data', INTERNAL_HOST, { rule: 2, missing: { roles_any: ['staff'] } }],
  ])('answers 403 for %s, with X-Auth-Denied', async (_, method, path, host, rule) => {
    const response = await send(path, { Authorization: fixture.viewer }, method, host);
    expect(response.status).toBe(403);
    expect(denied(response)).toMatchObject(rule);
    expect(json(response)).toMatchObject({ error: 'forbidden' }); // nginx drops the sub-request's body: @aot_forbidden's
    expect(fixture.backend.received).toHaveLength(0);
    expect((await send(path, { Authorization: fixture.admin }, method, host)).status).toBe(200);
  });

  it('turns the gateway 503 (nginx: 500) back into 503 with Retry-After', async () => {
    const response = await send('/api/v1/data', { Authorization: `Bearer ${fixture.flakyJwt}` });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(json(response)).toMatchObject({ error: 'unavailable' });
    expect(ingress.errorLog()).toContain('auth request unexpected status: 503');
  });

  describe('headers a client forges have no effect', () => {
    it.each(FORGED_ORIGINALS)('%s naming an allowed request: the path, method and host rules still decide', async (_, forged) => {
      for (const [method, path, host] of VIEWER_REFUSED) {
        const response = await send(path, { Authorization: fixture.viewer, ...forged }, method, host);
        expect(response.status, `${method} ${host}${path}`).toBe(403);
      }
      expect(fixture.backend.received).toHaveLength(0);
    });

    it('a valid client certificate in X-SSL-Client-Cert (certificates are public) is cleared, not believed', async () => {
      const response = await send('/api/v1/admin/users', { 'X-SSL-Client-Cert': fixture.forgedCertificate, 'X-Auth-Realm': 'certs' });
      expect(response.status).toBe(401);
    });

    it("a client X-Aot-Proxy-Secret is replaced by the check, and cleared on the app's own Ingress", async () => {
      expect((await send('/api/v1/data', { Authorization: fixture.viewer, 'X-Aot-Proxy-Secret': 'a-guess-that-is-long-enough' })).status).toBe(200);
      const direct = await send(
        '/api/authenticate',
        { Authorization: fixture.viewer, 'X-Aot-Proxy-Secret': fixture.proxySecret, 'X-Original-URI': '/api/v1/data', 'X-Original-URL': `http://${API_HOST}/api/v1/data` },
        'GET',
        'auth.example.org',
      );
      expect(direct.status).toBe(403);
      expect(json(direct)).toMatchObject({ error: 'forbidden', message: 'original request unknown' });
    });
  });

  it('serves the app on its own host', async () => {
    const whoami = await send('/api/whoami', { Authorization: fixture.admin }, 'GET', 'auth.example.org');
    expect(whoami.status).toBe(200);
    expect(json(whoami)).toMatchObject({ username: 'ada' });
  });
});

/** The traps the example's comments name, shown on the generated config without the annotations that avoid them. */
describe("ingress-nginx without the example's safeguards", () => {
  let fixture: ProxyFixture;

  beforeAll(async () => {
    // Without the snippets no proxy secret is sent: an app that requires one would refuse every check.
    fixture = await startProxyFixture({ proxySecret: false });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  const start = (options: { allowSnippets: boolean; without?: string[] }) => {
    const app = `127.0.0.1:${fixture.app.port}`;
    return startIngressNginx({ appAddress: app, services: { backend: fixture.backend.address, 'auth-o-tron': app }, proxySecret: 'unused-without-snippets', ...options });
  };
  const send = (ingress: RunningIngressNginx, path: string, headers: Record<string, string>, method = 'GET', host = API_HOST) =>
    rawRequest(ingress.url, path, { method, headers: { Host: host, ...headers } });

  it('without auth-method (and no snippet), a client X-Original-URI decides the path rule', async () => {
    const ingress = await start({ allowSnippets: false, without: ['auth-method'] });
    try {
      expect((await send(ingress, '/api/v1/admin/users', { Authorization: fixture.viewer })).status).toBe(403); // X-Original-URL names it
      expect((await send(ingress, '/api/v1/admin/users', { Authorization: fixture.viewer, 'X-Original-URI': '/api/v1/data' })).status).toBe(200);
    } finally {
      await ingress.stop();
    }
  });

  it("with auth-method but no snippet, X-Original-URI is ingress-nginx's own, but a client X-Original-Host decides the host rule, and 503 becomes 500", async () => {
    const ingress = await start({ allowSnippets: false });
    try {
      expect((await send(ingress, '/api/v1/admin/users', { Authorization: fixture.viewer, 'X-Original-URI': '/api/v1/data' })).status).toBe(403);
      expect((await send(ingress, '/api/v1/data', { Authorization: fixture.viewer }, 'GET', INTERNAL_HOST)).status).toBe(403);
      expect((await send(ingress, '/api/v1/data', { Authorization: fixture.viewer, 'X-Original-Host': API_HOST }, 'GET', INTERNAL_HOST)).status).toBe(200);
      expect((await send(ingress, '/api/v1/data', { Authorization: `Bearer ${fixture.flakyJwt}` })).status).toBe(500);
    } finally {
      await ingress.stop();
    }
  });
});
