import { describe, expect, it } from 'vitest';
import { CanonicalOrigin, type CanonicalOriginOptions, type PortalVisit, portalOrigin, publicOrigin } from '@/lib/portal/canonical-origin';

/** A server's canonical origin, and every origin it adopted. */
function server(options: Partial<Omit<CanonicalOriginOptions, 'adopted'>> = {}) {
  const adopted: string[] = [];
  const canonical = new CanonicalOrigin({ portalUrl: undefined, listenHost: '0.0.0.0', port: () => 3000, adopted: (origin) => adopted.push(origin), ...options });
  const visit = (overrides: Partial<PortalVisit> = {}) =>
    canonical.redirect({ requestOrigin: 'http://127.0.0.1:3000', proxied: false, method: 'GET', path: '/signin?callbackUrl=%2Ftokens', ...overrides });
  return { visit, adopted };
}

describe('the canonical portal origin', () => {
  it('sends a browser at the demo address (127.0.0.1) to localhost, keeping the path and query', () => {
    const { visit } = server();
    expect(visit()).toBe('http://localhost:3000/signin?callbackUrl=%2Ftokens');
    expect(visit({ requestOrigin: 'http://[::1]:3000' })).toBe('http://localhost:3000/signin?callbackUrl=%2Ftokens');
    expect(visit({ requestOrigin: 'http://localhost:3000' })).toBeUndefined();
  });

  it('leaves proxied requests, other ports, API calls, assets and form posts alone without portal.url', () => {
    const { visit } = server();
    expect(visit({ proxied: true, method: 'POST' })).toBeUndefined();
    expect(visit({ requestOrigin: 'http://127.0.0.1:8080' })).toBeUndefined();
    expect(visit({ path: '/api/auth/callback/oidc?code=x' })).toBeUndefined();
    expect(visit({ path: '/_next/static/x.js' })).toBeUndefined();
    expect(visit({ method: 'POST' })).toBeUndefined();
    expect(visit({ path: '/scim/v2/Users?filter=userName%20eq%20%22a%22' })).toBeUndefined(); // provisioning clients do not follow redirects
    expect(server({ portalUrl: 'https://auth.example.org' }).visit({ path: '/scim/v2/Users/x' })).toBeUndefined();
    expect(visit({ proxied: true })).toBeUndefined(); // served (and adopted: below)
  });

  it('sends every other origin to portal.url when it is set, and adopts none', () => {
    const { visit, adopted } = server({ portalUrl: 'https://auth.example.org' });
    expect(visit({ requestOrigin: 'http://10.0.0.5:3000', proxied: true, path: '/tokens' })).toBe('https://auth.example.org/tokens');
    expect(server({ portalUrl: 'https://auth.example.org/' }).visit({ requestOrigin: 'https://auth.example.org', path: '/tokens' })).toBeUndefined();
    expect(visit({ requestOrigin: undefined })).toBeUndefined();
    expect(visit({ requestOrigin: 'https://auth.example.org', proxied: true })).toBeUndefined();
    expect(adopted).toEqual([]);
  });
});

