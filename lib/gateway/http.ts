import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/registry';
import type { JwtSigner } from '../jwt/signer';
import type { ClientAddressResolver } from './client-address';
import type { AuthResult, Gateway } from './gateway';
import { normalisePath, type PolicyEngine } from './policies';
import type { GatewayRequest, GatewayResponse, User } from './types';

export interface GatewayHttpOptions {
  gateway: Gateway;
  policies: PolicyEngine;
  signer: JwtSigner;
  addresses: ClientAddressResolver;
  includeLegacyHeaders: boolean;
  /** How long a refusal of presented credentials waits before it is sent (`auth.failure_delay_ms`). */
  failureDelayMs: number;
  /** Resolves when the database answers; rejects otherwise. */
  checkReady: () => Promise<void>;
  metrics: Metrics;
  logger: Logger;
}

const RETRY_AFTER_SECONDS = '5';

type Route = (request: GatewayRequest) => Promise<GatewayResponse>;

/** The gateway's HTTP surface, independent of the server that hosts it (custom Node server or Next route). */
export class GatewayHttp {
  private readonly routes: Record<string, Route>;

  constructor(private readonly options: GatewayHttpOptions) {
    const authenticate: Route = (r) => this.authenticate(r);
    const whoami: Route = (r) => this.whoami(r);
    const providers: Route = async () => json(200, { providers: options.gateway.providers.map(({ name, type, realm }) => ({ name, type, realm: realm ?? null })) });
    const augmenters: Route = async () => json(200, { augmenters: options.gateway.augmenters.map(({ name, type, realm }) => ({ name, type, realm })) });
    const health: Route = async () => json(200, { status: 'ok' });
    this.routes = {
      '/api/authenticate': authenticate,
      '/authenticate': authenticate,
      '/api/whoami': whoami,
      '/whoami': whoami,
      '/api/providers': providers,
      '/providers': providers,
      '/api/augmenters': augmenters,
      '/augmenters': augmenters,
      '/api/health': health,
      '/health': health,
      '/api/ready': () => this.ready(),
      '/api/metrics': () => this.metrics(),
      '/.well-known/jwks.json': async () => json(200, options.signer.jwks(), { 'Cache-Control': 'public, max-age=300' }),
    };
  }

  /** Answers the gateway's paths; null for any other path (the portal's). Never throws. */
  async handle(request: GatewayRequest): Promise<GatewayResponse | null> {
    const route = this.routes[request.path];
    if (!route) return null;
    try {
      return await route(request);
    } catch (error) {
      // Fail closed, but never with a 500: nginx would hide it and the caller could not retry sensibly.
      this.options.logger.error({ err: error, path: request.path }, 'gateway request failed');
      return json(503, { error: 'unavailable', message: 'the gateway could not complete the request' }, { 'Retry-After': RETRY_AFTER_SECONDS });
    }
  }

  private async authenticate(request: GatewayRequest): Promise<GatewayResponse> {
    const started = performance.now();
    const result = await this.authenticateRequest(request);
    let response: GatewayResponse;
    if (result.kind !== 'authenticated') {
      response = await this.failure(request, result);
    } else {
      const decision = this.options.policies.decide(
        {
          method: request.header('x-original-method') ?? request.method,
          host: request.header('x-original-host'),
          path: normalisePath(request.header('x-original-uri')),
        },
        result.user,
      );
      if (request.header('x-original-uri') === undefined) this.warnMissingOriginalUri();
      const denial = decision.allowed ? undefined : { rule: decision.rule, missing: decision.missing };
      // nginx drops the body of an auth sub-request; the header lets it pass the reason on (deploy/nginx).
      response = denial
        ? json(403, { error: 'forbidden', message: 'a policy denies this request', ...denial }, { 'X-Auth-Denied': headerSafe(JSON.stringify(denial)) })
        : await this.success(result.user, result.stable);
      // Per-request lines are debug: at thousands of checks a second, the metrics tell the story.
      this.options.logger.debug({ username: result.user.username, realm: result.user.realm, provider: result.user.auth.provider, status: response.status }, 'authenticated');
    }
    const outcome = response.status === 200 ? 'success' : response.status === 403 ? 'forbidden' : result.kind;
    this.options.metrics.authRequests(outcome, result.kind === 'authenticated' ? result.user.realm : '').inc();
    this.options.metrics.authDuration(outcome).observe((performance.now() - started) / 1000);
    // nginx never reads the body of an auth sub-request, and an unread body stops it reusing the
    // upstream connection: every check would pay a new TCP connection (measured: ~4 × fewer checks/s).
    // A sub-request is the one naming the original request; the headers carry all it needs.
    return request.header('x-original-uri') === undefined ? response : withoutBody(response);
  }

