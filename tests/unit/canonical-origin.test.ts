import { describe, expect, it } from 'vitest';
import { canonicalRedirect } from '@/lib/portal/canonical-origin';

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
  });

  it('sends every other origin to portal.url when it is set', () => {
    expect(ask({ portalUrl: 'https://auth.example.org', requestOrigin: 'http://10.0.0.5:3000', proxied: true, path: '/tokens' })).toBe('https://auth.example.org/tokens');
    expect(ask({ portalUrl: 'https://auth.example.org/', requestOrigin: 'https://auth.example.org', path: '/tokens' })).toBeUndefined();
    expect(ask({ portalUrl: 'https://auth.example.org', requestOrigin: undefined })).toBeUndefined();
  });
});
