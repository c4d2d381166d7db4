import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app';
import { PORTAL_CLIENT, PORTAL_SECRET, startTestIdp, type TestIdp } from '../support/oidc-idp';

interface Answer {
  status: number;
  location: string | undefined;
  cookies: string[];
  body: string;
}

/** node:http rather than fetch: a browser (and fetch) cannot set Host, a client talking HTTP can. */
function send(app: RunningApp, path: string, headers: Record<string, string>, form?: Record<string, string>): Promise<Answer> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: app.port, path, method: form ? 'POST' : 'GET', headers: { ...headers, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, cookies: (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0] ?? ''), body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts a sign-in as the portal's button does and returns the redirect_uri next-auth sends to the IdP. */
async function redirectUriSent(app: RunningApp, headers: Record<string, string>): Promise<string | null> {
  const csrf = await send(app, '/api/auth/csrf', headers);
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  const signIn = await send(app, '/api/auth/signin/oidc', { ...headers, cookie: csrf.cookies.join('; ') }, { csrfToken, callbackUrl: '/tokens' });
  expect(signIn.status, signIn.body.slice(0, 300)).toBe(302);
  return new URL(signIn.location ?? '').searchParams.get('redirect_uri');
}

/**
 * The portal's public origin (DESIGN.md, "Trust model"): forwarded host and scheme count only from
 * `server.trusted_proxies`, and without `portal.url` the first origin served (when it can be
 * trusted) becomes the one every later page visit is sent to.
 */
describe('the portal origin', () => {
  let idp: TestIdp;
  let direct: RunningApp;
  let proxied: RunningApp;

  beforeAll(async () => {
    // Nothing here completes a sign-in: the IdP only needs to be discoverable.
    idp = await startTestIdp('origin', { portal: { origins: ['http://localhost:1'] } });
    const configFor = (trustedProxies: string[]) => ({
      providers: [{ type: 'tokens', name: 'tokens' }],
      server: { trusted_proxies: trustedProxies },
      portal: { realm: 'people', oidc: { issuer: idp.issuer, client_id: PORTAL_CLIENT, client_secret: PORTAL_SECRET } },
    });
    // The tests reach the app from 127.0.0.1: one app trusts that peer as its proxy, the other does not.
    [direct, proxied] = await Promise.all([startApp({ config: configFor(['192.0.2.1/32']), database: 'pglite' }), startApp({ config: configFor(['127.0.0.1/32']), database: 'pglite' })]);
  });

  afterAll(async () => {
    await Promise.all([direct?.stop(), proxied?.stop()]);
    await idp?.close();
  });

  describe('reached directly (the peer is not a trusted proxy)', () => {
    const forged = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-port': '443' };

    it("ignores a client's X-Forwarded-Host: the visit at 127.0.0.1 is still sent to localhost, never to the forged host", async () => {
      const answer = await send(direct, '/tokens', { host: `127.0.0.1:${direct.port}`, ...forged });
      expect(answer.status).toBe(302);
      expect(answer.location).toBe(`http://localhost:${direct.port}/tokens`);
      const page = await send(direct, '/tokens', { host: `localhost:${direct.port}`, ...forged });
      expect(page.location ?? '').not.toContain('evil.example');
      expect(page.body).not.toContain('evil.example');
    });

    it('sends the IdP a redirect_uri at the address the client reached, not the forged host or scheme', async () => {
      expect(await redirectUriSent(direct, { host: `localhost:${direct.port}`, ...forged })).toBe(`http://localhost:${direct.port}/api/auth/callback/oidc`);
    });

    it('adopts the address it listens on (server.host, a loopback one as localhost) and sends a visit under any other Host there', async () => {
      const served = await send(direct, '/', { host: `localhost:${direct.port}` });
      expect(served.location ?? '').not.toMatch(/^https?:/);
      const elsewhere = await send(direct, '/tokens', { host: 'portal.attacker.example' });
      expect(elsewhere.status).toBe(302);
      expect(elsewhere.location).toBe(`http://localhost:${direct.port}/tokens`);
    });
  });

  describe('behind a trusted proxy', () => {
    const viaProxy = (forwardedHost = 'portal.example') => ({ host: `127.0.0.1:${proxied.port}`, 'x-forwarded-host': forwardedHost, 'x-forwarded-proto': 'https' });

    it('takes the forwarded host and scheme for the callback, as before', async () => {
      expect(await redirectUriSent(proxied, viaProxy())).toBe('https://portal.example/api/auth/callback/oidc');
    });

    it('makes the first origin a page was served at canonical: a later visit at another address is sent there, and the adoption is logged once', async () => {
      const first = await send(proxied, '/', viaProxy());
      expect(first.location ?? '').not.toMatch(/^https?:\/\/localhost/);
      const later = await send(proxied, '/tokens?x=1', { host: `localhost:${proxied.port}` });
      expect(later.status).toBe(302);
      expect(later.location).toBe('https://portal.example/tokens?x=1');
      const again = await send(proxied, '/', viaProxy('other.example'));
      expect(again.location).toBe('https://portal.example/');
      // API calls keep the address they used.
      expect((await send(proxied, '/api/auth/csrf', { host: `localhost:${proxied.port}` })).status).toBe(200);
      const adopted = proxied
        .output()
        .split('\n')
        .filter((line) => line.includes('canonical portal origin'));
      expect(adopted).toHaveLength(1);
      expect(JSON.parse(adopted[0] ?? '{}')).toMatchObject({ level: 30, origin: 'https://portal.example' });
      expect(adopted[0]).toContain('portal.url');
    });
  });
});
