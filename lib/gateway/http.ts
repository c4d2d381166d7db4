import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/registry';
import type { JwtSigner, SignedToken } from '../jwt/signer';
import type { ClientAddressResolver } from './client-address';
import { authLabels, type AuthResult, type Gateway } from './gateway';
import { andThen, type MaybePromise } from './maybe';
import { CheckOrigin } from './check-origin';
import { ENVOY_CHECK_PREFIX } from './original-request';
import type { PolicyEngine, PolicyDecision } from './policies';
import type { GatewayRequest, GatewayResponse, Provider, User } from './types';

export interface GatewayHttpOptions {
  gateway: Gateway;
  policies: PolicyEngine;
  signer: JwtSigner;
  addresses: ClientAddressResolver;
  /** `server.proxy_secret`: what the proxy's auth location sends to prove a request came from it. */
  proxySecret?: string;
  includeLegacyHeaders: boolean;
  /** How long a refusal of presented credentials waits before it is sent (`auth.failure_delay_ms`). */
  failureDelayMs: number;
  /** Whether the database answers and revocations reach this process; never rejects. */
  checkReady: () => Promise<Readiness>;
  metrics: Metrics;
  logger: Logger;
}

const RETRY_AFTER_SECONDS = '5';

export interface Readiness {
  database: boolean;
  /** The revocation listener's heartbeat comes back; without it a revoked token stays valid until its cache entry expires. */
  revocationListener: boolean;
  /** Why the listener is not receiving. */
  reason?: string;
}

/** The paths nginx's auth sub-requests ask (auth-o-tron's and ours): the hot path. */
export const AUTHENTICATE_PATHS: ReadonlySet<string> = new Set(['/api/authenticate', '/authenticate']);

/** Envoy's checks: `/api/authenticate/<original path>`. */
export { ENVOY_CHECK_PREFIX };

/**
 * Whether a request is an Envoy check, decided on the target as received: once normalised,
 * `/api/authenticate/../health` would be another route's, whose 200 Envoy would take for an allow.
 */
export function isEnvoyCheck(request: GatewayRequest): boolean {
  return (request.target ?? request.path).startsWith(ENVOY_CHECK_PREFIX) || request.path.startsWith(ENVOY_CHECK_PREFIX);
}

type Route = (request: GatewayRequest) => MaybePromise<GatewayResponse>;
const UNAUTHORIZED = { error: 'unauthorized', message: 'missing or invalid credentials' } as const;
const OK: GatewayResponse = { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }, body: 'OK' };
type Decision =
  | PolicyDecision
  | { allowed: false; rule: 'original-request'; reason: string; missing: Record<string, never> }
  | { allowed: false; rule: 'token-restriction'; reason: string; missing: Record<string, never>; restriction: string };
const ALLOWED: Decision = { allowed: true };

/** The gateway's HTTP surface, independent of the server that hosts it (custom Node server or Next route). */
export class GatewayHttp {
  private readonly routes: Record<string, Route>;
  private readonly debugging: boolean;
  /** A 401's headers by realm asked for (`undefined`: none), made once and shared; any other realm gets every provider's challenge. */
  private readonly challenges: Map<string | undefined, Readonly<Record<string, string>>>;
  private readonly everyChallenge: Readonly<Record<string, string>>;
  private readonly authenticateRoute: Route = (r) => this.authenticate(r);

