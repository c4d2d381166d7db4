/** A request the portal may answer, as the custom server sees it once untrusted forwarding headers are gone. */
export interface PortalVisit {
  /** {@link publicOrigin} of its headers. */
  requestOrigin: string | undefined;
  /** Its origin is a trusted proxy's X-Forwarded-Host (a client's never reaches this far). */
  proxied: boolean;
  method: string | undefined;
  /** Path and query, as received. */
  path: string;
}

export interface CanonicalOriginOptions {
  portalUrl: string | undefined;
  /** `server.host` as listened on (`0.0.0.0` or `::` for every address). */
  listenHost: string;
  /** The port listened on (known only once listening: port 0 in tests). */
  port: () => number;
  /** Told once, when an origin is adopted without `portal.url`. */
  adopted: (origin: string) => void;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * The one origin the portal is signed in at. The IdP sends the browser back to the callback URL
 * registered for it, and the session cookie belongs to one host: sign-in started at another name
 * for the same server (127.0.0.1 for localhost, a bare IP for the DNS name) would end on a
 * `redirect_uri` mismatch or a cookie the other host cannot read. Only page visits are sent
 * elsewhere: API clients (SCIM provisioning too) and the auth callbacks keep the address they used.
 *
 * With `portal.url`, every other origin is sent there. Without it, the first origin a page is served
 * at becomes canonical for this process, but only an origin a client cannot choose: one a trusted
 * proxy forwarded, or the address the server listens on (`server.host`; for a loopback address,
 * `localhost`). A Host header sent straight to a server listening on every address is the client's
 * word: adopting it would let whoever asks first send every later visitor to a host of their choosing
 * (or to their own `localhost`). Until something is adopted, a visit made directly at a loopback IP
 * goes to `localhost` on the same port (Next and next-auth disagree about 127.x hosts).
 */
export class CanonicalOrigin {
  private readonly configured: string | undefined;
  private adoptedOrigin: string | undefined;

  constructor(private readonly options: CanonicalOriginOptions) {
    this.configured = options.portalUrl ? new URL(options.portalUrl).origin : undefined;
  }

  /** Where to send this visit first; undefined: serve it (and adopt its origin when it is the first that may be). */
  redirect(visit: PortalVisit): string | undefined {
    const { requestOrigin, method, path } = visit;
    if (!requestOrigin || (method !== 'GET' && method !== 'HEAD') || /^\/(?:api|_next|\.well-known|scim)\//.test(path)) return undefined;
    const port = this.options.port();
    const canonical = this.configured ?? this.adoptedOrigin ?? (visit.proxied ? undefined : localhostFor(requestOrigin, port));
    if (canonical) return canonical === requestOrigin ? undefined : `${canonical}${path}`;
    if (visit.proxied || requestOrigin === listeningOrigin(this.options.listenHost, port)) {
      this.adoptedOrigin = requestOrigin;
      this.options.adopted(requestOrigin);
    }
    return undefined;
  }
}

/** `localhost` for a loopback IP address on this port (`http://127.0.0.1:3000`, `http://[::1]:3000`). */
function localhostFor(origin: string, port: number): string | undefined {
  return origin === `http://127.0.0.1:${port}` || origin === `http://[::1]:${port}` ? `http://localhost:${port}` : undefined;
}

/** The origin of the address listened on, as the loopback rule names it; none when listening on every address. */
function listeningOrigin(host: string, port: number): string | undefined {
  if (host === '0.0.0.0' || host === '::') return undefined;
  if (LOOPBACK_HOSTS.has(host)) return `http://localhost:${port}`;
  try {
    return new URL(`http://${host.includes(':') ? `[${host}]` : host}:${port}`).origin;
  } catch {
    return undefined;
  }
}

type HeaderSource = Pick<Headers, 'get'> | Record<string, string | string[] | undefined>;

function firstHeader(headers: HeaderSource, name: string): string | undefined {
  const value = typeof headers.get === 'function' ? (headers as Pick<Headers, 'get'>).get(name) : (headers as Record<string, string | string[] | undefined>)[name];
  return (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim() || undefined;
}

/**
 * The origin the client addressed (behind a proxy, its forwarded host and scheme, as next-auth reads
 * them: the custom server removes both from any peer outside `server.trusted_proxies`); undefined
 * when the headers do not make one. Fetch `Headers` or Node's.
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
