import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCaddy, type RunningCaddy } from '../support/caddy';
import { rawRequest, type RawResponse } from '../support/nginx';
import { API_HOST, CHALLENGE, FORGED_ORIGINALS, INTERNAL_HOST, startProxyFixture, VIEWER_REFUSED, type ProxyFixture } from '../support/proxy-fixture';

/**
 * Real Caddy (Debian's 2.6) running deploy/caddy/Caddyfile, with only its addresses and ports
 * changed, in front of the built app and a backend that verifies the JWT. forward_auth answers
 * everything but a 2xx with the gateway's own response, body included
 * (https://caddyserver.com/docs/caddyfile/directives/forward_auth).
 */
describe('behind Caddy forward_auth (deploy/caddy/Caddyfile)', () => {
  let fixture: ProxyFixture;
  let caddy: RunningCaddy;

  beforeAll(async () => {
    fixture = await startProxyFixture();
    caddy = await startCaddy({ appAddress: `127.0.0.1:${fixture.app.port}`, backendAddress: fixture.backend.address, proxySecret: fixture.proxySecret });
  });

  afterAll(async () => {
    await caddy?.stop();
    await fixture?.stop();
  });

  beforeEach(() => fixture.backend.clear());

  const send = (path: string, headers: Record<string, string> = {}, method = 'GET', host = API_HOST) => rawRequest(caddy.url, path, { method, headers: { Host: host, ...headers } });
  const json = (response: RawResponse) => JSON.parse(response.body) as Record<string, unknown>;
  const denied = (response: RawResponse) => JSON.parse(String(response.headers['x-auth-denied'] ?? 'null')) as unknown;

  it('passes an allowed request to the backend with a JWT it verifies, never the client credential', async () => {
    const response = await send('/api/v1/data?x=1', { Authorization: fixture.viewer });
    expect(response.status, caddy.log()).toBe(200);
    expect(fixture.backend.received).toHaveLength(1);
    const [seen] = fixture.backend.received;
    expect(seen?.error).toBeUndefined();
    expect(seen?.claims).toMatchObject({ username: 'vera', realm: 'local', iss: 'https://auth.proxies-test.example' });
    expect(seen?.path).toBe('/api/v1/data?x=1');
    expect(seen?.headers.authorization).toMatch(/^Bearer ey/);
    expect(json(response)).toMatchObject({ claims: { username: 'vera' } });
  });

  it('answers 401 with the challenge and the JSON body, and the backend sees nothing', async () => {
    for (const credential of [undefined, 'Basic bm9ib2R5Om5vcGU=']) {
      const response = await send('/api/v1/data', credential ? { Authorization: credential } : {});
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(CHALLENGE);
      expect(json(response)).toMatchObject({ error: 'unauthorized' });
    }
    expect(fixture.backend.received).toHaveLength(0);
  });

  it.each([
    ['the path rule', 'GET', '/api/v1/admin/users', API_HOST, { rule: 0, missing: { roles_all: ['admin'] } }],
    ['the path rule, through a dot segment', 'GET', '/api/v1/public/%2e%2e/admin/users', API_HOST, { rule: 0 }],
    ['the method rule', 'DELETE', '/api/v1/data', API_HOST, { rule: 1, missing: { roles_any: ['editor'] } }],
    ['the host rule', 'GET', '/api/v1/data', INTERNAL_HOST, { rule: 2, missing: { roles_any: ['staff'] } }],
  ])('answers 403 for %s, with X-Auth-Denied and the JSON body', async (_, method, path, host, rule) => {
    const response = await send(path, { Authorization: fixture.viewer }, method, host);
    expect(response.status).toBe(403);
    expect(denied(response)).toMatchObject(rule);
    expect(json(response)).toMatchObject({ error: 'forbidden', ...rule });
    expect(fixture.backend.received).toHaveLength(0);
    expect((await send(path, { Authorization: fixture.admin }, method, host)).status).toBe(200);
  });

  it('passes the gateway 503 to the client as 503 with Retry-After', async () => {
    const response = await send('/api/v1/data', { Authorization: `Bearer ${fixture.flakyJwt}` });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(json(response)).toMatchObject({ error: 'unavailable' });
    expect(fixture.backend.received).toHaveLength(0);
  });

  describe('headers a client forges have no effect', () => {
    it.each(FORGED_ORIGINALS)('%s naming an allowed request: the path, method and host rules still decide', async (_, forged) => {
      for (const [method, path, host] of VIEWER_REFUSED) {
        const response = await send(path, { Authorization: fixture.viewer, ...forged }, method, host);
        expect(response.status, `${method} ${host}${path}`).toBe(403);
      }
      expect(fixture.backend.received).toHaveLength(0);
    });

    it('a valid client certificate in X-SSL-Client-Cert (certificates are public) is removed, not believed', async () => {
      const response = await send('/api/v1/admin/users', { 'X-SSL-Client-Cert': fixture.forgedCertificate, 'X-Auth-Realm': 'certs' });
      expect(response.status).toBe(401);
      expect(fixture.backend.received).toHaveLength(0);
    });

    it('a client X-Aot-Proxy-Secret is replaced by the check, and removed on the route to the app', async () => {
      expect((await send('/api/v1/data', { Authorization: fixture.viewer, 'X-Aot-Proxy-Secret': 'a-guess-that-is-long-enough' })).status).toBe(200);
      // Even the real secret (leaked, say) and X-Original-* sent straight to the app are removed: nothing is believed.
      const direct = await send('/api/authenticate', { Authorization: fixture.viewer, 'X-Aot-Proxy-Secret': fixture.proxySecret, 'X-Original-URI': '/api/v1/data', 'X-Forwarded-Uri': '/api/v1/data' });
      expect(direct.status).toBe(403);
      expect(json(direct)).toMatchObject({ error: 'forbidden', message: 'original request unknown' });
      const certificate = await send('/api/whoami', { 'X-SSL-Client-Cert': fixture.forgedCertificate, 'X-Aot-Proxy-Secret': fixture.proxySecret, 'X-Auth-Realm': 'certs' });
      expect(certificate.status).toBe(401);
    });
  });

  it('serves the app itself on the other paths (identity, keys)', async () => {
    const whoami = await send('/api/whoami', { Authorization: fixture.admin });
    expect(whoami.status).toBe(200);
    expect(json(whoami)).toMatchObject({ username: 'ada' });
    expect((await send('/.well-known/jwks.json')).status).toBe(200);
  });
});