  constructor(private readonly options: GatewayHttpOptions) {
    this.debugging = options.logger.isLevelEnabled('debug');
    const configured = options.gateway.providers;
    const unauthorized = (providers: readonly Provider[]) => Object.freeze({ 'WWW-Authenticate': challengeOf(providers), 'Cache-Control': 'no-store' });
    this.everyChallenge = unauthorized(configured);
    this.challenges = new Map([...new Set(configured.map((p) => p.realm))].map((realm) => [realm, unauthorized(configured.filter((p) => p.realm === realm))]));
    const authenticate = this.authenticateRoute;
    const whoami: Route = (r) => this.whoami(r);
    const providers: Route = async () => json(200, { providers: options.gateway.providers.map(({ name, type, realm }) => ({ name, type, realm: realm ?? null })) });
    const augmenters: Route = async () => json(200, { augmenters: options.gateway.augmenters.map(({ name, type, realm }) => ({ name, type, realm })) });
    const health: Route = async () => json(200, { status: 'ok' });
    const ready: Route = () => this.ready();
    const metrics: Route = () => this.metrics();
    this.routes = {
      ...Object.fromEntries([...AUTHENTICATE_PATHS].map((path) => [path, authenticate])),
      '/api/whoami': whoami,
      '/whoami': whoami,
      '/api/providers': providers,
      '/providers': providers,
      '/api/augmenters': augmenters,
      '/augmenters': augmenters,
      '/api/health': health,
      '/health': async () => OK, // auth-o-tron's: text, for probes that match the body
      '/api/ready': ready,
      '/ready': ready,
      '/api/metrics': metrics,
      '/metrics': metrics,
      '/.well-known/jwks.json': async () => json(200, options.signer.jwks(), { 'Cache-Control': 'public, max-age=300' }),
    };
  }

  /**
   * Answers the gateway's paths; null for any other path (the portal's). Never throws. Synchronous
   * when the answer needs no waiting (cached checks), else a promise.
   */
  handle(request: GatewayRequest): MaybePromise<GatewayResponse | null> {
    // Own keys only: `/constructor` or `/__proto__` must not find an Object.prototype member.
    const route = isEnvoyCheck(request) ? this.authenticateRoute : Object.hasOwn(this.routes, request.path) ? this.routes[request.path] : undefined;
    return route ? this.guarded(route, request) : null;
  }

  /**
   * The metrics route label of a path this class answers (its fixed pattern, never a raw path, so
   * path scans cannot grow the series); undefined for every other path.
   */
  routeOf(path: string): string | undefined {
    if (Object.hasOwn(this.routes, path)) return path;
    for (const prefix of AUTHENTICATE_PATHS) if (path.startsWith(`${prefix}/`)) return `${prefix}/*`;
    return undefined;
  }

  /** Answers an authentication check (`AUTHENTICATE_PATHS`, or under `ENVOY_CHECK_PREFIX`), whatever its path. Never throws. */
  check(request: GatewayRequest): MaybePromise<GatewayResponse> {
    return this.guarded(this.authenticateRoute, request);
  }

  private guarded(route: Route, request: GatewayRequest): MaybePromise<GatewayResponse> {
    try {
      const response = route(request);
      return response instanceof Promise ? response.catch((error: unknown) => this.unexpected(error, request)) : response;
    } catch (error) {
      return this.unexpected(error, request);
    }
  }

  private unexpected(error: unknown, request: GatewayRequest): GatewayResponse {
    // Fail closed, but never with a 500: nginx would hide it and the caller could not retry sensibly.
    this.options.logger.error({ err: error, path: request.path }, 'gateway request failed');
    return json(503, { error: 'unavailable', message: 'the gateway could not complete the request' }, { 'Retry-After': RETRY_AFTER_SECONDS });
  }

  private authenticate(request: GatewayRequest): MaybePromise<GatewayResponse> {
    const started = performance.now();
    const origin = this.originOf(request);
    return andThen(this.options.gateway.authenticate(request, origin), (result) =>
      andThen(this.answer(request, origin, result), (response) => {
        this.options.metrics.auth(...authLabels(result, response.status)).record((performance.now() - started) / 1000);
        return response;
      }),
    );
  }

