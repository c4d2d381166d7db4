import { LRUCache } from 'lru-cache';

const PROVEN_TTL_MS = 60 * 60_000;

/**
 * Credentials whose secret argon2 confirmed, by their keyed cache key, with what they matched (the
 * stored hash). When a verdict expires, such a credential is looked up again (revocation, expiry,
 * owner) but needs no argon2 and never waits in the narrow lane, from whichever address it comes.
 * Bounded, and the keys are keyed hashes, never secrets.
 */
export class ProvenSecrets {
  private readonly entries: LRUCache<string, string>;

  constructor(max: number) {
    this.entries = new LRUCache({ max, ttl: PROVEN_TTL_MS });
  }

  /** Whether `key` was confirmed, against `proof` when given (a proof against another hash counts for nothing). */
  has(key: string, proof?: string): boolean {
    const proven = this.entries.get(key);
    return proven !== undefined && (proof === undefined || proven === proof);
  }

  remember(key: string, proof: string): void {
    this.entries.set(key, proof);
  }
}
