import type { Logger } from '../log/logger';
import { LogThrottle } from '../log/throttle';
import { UNKNOWN_REALM, type AugmenterSeries, type Metrics, type ProviderSeries } from '../metrics/registry';
import { describeError } from '../errors';
import { hasSessionCookie, parseAuthorization, presented, type ParsedAuthorization } from './credentials';
import { andThen, isPending, recover, whenPending, type MaybePromise } from './maybe';
import type { Augmenter, Credential, GatewayRequest, Identity, Provider, ProviderContext, ProviderOutcome, RequestOrigin, Scheme, User } from './types';

const NEVER_ABORTED = new AbortController().signal;
const UNKNOWN_ORIGIN: RequestOrigin = { clientAddress: () => undefined, fromAuthProxy: () => false, allowsSession: () => false };

export type AuthResult =
  /**
   * `stable`: when set, an object that stands for exactly this user for as long as it lives (the
   * provider's cached identity, with no augmenter or static ones only), so the answer made for the
   * user can be reused (lib/gateway/answers.ts).
   */
  | { kind: 'authenticated'; user: User; stable?: object }
  /**
   * `checked`: some provider verified a secret and found it wrong (a guess), rather than refusing its form.
   * `cause`: refused before any provider was asked (auth-o-tron's metric results); otherwise all failed.
   */
  | { kind: 'unauthorized'; reason: string; checked?: boolean; cause?: 'no_auth_header' | 'invalid_header' }
  | { kind: 'unavailable'; reason: string };

/**
 * The (result, realm) labels of auth_requests_total for a check answered with `status`: auth-o-tron's
 * values (success, no_auth_header, invalid_header, all_failed; realm "unknown" until a user is known)
 * plus ours: forbidden (a policy denied an authenticated user) and unavailable (503).
 */
export function authLabels(result: AuthResult, status: number): [result: string, realm: string] {
  switch (result.kind) {
    case 'authenticated':
      return [status === 403 ? 'forbidden' : 'success', result.user.realm];
    case 'unauthorized':
      return [result.cause ?? 'all_failed', UNKNOWN_REALM];
    case 'unavailable':
      return ['unavailable', UNKNOWN_REALM];
  }
}

export interface GatewayOptions {
  providers: Provider[];
  augmenters: Augmenter[];
  /** Every scope of the `services` catalog: what a user authenticated directly may do. */
  catalog: Record<string, string[]>;
  /** Drops scopes the roles do not allow (catalog scopes with `roles_any`); absent when none has any. */
  capScopes?: (scopes: Record<string, string[]>, roles: readonly string[]) => Record<string, string[]>;
  timeoutMs: number;
  /** Users disabled in the portal: refused whichever provider vouches for them. */
  isDisabled?: (realm: string, username: string) => boolean;
  logger: Logger;
  metrics: Metrics;
}

/** Tries the request's credentials against the providers and completes the winner with augmenters. */
export class Gateway {
  private readonly warnings = new LogThrottle();
  /** Augmenters by realm: the parallel ones, then the sequential ones, in config order. */
  private readonly augmentersByRealm = new Map<string, { list: Augmenter[]; static: boolean }>();
  /** The `services` catalog, shared read-only by every user authenticated directly. */
  private readonly catalog: Record<string, string[]>;

  /** Per-attempt debug lines are not even built unless debug logging is on (thousands of checks a second). */
  private readonly debugging: boolean;
  /** Each provider's metric series by the scheme it was asked with, made once (and so at zero from the start, as auth-o-tron's). */
  private readonly providerSeries = new Map<Provider, Partial<Record<Scheme, ProviderSeries>>>();
  private readonly augmenterSeries = new Map<Augmenter, AugmenterSeries>();

  constructor(private readonly options: GatewayOptions) {
    this.debugging = options.logger.isLevelEnabled('debug');
    for (const realm of new Set(options.augmenters.map((a) => a.realm))) {
      const mine = options.augmenters.filter((a) => a.realm === realm);
      const list = [...mine.filter((a) => !a.sequential), ...mine.filter((a) => a.sequential)];
      this.augmentersByRealm.set(realm, { list, static: list.every((a) => a.static) });
    }
    this.prepareMetrics();
    this.catalog = Object.freeze(Object.fromEntries(Object.entries(options.catalog).map(([service, scopes]) => [service, Object.freeze([...scopes]) as string[]])));
  }