  private answer(request: GatewayRequest, origin: CheckOrigin, result: AuthResult): MaybePromise<GatewayResponse> {
    // nginx never reads the body of an auth sub-request, and an unread body stops it reusing the
    // upstream connection: every check would pay a new TCP connection (measured: ~4 × fewer checks/s).
    // A sub-request is the one naming the original request the nginx way; its headers carry all it needs.
    const bodiless = request.header('x-original-uri') !== undefined || request.header('x-original-url') !== undefined;
    if (result.kind !== 'authenticated') return this.failure(request, result, bodiless);

    const { user } = result;
    const decision = this.decide(origin, user);
    // Per-request lines are debug (not even built otherwise): at thousands of checks a second, the metrics tell the story.
    if (this.debugging) this.options.logger.debug({ username: user.username, realm: user.realm, provider: user.auth.provider, allowed: decision.allowed }, 'authenticated');
    if (!decision.allowed) {
      const denial = { rule: decision.rule, missing: decision.missing, ...(decision.rule === 'token-restriction' ? { restriction: decision.restriction } : {}) };
      const named = decision.rule === 'original-request' || decision.rule === 'token-restriction';
      const message = named ? decision.reason : 'a policy denies this request';
      const header =
        decision.rule === 'token-restriction'
          ? { rule: decision.rule, restriction: decision.restriction }
          : decision.rule === 'original-request'
            ? { rule: decision.rule, reason: decision.reason }
            : denial;
      // nginx drops the body of an auth sub-request; the header lets it pass the reason on (deploy/nginx).
      return answer(403, { 'X-Auth-Denied': headerSafe(JSON.stringify(header)), 'Cache-Control': 'no-store' }, bodiless, () => ({ error: 'forbidden', message, ...denial }));
    }
    return andThen(this.options.signer.signOrReuse(user, result.stable), (signed) =>
      answer(200, this.allowedHeaders(signed, user), bodiless, () => ({ authenticated: true, username: user.username, realm: user.realm })),
    );
  }

  /**
   * Policies need to know the request being authorised. With rules configured, a check that does not
   * say (or says it from a peer we do not believe, or names a path that cannot be decoded) is refused:
   * a rule must never silently match nothing.
   */
  private decide(origin: CheckOrigin, user: User): Decision {
    const { policies } = this.options;
    const restricted = user.restrictions?.refusal(origin.clientAddress(), origin.original());
    if (restricted) return { allowed: false, rule: 'token-restriction', reason: `outside the token's restriction: ${restricted}`, missing: {}, restriction: restricted };
    if (!policies.active) return ALLOWED;
    const original = origin.original();
    if (!original) return { allowed: false, rule: 'original-request', reason: 'original request unknown', missing: {} };
    if (!original.path.ok) return { allowed: false, rule: 'original-request', reason: `original request refused: ${original.path.reason}`, missing: {} };
    return policies.decide({ method: original.method, host: original.host, path: original.path.path }, user);
  }

  /** The headers of a 200 for one signed JWT: made once per JWT (it stands for one user), frozen and shared. */
  private readonly headersBySignedToken = new WeakMap<SignedToken, Readonly<Record<string, string>>>();

  private allowedHeaders(signed: SignedToken, user: User): Readonly<Record<string, string>> {
    let headers = this.headersBySignedToken.get(signed);
    if (!headers) {
      const made: Record<string, string> = { Authorization: `Bearer ${signed.token}`, 'Cache-Control': 'no-store' };
      if (this.options.includeLegacyHeaders) {
        made['X-Auth-Username'] = headerSafe(user.username);
        made['X-Auth-Realm'] = headerSafe(user.realm);
        made['X-Auth-Roles'] = user.roles.map(headerSafe).join(',');
      }
      headers = Object.freeze(made);
      this.headersBySignedToken.set(signed, headers);
    }
    return headers;
  }

