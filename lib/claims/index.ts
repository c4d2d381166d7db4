/**
 * How the product reads roles and usernames from an identity provider's claims (ID tokens, access
 * tokens, userinfo): one reading for the portal's sign-in and every JWT-based provider, so a user has
 * the same roles in both. IdPs differ: arrays (Keycloak, Entra), space- or comma-joined strings
 * (some servers join multi-valued claims with commas), nested objects (Keycloak's realm_access and
 * resource_access).
 */
type Claims = Record<string, unknown>;

/** What a reader of claims was configured with. */
export interface ClaimReading {
  /** A claim name or dotted path: when set, the ONLY place roles are read from. */
  rolesClaim?: string;
  /** When set, the only claim the username is read from: a token without it has no username. */
  usernameClaim?: string;
  /**
   * The clients whose Keycloak client roles (`resource_access.<client>.roles`) count: this product's
   * own client ids. Another client's roles are that client's business (a user who is `admin` of some
   * other application must not be admin here), so none are read when this is empty.
   */
  clientIds?: readonly string[];
}

const DEFAULT_USERNAME_CLAIMS = ['preferred_username', 'sub'] as const;

/** Reads `a.b.c` (`*` for every key at that level); a literal key containing dots wins (some IdPs use URLs as claim names). */
export function claimsAt(claims: Claims, path: string): unknown[] {
  if (Object.hasOwn(claims, path)) return [claims[path]];
  let nodes: unknown[] = [claims];
  for (const segment of path.split('.')) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (!isRecord(node)) continue;
      if (segment === '*') next.push(...Object.values(node));
      else if (Object.hasOwn(node, segment)) next.push(node[segment]);
    }
    nodes = next;
  }
  return nodes;
}

function isRecord(value: unknown): value is Claims {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `resource_access[client].roles`, read by key (client ids may contain dots). */
function clientRoles(claims: Claims, clientId: string): unknown[] {
  const access = claims.resource_access;
  if (!isRecord(access) || !Object.hasOwn(access, clientId)) return [];
  const client = access[clientId];
  return isRecord(client) && Object.hasOwn(client, 'roles') ? [client.roles] : [];
}

function roleList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.flatMap((v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : []));
  return undefined;
}

/**
 * Every role the claims carry (deduplicated, in order); undefined when none of the claims read is
 * present at all. Without `rolesClaim`: `realm_access.roles`, the client roles of `clientIds`,
 * `entitlements` and `roles`. `groups` is deliberately not among them: many IdPs let users create
 * groups, so a group named "admin" must not become a role unless the operator says so (`roles_claim: groups`).
 */
export function rolesFromClaims(claims: Claims, reading: ClaimReading = {}): string[] | undefined {
  const values = reading.rolesClaim
    ? claimsAt(claims, reading.rolesClaim)
    : [...claimsAt(claims, 'realm_access.roles'), ...(reading.clientIds ?? []).flatMap((client) => clientRoles(claims, client)), ...claimsAt(claims, 'entitlements'), ...claimsAt(claims, 'roles')];
  let found = false;
  const roles: string[] = [];
  for (const value of values) {
    const list = roleList(value);
    if (!list) continue;
    found = true;
    roles.push(...list);
  }
  return found ? [...new Set(roles)] : undefined;
}

/**
 * The username: the `username_claim` when configured (undefined when the claims lack it: falling
 * back to another claim could name someone else's account), else `preferred_username`, else `sub`.
 */
export function usernameFromClaims(claims: Claims, usernameClaim?: string): string | undefined {
  for (const path of usernameClaim ? [usernameClaim] : DEFAULT_USERNAME_CLAIMS) {
    const [value] = claimsAt(claims, path);
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}
