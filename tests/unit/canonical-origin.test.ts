import { describe, expect, it } from 'vitest';
import { canonicalRedirect, portalOrigin, publicOrigin } from '@/lib/portal/canonical-origin';

const ask = (overrides: Partial<Parameters<typeof canonicalRedirect>[0]>) =>
  canonicalRedirect({ portalUrl: undefined, port: 3000, requestOrigin: 'http://127.0.0.1:3000', proxied: false, method: 'GET', path: '/signin?callbackUrl=%2Ftokens', ...overrides });

describe('the canonical portal origin', () => {
  it('sends a browser at the demo address (127.0.0.1) to localhost, keeping the path and query', () => {
    expect(ask({})).toBe('http://localhost:3000/signin?callbackUrl=%2Ftokens');
    expect(ask({ requestOrigin: 'http://[::1]:3000' })).toBe('http://localhost:3000/signin?callbackUrl=%2Ftokens');
    expect(ask({ requestOrigin: 'http://localhost:3000' })).toBeUndefined();
  });

  it('leaves proxied requests, other ports, API calls, assets and form posts alone without portal.url', () => {
    expect(ask({ proxied: true })).toBeUndefined();
    expect(ask({ requestOrigin: 'http://127.0.0.1:8080' })).toBeUndefined();
    expect(ask({ path: '/api/auth/callback/oidc?code=x' })).toBeUndefined();
    expect(ask({ path: '/_next/static/x.js' })).toBeUndefined();
    expect(ask({ method: 'POST' })).toBeUndefined();
    expect(ask({ path: '/scim/v2/Users?filter=userName%20eq%20%22a%22' })).toBeUndefined(); // provisioning clients do not follow redirects
    expect(ask({ portalUrl: 'https://auth.example.org', path: '/scim/v2/Users/x' })).toBeUndefined();
  });

  it('sends every other origin to portal.url when it is set', () => {
    expect(ask({ portalUrl: 'https://auth.example.org', requestOrigin: 'http://10.0.0.5:3000', proxied: true, path: '/tokens' })).toBe('https://auth.example.org/tokens');
    expect(ask({ portalUrl: 'https://auth.example.org/', requestOrigin: 'https://auth.example.org', path: '/tokens' })).toBeUndefined();
    expect(ask({ portalUrl: 'https://auth.example.org', requestOrigin: undefined })).toBeUndefined();
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