  /**
   * Series alert rules watch exist at zero before anything happens (`rate(...{result="error"}) > 0`
   * needs a series): auth-o-tron's set — provider and augmenter series from the config, failures
   * with realm "unknown", successes per configured realm — plus our own result values.
   */
  private prepareMetrics(): void {
    const { metrics, providers, augmenters } = this.options;
    for (const provider of providers) {
      const series: Partial<Record<Scheme, ProviderSeries>> = {};
      // auth-o-tron's provider_type is the scheme a provider answers (Basic, Bearer).
      for (const scheme of provider.schemes) series[scheme] = metrics.provider(provider.name, scheme, provider.realm ?? UNKNOWN_REALM);
      this.providerSeries.set(provider, series);
    }
    for (const augmenter of augmenters) this.augmenterSeries.set(augmenter, metrics.augmenter(augmenter.name, augmenter.type, augmenter.realm));
    for (const result of ['no_auth_header', 'invalid_header', 'all_failed', 'unavailable']) metrics.auth(result, UNKNOWN_REALM);
    const realms = new Set([UNKNOWN_REALM, ...providers.map((p) => p.realm ?? UNKNOWN_REALM), ...augmenters.map((a) => a.realm)]);
    for (const realm of realms) for (const result of ['success', 'forbidden']) metrics.auth(result, realm);
  }

  get providers(): readonly Provider[] {
    return this.options.providers;
  }

  get augmenters(): readonly Augmenter[] {
    return this.options.augmenters;
  }

  /**
   * Answers synchronously when every provider it asks answers from memory (the common, cached case);
   * otherwise returns a promise.
   */
  authenticate(request: GatewayRequest, origin: RequestOrigin = UNKNOWN_ORIGIN): MaybePromise<AuthResult> {
    const parsed = credentialsOf(request, origin);
    if (!parsed.ok) {
      const header = request.header('authorization');
      return { kind: 'unauthorized', reason: parsed.reason, cause: header === undefined || header.trim() === '' ? 'no_auth_header' : 'invalid_header' };
    }

    const realm = request.header('x-auth-realm');
    const context = new AttemptContext(() => origin.clientAddress());
    const attempts = this.attemptInOrder(parsed.credentials, realm, context);
    if (attempts.length === 0) return { kind: 'unauthorized', reason: realm === undefined ? 'no provider for these credentials' : `no provider for realm "${realm}"` };
    return andThen(firstAcceptedInOrder(attempts), (first) => {
      context.abort(); // stops providers still running for a result nobody needs
      if (first.kind !== 'accepted') return first;
      if (this.options.isDisabled?.(first.identity.realm, first.identity.username)) return { kind: 'unauthorized', reason: 'user disabled' };
      return this.complete(first.provider, first.identity);
    });
  }

  /**
   * Starts an attempt for every provider that claims a credential, in config order (which decides
   * between providers that accept). An acceptance answered from memory ends the list: no provider
   * after it could win, so they are not even asked to claim.
   */
  private attemptInOrder(credentials: Credential[], realm: string | undefined, context: ProviderContext): Attempt[] {
    const attempts: Attempt[] = [];
    for (const provider of this.options.providers) {
      if (realm !== undefined && provider.realm !== realm) continue;
      for (const credential of credentials) {
        if (!provider.schemes.includes(credential.scheme) || !(provider.claims?.(credential) ?? true)) continue;
        const outcome = this.attempt(provider, credential, context);
        attempts.push({ provider, outcome });
        if (!isPending(outcome) && outcome.status === 'accepted') return attempts;
      }
    }
    return attempts;
  }

  private attempt(provider: Provider, credential: Credential, context: ProviderContext): MaybePromise<ProviderOutcome> {
    const started = performance.now();
    const outcome = recover<ProviderOutcome>(
      () => provider.verify(credential, context),
      (error) => ({ status: 'unavailable', reason: describeError(error) }),
    );
    // Only a provider that has to wait gets a deadline.
    return andThen(
      whenPending(outcome, (pending) => withTimeout(pending, this.options.timeoutMs)),
      (settled) => this.observe(provider, credential.scheme, started, settled),
    );
  }

  private observe(provider: Provider, scheme: Scheme, started: number, outcome: TimedOutcome<ProviderOutcome>): ProviderOutcome {
    const series = this.providerSeries.get(provider)?.[scheme];
    if (series) {
      // auth-o-tron's success/error/timeout, where a refused credential is ours: `rejected`, so `error` means the provider failed.
      const counter = outcome.status === 'accepted' ? series.success : outcome.status === 'rejected' ? series.rejected : 'timedOut' in outcome ? series.timeout : series.error;
      counter.inc();
      series.duration.observe((performance.now() - started) / 1000);
    }
    if (outcome.status === 'unavailable') {
      const suppressed = this.warnings.admit(`${provider.name}:${outcome.reason}`);
      if (suppressed !== undefined) this.options.logger.warn({ provider: provider.name, type: provider.type, reason: outcome.reason, suppressed }, 'provider could not answer');
    } else if (outcome.status === 'rejected' && this.debugging) this.options.logger.debug({ provider: provider.name, reason: outcome.reason }, 'provider rejected credential');
    return outcome;
  }

