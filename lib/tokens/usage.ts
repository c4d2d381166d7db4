import type { Db } from '../../db/client';
import { ADDRESSES_KEPT, addTokenAddresses, addTokenUsage, pruneTokenUsage, type AddressSeen, type HourCount } from '../../db/token-usage';
import type { Logger } from '../log/logger';
import { BatchWriter } from './batch-writer';

const HOUR_MS = 3_600_000;
const FLUSH_INTERVAL_MS = 10_000;
const PRUNE_INTERVAL_MS = HOUR_MS;

/**
 * Counts each token's requests per hour and its latest client addresses in memory, and adds them to
 * the database in batches (never a write per request); usage older than 30 days is pruned hourly.
 */
export class UsageRecorder {
  private readonly hours: BatchWriter<HourCount>;
  private readonly addresses: BatchWriter<AddressSeen>;
  /**
   * The addresses waiting per token, in the order first seen: more than 10 would only be deleted again
   * (past 10 new addresses in one flush interval, the first seen makes room, even if seen again since).
   */
  private readonly waiting = new Map<string, string[]>();
  private readonly pruner: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {
    const failed = (what: string) => (error: unknown, rows: number) => logger.warn({ err: error, rows }, `could not record token ${what}`);
    this.hours = new BatchWriter((batch) => addTokenUsage(db, batch), FLUSH_INTERVAL_MS, failed('usage'));
    this.addresses = new BatchWriter(
      (batch) => {
        this.waiting.clear();
        return addTokenAddresses(db, batch);
      },
      FLUSH_INTERVAL_MS,
      failed('addresses'),
    );
    this.pruner = setInterval(() => void this.prune(), PRUNE_INTERVAL_MS);
    this.pruner.unref();
  }

  count(tokenId: string, address: string | undefined, now = Date.now()): void {
    const hourStart = now - (now % HOUR_MS);
    const key = `${tokenId}\n${hourStart}`;
    const waiting = this.hours.peek(key);
    if (waiting) waiting.count += 1;
    else this.hours.add(key, { tokenId, hour: new Date(hourStart), count: 1 });
    if (address) this.seen(tokenId, address, now);
  }

  private seen(tokenId: string, address: string, now: number): void {
    const key = `${tokenId}\n${address}`;
    const row = this.addresses.peek(key);
    if (row) return void (row.lastSeen = new Date(now));
    // Only new pairs take this path, so a burst from many addresses is bounded per token.
    const order = this.waiting.get(tokenId) ?? [];
    if (order.length >= ADDRESSES_KEPT) {
      const oldest = order.shift();
      if (oldest !== undefined) this.addresses.delete(`${tokenId}\n${oldest}`);
    }
    order.push(address);
    this.waiting.set(tokenId, order);
    this.addresses.add(key, { tokenId, address, lastSeen: new Date(now) });
  }

  async prune(): Promise<void> {
    await pruneTokenUsage(this.db).catch((error: unknown) => this.logger.warn({ err: error }, 'could not prune token usage'));
  }

  async flush(): Promise<void> {
    await Promise.all([this.hours.flush(), this.addresses.flush()]);
  }

  async close(): Promise<void> {
    clearInterval(this.pruner);
    await Promise.all([this.hours.close(), this.addresses.close()]);
  }
}
