import { LRUCache } from 'lru-cache';
import type { Db } from '../../db/client';
import { recordTokenUse } from '../../db/tokens';
import type { Logger } from '../log/logger';
import { BatchWriter } from './batch-writer';

const MIN_INTERVAL_MS = 60_000;
const FLUSH_INTERVAL_MS = 5_000;

/** Collects token uses and writes them in batches, at most once a minute per token, off the request path. */
export class LastUsedRecorder {
  private readonly writer: BatchWriter<{ id: string; at: Date; address: string | null }>;
  private readonly written = new LRUCache<string, number>({ max: 100_000 });

  constructor(db: Db, logger: Logger) {
    this.writer = new BatchWriter(
      (batch) => recordTokenUse(db, batch),
      FLUSH_INTERVAL_MS,
      (error, rows) => logger.warn({ err: error, tokens: rows }, 'could not record token use'),
    );
  }

  /** `address` is asked for only when this use will be written. */
  record(id: string, address: (() => string | undefined) | undefined): void {
    const now = Date.now();
    if (now - (this.written.peek(id) ?? 0) < MIN_INTERVAL_MS) return;
    this.written.set(id, now);
    this.writer.add(id, { id, at: new Date(now), address: address?.() ?? null });
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