  /**
   * What an identity no augmenter changes completes to, worked out once per (cached) identity: a
   * cached check then builds no user. Frozen, since every request with that identity shares it.
   */
  private readonly completed = new WeakMap<Identity, AuthResult>();

  /**
   * The user for an accepted identity, completed by the realm's augmenters (which get copies to change).
   * Public for callers that verified a credential with one provider themselves (token introspection).
   */
  complete(provider: Provider, identity: Identity): MaybePromise<AuthResult> {
    const augmenters = this.augmentersByRealm.get(identity.realm);
    if (!augmenters) {
      let result = this.completed.get(identity);
      if (result?.kind !== 'authenticated' || result.user.auth.provider !== provider.name) {
        const user = this.userOf(provider, identity);
        if (this.options.capScopes) user.scopes = this.options.capScopes(user.scopes, user.roles);
        result = Object.freeze({ kind: 'authenticated', user: Object.freeze(user), stable: identity });
        this.completed.set(identity, result);
      }
      return result;
    }
    const user = this.userOf(provider, identity);
    user.roles = [...identity.roles];
    user.attributes = { ...identity.attributes };
    // Scopes are capped by the roles the user ends up with (the owner's sign-in roles plus augmenters).
    const capScopes = () => {
      if (this.options.capScopes) user.scopes = this.options.capScopes(user.scopes, user.roles);
    };
    // Static augmenters make the same user of the same identity: it still stands for the answer.
    if (augmenters.static) {
      const complete = this.augmentNow(user, augmenters.list);
      capScopes();
      return complete ? { kind: 'authenticated', user, stable: identity } : { kind: 'authenticated', user };
    }
    return this.augment(user, augmenters.list).then(() => {
      capScopes();
      return { kind: 'authenticated', user };
    });
  }

  private userOf(provider: Provider, identity: Identity): User {
    const base = identity.scopes ?? this.catalog;
    const scopes = identity.upstreamScopes?.length ? { ...base, [provider.name]: identity.upstreamScopes } : base;
    const auth = { method: provider.type, provider: provider.name, ...(identity.tokenId ? { token_id: identity.tokenId } : {}) };
    const { username, realm, roles, attributes, expiresAt, restrictions } = identity;
    return { username, realm, roles, attributes, scopes, expiresAt, auth, restrictions };
  }

  /** Disabled in the portal: refused whichever provider vouches for them. */
  isDisabled(user: Pick<User, 'realm' | 'username'>): boolean {
    return this.options.isDisabled?.(user.realm, user.username) ?? false;
  }

  /** The roles a user ends up with once their realm's augmenters ran: what a token of theirs carries. */
  async rolesOf(identity: Pick<Identity, 'username' | 'realm' | 'roles' | 'attributes'>): Promise<string[]> {
    const augmenters = this.augmentersByRealm.get(identity.realm);
    if (!augmenters) return [...identity.roles];
    const { username, realm } = identity;
    const user: User = { username, realm, roles: [...identity.roles], attributes: { ...identity.attributes }, scopes: {}, auth: { method: 'roles', provider: 'roles' } };
    await this.augment(user, augmenters.list);
    return user.roles;
  }

  /** Static augmenters, at once, in order; false when one failed (the user is then one-off, not to be cached). */
  private augmentNow(user: User, mine: Augmenter[]): boolean {
    let complete = true;
    for (const augmenter of mine) {
      const started = performance.now();
      let failed = false;
      try {
        if (isPending(augmenter.augment(user, { signal: NEVER_ABORTED }))) throw new Error('a static augmenter answered later');
      } catch (error) {
        failed = true;
        complete = false;
        this.options.logger.warn({ augmenter: augmenter.name, type: augmenter.type, reason: describeError(error) }, 'augmenter failed; continuing without it');
      }
      this.countAugmenter(augmenter, started, failed);
    }
    return complete;
  }

  private countAugmenter(augmenter: Augmenter, started: number, failed: boolean): void {
    const series = this.augmenterSeries.get(augmenter);
    if (!series) return;
    (failed ? series.error : series.success).inc();
    series.duration.observe((performance.now() - started) / 1000);
  }

