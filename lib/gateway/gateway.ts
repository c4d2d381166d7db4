import type { Logger } from '../log/logger';
import { LogThrottle } from '../log/throttle';
import type { Metrics } from '../metrics/registry';
import { describeError } from '../errors';
import { hasSessionCookie, parseAuthorization, type ParsedAuthorization } from './credentials';
import type { Augmenter, Credential, GatewayRequest, Identity, Provider, ProviderContext, ProviderOutcome, RequestOrigin, User } from './types';

const NEVER_ABORTED = new AbortController().signal;
const UNKNOWN_ORIGIN: RequestOrigin = { clientAddress: () => undefined, fromTrustedProxy: () => false };

export type AuthResult =
  /**
   * `stable`: when set, an object that stands for exactly this user for as long as it lives (the
   * provider's cached identity, no augmenter involved), so work derived from the user can be reused.
   */
  | { kind: 'authenticated'; user: User; stable?: object }
  /** `checked`: some provider verified a secret and found it wrong (a guess), rather than refusing its form. */
  | { kind: 'unauthorized'; reason: string; checked?: boolean }
  | { kind: 'unavailable'; reason: string };

export interface GatewayOptions {
  providers: Provider[];
  augmenters: Augmenter[];
  /** Every scope of the `services` catalog: what a user authenticated directly may do. */
  catalog: Record<string, string[]>;
  timeoutMs: number;
  logger: Logger;
  metrics: Metrics;
}

/** Tries the request's credentials against the providers and completes the winner with augmenters. */
export class Gateway {
  private readonly warnings = new LogThrottle();
  /** Augmenters by realm, in config order. */
  private readonly augmentersByRealm = new Map<string, Augmenter[]>();
  /** The `services` catalog, shared read-only by every user authenticated directly. */
  private readonly catalog: Record<string, string[]>;

  constructor(private readonly options: GatewayOptions) {
    for (const augmenter of options.augmenters) {
      const list = this.augmentersByRealm.get(augmenter.realm) ?? [];
      list.push(augmenter);
      this.augmentersByRealm.set(augmenter.realm, list);
    }
    this.catalog = Object.freeze(Object.fromEntries(Object.entries(options.catalog).map(([service, scopes]) => [service, Object.freeze([...scopes]) as string[]])));
  }

  get providers(): readonly Provider[] {
    return this.options.providers;
  }

  get augmenters(): readonly Augmenter[] {
    return this.options.augmenters;
  }

  async authenticate(request: GatewayRequest, origin: RequestOrigin = UNKNOWN_ORIGIN): Promise<AuthResult> {
    const parsed = credentialsOf(request, origin);
    if (!parsed.ok) return { kind: 'unauthorized', reason: parsed.reason };

    const realm = request.header('x-auth-realm');
    const candidates = this.candidates(parsed.credentials, realm);
    if (candidates.length === 0) return { kind: 'unauthorized', reason: realm === undefined ? 'no provider for these credentials' : `no provider for realm "${realm}"` };
    // A lone attempt is never cut short, so it needs no controller of its own (they are not free).
    const abort = candidates.length > 1 ? new AbortController() : undefined;
    const context = { signal: abort?.signal ?? NEVER_ABORTED, clientAddress: origin.clientAddress };
    const attempts = candidates.map(({ provider, credential }) => ({ provider, outcome: this.attempt(provider, credential, context) }));

    let settled = 0;
    if (abort) for (const attempt of attempts) void attempt.outcome.then(() => (settled += 1));
    try {
      const winner = await firstAcceptedInOrder(attempts);
      if (winner.kind !== 'accepted') return winner;
      return await this.complete(winner.provider, winner.identity);
    } finally {
      // Stop providers still running for a result nobody needs (aborting is not free: only when needed).
      if (abort) {
        await Promise.resolve();
        if (settled < attempts.length) abort.abort();
      }
    }
  }

  private candidates(credentials: Credential[], realm: string | undefined): Array<{ provider: Provider; credential: Credential }> {
    // Config order decides between providers that accept, so the winner is deterministic.
    const candidates = [];
    for (const provider of this.options.providers) {
      if (realm !== undefined && provider.realm !== realm) continue;
      for (const credential of credentials) {
        if (provider.schemes.includes(credential.scheme) && (provider.claims?.(credential) ?? true)) candidates.push({ provider, credential });
      }
    }
    return candidates;
  }

  private async attempt(provider: Provider, credential: Credential, context: ProviderContext): Promise<ProviderOutcome> {
    const outcome = await withTimeout(() => provider.verify(credential, context), this.options.timeoutMs);
    this.options.metrics.providerAttempts(provider.name, provider.type, outcome.status).inc();
    if (outcome.status === 'unavailable') {
      const suppressed = this.warnings.admit(`${provider.name}:${outcome.reason}`);
      if (suppressed !== undefined) this.options.logger.warn({ provider: provider.name, type: provider.type, reason: outcome.reason, suppressed }, 'provider could not answer');
    } else if (outcome.status === 'rejected') this.options.logger.debug({ provider: provider.name, reason: outcome.reason }, 'provider rejected credential');
    return outcome;
  }

