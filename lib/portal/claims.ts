import { type ClaimReading, rolesFromClaims, usernameFromClaims } from '../claims';

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

/**
 * Normalises a profile, or says why it cannot be used: no subject (nothing to key the user on), or
 * no configured `username_claim` (any other claim could be someone else's username).
 */
export function portalProfileFrom(claims: Claims, reading: ClaimReading = {}): PortalProfile | { refused: string } {
  const sub = text(claims.sub);
  if (!sub) return { refused: 'the identity provider sent no subject (sub)' };
  const username = usernameFromClaims(claims, reading.usernameClaim);
  if (!username) return { refused: `the identity provider sent no "${reading.usernameClaim ?? 'sub'}" claim, the configured username_claim` };
  return { sub, username, email: text(claims.email), name: text(claims.name), roles: rolesFromClaims(claims, reading) ?? [] };
}
