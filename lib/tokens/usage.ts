import type { Db } from '../../db/client';
import { ADDRESSES_KEPT, addTokenAddresses, addTokenUsage, pruneTokenUsage, type HourCount } from '../../db/token-usage';
import type { Logger } from '../log/logger';
import { BatchWriter } from './batch-writer';

const HOUR_MS = 3_600_000;
const FLUSH_INTERVAL_MS = 10_000;
const PRUNE_INTERVAL_MS = HOUR_MS;

interface Seen {
  tokenId: string;
  address: string;
  lastSeenMs: number;
}

/** The rows a token's latest use went to: the next use in the same hour from the same address only bumps them. */
interface Latest {
  hours: number;
  hour: HourCount;
  hourStart: number;
  addresses: number;
  seen: Seen | undefined;
}

/**
 * Counts each token's requests per hour and its latest client addresses in memory, and adds them to
 * the database in batches (never a write per request); usage older than 30 days is pruned hourly.
 * This runs on every accepted token check: the common case (same token, hour and address as its
 * previous use) is one map lookup and two increments.
 */
export class UsageRecorder {
  private readonly hours: BatchWriter<HourCount>;
  private readonly addresses: BatchWriter<Seen>;
  private readonly latest = new Map<string, Latest>();
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
    this.hours = new BatchWriter(
      (batch) => {
        this.latest.clear();
        return addTokenUsage(db, batch);
      },
      FLUSH_INTERVAL_MS,
      failed('usage'),
    );
    this.addresses = new BatchWriter(
      (batch) => {
        this.waiting.clear();
        return addTokenAddresses(
          db,
          batch.map((s) => ({ tokenId: s.tokenId, address: s.address, lastSeen: new Date(s.lastSeenMs) })),
        );
      },
      FLUSH_INTERVAL_MS,
      failed('addresses'),
    );
    this.pruner = setInterval(() => void this.prune(), PRUNE_INTERVAL_MS);
    this.pruner.unref();
  }

  count(tokenId: string, address: string | undefined, now = Date.now()): void {
    let latest = this.latest.get(tokenId);
    const hourStart = now - (now % HOUR_MS);
    if (!latest || latest.hourStart !== hourStart || latest.hours !== this.hours.generation) {
      latest = { hours: this.hours.generation, hour: this.hourRow(tokenId, hourStart), hourStart, addresses: -1, seen: undefined };
      this.latest.set(tokenId, latest);
    }
    latest.hour.count += 1;
    if (!address) return;
    if (latest.seen?.address === address && latest.addresses === this.addresses.generation) latest.seen.lastSeenMs = now;
    else {
      latest.seen = this.seen(tokenId, address, now);
      latest.addresses = this.addresses.generation;
    }
  }

  private hourRow(tokenId: string, hourStart: number): HourCount {
    const key = `${tokenId}\n${hourStart}`;
    const waiting = this.hours.peek(key);
    if (waiting) return waiting;
    const row = { tokenId, hour: new Date(hourStart), count: 0 };
    this.hours.add(key, row);
    return row;
  }

  private seen(tokenId: string, address: string, now: number): Seen {
    const key = `${tokenId}\n${address}`;
    const waiting = this.addresses.peek(key);
    if (waiting) {
      waiting.lastSeenMs = now;
      return waiting;
    }
    // Only new pairs take this path, so a burst from many addresses is bounded per token.
    const order = this.waiting.get(tokenId) ?? [];
    if (order.length >= ADDRESSES_KEPT) {
      const oldest = order.shift();
      if (oldest !== undefined) this.addresses.delete(`${tokenId}\n${oldest}`);
    }
    order.push(address);
    this.waiting.set(tokenId, order);
    const row = { tokenId, address, lastSeenMs: now };
    this.addresses.add(key, row);
    return row;
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
