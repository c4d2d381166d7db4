import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { requestJson } from '../http/client';
import type { Logger } from '../log/logger';

/** GitHub's published signing keys: `GET https://api.github.com/meta/public_keys/secret_scanning`. */
const keysAnswer = z.object({
  public_keys: z.array(z.object({ key_identifier: z.string().min(1), key: z.string().min(1), is_current: z.boolean().optional() })),
});

export interface GithubKeysOptions {
  url: string;
  timeoutMs: number;
  /** How long fetched keys are used before they are fetched again. */
  ttlMs: number;
  /** An unknown identifier refetches the keys, at most this often: alerts naming made-up keys cannot make us hammer GitHub. */
  refetchMs: number;
  logger: Logger;
}

/** `unavailable`: no keys could be fetched at all (the alert should be retried, not refused). */
export type KeyLookup = { status: 'found'; key: KeyObject } | { status: 'unknown' } | { status: 'unavailable' };

/** The keys alerts are signed with, cached, refreshed after `ttlMs` or (bounded) on an identifier not seen yet; one fetch at a time. */
export class GithubKeys {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private fetching: Promise<void> | undefined;

  constructor(private readonly options: GithubKeysOptions) {}

  async find(identifier: string): Promise<KeyLookup> {
    const now = Date.now();
    const stale = now - this.fetchedAt >= this.options.ttlMs;
    const unknown = !this.keys.has(identifier);
    if ((stale || unknown) && now - this.attemptedAt >= this.options.refetchMs) await this.refresh();
    const key = this.keys.get(identifier);
    if (key) return { status: 'found', key };
    return this.keys.size === 0 ? { status: 'unavailable' } : { status: 'unknown' };
  }

  private refresh(): Promise<void> {
    this.fetching ??= this.fetch().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  private async fetch(): Promise<void> {
    this.attemptedAt = Date.now();
    const answer = await requestJson({ url: this.options.url, schema: keysAnswer, timeoutMs: this.options.timeoutMs });
    if (!answer.ok) return void this.options.logger.warn({ reason: answer.detail }, 'secret scanning: could not fetch the GitHub signing keys');
    const keys = new Map<string, KeyObject>();
    for (const entry of answer.data.public_keys) {
      try {
        keys.set(entry.key_identifier, createPublicKey(entry.key));
      } catch {
        this.options.logger.warn({ key_identifier: entry.key_identifier }, 'secret scanning: a published key is not a PEM public key');
      }
    }
    // A failed or empty fetch keeps the keys we had.
    if (keys.size === 0) return;
    this.keys = keys;
    this.fetchedAt = Date.now();
  }
}
