import { LRUCache } from 'lru-cache';
import type { Db } from '../../db/client';
import { recordTokenUse } from '../../db/tokens';
import type { Logger } from '../log/logger';
import { BatchWriter } from './batch-writer';
import type { UsageRecorder } from './usage';

const MIN_INTERVAL_MS = 60_000;
const FLUSH_INTERVAL_MS = 5_000;

/**
 * Collects token uses and writes them in batches, at most once a minute per token, off the request
 * path; every use is also counted for the token's usage (requests per hour, client addresses).
 */
export class LastUsedRecorder {
  private readonly writer: BatchWriter<{ id: string; at: Date; address: string | null }>;
  private readonly written = new LRUCache<string, number>({ max: 100_000 });

  constructor(
    db: Db,
    logger: Logger,
    private readonly usage?: UsageRecorder,
  ) {
    this.writer = new BatchWriter(
      (batch) => recordTokenUse(db, batch),
      FLUSH_INTERVAL_MS,
      (error, rows) => logger.warn({ err: error, tokens: rows }, 'could not record token use'),
    );
  }

  /** `address` is asked for once, and only when this use is written or counted. */
  record(id: string, address: (() => string | undefined) | undefined): void {
    const now = Date.now();
    const client = this.usage ? address?.() : undefined;
    this.usage?.count(id, client, now);
    if (now - (this.written.peek(id) ?? 0) < MIN_INTERVAL_MS) return;
    this.written.set(id, now);
    this.writer.add(id, { id, at: new Date(now), address: (this.usage ? client : address?.()) ?? null });
  }

  async flush(): Promise<void> {
    await Promise.all([this.writer.flush(), this.usage?.flush()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.writer.close(), this.usage?.close()]);
  }
}
