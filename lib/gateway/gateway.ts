import type { Logger } from '../log/logger';
import { LogThrottle } from '../log/throttle';
import type { Metrics } from '../metrics/registry';
import { describeError } from '../errors';
import { hasSessionCookie, parseAuthorization, type ParsedAuthorization } from './credentials';
import type { Augmenter, Credential, GatewayRequest, Provider, ProviderOutcome, User } from './types';

const NEVER_ABORTED = new AbortController().signal;

export type AuthResult =
  | { kind: 'authenticated'; user: User }
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

interface Attempt {
  provider: Provider;
  outcome: Promise<ProviderOutcome>;
}

/** Tries the request's credentials against the providers and completes the winner with augmenters. */
export class Gateway {
  private readonly warnings = new LogThrottle();

  constructor(private readonly options: GatewayOptions) {}

  get providers(): readonly Provider[] {
    return this.options.providers;
  }

  get augmenters(): readonly Augmenter[] {
    return this.options.augmenters;
  }

  /** `fromTrustedProxy`: the direct peer is in `server.trusted_proxies`, so its `X-SSL-Client-Cert` is believed. */
  async authenticate(request: GatewayRequest, clientAddress: string | undefined, fromTrustedProxy = false): Promise<AuthResult> {
    const parsed = credentialsOf(request, fromTrustedProxy);
    if (!parsed.ok) return { kind: 'unauthorized', reason: parsed.reason };

    const realm = request.header('x-auth-realm');
    const candidates = this.candidates(parsed.credentials, realm);
    // A lone attempt is never cut short, so it needs no controller of its own (they are not free).
    const abort = candidates.length > 1 ? new AbortController() : undefined;
    const signal = abort?.signal ?? NEVER_ABORTED;
    const attempts = candidates.map(({ provider, credential }) => ({
      provider,
      outcome: this.attempt(provider, credential, signal, clientAddress),
    }));
    if (attempts.length === 0) return { kind: 'unauthorized', reason: realm === undefined ? 'no provider for these credentials' : `no provider for realm "${realm}"` };

    let settled = 0;
    if (abort) for (const attempt of attempts) void attempt.outcome.then(() => (settled += 1));
    try {
      const winner = await firstAcceptedInOrder(attempts);
      if (winner.kind !== 'authenticated') return winner;
      await this.augment(winner.user);
      return winner;
    } finally {
      // Stop providers still running for a result nobody needs (aborting is not free: only when needed).
      if (abort) {
        await Promise.resolve();
        if (settled < attempts.length) abort.abort();
      }
    }
  }

  private candidates(credentials: Credential[], realm: string | undefined) {
    // Config order decides between providers that accept, so the winner is deterministic.
    return this.options.providers.flatMap((provider) =>
      realm !== undefined && provider.realm !== realm
        ? []
        : credentials.filter((c) => provider.schemes.includes(c.scheme)).map((credential) => ({ provider, credential })),
    );
  }

  private async attempt(provider: Provider, credential: Credential, signal: AbortSignal, clientAddress: string | undefined): Promise<User | ProviderOutcome> {
    const outcome = await withTimeout(
      () => provider.verify(credential, { signal, clientAddress }),
      this.options.timeoutMs,
    );
    this.options.metrics.providerAttempts(provider.name, provider.type, outcome.status).inc();
    if (outcome.status === 'unavailable') {
      const suppressed = this.warnings.admit(`${provider.name}:${outcome.reason}`);
      if (suppressed !== undefined) this.options.logger.warn({ provider: provider.name, type: provider.type, reason: outcome.reason, suppressed }, 'provider could not answer');
    }
    else if (outcome.status === 'rejected') this.options.logger.debug({ provider: provider.name, reason: outcome.reason }, 'provider rejected credential');
    if (outcome.status !== 'accepted') return outcome;

    const { identity } = outcome;
    const scopes = identity.scopes ?? copyCatalog(this.options.catalog);
    if (identity.upstreamScopes?.length) scopes[provider.name] = identity.upstreamScopes;
    return {
      username: identity.username,
      realm: identity.realm,
      roles: [...identity.roles],
      attributes: { ...identity.attributes },
      scopes,
      expiresAt: identity.expiresAt,
      auth: { method: provider.type, provider: provider.name, ...(identity.tokenId ? { token_id: identity.tokenId } : {}) },
    };
  }

  /** Parallel augmenters first, then sequential ones (they may match roles just added); failures never fail the request. */
  private async augment(user: User): Promise<void> {
    const mine = this.options.augmenters.filter((a) => a.realm === user.realm);
    if (mine.length === 0) return;
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

function copyCatalog(catalog: Record<string, string[]>): Record<string, string[]> {
  const copy: Record<string, string[]> = {};
  for (const [service, scopes] of Object.entries(catalog)) copy[service] = [...scopes];
  return copy;
}

/**
 * The `Authorization` credentials plus the client certificate nginx forwards (`$ssl_client_escaped_cert`).
 * Anyone can send that header, so it only counts from a trusted proxy; nginx sends it empty without a certificate.
 */
function credentialsOf(request: GatewayRequest, fromTrustedProxy: boolean): ParsedAuthorization {
  const certificate = fromTrustedProxy ? request.header('x-ssl-client-cert')?.trim() : undefined;
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

async function firstAcceptedInOrder(attempts: Array<{ provider: Provider; outcome: Promise<User | ProviderOutcome> }>): Promise<AuthResult> {
  const unavailable: string[] = [];
  let checked = false;
  for (const { provider, outcome } of attempts) {
    const result = await outcome;
    if ('username' in result) return { kind: 'authenticated', user: result };
    if (result.status === 'unavailable') unavailable.push(provider.name);
    if (result.status === 'rejected' && !result.offline) checked = true;
  }
  // Someone could not answer: the credential may be fine, so say "try again", not "wrong".
  if (unavailable.length > 0) return { kind: 'unavailable', reason: `unavailable: ${unavailable.join(', ')}` };
  return { kind: 'unauthorized', reason: 'no provider accepted the credentials', checked };
}

type TimedOutcome<T> = T | { status: 'unavailable'; reason: string };

/** Runs `task` with a deadline; a throw or a timeout becomes "unavailable" rather than an error. */
async function withTimeout<T>(task: () => Promise<T>, ms: number): Promise<TimedOutcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<TimedOutcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'unavailable', reason: `timed out after ${ms} ms` }), ms);
  });
  try {
    return await Promise.race([task().catch((error: unknown) => ({ status: 'unavailable' as const, reason: describeError(error) })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
