import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePath } from '@/lib/gateway/paths';
import { PolicyEngine } from '@/lib/gateway/policies';
import type { User } from '@/lib/gateway/types';

describe('decodePath', () => {
  it.each([
    ['/v1/data', '/v1/data'],
    ['/v1/../admin', '/admin'],
    ['/v1/%2e%2e/admin', '/admin'],
    ['/v1/%2E%2e/admin', '/admin'],
    ['/v1%2f..%2fadmin', '/admin'],
    ['/%61dmin/x', '/admin/x'],
    ['//admin///x', '/admin/x'],
    ['/a/./b/', '/a/b/'],
    ['/a/b/..', '/a/'],
    ['/x?y=/admin', '/x'],
    ['/x#/admin', '/x'],
    ['/caf%C3%A9', '/café'],
    ['/', '/'],
  ])('%s → %s', (input, expected) => expect(decodePath(input)).toEqual({ ok: true, path: expected }));

  it.each([
    ['/api/v1/x/%2e%2e/admin/y%ff', 'not valid UTF-8'],
    ['/%61dmin/x%ff', 'not valid UTF-8'],
    ['/admin/%zz', 'invalid percent-escape'],
    ['/admin/%2', 'invalid percent-escape'],
    ['/admin/%', 'invalid percent-escape'],
    ['/%c0%ae%c0%ae/admin', 'not valid UTF-8'], // overlong "..": a decoder that accepts it resolves differently
    ['/a%c0%afadmin', 'not valid UTF-8'], // overlong "/"
    ['/a%00b', 'control characters'],
    ['/a%0a/b', 'control characters'],
    ['/..', 'climbs above the root'],
    ['/a/../../admin', 'climbs above the root'],
    ['relative/admin', 'does not start with /'],
    ['', 'does not start with /'],
    ['*', 'does not start with /'],
  ])('refuses %s (%s)', (input, reason) => {
    const decoded = decodePath(input);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toContain(reason);
  });

  it('reads raw bytes the way nginx passes them (Latin-1 header text)', () => {
    expect(decodePath(Buffer.from('/café', 'utf8').toString('latin1'))).toEqual({ ok: true, path: '/café' });
    expect(decodePath('/caf\xe9').ok).toBe(false); // a lone Latin-1 byte is not UTF-8
  });
});

/**
 * A model of how nginx routes a request path (ngx_http_parse_complex_uri with merge_slashes on):
 * escapes decoded to bytes, slashes merged, dot segments resolved; a bad escape or a climb above the
 * root is a 400 (never routed). It works on byte strings and does not care about UTF-8, as nginx.
 */
function nginxRoutes(uri: string): string | undefined {
  const raw = uri.split(/[?#]/)[0] ?? '';
  if (!raw.startsWith('/') || /%(?![0-9a-fA-F]{2})/.test(raw)) return undefined;
  const bytes = raw.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  // A final `.` or `..` segment leaves a directory: `/a/b/..` is `/a/` (RFC 3986 remove_dot_segments).
  const merged = bytes.replace(/\/+/g, '/').replace(/\/\.\.?$/, '$&/');
  const relative = path.posix.normalize(merged.slice(1) || '.');
  if (relative === '..' || relative.startsWith('../')) return undefined;
  return relative === '.' || relative === './' ? '/' : `/${relative}`;
}

const escape = (char: string, upper: boolean) => {
  const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? hex.toUpperCase() : hex}`;
};
/** A segment, each character written plainly or as an escape in either case. */
const segment = fc
  .tuple(fc.constantFrom('admin', 'Admin', 'x', 'api', 'v1', '.', '..', '', 'a.b', '..a', 'é'), fc.array(fc.boolean(), { maxLength: 8 }), fc.boolean())
  .map(([word, encodeMask, upper]) => {
    const utf8 = Buffer.from(word, 'utf8').toString('latin1');
    return [...utf8].map((c, i) => (encodeMask[i] || c.charCodeAt(0) > 0x7e ? escape(c, upper) : c)).join('');
  });
const oddity = fc.constantFrom('%ff', '%c0%ae', '%c0%af', '%2f', '%2F', '%5c', '%zz', '%', '%2', '%00', '%e2%80%ae', ';', '%3b', '\xff');
const separator = fc.constantFrom('/', '/', '/', '//', '/./', '%2f');
const hostilePath = fc
  .array(fc.tuple(separator, fc.oneof({ weight: 4, arbitrary: segment }, { weight: 1, arbitrary: oddity })), { minLength: 1, maxLength: 8 })
  .chain((parts) => fc.tuple(fc.constant(parts), fc.constantFrom('', '?q=1', '#f', '?/admin/x')))
  .map(([parts, tail]) => `${parts.map(([sep, seg]) => `${sep}${seg}`).join('')}${tail}`);

describe('no path nginx routes under a protected prefix escapes the rule that protects it', () => {
  const engine = new PolicyEngine([{ match: { path: '/admin/**' }, require: { roles_any: ['admin'] } }], 'allow');
  const visitor: User = { username: 'v', realm: 'r', roles: ['user'], attributes: {}, scopes: {}, auth: { method: 'plain', provider: 'p' } };
  const allowedByGateway = (uri: string) => {
    const decoded = decodePath(uri);
    return decoded.ok && engine.decide({ method: 'GET', path: decoded.path }, visitor).allowed;
  };
  const protectedPlace = (routed: string) => routed === '/admin' || routed.startsWith('/admin/');

  it('is never allowed', () => {
    fc.assert(
      fc.property(hostilePath, (uri) => {
        const routed = nginxRoutes(uri);
        if (routed !== undefined && protectedPlace(routed)) expect(allowedByGateway(uri)).toBe(false);
      }),
      { numRuns: 20_000 },
    );
  });

  it('finds protected paths often enough to mean something', () => {
    const samples = fc.sample(hostilePath, 5000);
    const protectedOnes = samples.filter((uri) => protectedPlace(nginxRoutes(uri) ?? ''));
    expect(protectedOnes.length).toBeGreaterThan(100);
    expect(protectedOnes.filter((uri) => decodePath(uri).ok).length).toBeGreaterThan(20); // some decode, so the rule itself is tested
  });

  it('decodes to the path nginx routes whenever it decodes at all', () => {
    fc.assert(
      fc.property(hostilePath, (uri) => {
        const decoded = decodePath(uri);
        if (decoded.ok) expect(Buffer.from(decoded.path, 'utf8').toString('latin1')).toBe(nginxRoutes(uri));
      }),
      { numRuns: 20_000 },
    );
  });
});
