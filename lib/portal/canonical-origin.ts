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
  // Only page visits: API clients and the auth callbacks keep the address they used.
  if (!requestOrigin || (method !== 'GET' && method !== 'HEAD') || /^\/(?:api|_next|\.well-known)\//.test(path)) return undefined;
  let canonical: string | undefined;
  if (portalUrl) canonical = new URL(portalUrl).origin;
  else if (!proxied && (requestOrigin === `http://127.0.0.1:${port}` || requestOrigin === `http://[::1]:${port}`)) canonical = `http://localhost:${port}`;
  return canonical && canonical !== requestOrigin ? `${canonical}${path}` : undefined;
}
