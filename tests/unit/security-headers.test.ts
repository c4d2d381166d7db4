import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, portalSecurityHeaders, securityHeadersFor } from '@/lib/portal/security-headers';

const directives = (policy: string) => new Map(policy.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)] as const));

describe('portal security headers', () => {
  it('refuse framing and keep forms, base and loads on the portal', () => {
    const policy = directives(contentSecurityPolicy(undefined));
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy.get('default-src')).toEqual(["'self'"]);
    expect(policy.get('base-uri')).toEqual(["'self'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('form-action')).toEqual(["'self'"]);
    expect(portalSecurityHeaders(undefined)).toMatchObject({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin', 'X-Frame-Options': 'DENY' });
  });

  it("let the sign-in form's redirect reach the issuer's origin, and nothing else of its URL", () => {
    expect(directives(contentSecurityPolicy('https://idp.example.org/realms/x')).get('form-action')).toEqual(["'self'", 'https://idp.example.org']);
    // Nothing that could add a source or a directive: only a parsed http(s) origin goes in.
    expect(directives(contentSecurityPolicy('https://idp.example.org/; script-src *')).get('form-action')).toEqual(["'self'", 'https://idp.example.org']);
    for (const bad of ['not a url', 'javascript:alert(1)', '']) expect(directives(contentSecurityPolicy(bad)).get('form-action')).toEqual(["'self'"]);
  });

  it('follow the configured issuer when it changes (the demo IdP sets it after start)', () => {
    let issuer: string | undefined;
    const current = securityHeadersFor(() => issuer);
    const before = current();
    expect(current()).toBe(before);
    issuer = 'http://127.0.0.1:4000';
    expect(current()['Content-Security-Policy']).toContain("form-action 'self' http://127.0.0.1:4000;");
  });
});
