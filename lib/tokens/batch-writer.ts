/**
 * Collects rows by key and writes them together, every `intervalMs` and at close, off the request
 * path: a later row for the same key replaces the earlier one (or `peek` finds it to update in place).
 * A failed write is reported and dropped. The write function splits a large batch into statements
 * (db/batch.ts): a burst can collect more rows than one statement may carry parameters for.
 */
export class BatchWriter<T> {
  private pending = new Map<string, T>();
  private flushes = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly write: (batch: T[]) => Promise<void>,
    intervalMs: number,
    private readonly onError: (error: unknown, rows: number) => void,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  add(key: string, row: T): void {
    this.pending.set(key, row);
  }

  /** Changes at every flush: a row kept from `add` or `peek` is still waiting only while this is unchanged. */
  get generation(): number {
    return this.flushes;
  }

  /** The row waiting under `key`, if any: changing it changes what the next flush writes. */
  peek(key: string): T | undefined {
    return this.pending.get(key);
  }

  delete(key: string): void {
    this.pending.delete(key);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushes += 1;
    try {
      await this.write(batch);
    } catch (error) {
      this.onError(error, batch.length);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
