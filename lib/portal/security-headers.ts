/** The origin of the configured OIDC issuer, or undefined when there is none (or it does not parse). */
function issuerOrigin(issuer: string | undefined): string | undefined {
  if (!issuer) return undefined;
  try {
    const { origin, protocol } = new URL(issuer);
    return protocol === 'http:' || protocol === 'https:' ? origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Content-Security-Policy of every portal response. Next's inline bootstrap scripts and React's
 * style attributes need 'unsafe-inline' (no nonces here); what this policy is for is framing
 * (clickjacking), `<base>` and form targets, and loading nothing from other origins.
 *
 * Signing in is a form posting to the portal, answered with a redirect to the identity provider;
 * browsers check form-action on that redirect too, so the issuer's origin must be allowed (its
 * authorization endpoint is on the same origin for the IdPs we know of).
 */
export function contentSecurityPolicy(issuer: string | undefined): string {
  const idp = issuerOrigin(issuer);
  return [
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    `form-action 'self'${idp ? ` ${idp}` : ''}`,
    "frame-ancestors 'none'",
  ].join('; ');
}

export type SecurityHeaders = Readonly<Record<string, string>>;

/** Headers sent with every response the portal (Next) answers: pages, portal API, assets and 404s. */
export function portalSecurityHeaders(issuer: string | undefined): SecurityHeaders {
  return Object.freeze({
    'Content-Security-Policy': contentSecurityPolicy(issuer),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    // For browsers without CSP frame-ancestors.
    'X-Frame-Options': 'DENY',
  });
}

/**
 * The headers for the issuer currently configured, built again only when it changes (the demo IdP
 * sets it after the server has started listening).
 */
export function securityHeadersFor(issuerOf: () => string | undefined): () => SecurityHeaders {
  let cached: { issuer: string | undefined; headers: SecurityHeaders } | undefined;
  return () => {
    const issuer = issuerOf();
    if (!cached || cached.issuer !== issuer) cached = { issuer, headers: portalSecurityHeaders(issuer) };
    return cached.headers;
  };
}
