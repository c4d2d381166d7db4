/** What the portal keeps from an identity provider's profile (ID token claims or userinfo). */
export interface PortalProfile {
  sub: string;
  username: string;
  email: string | null;
  name: string | null;
  roles: string[];
}

/** Where IdPs commonly put roles when `portal.oidc.roles_claim` does not say (Keycloak, Entra, Dex, ...). */
const DEFAULT_ROLE_CLAIMS = ['roles', 'groups', 'realm_access.roles'];

type Claims = Record<string, unknown>;

/** Reads `a.b.c` from nested claims; a literal key containing dots wins (some IdPs use URLs as claim names). */
export function claimAt(claims: Claims, path: string): unknown {
  if (path in claims) return claims[path];
  let node: unknown = claims;
  for (const segment of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Claims)[segment];
  }
  return node;
}

function asRoles(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
  return undefined;
}

/** Roles from the configured claim, else the first of the usual claims that is present. */
export function rolesFromClaims(claims: Claims, rolesClaim?: string): string[] | undefined {
  for (const path of rolesClaim ? [rolesClaim] : DEFAULT_ROLE_CLAIMS) {
    const roles = asRoles(claimAt(claims, path));
    if (roles) return [...new Set(roles)];
  }
  return undefined;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

/** Normalises a profile; null when it has no subject (nothing to key the user on). */
export function portalProfileFrom(claims: Claims, rolesClaim?: string): PortalProfile | null {
  const sub = text(claims.sub);
  if (!sub) return null;
  return {
    sub,
    username: text(claims.preferred_username) ?? sub,
    email: text(claims.email),
    name: text(claims.name),
    roles: rolesFromClaims(claims, rolesClaim) ?? [],
  };
}
