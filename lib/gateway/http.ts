import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/registry';
import type { JwtSigner, SignedToken } from '../jwt/signer';
import type { ClientAddressResolver } from './client-address';
import { authLabels, type AuthResult, type Gateway } from './gateway';
import { prepareHeaders, preparedAnswer, StableAnswers, type PreparedHeaders } from './answers';
import { andThen, recover, type MaybePromise } from './maybe';
import { CheckOrigin } from './check-origin';
import { pathRefusal, unknownPart, type OriginalPart } from './original-request';
import { ENVOY_CHECK_LABEL, ENVOY_CHECK_PREFIX, GATEWAY_PATHS, type GatewayRouteName } from './routes';
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
  /** `metrics.app_port`: false answers /metrics and /api/metrics with 404 (they are then on the metrics listener only). */
  metricsOnAppPort: boolean;
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

/**
 * Whether a request is an Envoy check, decided on the target as received: once normalised,
 * `/api/authenticate/../health` would be another route's, whose 200 Envoy would take for an allow.
 */
export function isEnvoyCheck(request: GatewayRequest): boolean {
  return (request.target ?? request.path).startsWith(ENVOY_CHECK_PREFIX) || request.path.startsWith(ENVOY_CHECK_PREFIX);
}

type Route = (request: GatewayRequest) => MaybePromise<GatewayResponse>;
const UNAUTHORIZED = { error: 'unauthorized', message: 'missing or invalid credentials' } as const;
// As Next's 404 for a path it does not know: no body, so the route's existence is not advertised.
const NOT_FOUND: GatewayResponse = { status: 404, headers: { 'Cache-Control': 'no-store' }, body: '' };
const OK: GatewayResponse = { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }, body: 'OK' };
type Decision =
  | Exclude<PolicyDecision, { unknown: OriginalPart }>
  | { allowed: false; rule: 'original-request'; reason: string; missing: Record<string, never> }
  | { allowed: false; rule: 'token-restriction'; reason: string; missing: Record<string, never>; restriction: string };
const ALLOWED: Decision = { allowed: true };
const UNKNOWN_ORIGINAL: Decision = { allowed: false, rule: 'original-request', reason: 'original request unknown', missing: {} };
const UNAVAILABLE_HEADERS = prepareHeaders({ 'Retry-After': RETRY_AFTER_SECONDS, 'Cache-Control': 'no-store' });

/** The gateway's HTTP surface, independent of the server that hosts it (custom Node server or Next route). */
export class GatewayHttp {
  /** By exact path (a Map: `/constructor` or `/__proto__` finds nothing). */
  private readonly routes: ReadonlyMap<string, Route>;
  private readonly debugging: boolean;
  /** A 401's headers by realm asked for (`undefined`: none), made once and shared; any other realm gets every provider's challenge. */
  private readonly challenges: Map<string | undefined, PreparedHeaders>;
  private readonly everyChallenge: PreparedHeaders;
  private readonly authenticateRoute: Route = (r) => this.authenticate(r);

  constructor(private readonly options: GatewayHttpOptions) {
    this.debugging = options.logger.isLevelEnabled('debug');
    const configured = options.gateway.providers;
    const unauthorized = (providers: readonly Provider[]) => prepareHeaders({ 'WWW-Authenticate': challengeOf(providers), 'Cache-Control': 'no-store' });
    this.everyChallenge = unauthorized(configured);
    this.challenges = new Map([...new Set(configured.map((p) => p.realm))].map((realm) => [realm, unauthorized(configured.filter((p) => p.realm === realm))]));
    const byName: Record<GatewayRouteName, Route> = {
      authenticate: this.authenticateRoute,
      whoami: (r) => this.whoami(r),
      providers: async () => json(200, { providers: options.gateway.providers.map(({ name, type, realm }) => ({ name, type, realm: realm ?? null })) }),
      augmenters: async () => json(200, { augmenters: options.gateway.augmenters.map(({ name, type, realm }) => ({ name, type, realm })) }),
      health: async () => json(200, { status: 'ok' }),
      'health-text': async () => OK,
      ready: () => this.ready(),
      metrics: options.metricsOnAppPort ? () => this.metrics() : async () => NOT_FOUND,
      jwks: async () => json(200, options.signer.jwks(), { 'Cache-Control': 'public, max-age=300' }),
    };
    this.routes = new Map([...GATEWAY_PATHS].map(([path, route]) => [path, byName[route.name]]));
  }

  /**
   * Answers the gateway's paths; null for any other path (the portal's). Never throws. Synchronous
   * when the answer needs no waiting (cached checks), else a promise.
   */
  handle(request: GatewayRequest): MaybePromise<GatewayResponse | null> {
    const route = isEnvoyCheck(request) ? this.authenticateRoute : this.routes.get(request.path);
    return route ? this.guarded(route, request) : null;
  }

  /**
   * The metrics route label of a path this class answers (its fixed pattern, never a raw path, so
   * path scans cannot grow the series); undefined for every other path.
   */
  routeOf(path: string): string | undefined {
    if (this.routes.has(path)) return path;
    return path.startsWith(ENVOY_CHECK_PREFIX) ? ENVOY_CHECK_LABEL : undefined;
  }