  private whoami(request: GatewayRequest): MaybePromise<GatewayResponse> {
    const origin = this.originOf(request);
    return andThen(this.options.gateway.authenticate(request, origin), (result) => {
      if (result.kind !== 'authenticated') return this.failure(request, result, false);
      const restricted = result.user.restrictions?.refusal(origin.clientAddress(), undefined, true);
      if (restricted) return json(403, { error: 'forbidden', message: `outside the token's restriction: ${restricted}`, rule: 'token-restriction', restriction: restricted });
      const { username, realm, roles, attributes, scopes, auth } = result.user;
      return json(200, { version: 1, username, realm, roles, attributes, scopes, auth });
    });
  }

  private originOf(request: GatewayRequest): CheckOrigin {
    return new CheckOrigin(request, this.options.addresses, this.options.proxySecret);
  }

  private failure(request: GatewayRequest, result: Exclude<AuthResult, { kind: 'authenticated' }>, bodiless: boolean): MaybePromise<GatewayResponse> {
    if (result.kind === 'unavailable') {
      return answer(503, { 'Retry-After': RETRY_AFTER_SECONDS, 'Cache-Control': 'no-store' }, bodiless, () => ({ error: 'unavailable', message: 'an identity provider could not answer; try again' }));
    }
    if (this.debugging) this.options.logger.debug({ reason: result.reason }, 'unauthorized');
    const response = answer(401, this.unauthorizedHeaders(request.header('x-auth-realm')), bodiless, () => UNAUTHORIZED);
    // Refusing a checked-and-wrong secret takes a moment, so a client that waits for each answer
    // guesses slowly at the cost of a timer, not CPU. Garbage refused on its form is answered at once.
    if (!result.checked || this.options.failureDelayMs <= 0) return response;
    return new Promise((resolve) => setTimeout(() => resolve(response), this.options.failureDelayMs));
  }

  /** A 401's headers: one challenge per (scheme, realm), narrowed to the requested realm when it names one we have. */
  private unauthorizedHeaders(realm: string | undefined): Readonly<Record<string, string>> {
    return this.challenges.get(realm) ?? this.everyChallenge;
  }

  private async ready(): Promise<GatewayResponse> {
    const { database, revocationListener, reason } = await this.options.checkReady();
    const body = { database: database ? 'ok' : 'unreachable', revocation_listener: revocationListener ? 'receiving' : 'not receiving' };
    if (database && revocationListener) return json(200, { status: 'ready', ...body, config: 'loaded' });
    return json(503, { status: 'not ready', ...body, ...(reason === undefined ? {} : { message: reason }) }, { 'Retry-After': RETRY_AFTER_SECONDS });
  }

  private async metrics(): Promise<GatewayResponse> {
    const { registry } = this.options.metrics;
    return { status: 200, headers: { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }, body: await registry.metrics() };
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): GatewayResponse {
  return { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

/**
 * An answer to an authentication: JSON for a direct caller, the same status and headers without a
 * body for an auth sub-request (the body is only made when it is sent). `headers` are used as they
 * are (the shared, frozen ones are written once by the server's fast path).
 */
function answer(status: number, headers: Readonly<Record<string, string>>, bodiless: boolean, body: () => unknown): GatewayResponse {
  return bodiless ? { status, headers, body: '' } : json(status, body(), headers);
}

/** The providers' challenges, one per (scheme, realm). */
function challengeOf(providers: readonly Provider[]): string {
  const challenges = new Set<string>();
  for (const provider of providers) {
    for (const scheme of provider.schemes) {
      if (scheme === 'Other' || scheme === 'ClientCert' || scheme === 'Session') continue; // asked for by TLS or the portal, not by a challenge
      challenges.add(provider.realm ? `${scheme} realm="${quoted(provider.realm)}"` : scheme);
    }
  }
  return challenges.size > 0 ? [...challenges].join(', ') : 'Bearer';
}

/** Header values must be visible ASCII; anything else is percent-encoded instead of crashing the response. */
export function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

function quoted(value: string): string {
  return headerSafe(value).replace(/["\\]/g, '\\$&');
}
