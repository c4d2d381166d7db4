import { describe, expect, it } from 'vitest';
import { claimAt, portalProfileFrom, rolesFromClaims } from '@/lib/portal/claims';

describe('rolesFromClaims', () => {
  it('reads a configured dot path', () => {
    expect(rolesFromClaims({ resource_access: { portal: { roles: ['admin'] } } }, 'resource_access.portal.roles')).toEqual(['admin']);
  });

  it('prefers a literal claim name containing dots', () => {
    expect(claimAt({ 'https://example.org/roles': ['x'] }, 'https://example.org/roles')).toEqual(['x']);
  });

  it('falls back to roles, groups, then realm_access.roles', () => {
    expect(rolesFromClaims({ groups: ['g'], realm_access: { roles: ['r'] } })).toEqual(['g']);
    expect(rolesFromClaims({ realm_access: { roles: ['r', 'r'] } })).toEqual(['r']);
    expect(rolesFromClaims({ roles: 'a b,c' })).toEqual(['a', 'b', 'c']);
    expect(rolesFromClaims({})).toBeUndefined();
  });

  it('does not fall back when a claim is configured', () => {
    expect(rolesFromClaims({ roles: ['admin'] }, 'groups')).toBeUndefined();
  });
});

describe('portalProfileFrom', () => {
  it('uses preferred_username, else sub', () => {
    expect(portalProfileFrom({ sub: 's1', preferred_username: 'alice', email: 'a@x', name: 'Alice', roles: ['user'] })).toEqual({
      sub: 's1',
      username: 'alice',
      email: 'a@x',
      name: 'Alice',
      roles: ['user'],
    });
    expect(portalProfileFrom({ sub: 's2' })).toMatchObject({ username: 's2', email: null, name: null, roles: [] });
    expect(portalProfileFrom({ preferred_username: 'nobody' })).toBeNull();
  });
});
