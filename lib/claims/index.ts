/**
 * How the product reads roles and usernames from an identity provider's claims (ID tokens, access
 * tokens, userinfo): one reading for the portal's sign-in and every JWT-based provider, so a user has
 * the same roles in both. IdPs differ: arrays (Keycloak, Entra), space- or comma-joined strings
 * (some servers join multi-valued claims with commas), nested objects (Keycloak's realm_access and
 * resource_access).
 */
type Claims = Record<string, unknown>;

/**
 * Read unless `roles_claim` says otherwise, and always beside it. `groups` is deliberately not among
 * them: many IdPs let users create groups, so a group named "admin" must not become a role unless
 * the operator says so (`roles_claim: groups`).
 */
export const DEFAULT_ROLE_CLAIMS = ['realm_access.roles', 'resource_access.*.roles', 'entitlements', 'roles'] as const;
export const DEFAULT_USERNAME_CLAIMS = ['preferred_username', 'sub'] as const;

/** Reads `a.b.c` (`*` for every key at that level); a literal key containing dots wins (some IdPs use URLs as claim names). */
export function claimsAt(claims: Claims, path: string): unknown[] {
  if (path in claims) return [claims[path]];
  let nodes: unknown[] = [claims];
  for (const segment of path.split('.')) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (typeof node !== 'object' || node === null || Array.isArray(node)) continue;
      const record = node as Claims;
      if (segment === '*') next.push(...Object.values(record));
      else if (segment in record) next.push(record[segment]);
    }
    nodes = next;
  }
  return nodes;
}

function roleList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.flatMap((v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : []));
  return undefined;
}

/** Every role the claims carry (deduplicated, in order); undefined when none of the claims is present at all. */
export function rolesFromClaims(claims: Claims, rolesClaim?: string): string[] | undefined {
  let found = false;
  const roles: string[] = [];
  for (const path of rolesClaim ? [...DEFAULT_ROLE_CLAIMS, rolesClaim] : DEFAULT_ROLE_CLAIMS) {
    for (const value of claimsAt(claims, path)) {
      const list = roleList(value);
      if (!list) continue;
      found = true;
      roles.push(...list);
    }
  }
  return found ? [...new Set(roles)] : undefined;
}

/** The username: `username_claim` when set and present, else `preferred_username`, else `sub`. */
export function usernameFromClaims(claims: Claims, usernameClaim?: string): string | undefined {
  for (const path of usernameClaim ? [usernameClaim, ...DEFAULT_USERNAME_CLAIMS] : DEFAULT_USERNAME_CLAIMS) {
    const [value] = claimsAt(claims, path);
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}
