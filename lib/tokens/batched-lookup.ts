/**
 * Lookups asked in the same turn of the event loop go to the database as one statement: a burst of
 * first uses (a new replica, a deploy: thousands of cold tokens a second) costs one round trip per
 * batch instead of one per token, which was a large share of a cold token's CPU on both sides. A key
 * waits at most until the end of the current turn (setImmediate), never for a timer, unless
 * `maxInFlight` statements are already out: then it joins the next batch, sent as soon as one of
 * them returns. Under load the batches grow by themselves; when idle nothing waits.
 */
export class BatchedLookup<K, V> {
  private pending: Map<K, Array<{ resolve: (value: V | undefined) => void; reject: (error: unknown) => void }>> | undefined;
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly fetch: (keys: K[]) => Promise<ReadonlyMap<K, V>>,
    /** At most this many keys a statement; more wait for the next one, started at once. */
    private readonly maxBatch = 500,
    private readonly maxInFlight = 2,
  ) {}

  load(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      this.pending ??= new Map();
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (!this.scheduled && this.inFlight < this.maxInFlight) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          if (this.inFlight < this.maxInFlight) this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    if (!batch) return;
    const keys = [...batch.keys()].slice(0, this.maxBatch);
    if (keys.length === batch.size) this.pending = undefined;
    const sent = new Map(keys.map((key) => [key, batch.get(key) ?? []] as const));
    if (this.pending) for (const key of keys) batch.delete(key);
    this.inFlight += 1;
    this.fetch(keys)
      .then(
        (found) => {
          for (const [key, waiters] of sent) for (const waiter of waiters) waiter.resolve(found.get(key));
        },
        (error: unknown) => {
          for (const waiters of sent.values()) for (const waiter of waiters) waiter.reject(error);
        },
      )
      .finally(() => {
        this.inFlight -= 1;
        if (this.pending && !this.scheduled) this.flush();
      });
    // More keys than one statement carries: the rest go at once, while statements may be out.
    if (this.pending && this.inFlight < this.maxInFlight) this.flush();
  }
}
