import 'server-only';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Calls `onMessage` for every NOTIFY on `channel` (from any replica); resolves once listening. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<void>;
  notify(channel: string, payload: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url?: string;
  /** PGlite data directory; `memory://` for a throwaway in-memory database. */
  path: string;
}

const MIGRATIONS = path.join(process.cwd(), 'drizzle');
// Any constant: serialises migrations when several replicas start at once.
const MIGRATION_LOCK = 7_461_021;

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url) : openPglite(options.path);
}

async function openPostgres(url: string): Promise<Database> {
  const { Pool, Client } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');

  const migrator = new Client({ connectionString: url });
  await migrator.connect();
  try {
    await migrator.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(drizzle(migrator, { schema }), { migrationsFolder: MIGRATIONS });
  } finally {
    await migrator.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await migrator.end();
  }

  const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  pool.on('error', () => undefined); // a dropped idle connection is replaced on next use
  let listener: InstanceType<typeof Client> | undefined;
  const handlers = new Map<string, (payload: string) => void>();
  const db = drizzle(pool, { schema }) as unknown as Db;

  return {
    db,
    kind: 'postgres',
    async listen(channel, onMessage) {
      if (!listener) {
        listener = new Client({ connectionString: url });
        listener.on('notification', (msg) => handlers.get(msg.channel)?.(msg.payload ?? ''));
        listener.on('error', () => undefined);
        await listener.connect();
      }
      handlers.set(channel, onMessage);
      await listener.query(`listen "${channel.replace(/"/g, '')}"`);
    },
    async notify(channel, payload) {
      await pool.query('select pg_notify($1, $2)', [channel, payload]);
    },
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}

async function openPglite(dataPath: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');

  const inMemory = dataPath.startsWith('memory://');
  if (!inMemory) mkdirSync(/*turbopackIgnore: true*/ dataPath, { recursive: true });
  const client = inMemory ? new PGlite() : new PGlite(dataPath);
  await client.waitReady;
  const pglite = drizzle(client, { schema });
  await migrate(pglite, { migrationsFolder: MIGRATIONS });
  const db = pglite as unknown as Db;

  return {
    db,
    kind: 'pglite',
    async listen(channel, onMessage) {
      await client.listen(channel, onMessage);
    },
    async notify(channel, payload) {
      await db.execute(sql`select pg_notify(${channel}, ${payload})`);
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      await client.close();
    },
  };
}
