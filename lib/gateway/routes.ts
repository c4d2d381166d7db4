/**
 * The one table of the gateway's HTTP paths. The core (GatewayHttp) answers them; the custom server
 * (server.ts and its fast path) routes them before Next; `next start` reaches them through one
 * catch-all route (app/api/[...gateway]) and the rewrites of next.config.ts, all derived from here.
 * Plain data: next.config.ts imports it too.
 */

export type GatewayRouteName = 'authenticate' | 'whoami' | 'providers' | 'augmenters' | 'health' | 'health-text' | 'ready' | 'metrics' | 'jwks';

export interface GatewayRoute {
  readonly name: GatewayRouteName;
  /** The exact path (before any query); also the route's metrics label. */
  readonly path: string;
  /**
   * auth-o-tron's path without `/api` (nginx configs written for it keep working): Next reaches it by
   * a rewrite to `path`, the custom server answers it directly.
   */
  readonly legacy?: string;
}

export const GATEWAY_ROUTES: readonly GatewayRoute[] = [
  { name: 'authenticate', path: '/api/authenticate', legacy: '/authenticate' },
  { name: 'whoami', path: '/api/whoami', legacy: '/whoami' },
  { name: 'providers', path: '/api/providers', legacy: '/providers' },
  { name: 'augmenters', path: '/api/augmenters', legacy: '/augmenters' },
  { name: 'health', path: '/api/health' },
  // auth-o-tron's `/health` answers text (probes match the body), ours JSON: two routes, not an alias.
  // The paths outside /api with no /api twin have a route file of their own (app/health, app/.well-known).
  { name: 'health-text', path: '/health' },
  { name: 'ready', path: '/api/ready', legacy: '/ready' },
  { name: 'metrics', path: '/api/metrics', legacy: '/metrics' },
  { name: 'jwks', path: '/.well-known/jwks.json' },
];

/** Envoy's ext_authz checks: `/api/authenticate/<original path>`; its metrics label is `/api/authenticate/*`. */
export const ENVOY_CHECK_PREFIX = '/api/authenticate/';
export const ENVOY_CHECK_LABEL = `${ENVOY_CHECK_PREFIX}*`;

/** Every path a route answers under, with its route (legacy aliases included). */
export const GATEWAY_PATHS: ReadonlyMap<string, GatewayRoute> = new Map(GATEWAY_ROUTES.flatMap((route) => [[route.path, route] as const, ...(route.legacy ? [[route.legacy, route] as const] : [])]));

/** The paths nginx's auth sub-requests ask (auth-o-tron's and ours): the hot path. */
export const AUTHENTICATE_PATHS: ReadonlySet<string> = new Set([...GATEWAY_PATHS].filter(([, route]) => route.name === 'authenticate').map(([path]) => path));

/**
 * auth-o-tron's token-store paths (`store.enabled`), answered by Next's route handlers under
 * `/api/token-store`; `label` is the metrics route label.
 */
export const TOKEN_STORE_ROUTES = [
  { source: '/token', destination: '/api/token-store/token', label: '/token' },
  { source: '/token/:token', destination: '/api/token-store/token/:token', label: '/token/{token}' },
] as const;

/**
 * `GET /tokens` is auth-o-tron's token list and the portal's page (see next.config.ts for how an API
 * client is told apart); `label` as above.
 */
export const TOKEN_LIST = { source: '/tokens', destination: '/api/token-store/tokens', label: '/tokens' } as const;

/** The metrics label of a token-store path, if it is one. */
export function tokenStoreLabel(path: string): string | undefined {
  if (path === TOKEN_LIST.source) return TOKEN_LIST.label;
  for (const route of TOKEN_STORE_ROUTES) {
    const prefix = route.source.replace(/:[a-z]+$/, '');
    if (prefix === route.source ? path === prefix : path.startsWith(prefix)) return route.label;
  }
  return undefined;
}

/** Next's rewrites of the gateway's legacy paths to their `/api` route (the catch-all answers those). */
export function legacyRewrites(): Array<{ source: string; destination: string }> {
  return GATEWAY_ROUTES.flatMap((route) => (route.legacy ? [{ source: route.legacy, destination: route.path }] : []));
}
