/**
 * Lookups asked in the same turn of the event loop go to the database as one statement: a burst of
 * first uses (a new replica, a deploy: thousands of cold tokens a second) costs one round trip per
 * batch instead of one per token, which was a large share of a cold token's CPU on both sides. A key
 * waits at most until the end of the current turn (setImmediate), never for a timer.
 */
export class BatchedLookup<K, V> {
  private pending: Map<K, Array<{ resolve: (value: V | undefined) => void; reject: (error: unknown) => void }>> | undefined;

  constructor(
    private readonly fetch: (keys: K[]) => Promise<ReadonlyMap<K, V>>,
    /** At most this many keys a statement; more wait for the next one, started at once. */
    private readonly maxBatch = 500,
  ) {}

  load(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      if (!this.pending) {
        this.pending = new Map();
        setImmediate(() => this.flush());
      }
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = undefined;
    if (!batch) return;
    const keys = [...batch.keys()];
    for (let start = 0; start < keys.length; start += this.maxBatch) {
      const chunk = keys.slice(start, start + this.maxBatch);
      this.fetch(chunk).then(
        (found) => {
          for (const key of chunk) for (const waiter of batch.get(key) ?? []) waiter.resolve(found.get(key));
        },
        (error: unknown) => {
          for (const key of chunk) for (const waiter of batch.get(key) ?? []) waiter.reject(error);
        },
      );
    }
  }
}
