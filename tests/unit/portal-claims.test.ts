import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsAt, rolesFromClaims, usernameFromClaims } from '@/lib/claims';
import { portalProfileFrom } from '@/lib/portal/claims';
import { JwtVerifier } from '@/lib/providers/jwt-verifier';
import { startTestIssuer, type TestIssuer } from '../support/jwks-server';

describe('rolesFromClaims', () => {
  it('reads arrays, space- and comma-joined strings alike', () => {
    expect(rolesFromClaims({ roles: ['admin', 'user'] })).toEqual(['admin', 'user']);
    expect(rolesFromClaims({ roles: 'admin,user' })).toEqual(['admin', 'user']);
    expect(rolesFromClaims({ roles: 'admin user' })).toEqual(['admin', 'user']);
    expect(rolesFromClaims({ roles: ' admin , user ' })).toEqual(['admin', 'user']);
    expect(rolesFromClaims({ roles: ['admin,user', 'ops'] })).toEqual(['admin', 'user', 'ops']);
  });

  it("reads Keycloak's nested realm and client roles, and entitlements, together", () => {
    const keycloak = { realm_access: { roles: ['r1', 'r2'] }, resource_access: { portal: { roles: ['admin'] }, account: { roles: ['view-profile'] } }, entitlements: 'e1' };
    expect(rolesFromClaims(keycloak)).toEqual(['r1', 'r2', 'admin', 'view-profile', 'e1']);
  });

  it('adds a configured dot path, and prefers a literal claim name containing dots', () => {
    expect(rolesFromClaims({ custom: { deep: { roles: 'x,y' } }, roles: ['z'] }, 'custom.deep.roles')).toEqual(['z', 'x', 'y']);
    expect(claimsAt({ 'https://example.org/roles': ['x'] }, 'https://example.org/roles')).toEqual([['x']]);
    expect(rolesFromClaims({ 'https://example.org/roles': 'x' }, 'https://example.org/roles')).toEqual(['x']);
  });

  it('does not make groups roles unless told to (users can often create groups)', () => {
    expect(rolesFromClaims({ groups: ['admin'] })).toBeUndefined();
    expect(rolesFromClaims({ groups: ['admin'] }, 'groups')).toEqual(['admin']);
  });

  it('is undefined when no role claim is present at all, and ignores other types', () => {
    expect(rolesFromClaims({})).toBeUndefined();
    expect(rolesFromClaims({ roles: 42, realm_access: 'x' })).toBeUndefined();
    expect(rolesFromClaims({ roles: [] })).toEqual([]);
  });
});

describe('usernameFromClaims', () => {
  it('uses username_claim when set and present, else preferred_username, else sub', () => {
    expect(usernameFromClaims({ sub: 'f81d4fae', preferred_username: 'alice', email: 'a@x' }, 'email')).toBe('a@x');
    expect(usernameFromClaims({ sub: 'f81d4fae', preferred_username: 'alice' }, 'email')).toBe('alice');
    expect(usernameFromClaims({ sub: 'f81d4fae', preferred_username: '' })).toBe('f81d4fae');
    expect(usernameFromClaims({})).toBeUndefined();
  });

  it('gives the portal profile its username and roles', () => {
    expect(portalProfileFrom({ sub: 's1', preferred_username: 'alice', email: 'a@x', name: 'Alice', roles: 'user,admin' })).toEqual({
      sub: 's1',
      username: 'alice',
      email: 'a@x',
      name: 'Alice',
      roles: ['user', 'admin'],
    });
    expect(portalProfileFrom({ sub: 's2', upn: 'bob@corp' }, undefined, 'upn')).toMatchObject({ username: 'bob@corp', email: null, name: null, roles: [] });
    expect(portalProfileFrom({ preferred_username: 'nobody' })).toBeNull();
  });
});

/** The same claims read by the portal's sign-in and by the jwt provider give the same user. */
describe('the portal and the gateway read claims alike', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer();
  });
  afterAll(async () => issuer?.close());

  const roleWord = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  const rolesValue = fc.oneof(
    fc.array(roleWord, { maxLength: 4 }),
    fc.array(roleWord, { maxLength: 4 }).map((r) => r.join(',')),
    fc.array(roleWord, { maxLength: 4 }).map((r) => r.join(' ')),
  );
  const claims = fc.record(
    {
      preferred_username: roleWord,
      roles: rolesValue,
      realm_access: fc.record({ roles: rolesValue }),
      resource_access: fc.dictionary(roleWord, fc.record({ roles: rolesValue }), { maxKeys: 2 }),
      groups: rolesValue,
      custom: rolesValue,
    },
    { requiredKeys: ['preferred_username'] },
  );

  it('for every mix of arrays, comma- and space-joined strings and nested claims', async () => {
    await fc.assert(
      fc.asyncProperty(claims, fc.constantFrom(undefined, 'custom', 'groups'), async (payload, rolesClaim) => {
        const verifier = new JwtVerifier({ certUri: issuer.jwksUri, realm: 'idp', rolesClaim, timeoutMs: 2000 });
        const token = await issuer.sign({ sub: `sub-${payload.preferred_username}`, ...payload });
        const outcome = await verifier.verify(token);
        expect(outcome.status).toBe('accepted');
        const portal = portalProfileFrom({ sub: `sub-${payload.preferred_username}`, ...payload }, rolesClaim);
        if (outcome.status === 'accepted') {
          expect(outcome.identity.username).toBe(portal?.username);
          expect(outcome.identity.roles).toEqual(portal?.roles);
        }
      }),
      { numRuns: 60 },
    );
  });
});
