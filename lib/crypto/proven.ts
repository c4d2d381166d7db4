import { LRUCache } from 'lru-cache';

const PROVEN_TTL_MS = 60 * 60_000;

/**
 * Credentials whose secret argon2 confirmed, by their keyed cache key, with the stored hash they
 * matched. When a provider's verdict cache expires, such a credential needs no argon2 again and never
 * waits in the suspect lane: guesses against a username or token id cannot lock its owner out.
 * Bounded, and the keys are keyed hashes, never secrets.
 */
export class ProvenSecrets {
  private readonly entries: LRUCache<string, string>;

  constructor(max: number) {
    this.entries = new LRUCache({ max, ttl: PROVEN_TTL_MS });
  }

  /** Whether `key` was confirmed, against `storedHash` when given (a proof against another hash counts for nothing). */
  has(key: string, storedHash?: string): boolean {
    const proven = this.entries.get(key);
    return proven !== undefined && (storedHash === undefined || proven === storedHash);
  }

  remember(key: string, storedHash: string): void {
    this.entries.set(key, storedHash);
  }
}
