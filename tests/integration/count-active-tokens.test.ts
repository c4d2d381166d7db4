import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@/db/client';
import * as schema from '@/db/schema';
import { countActiveTokens } from '@/db/tokens';
import { createPostgresDatabase, type TestDatabase } from '../support/postgres';

const ROWS = 100_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

/** By the rules of the rows inserted: live (neither expired nor revoked), and not replaced by a live successor. */
function expectedActive(): number {
  const live = (g: number) => g % 7 !== 0 && g % 11 !== 0;
  let active = 0;
  for (let g = 1; g <= ROWS; g++) if (live(g) && !((g + 1) % 10 === 0 && g + 1 <= ROWS && live(g + 1))) active++;
  return active;
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

/**
 * The cap check runs before every creation: at 100k tokens of one owner with statistics taken when
 * the table was empty (autovacuum had not caught up), it used to scan the table once per row.
 */
describe('countActiveTokens at 100k rows with stale statistics (Postgres)', () => {
  let database: TestDatabase;
  let opened: Database;
  let client: pg.Client;
  let ownerId: string;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    opened = await openDatabase({ url: database.url, path: 'unused' });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('alter table tokens set (autovacuum_enabled = false)');
    ownerId = (await client.query<{ id: string }>(`insert into users (realm, username) values ('local', 'many') returning id`)).rows[0]!.id;
    await client.query('analyze tokens'); // statistics of an empty table, kept while it fills
    // Live, expired, revoked, and every tenth one a legacy rotation (a row that replaced another).
    await client.query(
      `insert into tokens (id, owner_id, name, secret_hash, expires_at, revoked_at, rotated_from)
       select 't' || g, $1, 'n', 'h',
              case when g % 7 = 0 then now() - interval '1 day' else now() + interval '1 day' end,
              case when g % 11 = 0 then now() end,
              case when g % 10 = 0 then 't' || (g - 1) end
       from generate_series(1, $2::integer) g`,
      [ownerId, ROWS],
    );
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await opened?.close();
    await database?.drop();
  });

  it('counts right, scanning the table once rather than once per token', async () => {
    const queries: Array<{ sql: string; params: unknown[] }> = [];
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    try {
      const db = drizzle(pool, { schema, logger: { logQuery: (sql, params) => queries.push({ sql, params }) } });
      const counted = await countActiveTokens(db, ownerId);
      expect(counted).toBe(expectedActive());

      const [query] = queries;
      const explained = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }> }>(`explain (analyze, format json) ${query!.sql}`, query!.params);
      const [{ Plan: plan, 'Execution Time': ms }] = explained.rows[0]!['QUERY PLAN'] as [{ Plan: PlanNode; 'Execution Time': number }];
      console.log(`countActiveTokens over ${ROWS} rows: ${ms.toFixed(1)} ms`);
      // Each scan of the table runs once: none is repeated for every token (the nested loop it was).
      const scans = nodesOf(plan).filter((node) => node['Relation Name'] === 'tokens');
      expect(scans.length).toBeGreaterThan(0);
      expect(scans.map((node) => node['Actual Loops'])).toEqual(scans.map(() => 1));
    } finally {
      await pool.end();
    }
  });
});
