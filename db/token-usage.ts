import 'server-only';
import { and, asc, desc, eq, gte, lt, sql } from 'drizzle-orm';
import { chunks, jsonRows, jsonTexts } from './batch';
import type { Db } from './client';
import { tokenUsageAddresses, tokenUsageHours } from './schema';

const HOUR_MS = 3_600_000;
/** How long usage is kept, and what `tokenUsage` covers by default. */
export const USAGE_RETENTION_MS = 30 * 24 * HOUR_MS;
/** Client addresses kept per token. */
export const ADDRESSES_KEPT = 10;

export interface HourCount {
  tokenId: string;
  /** Start of the hour. */
  hour: Date;
  count: number;
}

export interface AddressSeen {
  tokenId: string;
  address: string;
  lastSeen: Date;
}

export interface TokenUsage {
  /** Every hour from `since` (rounded down to the hour) to the current hour, oldest first; 0 where unused. */
  hours: Array<{ hour: string; count: number }>;
  /** The latest client addresses (at most 10), most recent first. */
  addresses: Array<{ address: string; last_seen: string }>;
}

/** A token's requests per hour and latest client addresses, for its page and `GET /api/tokens/<id>/usage`. */
export async function tokenUsage(db: Db, tokenId: string, options: { since?: Date; now?: Date } = {}): Promise<TokenUsage> {
  const now = options.now ?? new Date();
  const since = new Date(Math.floor((options.since ?? new Date(now.getTime() - USAGE_RETENTION_MS)).getTime() / HOUR_MS) * HOUR_MS);
  const [hourRows, addressRows] = await Promise.all([
    db
      .select({ hour: tokenUsageHours.hour, count: tokenUsageHours.count })
      .from(tokenUsageHours)
      .where(and(eq(tokenUsageHours.tokenId, tokenId), gte(tokenUsageHours.hour, since)))
      .orderBy(asc(tokenUsageHours.hour)),
    db
      .select({ address: tokenUsageAddresses.address, lastSeen: tokenUsageAddresses.lastSeen })
      .from(tokenUsageAddresses)
      .where(and(eq(tokenUsageAddresses.tokenId, tokenId), gte(tokenUsageAddresses.lastSeen, since)))
      .orderBy(desc(tokenUsageAddresses.lastSeen))
      .limit(ADDRESSES_KEPT),
  ]);
  const counts = new Map(hourRows.map((row) => [row.hour.getTime(), row.count]));
  const hours: TokenUsage['hours'] = [];
  for (let at = since.getTime(); at <= now.getTime(); at += HOUR_MS) hours.push({ hour: new Date(at).toISOString(), count: counts.get(at) ?? 0 });
  return { hours, addresses: addressRows.map((row) => ({ address: row.address, last_seen: row.lastSeen.toISOString() })) };
}

/** Adds counted requests to their hours (one key at most once per call), a few thousand rows a statement. */
export async function addTokenUsage(db: Db, counts: HourCount[]): Promise<void> {
  for (const chunk of chunks(counts, 1)) {
    await db.execute(sql`
      insert into ${tokenUsageHours} (token_id, hour, count)
      select v."tokenId", v.hour, v.count from ${jsonRows(chunk)} as v("tokenId" text, hour timestamptz, count integer)
      on conflict (token_id, hour) do update set count = ${tokenUsageHours.count} + excluded.count`);
  }
}

/** Records client addresses (one pair at most once per call), then keeps only the latest 10 of each token. */
export async function addTokenAddresses(db: Db, seen: AddressSeen[]): Promise<void> {
  for (const chunk of chunks(seen, 1)) {
    await db.execute(sql`
      insert into ${tokenUsageAddresses} (token_id, address, last_seen)
      select v."tokenId", v.address, v."lastSeen" from ${jsonRows(chunk)} as v("tokenId" text, address text, "lastSeen" timestamptz)
      on conflict (token_id, address) do update set last_seen = greatest(${tokenUsageAddresses.lastSeen}, excluded.last_seen)`);
  }
  const ids = [...new Set(seen.map((s) => s.tokenId))];
  for (const chunk of chunks(ids, 1)) {
    await db.execute(sql`
      delete from ${tokenUsageAddresses} a using (
        select token_id, address, row_number() over (partition by token_id order by last_seen desc, address) as n
        from ${tokenUsageAddresses} where token_id = any(${jsonTexts(chunk)})
      ) r
      where a.token_id = r.token_id and a.address = r.address and r.n > ${ADDRESSES_KEPT}`);
  }
}

/** Drops usage older than the retention period. */
export async function pruneTokenUsage(db: Db, now = new Date()): Promise<void> {
  const before = new Date(now.getTime() - USAGE_RETENTION_MS);
  await db.delete(tokenUsageHours).where(lt(tokenUsageHours.hour, before));
  await db.delete(tokenUsageAddresses).where(lt(tokenUsageAddresses.lastSeen, before));
}