  /** The user for an accepted identity, completed by the realm's augmenters (which get copies to change). */
  private async complete(provider: Provider, identity: Identity): Promise<AuthResult> {
    const augmenters = this.augmentersByRealm.get(identity.realm);
    const base = identity.scopes ?? this.catalog;
    const scopes = identity.upstreamScopes?.length ? { ...base, [provider.name]: identity.upstreamScopes } : base;
    const auth = { method: provider.type, provider: provider.name, ...(identity.tokenId ? { token_id: identity.tokenId } : {}) };
    const { username, realm, roles, attributes, expiresAt } = identity;
    if (!augmenters) return { kind: 'authenticated', user: { username, realm, roles, attributes, scopes, expiresAt, auth }, stable: identity };
    const user: User = { username, realm, roles: [...roles], attributes: { ...attributes }, scopes, expiresAt, auth };
    await this.augment(user, augmenters);
    return { kind: 'authenticated', user };
  }

  /** Parallel augmenters first, then sequential ones (they may match roles just added); failures never fail the request. */
  private async augment(user: User, mine: Augmenter[]): Promise<void> {
    const run = async (augmenter: Augmenter) => {
      const controller = new AbortController();
      const result = await withTimeout(async () => {
        await augmenter.augment(user, { signal: controller.signal });
        return { status: 'accepted' as const };
      }, this.options.timeoutMs);
      if (result.status !== 'accepted') controller.abort(); // a slow LDAP search stops here
      const failed = result.status !== 'accepted';
      this.options.metrics.augmenterAttempts(augmenter.name, augmenter.type, failed ? 'error' : 'success').inc();
      if (failed) this.options.logger.warn({ augmenter: augmenter.name, type: augmenter.type, reason: 'reason' in result ? result.reason : '' }, 'augmenter failed; continuing without it');
    };
    await Promise.all(mine.filter((a) => !a.sequential).map(run));
    for (const augmenter of mine.filter((a) => a.sequential)) await run(augmenter);
  }
}

/**
 * The `Authorization` credentials plus the client certificate nginx forwards (`$ssl_client_escaped_cert`).
 * Anyone can send that header, so it only counts from a trusted proxy; nginx sends it empty without a certificate.
 */
function credentialsOf(request: GatewayRequest, origin: RequestOrigin): ParsedAuthorization {
  const forwarded = request.header('x-ssl-client-cert')?.trim();
  const certificate = forwarded && origin.fromTrustedProxy() ? forwarded : undefined;
  const cookie = request.header('cookie');
  // Browsers signed in to the portal carry its session cookie (nginx forwards Cookie to /_auth).
  const extra: Credential[] = [
    ...(certificate ? [{ scheme: 'ClientCert' as const, value: certificate }] : []),
    ...(cookie && hasSessionCookie(cookie) ? [{ scheme: 'Session' as const, value: cookie }] : []),
  ];
  const authorization = request.header('authorization');
  if (extra.length === 0) return parseAuthorization(authorization);
  if (authorization === undefined || authorization.trim() === '') return { ok: true, credentials: extra };
  const parsed = parseAuthorization(authorization);
  return parsed.ok ? { ok: true, credentials: [...parsed.credentials, ...extra] } : parsed;
}

type FirstAccepted = { kind: 'accepted'; provider: Provider; identity: Identity } | Exclude<AuthResult, { kind: 'authenticated' }>;

async function firstAcceptedInOrder(attempts: Array<{ provider: Provider; outcome: Promise<ProviderOutcome> }>): Promise<FirstAccepted> {
  const unavailable: string[] = [];
  let checked = false;
  for (const { provider, outcome } of attempts) {
    const result = await outcome;
    if (result.status === 'accepted') return { kind: 'accepted', provider, identity: result.identity };
    if (result.status === 'unavailable') unavailable.push(provider.name);
    if (result.status === 'rejected' && !result.offline) checked = true;
  }
  // Someone could not answer: the credential may be fine, so say "try again", not "wrong".
  if (unavailable.length > 0) return { kind: 'unavailable', reason: `unavailable: ${unavailable.join(', ')}` };
  return { kind: 'unauthorized', reason: 'no provider accepted the credentials', checked };
}

type TimedOutcome<T> = T | { status: 'unavailable'; reason: string };

/** Runs `task` with a deadline; a throw or a timeout becomes "unavailable" rather than an error. */
function withTimeout<T>(task: () => Promise<T>, ms: number): Promise<TimedOutcome<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ status: 'unavailable', reason: `timed out after ${ms} ms` }), ms);
    const settle = (outcome: TimedOutcome<T>) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    try {
      task().then(settle, (error: unknown) => settle({ status: 'unavailable', reason: describeError(error) }));
    } catch (error) {
      settle({ status: 'unavailable', reason: describeError(error) });
    }
  });
}
