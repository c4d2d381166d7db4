import { LRUCache } from 'lru-cache';
import type { MaybePromise } from '../gateway/maybe';

/** The result of one upstream check: `ok` and `rejected` are worth remembering, `unavailable` never is. */
export type Step<T> =
  | { status: 'ok'; value: T /** shorter lifetime than the cache's, e.g. capped by a token's exp */; ttlMs?: number }
  | { status: 'rejected'; reason: string /** shorter than the negative TTL; 0: not remembered (the state behind it may change any time) */; ttlMs?: number }
  | { status: 'unavailable'; reason: string };

export interface CacheOptions {
  /** How long an accepted answer is reused. */
  ttlMs: number;
  /** How long a rejection is reused: short, so a fixed credential works again soon. 0 disables. */
  negativeTtlMs?: number;
  /** Entries kept at most; the least recently used go first. */
  max?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

export const DEFAULT_NEGATIVE_TTL_MS = 10_000;
export const DEFAULT_MAX_ENTRIES = 10_000;

export type Cached<T> = Exclude<Step<T>, { status: 'unavailable' }>;

/**
 * A bounded TTL cache of upstream answers with single-flight fills: concurrent misses for the same
 * credential share one upstream call, different credentials fill concurrently (auth-o-tron's
 * `sync_writes` serialised every miss behind one lock, and its maps had no size limit).
 */
export class SingleFlightCache<T> {
  private readonly entries: LRUCache<string, Cached<T>>;
  private readonly inflight = new Map<string, Promise<Step<T>>>();
  private readonly negativeTtlMs: number;
  /** Bumped by every invalidation: a fill that started before one must not store what it read. */
  private generation = 0;

  constructor(private readonly options: CacheOptions) {
    this.entries = new LRUCache<string, Cached<T>>({
      max: options.max ?? DEFAULT_MAX_ENTRIES,
      ttl: options.ttlMs,
      // An injected clock is read on every check (lru-cache otherwise reuses a reading for 1 ms).
      ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
    });
    this.negativeTtlMs = options.negativeTtlMs ?? DEFAULT_NEGATIVE_TTL_MS;
  }

  /**
   * The cached answer for `key`, or the result of `fill`. A key made from a secret must be its keyed
   * hash (`Credential.key`), never the secret. The fill is shared by every caller waiting on the same key,
   * so it must not depend on one caller's abort signal; `signal` only stops this caller waiting. A
   * remembered answer comes back synchronously.
   */
  get(key: string, fill: () => Promise<Step<T>>, signal?: AbortSignal): MaybePromise<Step<T>> {
    const hit = this.entries.get(key);
    if (hit) return hit;

    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fill(key, fill);
      this.inflight.set(key, pending);
    }
    return signal ? abortable(pending, signal) : pending;
  }

  /** The remembered answer for `key`, if any: never starts a fill. */
  peek(key: string): Cached<T> | undefined {
    return this.entries.get(key);
  }

  /** The keys remembered (tests: none is a secret). */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.generation += 1;
    this.inflight.clear();
    this.entries.clear();
  }

  /**
   * Forgets every accepted answer whose value matches (a revoked token, a disabled owner). Fills under
   * way may have read the state before the change: they answer their own callers but store nothing,
   * and later callers start a fill of their own.
   */
  invalidate(matches: (value: T) => boolean): void {
    this.generation += 1;
    this.inflight.clear();
    const stale: string[] = [];
    this.entries.forEach((entry, key) => {
      if (entry.status === 'ok' && matches(entry.value)) stale.push(key);
    });
    for (const key of stale) this.entries.delete(key);
  }

  private async fill(key: string, fill: () => Promise<Step<T>>): Promise<Step<T>> {
    const generation = this.generation;
    try {
      const step = await fill().catch((error: unknown): Step<T> => ({ status: 'unavailable', reason: error instanceof Error ? error.message : String(error) }));
      if (generation !== this.generation) return step;
      if (step.status === 'ok') {
        const ttl = Math.min(step.ttlMs ?? this.options.ttlMs, this.options.ttlMs);
        if (ttl > 0) this.entries.set(key, step, { ttl });
      } else if (step.status === 'rejected') {
        const ttl = Math.min(step.ttlMs ?? this.negativeTtlMs, this.negativeTtlMs);
        if (ttl > 0) this.entries.set(key, step, { ttl });
      }
      return step;
    } finally {
      if (generation === this.generation) this.inflight.delete(key);
    }
  }
}

function abortable<T>(promise: Promise<Step<T>>, signal: AbortSignal): Promise<Step<T>> {
  if (signal.aborted) return Promise.resolve({ status: 'unavailable', reason: 'aborted' });
  return new Promise((resolve) => {
    const onAbort = () => resolve({ status: 'unavailable', reason: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, () => resolve({ status: 'unavailable', reason: 'cache fill failed' })).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