  private warnedMissingUri = false;

  /** Path rules cannot apply without the original URI; say so once rather than fail open silently. */
  private warnMissingOriginalUri(): void {
    if (this.warnedMissingUri || !this.options.policies.hasPathRules) return;
    this.warnedMissingUri = true;
    this.options.logger.warn('X-Original-URI is missing: policies with a path cannot match; set it in the nginx auth location (deploy/nginx)');
  }

  private async whoami(request: GatewayRequest): Promise<GatewayResponse> {
    const result = await this.authenticateRequest(request);
    if (result.kind !== 'authenticated') return await this.failure(request, result);
    const { username, realm, roles, attributes, scopes, auth } = result.user;
    return json(200, { version: 1, username, realm, roles, attributes, scopes, auth });
  }

  private authenticateRequest(request: GatewayRequest): Promise<AuthResult> {
    const { addresses } = this.options;
    return this.options.gateway.authenticate(request, {
      clientAddress: () => addresses.resolve(request.remoteAddress, request.header),
      fromTrustedProxy: () => addresses.isTrusted(request.remoteAddress),
    });
  }

  private async success(user: User, stable: object | undefined): Promise<GatewayResponse> {
    const { token } = await this.options.signer.signOrReuse(user, stable);
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (this.options.includeLegacyHeaders) {
      headers['X-Auth-Username'] = headerSafe(user.username);
      headers['X-Auth-Realm'] = headerSafe(user.realm);
      headers['X-Auth-Roles'] = user.roles.map(headerSafe).join(',');
    }
    return json(200, { authenticated: true, username: user.username, realm: user.realm }, headers);
  }

  private async failure(request: GatewayRequest, result: Exclude<AuthResult, { kind: 'authenticated' }>): Promise<GatewayResponse> {
    // Refusing a checked-and-wrong secret takes a moment, so a client that waits for each answer
    // guesses slowly at the cost of a timer, not CPU. Garbage refused on its form is answered at once.
    if (result.kind === 'unauthorized' && result.checked && this.options.failureDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.options.failureDelayMs));
    }
    if (result.kind === 'unavailable') {
      return json(503, { error: 'unavailable', message: 'an identity provider could not answer; try again' }, { 'Retry-After': RETRY_AFTER_SECONDS });
    }
    this.options.logger.debug({ reason: result.reason }, 'unauthorized');
    return json(401, { error: 'unauthorized', message: 'missing or invalid credentials' }, { 'WWW-Authenticate': this.challenge(request.header('x-auth-realm')) });
  }

  /** One challenge per (scheme, realm), narrowed to the requested realm when it names one we have. */
  private challenge(realm: string | undefined): string {
    const providers = this.options.gateway.providers;
    const inRealm = providers.filter((p) => p.realm === realm);
    const challenges = new Set<string>();
    for (const provider of inRealm.length > 0 ? inRealm : providers) {
      for (const scheme of provider.schemes) {
        if (scheme === 'Other' || scheme === 'ClientCert' || scheme === 'Session') continue; // asked for by TLS or the portal, not by a challenge
        challenges.add(provider.realm ? `${scheme} realm="${quoted(provider.realm)}"` : scheme);
      }
    }
    return challenges.size > 0 ? [...challenges].join(', ') : 'Bearer';
  }

  private async ready(): Promise<GatewayResponse> {
    try {
      await this.options.checkReady();
      return json(200, { status: 'ready', database: 'ok', config: 'loaded' });
    } catch {
      return json(503, { status: 'not ready', database: 'unreachable' }, { 'Retry-After': RETRY_AFTER_SECONDS });
    }
  }

  private async metrics(): Promise<GatewayResponse> {
    const { registry } = this.options.metrics;
    return { status: 200, headers: { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }, body: await registry.metrics() };
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): GatewayResponse {
  return { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

/** The same answer with an empty body: the JWT, challenge, denial and Retry-After are all headers. */
function withoutBody(response: GatewayResponse): GatewayResponse {
  const { 'Content-Type': _json, ...headers } = response.headers;
  return { status: response.status, headers, body: '' };
}

/** Header values must be visible ASCII; anything else is percent-encoded instead of crashing the response. */
export function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

function quoted(value: string): string {
  return headerSafe(value).replace(/["\\]/g, '\\$&');
}
