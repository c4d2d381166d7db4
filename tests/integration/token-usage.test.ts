import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@/db/client';
import { tokenUsageAddresses, tokenUsageHours } from '@/db/schema';
import { pruneTokenUsage, tokenUsage } from '@/db/token-usage';
import { createLogger } from '@/lib/log/logger';
import { LastUsedRecorder } from '@/lib/tokens/last-used';
import { UsageRecorder } from '@/lib/tokens/usage';
import { createPostgresDatabase, DATABASE_KINDS, type TestDatabase } from '../support/postgres';

const HOUR = 3_600_000;
const logger = createLogger({ level: 'silent', format: 'json' });

// Usage counted in memory and written in batches, read back the way the token page and the API read it.
describe.each(DATABASE_KINDS)('token usage (%s)', (kind) => {
  let postgres: TestDatabase | undefined;
  let database: Database;
  let usage: UsageRecorder;

  beforeAll(async () => {
    postgres = kind === 'postgres' ? await createPostgresDatabase() : undefined;
    database = await openDatabase({ url: postgres?.url, path: 'memory://' });
    usage = new UsageRecorder(database.db, logger);
  });
  afterAll(async () => {
    await usage?.close();
    await database?.close();
    await postgres?.drop();
  });

  it('counts every use per hour, across flushes, without a write per use', async () => {
    const lastUsed = new LastUsedRecorder(database.db, logger, usage);
    const now = Date.now();
    for (let i = 0; i < 25; i++) usage.count('counted', '192.0.2.1', now - 2 * HOUR);
    for (let i = 0; i < 7; i++) lastUsed.record('counted', () => '192.0.2.2');
    // Nothing is written per request: only the flush writes.
    expect((await tokenUsage(database.db, 'counted')).hours.every((h) => h.count === 0)).toBe(true);
    await usage.flush();
    for (let i = 0; i < 3; i++) lastUsed.record('counted', () => '192.0.2.2');
    await usage.flush();

    const { hours, addresses } = await tokenUsage(database.db, 'counted');
    expect(hours).toHaveLength(30 * 24 + 1); // every hour of 30 days, the current one included
    const counted = hours.filter((h) => h.count > 0);
    expect(counted).toEqual([
      { hour: new Date(now - 2 * HOUR - ((now - 2 * HOUR) % HOUR)).toISOString(), count: 25 },
      { hour: new Date(now - (now % HOUR)).toISOString(), count: 10 },
    ]);
    expect(addresses.map((a) => a.address)).toEqual(['192.0.2.2', '192.0.2.1']);
  });

  it('keeps the latest 10 client addresses, most recent first', async () => {
    const now = Date.now();
    for (let i = 1; i <= 14; i++) {
      usage.count('addresses', `198.51.100.${i}`, now + i);
      if (i % 5 === 0) await usage.flush();
    }
    await usage.flush();
    const { addresses } = await tokenUsage(database.db, 'addresses');
    expect(addresses.map((a) => a.address)).toEqual(Array.from({ length: 10 }, (_, i) => `198.51.100.${14 - i}`));
    const [stored] = await database.db.select({ n: sql<number>`count(*)::integer` }).from(tokenUsageAddresses).where(sql`token_id = 'addresses'`);
    expect(stored?.n).toBe(10);
  });

  it('flushes a burst of more token-hours and addresses than one statement can carry parameters for', async () => {
    const count = 25_000; // × 3 parameters each > 65,535
    const now = Date.now();
    for (let i = 0; i < count; i++) usage.count(`burst${i}`, `10.0.${i >> 8}.${i & 255}`, now);
    await usage.flush();
    const [hours] = await database.db.select({ n: sql<number>`count(*)::integer` }).from(tokenUsageHours).where(sql`token_id like 'burst%'`);
    const [seen] = await database.db.select({ n: sql<number>`count(*)::integer` }).from(tokenUsageAddresses).where(sql`token_id like 'burst%'`);
    expect(hours?.n).toBe(count);
    expect(seen?.n).toBe(count);
  });

  it('prunes usage older than 30 days', async () => {
    const old = new Date(Date.now() - 31 * 24 * HOUR);
    usage.count('old', '203.0.113.1', old.getTime());
    usage.count('old', '203.0.113.2', Date.now());
    await usage.flush();
    await pruneTokenUsage(database.db);
    const rows = await database.db.select().from(tokenUsageHours).where(sql`token_id = 'old'`);
    expect(rows).toHaveLength(1);
    expect((await tokenUsage(database.db, 'old')).addresses.map((a) => a.address)).toEqual(['203.0.113.2']);
  });
});
