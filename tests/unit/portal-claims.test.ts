import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsAt, rolesFromClaims, usernameFromClaims } from '@/lib/claims';
import { portalProfileFrom } from '@/lib/portal/claims';
import { verifierFor } from '@/lib/providers/jwt-verifier';
import { startTestIssuer, type TestIssuer } from '../support/jwks-server';

describe('rolesFromClaims', () => {
  it('reads arrays, space- and comma-joined strings alike', () => {
    expect(rolesFromClaims({ roles: ['admin', 'user'] })).toEqual(['admin', 'user']);
    expect(rolesFromClaims({ roles: 'admin,user' })).toEqual(['admin', 'user']);
    expect(rolesFromClaims({ roles: 'admin user' })).toEqual(['admin', 'user']);
    expect(rolesFromClaims({ roles: ' admin , user ' })).toEqual(['admin', 'user']);
    expect(rolesFromClaims({ roles: ['admin,user', 'ops'] })).toEqual(['admin', 'user', 'ops']);
  });

  const keycloak = {
    realm_access: { roles: ['r1', 'r2'] },
    resource_access: { portal: { roles: ['user'] }, 'other.app': { roles: ['admin'] }, account: { roles: ['view-profile'] } },
    entitlements: 'e1',
  };

  it("reads Keycloak's realm roles, this client's roles only, and entitlements", () => {
    expect(rolesFromClaims(keycloak, { clientIds: ['portal'] })).toEqual(['r1', 'r2', 'user', 'e1']);
    // A client id with dots is a key, not a path.
    expect(rolesFromClaims(keycloak, { clientIds: ['other.app'] })).toEqual(['r1', 'r2', 'admin', 'e1']);
  });

  it("never reads another client's roles: admin of some other application is not admin here", () => {
    expect(rolesFromClaims(keycloak)).toEqual(['r1', 'r2', 'e1']);
    expect(rolesFromClaims({ resource_access: { other: { roles: ['admin'] } } }, { clientIds: ['portal'] })).toBeUndefined();
  });

  it('reads only a configured dot path, and prefers a literal claim name containing dots', () => {
    expect(rolesFromClaims({ custom: { deep: { roles: 'x,y' } }, roles: ['z'] }, { rolesClaim: 'custom.deep.roles' })).toEqual(['x', 'y']);
    expect(rolesFromClaims({ ...keycloak, roles: ['z'] }, { rolesClaim: 'custom.deep.roles', clientIds: ['portal'] })).toBeUndefined();
    expect(claimsAt({ 'https://example.org/roles': ['x'] }, 'https://example.org/roles')).toEqual([['x']]);
    expect(rolesFromClaims({ 'https://example.org/roles': 'x' }, { rolesClaim: 'https://example.org/roles' })).toEqual(['x']);
    expect(rolesFromClaims({ roles: ['admin'] }, { rolesClaim: 'constructor' })).toBeUndefined();
  });

  it('does not make groups roles unless told to (users can often create groups)', () => {
    expect(rolesFromClaims({ groups: ['admin'] })).toBeUndefined();
    expect(rolesFromClaims({ groups: ['admin'], roles: ['user'] }, { rolesClaim: 'groups' })).toEqual(['admin']);
  });

  it('is undefined when no role claim is present at all, and ignores other types', () => {
    expect(rolesFromClaims({})).toBeUndefined();
    expect(rolesFromClaims({ roles: 42, realm_access: 'x' })).toBeUndefined();
    expect(rolesFromClaims({ roles: [] })).toEqual([]);
  });
});

describe('usernameFromClaims', () => {
  it('uses username_claim when set, else preferred_username, else sub', () => {
    expect(usernameFromClaims({ sub: 'f81d4fae', preferred_username: 'alice', email: 'a@x' }, 'email')).toBe('a@x');
    expect(usernameFromClaims({ sub: 'f81d4fae', preferred_username: 'alice' })).toBe('alice');
    expect(usernameFromClaims({ sub: 'f81d4fae', preferred_username: '' })).toBe('f81d4fae');
    expect(usernameFromClaims({})).toBeUndefined();
  });

  it('has no username when the configured username_claim is missing: another claim could name another account', () => {
    expect(usernameFromClaims({ sub: 'f81d4fae', preferred_username: 'alice' }, 'email')).toBeUndefined();
    expect(usernameFromClaims({ sub: 'f81d4fae', preferred_username: 'alice', email: '' }, 'email')).toBeUndefined();
    expect(usernameFromClaims({ sub: 'f81d4fae', preferred_username: 'alice', email: 42 }, 'email')).toBeUndefined();
  });

  it('gives the portal profile its username and roles', () => {
    expect(portalProfileFrom({ sub: 's1', preferred_username: 'alice', email: 'a@x', name: 'Alice', roles: 'user,admin' })).toEqual({
      sub: 's1',
      username: 'alice',
      email: 'a@x',
      name: 'Alice',
      roles: ['user', 'admin'],
    });
    expect(portalProfileFrom({ sub: 's2', upn: 'bob@corp' }, { usernameClaim: 'upn' })).toMatchObject({ username: 'bob@corp', email: null, name: null, roles: [] });
    expect(portalProfileFrom({ preferred_username: 'nobody' })).toEqual({ refused: 'the identity provider sent no subject (sub)' });
    expect(portalProfileFrom({ sub: 's3', preferred_username: 'alice' }, { usernameClaim: 'upn' })).toEqual({
      refused: 'the identity provider sent no "upn" claim, the configured username_claim',
    });
  });
});

/** The gateway's JWT providers: client roles only of the client the tokens are for; no fallback from a configured username_claim. */
describe('the jwt provider reads claims', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer();
  });
  afterAll(async () => issuer?.close());

  const payload = { sub: 'f81d4fae', preferred_username: 'alice', realm_access: { roles: ['user'] }, resource_access: { api: { roles: ['reader'] }, other: { roles: ['admin'] } } };

  async function identityOf(config: { audience?: string; username_claim?: string; roles_claim?: string }, claims: Record<string, unknown> = payload) {
    const verifier = verifierFor({ realm: 'idp', cert_uri: issuer.jwksUri, ...config }, 2000);
    const outcome = await verifier.verify(await issuer.sign({ ...claims, ...(config.audience ? { aud: config.audience } : {}) }));
    return outcome.status === 'accepted' ? outcome.identity : outcome;
  }

  it("reads the client roles of its audience only, and no client's without one", async () => {
    expect(await identityOf({ audience: 'api' })).toMatchObject({ username: 'alice', roles: ['user', 'reader'] });
    expect(await identityOf({})).toMatchObject({ username: 'alice', roles: ['user'] });
  });

  it('reads only roles_claim when it is set', async () => {
    expect(await identityOf({ audience: 'api', roles_claim: 'resource_access.other.roles' })).toMatchObject({ roles: ['admin'] });
    expect(await identityOf({ audience: 'api', roles_claim: 'groups' })).toMatchObject({ roles: [] });
  });

  it('refuses a token without the configured username_claim instead of falling back to preferred_username', async () => {
    expect(await identityOf({ username_claim: 'email' })).toMatchObject({ status: 'rejected', reason: expect.stringContaining('"email"') });
    expect(await identityOf({ username_claim: 'email' }, { ...payload, email: 'a@x' })).toMatchObject({ username: 'a@x' });
  });
});
