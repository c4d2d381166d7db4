import { LRUCache } from 'lru-cache';
import type { Db } from '../../db/client';
import { recordTokenUse } from '../../db/tokens';
import type { Logger } from '../log/logger';

const MIN_INTERVAL_MS = 60_000;
const FLUSH_INTERVAL_MS = 5_000;

/** Collects token uses and writes them in batches, at most once a minute per token, off the request path. */
export class LastUsedRecorder {
  private pending = new Map<string, { id: string; at: Date; address: string | null }>();
  private readonly written = new LRUCache<string, number>({ max: 100_000 });
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** `address` is asked for only when this use will be written. */
  record(id: string, address: (() => string | undefined) | undefined): void {
    const now = Date.now();
    if (now - (this.written.peek(id) ?? 0) < MIN_INTERVAL_MS) return;
    this.written.set(id, now);
    this.pending.set(id, { id, at: new Date(now), address: address?.() ?? null });
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await recordTokenUse(this.db, batch);
    } catch (error) {
      this.logger.warn({ err: error, tokens: batch.length }, 'could not record token use');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
