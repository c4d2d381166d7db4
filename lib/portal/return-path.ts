/**
 * Stands in for the portal's origin when a caller does not know it. The result is a path, so it does
 * not depend on the origin it was resolved against as long as the scheme is special (http/https):
 * browsers resolve a `Location` path the same way against the real origin.
 */
const PLACEHOLDER_ORIGIN = 'http://portal.invalid';

/** Longer than any path the portal links to; a bound keeps hostile inputs cheap to refuse. */
const MAX_LENGTH = 2048;

/**
 * Characters the URL parser would silently drop or rewrite (tab, CR, LF, other controls), or that are
 * not valid in a Location header (which would make the page answer 500): refused rather than cleaned,
 * so what is checked is what the browser gets. A plain space is allowed: it is percent-encoded.
 */
const UNSAFE_CHARS = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\\]|(?! )\p{Zs}/u;

function parse(value: string, base: string): URL | undefined {
  try {
    return new URL(value, base);
  } catch {
    return undefined;
  }
}

/**
 * Where to go after signing in: only a path on this site, so the parameter cannot become an open
 * redirect. The value is resolved with the WHATWG URL parser (as a browser would) against `origin`
 * and kept only if it stays on that origin; the answer is the resolved path, query and fragment.
 * Never throws: anything else gives `fallback`.
 */
export function safeReturnPath(value: unknown, fallback = '/tokens', origin: string = PLACEHOLDER_ORIGIN): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH || UNSAFE_CHARS.test(value)) return fallback;
  const base = parse(origin, PLACEHOLDER_ORIGIN);
  if (!base || (base.protocol !== 'http:' && base.protocol !== 'https:')) return fallback;
  // A path, or an absolute URL on this very origin (next-auth hands its redirect callback those).
  if (!value.startsWith('/') && !value.startsWith(`${base.origin}/`)) return fallback;
  const resolved = parse(value, base.origin);
  if (!resolved || resolved.origin !== base.origin) return fallback;
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  // Dot segments can leave a path starting `//` (`/.//evil.example`), which a browser reads as another host.
  if (!path.startsWith('/') || path.startsWith('//')) return fallback;
  // What is returned must mean the same thing when the browser resolves it again.
  if (parse(path, base.origin)?.href !== resolved.href) return fallback;
  return path;
}
