import { rolesFromClaims, usernameFromClaims } from '../claims';

export { rolesFromClaims };

/** What the portal keeps from an identity provider's profile (ID token claims or userinfo). */
export interface PortalProfile {
  sub: string;
  username: string;
  email: string | null;
  name: string | null;
  roles: string[];
}

type Claims = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

/** Normalises a profile; null when it has no subject (nothing to key the user on). */
export function portalProfileFrom(claims: Claims, rolesClaim?: string, usernameClaim?: string): PortalProfile | null {
  const sub = text(claims.sub);
  if (!sub) return null;
  return {
    sub,
    username: usernameFromClaims(claims, usernameClaim) ?? sub,
    email: text(claims.email),
    name: text(claims.name),
    roles: rolesFromClaims(claims, rolesClaim) ?? [],
  };
}