describe('without portal.url, the first origin served', () => {
  it('through a trusted proxy is adopted once: later page visits at any other origin go there, API calls do not', () => {
    const { visit, adopted } = server();
    expect(visit({ requestOrigin: 'https://auth.example.org', proxied: true, path: '/' })).toBeUndefined();
    expect(visit({ requestOrigin: 'https://auth.example.org', proxied: true, path: '/tokens' })).toBeUndefined();
    expect(visit({ requestOrigin: 'http://10.0.0.5:3000', path: '/tokens' })).toBe('https://auth.example.org/tokens');
    expect(visit({ requestOrigin: 'https://other.example.org', proxied: true, method: 'HEAD', path: '/' })).toBe('https://auth.example.org/');
    expect(visit()).toBe('https://auth.example.org/signin?callbackUrl=%2Ftokens'); // not localhost: the adopted origin first
    expect(visit({ requestOrigin: 'http://10.0.0.5:3000', path: '/api/auth/session' })).toBeUndefined();
    expect(adopted).toEqual(['https://auth.example.org']);
  });

  it('at the address the server listens on is adopted; a loopback one as localhost, after the 127.0.0.1 visit is sent there', () => {
    const loopback = server({ listenHost: '127.0.0.1' });
    expect(loopback.visit()).toBe('http://localhost:3000/signin?callbackUrl=%2Ftokens');
    expect(loopback.adopted).toEqual([]); // sent elsewhere, not served
    expect(loopback.visit({ requestOrigin: 'http://localhost:3000' })).toBeUndefined();
    expect(loopback.visit({ requestOrigin: 'http://portal.example:3000', path: '/tokens' })).toBe('http://localhost:3000/tokens');
    expect(loopback.adopted).toEqual(['http://localhost:3000']);

    const named = server({ listenHost: 'auth.internal', port: () => 8080 });
    expect(named.visit({ requestOrigin: 'http://auth.internal:8080', path: '/' })).toBeUndefined();
    expect(named.visit({ requestOrigin: 'http://10.0.0.5:8080', path: '/' })).toBe('http://auth.internal:8080/');
    expect(named.adopted).toEqual(['http://auth.internal:8080']);

    const v6 = server({ listenHost: 'fd00::5' });
    v6.visit({ requestOrigin: 'http://[fd00::5]:3000' });
    expect(v6.adopted).toEqual(['http://[fd00::5]:3000']);
  });

  it("is not adopted when it is only a client's Host header (listening on every address): whoever asks first does not choose", () => {
    const { visit, adopted } = server();
    expect(visit({ requestOrigin: 'http://evil.example:3000', path: '/' })).toBeUndefined();
    expect(visit({ requestOrigin: 'http://localhost:3000', path: '/' })).toBeUndefined(); // a curl on the box must not send everyone to their own localhost
    expect(visit({ requestOrigin: 'http://auth.internal:8080', path: '/' })).toBeUndefined();
    expect(visit({ requestOrigin: 'http://[::1]:3000' })).toBe('http://localhost:3000/signin?callbackUrl=%2Ftokens'); // the loopback rule still holds
    expect(server({ listenHost: '127.0.0.1' }).visit({ requestOrigin: 'http://localhost:4000', path: '/' })).toBeUndefined(); // another port than the one listened on
    expect(adopted).toEqual([]);
  });

  it('is adopted only from a page visit: no API call, asset, callback or form post', () => {
    const { visit, adopted } = server();
    for (const path of ['/api/auth/csrf', '/_next/static/x.js', '/.well-known/jwks.json', '/scim/v2/Users']) visit({ requestOrigin: 'https://auth.example.org', proxied: true, path });
    visit({ requestOrigin: 'https://auth.example.org', proxied: true, method: 'POST', path: '/tokens' });
    expect(adopted).toEqual([]);
  });
});

describe('publicOrigin and portalOrigin (one reading of the host headers for the server, route handlers and server actions)', () => {
  it('reads fetch Headers and Node headers alike, the forwarded ones first', () => {
    const forwarded = { host: '10.0.0.5:3000', 'x-forwarded-host': 'auth.example.org, proxy.internal', 'x-forwarded-proto': 'https' };
    expect(publicOrigin(new Headers(forwarded))).toBe('https://auth.example.org');
    expect(publicOrigin(forwarded)).toBe('https://auth.example.org');
    expect(publicOrigin({ host: ['127.0.0.1:3000'] })).toBe('http://127.0.0.1:3000');
  });

  it('makes no origin of missing or malformed headers or another scheme', () => {
    expect(publicOrigin(new Headers())).toBeUndefined();
    expect(publicOrigin({ host: 'a b' })).toBeUndefined();
    expect(publicOrigin({ host: 'auth.example.org', 'x-forwarded-proto': 'javascript' })).toBeUndefined();
  });

  it('prefers portal.url to whatever the request said', () => {
    expect(portalOrigin('https://auth.example.org/portal', new Headers({ host: '127.0.0.1:3000' }))).toBe('https://auth.example.org');
    expect(portalOrigin(undefined, new Headers({ host: '127.0.0.1:3000' }))).toBe('http://127.0.0.1:3000');
  });
});