  /** Parallel augmenters first, then sequential ones (they may match roles just added); failures never fail the request. */
  private async augment(user: User, mine: Augmenter[]): Promise<void> {
    const run = async (augmenter: Augmenter) => {
      const started = performance.now();
      const controller = new AbortController();
      const result = await withTimeout(
        (async () => {
          await augmenter.augment(user, { signal: controller.signal });
          return { status: 'accepted' as const };
        })(),
        this.options.timeoutMs,
      );
      if (result.status !== 'accepted') controller.abort(); // a slow LDAP search stops here
      const failed = result.status !== 'accepted';
      this.countAugmenter(augmenter, started, failed);
      if (failed) this.options.logger.warn({ augmenter: augmenter.name, type: augmenter.type, reason: 'reason' in result ? result.reason : '' }, 'augmenter failed; continuing without it');
    };
    await Promise.all(mine.filter((a) => !a.sequential).map(run));
    for (const augmenter of mine.filter((a) => a.sequential)) await run(augmenter);
  }
}

/**
 * The `Authorization` credentials plus the client certificate nginx forwards (`$ssl_client_escaped_cert`).
 * Anyone can send that header, so it only counts when proven to come from the proxy's auth location;
 * nginx sends it empty without a certificate.
 */
function credentialsOf(request: GatewayRequest, origin: RequestOrigin): ParsedAuthorization {
  const forwarded = request.header('x-ssl-client-cert')?.trim();
  const certificate = forwarded && origin.fromAuthProxy() ? forwarded : undefined;
  const cookie = request.header('cookie');
  const authorization = request.header('authorization');
  // Browsers signed in to the portal carry its session cookie (nginx forwards Cookie to its browser auth location).
  const session = cookie !== undefined && hasSessionCookie(cookie) && origin.allowsSession();
  if (!certificate && !session) return parseAuthorization(authorization);
  const extra: Credential[] = [...(certificate ? [presented('ClientCert', certificate)] : []), ...(session ? [presented('Session', cookie)] : [])];
  if (authorization === undefined || authorization.trim() === '') return { ok: true, credentials: extra };
  const parsed = parseAuthorization(authorization);
  return parsed.ok ? { ok: true, credentials: [...parsed.credentials, ...extra] } : parsed;
}

/** What the attempts of one request share; the abort signal is made only if a provider asks for it (cached answers never do), so aborting costs nothing otherwise. */
class AttemptContext implements ProviderContext {
  private controller: AbortController | undefined;

  constructor(readonly clientAddress: () => string | undefined) {}

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  abort(): void {
    this.controller?.abort();
  }
}

interface Attempt {
  provider: Provider;
  outcome: MaybePromise<ProviderOutcome>;
}

type FirstAccepted = { kind: 'accepted'; provider: Provider; identity: Identity } | Exclude<AuthResult, { kind: 'authenticated' }>;

/** The first acceptance in config order; waits only at an attempt that is still running. */
function firstAcceptedInOrder(attempts: Attempt[], from = 0, seen = { unavailable: [] as string[], checked: false }): MaybePromise<FirstAccepted> {
  for (let i = from; i < attempts.length; i++) {
    const attempt = attempts[i];
    if (!attempt) continue;
    const { provider, outcome } = attempt;
    if (isPending(outcome)) return outcome.then((settled) => accepted(provider, settled, seen) ?? firstAcceptedInOrder(attempts, i + 1, seen));
    const found = accepted(provider, outcome, seen);
    if (found) return found;
  }
  // Someone could not answer: the credential may be fine, so say "try again", not "wrong".
  if (seen.unavailable.length > 0) return { kind: 'unavailable', reason: `unavailable: ${seen.unavailable.join(', ')}` };
  return { kind: 'unauthorized', reason: 'no provider accepted the credentials', checked: seen.checked };
}

/** The acceptance in `outcome`, if it is one; otherwise notes what the refusal says. */
function accepted(provider: Provider, outcome: ProviderOutcome, seen: { unavailable: string[]; checked: boolean }): FirstAccepted | undefined {
  if (outcome.status === 'accepted') return { kind: 'accepted', provider, identity: outcome.identity };
  if (outcome.status === 'unavailable') seen.unavailable.push(provider.name);
  if (outcome.status === 'rejected' && !outcome.offline) seen.checked = true;
  return undefined;
}

/** `timedOut`: the deadline passed (auth-o-tron's `timeout` result), rather than the provider failing. */
type TimedOutcome<T> = T | { status: 'unavailable'; reason: string; timedOut?: true };

/** Waits for `pending` until a deadline; a throw or a timeout becomes "unavailable" rather than an error. */
function withTimeout<T>(pending: Promise<T>, ms: number): Promise<TimedOutcome<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ status: 'unavailable', reason: `timed out after ${ms} ms`, timedOut: true }), ms);
    const settle = (outcome: TimedOutcome<T>) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    pending.then(settle, (error: unknown) => settle({ status: 'unavailable', reason: describeError(error) }));
  });
}
