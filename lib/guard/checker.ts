import { constantTimeEqual, verifySecret } from '../crypto/secrets';
import type { WorkQueue } from '../crypto/work-queue';
import { isAppError } from '../errors';
import type { MaybePromise } from '../gateway/maybe';
import { SingleFlightCache, type Cached, type Step } from '../http/cache';
import type { Lanes } from './lanes';
import { ProvenSecrets } from './proven';
import { Suspects } from './suspects';

/** What a presented secret is compared with. */
export type StoredSecret =
  | { kind: 'argon2'; hash: string }
  /** auth-o-tron's plaintext passwords: compared in constant time. */
  | { kind: 'plaintext'; value: string };

/** What a provider found for a credential (a user, a token) before its secret is checked. */
export type Lookup<T> =
  | {
      status: 'found';
      stored: StoredSecret;
      /** What an accepted check yields (cached as is). */
      value: T;
      /** Shorter than the checker's TTL, e.g. until the token expires. */
      ttlMs?: number;
      /** `false`: the secret is known to be wrong without argon2 (a stored fingerprint does not match). */
      plausible?: boolean;
      /** argon2 has just matched the secret (not a proof remembered): e.g. upgrade what is stored. Must not throw. */
      confirmed?: () => void;
    }
  /** Nothing to check against (unknown user or token): a wrong guess; `decoy` costs what a real check would. */
  | { status: 'absent'; reason: string; decoy?: StoredSecret }
  /** Refused whatever the secret (revoked, expired, owner disabled): neither remembered nor a guess. */
  | { status: 'refused'; reason: string }
  | { status: 'unavailable'; reason: string };

export interface SecretCheck<T> {
  /** `credential.key`: a keyed hash, never the secret. */
  key: string;
  secret: string;
  /** What the secret is for (a username, a token id): refusals count against (address, subject). */
  subject: string;
  /** The client's address; checks without one share a single one. */
  address: string | undefined;
  find: () => MaybePromise<Lookup<T>>;
}

export interface SecretCheckerOptions {
  lanes: Lanes;
  ttlMs: number;
  negativeTtlMs: number;
  max: number;
  /** Called for every argon2 verification started (metrics, tests). */
  onArgon2?: (lane: 'main' | 'narrow') => void;
}

/**
 * The one place a secret is checked, for every provider that holds secrets (plain users, our tokens):
 * - verdicts cached by keyed hash, positive and negative, filled once for concurrent callers, and
 *   answered synchronously from memory;
 * - invalidation by predicate, with a generation guard so a check racing a revocation stores nothing;
 * - argon2 bounded by the lanes: fair shares per client address in the main lane, and the narrow lane
 *   for an address that had a secret refused for this same subject;
 * - secrets argon2 confirmed are remembered against what they matched, so their owner never waits in
 *   the narrow lane and pays no argon2 again while the stored hash stays the same.
 * Providers find the user or token, ask the checker, and map the answer to an identity.
 */
export class SecretChecker<T> {
  /** Verdicts by cache key (read by tests: every key is a keyed hash). */
  readonly verdicts: SingleFlightCache<T>;
  private readonly suspects = new Suspects();
  private readonly proven: ProvenSecrets;

  constructor(private readonly options: SecretCheckerOptions) {
    this.verdicts = new SingleFlightCache<T>({ ttlMs: options.ttlMs, negativeTtlMs: options.negativeTtlMs, max: options.max });
    this.proven = new ProvenSecrets(options.max);
  }

  /** The remembered verdict for `key`, if any: synchronous, starts nothing. */
  peek(key: string): Cached<T> | undefined {
    return this.verdicts.peek(key);
  }

  /** The verdict for a credential: from memory when remembered (synchronously), else checked once for every concurrent caller. */
  check(request: SecretCheck<T>): MaybePromise<Step<T>> {
    return this.verdicts.get(request.key, () => this.fill(request));
  }

  /** Forgets accepted verdicts whose value matches (a revoked token, a disabled owner). */
  invalidate(matches: (value: T) => boolean): void {
    this.verdicts.invalidate(matches);
  }

  clear(): void {
    this.verdicts.clear();
  }

  private async fill(request: SecretCheck<T>): Promise<Step<T>> {
    const address = request.address ?? '';
    const suspect = !this.proven.has(request.key) && this.suspects.has(address, request.subject);
    try {
      // A suspect's whole check (lookup included) holds the narrow lane's one slot, so argon2 runs inside it.
      if (suspect) return await this.options.lanes.narrow.run(() => this.settle(request, address, undefined), address);
      return await this.settle(request, address, this.options.lanes.main);
    } catch (error) {
      if (isAppError(error) && error.code === 'unavailable') return { status: 'unavailable', reason: error.message };
      throw error;
    }
  }

  /** `lane`: where argon2 waits for a core; none when the check already holds the narrow lane's slot. */
  private async settle(request: SecretCheck<T>, address: string, lane: WorkQueue | undefined): Promise<Step<T>> {
    const found = await request.find();
    switch (found.status) {
      case 'unavailable':
        return found;
      case 'refused':
        return { status: 'rejected', reason: found.reason, ttlMs: 0 };
      case 'absent':
        if (found.decoy) await this.matches(found.decoy, request.secret, address, lane);
        return this.wrong(request, address, found.reason);
    }
    const proof = found.stored.kind === 'argon2' ? found.stored.hash : 'plaintext';
    if (!this.proven.has(request.key, proof)) {
      if (found.plausible === false || !(await this.matches(found.stored, request.secret, address, lane))) return this.wrong(request, address, 'wrong secret');
      this.proven.remember(request.key, proof);
      found.confirmed?.();
    }
    return { status: 'ok', value: found.value, ttlMs: found.ttlMs };
  }

  private async matches(stored: StoredSecret, secret: string, address: string, lane: WorkQueue | undefined): Promise<boolean> {
    if (stored.kind === 'plaintext') return constantTimeEqual(stored.value, secret);
    const verify = () => {
      this.options.onArgon2?.(lane ? 'main' : 'narrow');
      return verifySecret(stored.hash, secret);
    };
    return lane ? lane.run(verify, address) : verify();
  }

  private wrong(request: SecretCheck<T>, address: string, reason: string): Step<T> {
    this.suspects.mark(address, request.subject);
    return { status: 'rejected', reason };
  }
}
