/**
 * The one origin the portal is signed in at. The IdP sends the browser back to the callback URL
 * registered for it, and the session cookie belongs to one host: sign-in started at another name
 * for the same server (127.0.0.1 for localhost, a bare IP for the DNS name) would end on a
 * `redirect_uri` mismatch or a cookie the other host cannot read.
 *
 * With `portal.url`, every other origin is sent there. Without it only the case the README's demo
 * address meets: the server reached directly (no proxy in front) at a loopback IP goes to
 * `localhost` on the same port (Next and next-auth disagree about 127.x hosts).
 */
export function canonicalRedirect(options: {
  portalUrl: string | undefined;
  port: number;
  requestOrigin: string | undefined;
  proxied: boolean;
  method: string | undefined;
  path: string;
}): string | undefined {
  const { portalUrl, port, requestOrigin, proxied, method, path } = options;
  // Only page visits: API clients (SCIM provisioning too) and the auth callbacks keep the address they used.
  if (!requestOrigin || (method !== 'GET' && method !== 'HEAD') || /^\/(?:api|_next|\.well-known|scim)\//.test(path)) return undefined;
  let canonical: string | undefined;
  if (portalUrl) canonical = new URL(portalUrl).origin;
  else if (!proxied && (requestOrigin === `http://127.0.0.1:${port}` || requestOrigin === `http://[::1]:${port}`)) canonical = `http://localhost:${port}`;
  return canonical && canonical !== requestOrigin ? `${canonical}${path}` : undefined;
}

type HeaderSource = Pick<Headers, 'get'> | Record<string, string | string[] | undefined>;

function firstHeader(headers: HeaderSource, name: string): string | undefined {
  const value = typeof headers.get === 'function' ? (headers as Pick<Headers, 'get'>).get(name) : (headers as Record<string, string | string[] | undefined>)[name];
  return (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim() || undefined;
}

/**
 * The origin the client addressed (behind a proxy, its forwarded host and scheme: the server trusts
 * them, as next-auth does); undefined when the headers do not make one. Fetch `Headers` or Node's.
 */
export function publicOrigin(headers: HeaderSource): string | undefined {
  const host = firstHeader(headers, 'x-forwarded-host') ?? firstHeader(headers, 'host');
  const proto = firstHeader(headers, 'x-forwarded-proto') ?? 'http';
  if (!host || (proto !== 'http' && proto !== 'https')) return undefined;
  try {
    return new URL(`${proto}://${host}`).origin;
  } catch {
    return undefined;
  }
}

/** The portal's own origin for links it hands out (post-logout redirect, SCIM locations): `portal.url` when set, else the one the client addressed. */
export function portalOrigin(portalUrl: string | undefined, headers: HeaderSource): string | undefined {
  return portalUrl ? new URL(portalUrl).origin : publicOrigin(headers);
}
