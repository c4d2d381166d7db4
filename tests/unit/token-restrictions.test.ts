import { describe, expect, it } from 'vitest';
import { configSchema } from '@/lib/config/schema';
import type { OriginalRequest } from '@/lib/gateway/original-request';
import { decodePath } from '@/lib/gateway/paths';
import { compileRestrictions, normalizeRestrictions, restrictionsInput } from '@/lib/tokens/restrictions';
import { ScopeCatalog } from '@/lib/tokens/scope-catalog';

const original = (method: string | undefined, uri: string, host?: string): OriginalRequest => ({ method, host, authority: host, path: decodePath(uri), via: 'nginx' });

describe('token restrictions', () => {
  it('costs nothing without restrictions', () => {
    expect(compileRestrictions(normalizeRestrictions(restrictionsInput.parse({})))).toBeUndefined();
  });

  it('names the first restriction a request falls outside of', () => {
    const check = compileRestrictions(restrictionsInput.parse({ ips: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'], methods: ['get'], paths: ['/v1/**'], hosts: ['*.example.org'] }))!;
    const ok = original('GET', '/v1/data', 'api.example.org');
    expect(check.refusal('10.9.8.7', ok)).toBeUndefined();
    expect(check.refusal('2001:db8::1', ok)).toBeUndefined();
    expect(check.refusal('192.0.2.7', ok)).toBeUndefined();
    expect(check.refusal('192.0.2.8', ok)).toBe('ips');
    expect(check.refusal(undefined, ok)).toBe('ips');
    expect(check.refusal('10.0.0.1', original('POST', '/v1/data', 'api.example.org'))).toBe('methods');
    expect(check.refusal('10.0.0.1', original('GET', '/v2/data', 'api.example.org'))).toBe('paths');
    expect(check.refusal('10.0.0.1', original('GET', '/v1/%zz', 'api.example.org'))).toBe('paths');
    expect(check.refusal('10.0.0.1', original('GET', '/v1/data', 'example.com'))).toBe('hosts');
    expect(check.refusal('10.0.0.1', undefined)).toBe('methods');
    // Identity-only callers name no request: only the address counts.
    expect(check.identityRefusal('10.0.0.1')).toBeUndefined();
    expect(check.identityRefusal('192.0.2.8')).toBe('ips');
  });

  it('refuses as unknown a method or host the proxy did not name, never judging a default', () => {
    const check = compileRestrictions(restrictionsInput.parse({ methods: ['GET'], hosts: ['*.example.org'] }))!;
    expect(check.refusal(undefined, original(undefined, '/v1/data', 'api.example.org'))).toEqual({ unknown: 'method' });
    expect(check.refusal(undefined, original('GET', '/v1/data'))).toEqual({ unknown: 'host' });
    expect(compileRestrictions(restrictionsInput.parse({ paths: ['/v1/**'] }))!.refusal(undefined, original(undefined, '/v1/data'))).toBeUndefined();
  });

  it.each([
    [{ ips: ['10.0.0.0/33'] }, 'ips'],
    [{ ips: ['::/129'] }, 'ips'],
    [{ ips: ['10.0.0.0/8/8'] }, 'ips'],
    [{ ips: [] }, 'ips'],
    [{ methods: ['G3T'] }, 'methods'],
    [{ paths: ['/a/{b'] }, 'paths'],
    [{ paths: ['/a b'] }, 'paths'],
    [{ hosts: ['a/b'] }, 'hosts'],
  ])('refuses %j naming %s', (input, field) => {
    const result = restrictionsInput.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(field);
  });
});

describe('scope catalog with role caps', () => {
  const { services } = configSchema.parse({
    services: [
      { name: 'polytope', scopes: ['read', { name: 'write', description: 'Change data', roles_any: ['editor'] }] },
      { name: 'mars', scopes: [{ name: 'retrieve', roles_any: ['mars'] }] },
    ],
  });
  const catalog = new ScopeCatalog(services);

  it('keeps plain strings open to anyone and refuses capped scopes without the role', () => {
    expect(catalog.capped).toBe(true);
    expect(catalog.refused(['polytope:read', 'polytope:write', 'mars:retrieve'], ['user'])).toEqual(['polytope:write', 'mars:retrieve']);
    expect(catalog.refused(['polytope:write'], ['editor'])).toEqual([]);
    expect(catalog.list().find((e) => e.name === 'write')?.description).toBe('Change data');
  });

  it('caps a token’s scopes by the current roles, leaving scopes outside the catalog alone', () => {
    expect(catalog.cap({ polytope: ['read', 'write'], mars: ['retrieve'], upstream: ['x'] }, ['user'])).toEqual({ polytope: ['read'], upstream: ['x'] });
    expect(catalog.cap(catalog.grouped(), ['editor', 'mars'])).toEqual({ polytope: ['read', 'write'], mars: ['retrieve'] });
  });

  it('is not capped at all when no scope names roles', () => {
    expect(new ScopeCatalog(configSchema.parse({ services: [{ name: 's', scopes: ['a'] }] }).services).capped).toBe(false);
  });
});