  /** Answers an authentication check (`AUTHENTICATE_PATHS`, or under `ENVOY_CHECK_PREFIX`), whatever its path. Never throws. */
  check(request: GatewayRequest): MaybePromise<GatewayResponse> {
    return this.guarded(this.authenticateRoute, request);
  }

  private guarded(route: Route, request: GatewayRequest): MaybePromise<GatewayResponse> {
    return recover(
      () => route(request),
      (error) => this.unexpected(error, request),
    );
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
      return answer(403, { headers: { 'X-Auth-Denied': headerSafe(JSON.stringify(header)), 'Cache-Control': 'no-store' } }, bodiless, () => ({ error: 'forbidden', message, ...denial }));
    }
    const allowed = (headers: PreparedHeaders) => answer(200, headers, bodiless, () => ({ authenticated: true, username: user.username, realm: user.realm }));
    const known = this.answers.get(result.stable);
    if (known) return allowed(known.headers);
    const signed = this.options.signer.signOrReuse(user);
    return allowed(this.answers.remember(result.stable, { signed, headers: this.allowedHeaders(signed, user) }).headers);
  }

  /**
   * Policies need to know the request being authorised. With rules configured, a check that does not
   * say (or says it from a peer we do not believe, or names a path that cannot be decoded) is refused:
   * a rule must never silently match nothing.
   */
  private decide(origin: CheckOrigin, user: User): Decision {
    const { policies } = this.options;
    const restricted = user.restrictions?.refusal(origin.clientAddress(), origin.original());
    if (typeof restricted === 'object') return unknownOriginal(origin, restricted.unknown);
    if (restricted) return { allowed: false, rule: 'token-restriction', reason: `outside the token's restriction: ${restricted}`, missing: {}, restriction: restricted };
    if (!policies.active) return ALLOWED;
    const original = origin.original();
    if (!original) return UNKNOWN_ORIGINAL;
    if (!original.path.ok) return { allowed: false, rule: 'original-request', reason: pathRefusal(original.path), missing: {} };
    const decision = policies.decide({ method: original.method, host: original.host, path: original.path.path }, user);
    return 'unknown' in decision ? unknownOriginal(origin, decision.unknown) : decision;
  }

  /** What a 200 is made of, by the stable identity it stands for (the fast path's one cache). */
  private readonly answers = new StableAnswers<{ signed: SignedToken; headers: PreparedHeaders }>(({ signed }) => this.options.signer.reusable(signed));

  private allowedHeaders(signed: SignedToken, user: User): PreparedHeaders {
    const headers: Record<string, string> = { Authorization: `Bearer ${signed.token}`, 'Cache-Control': 'no-store' };
    if (this.options.includeLegacyHeaders) {
      headers['X-Auth-Username'] = headerSafe(user.username);
      headers['X-Auth-Realm'] = headerSafe(user.realm);
      headers['X-Auth-Roles'] = user.roles.map(headerSafe).join(',');
    }
    return prepareHeaders(headers);
  }

  private whoami(request: GatewayRequest): MaybePromise<GatewayResponse> {
    const origin = this.originOf(request);
    return andThen(this.options.gateway.authenticate(request, origin), (result) => {
      if (result.kind !== 'authenticated') return this.failure(request, result, false);
      const restricted = result.user.restrictions?.identityRefusal(origin.clientAddress());
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
      return answer(503, UNAVAILABLE_HEADERS, bodiless, () => ({ error: 'unavailable', message: 'an identity provider could not answer; try again' }));
    }
    if (this.debugging) this.options.logger.debug({ reason: result.reason }, 'unauthorized');
    const response = answer(401, this.unauthorizedHeaders(request.header('x-auth-realm')), bodiless, () => UNAUTHORIZED);
    // Refusing a checked-and-wrong secret takes a moment, so a client that waits for each answer
    // guesses slowly at the cost of a timer, not CPU. Garbage refused on its form is answered at once.
    if (!result.checked || this.options.failureDelayMs <= 0) return response;
    return new Promise((resolve) => setTimeout(() => resolve(response), this.options.failureDelayMs));
  }

  /** A 401's headers: one challenge per (scheme, realm), narrowed to the requested realm when it names one we have. */
  private unauthorizedHeaders(realm: string | undefined): PreparedHeaders {
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

/** A rule or restriction needs a part of the original request that the proxy did not name. */
function unknownOriginal(origin: CheckOrigin, part: OriginalPart): Decision {
  const original = origin.original();
  return { allowed: false, rule: 'original-request', reason: original ? unknownPart(original, part) : 'original request unknown', missing: {} };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): GatewayResponse {
  return { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

/**
 * An answer to an authentication: JSON for a direct caller, the same status and headers without a
 * body for an auth sub-request (the body is only made when it is sent). Prepared headers are shared
 * as they are, their lines written once; others (a 403's reason) are written for this answer.
 */
function answer(status: number, headers: PreparedHeaders | { headers: Record<string, string>; lines?: undefined }, bodiless: boolean, body: () => unknown): GatewayResponse {
  if (!bodiless) return json(status, body(), headers.headers);
  return headers.lines === undefined ? { status, headers: headers.headers, body: '' } : preparedAnswer(status, headers, '');
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
