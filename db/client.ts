import 'server-only';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Payload a listener receives after its connection was restored: notifications may have been missed. */
export const MISSED_MESSAGES = '*';

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
  const db = drizzle(pool, { schema }) as unknown as Db;
  const listener = new ResilientListener(() => new Client({ connectionString: url }));

  return {
    db,
    kind: 'postgres',
    listen: (channel, onMessage) => listener.listen(channel, onMessage),
    async notify(channel, payload) {
      await pool.query('select pg_notify($1, $2)', [channel, payload]);
    },
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      await listener.close();
      await pool.end();
    },
  };
}

type PgClient = InstanceType<typeof import('pg').Client>;

/**
 * One LISTEN connection that comes back after the server drops it. Messages sent while it was away
 * are lost, so on reconnect every handler gets `MISSED_MESSAGES` and must resynchronise (drop caches).
 */
class ResilientListener {
  private client: PgClient | undefined;
  private readonly handlers = new Map<string, Array<(payload: string) => void>>();
  private closed = false;
  private connecting: Promise<void> | undefined;

  constructor(private readonly connect: () => PgClient) {}

  async listen(channel: string, onMessage: (payload: string) => void): Promise<void> {
    const existing = this.handlers.get(channel);
    if (existing) return void existing.push(onMessage); // several subscribers share one LISTEN
    this.handlers.set(channel, [onMessage]);
    if (!this.client) await (this.connecting ??= this.open());
    else await this.client.query(`listen ${quoteIdentifier(channel)}`);
  }

  private async open(): Promise<void> {
    const client = this.connect();
    client.on('notification', (msg) => this.handlers.get(msg.channel)?.forEach((handler) => handler(msg.payload ?? '')));
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    await client.connect();
    for (const channel of this.handlers.keys()) await client.query(`listen ${quoteIdentifier(channel)}`);
    this.client = client;
    this.connecting = undefined;
  }

  private reconnect(dead: PgClient): void {
    if (this.closed || this.client !== dead) return;
    this.client = undefined;
    const attempt = (delayMs: number) => {
      setTimeout(() => {
        if (this.closed) return;
        this.open().then(
          () => this.handlers.forEach((handlers) => handlers.forEach((handler) => handler(MISSED_MESSAGES))),
          () => attempt(Math.min(delayMs * 2, 10_000)),
        );
      }, delayMs).unref();
    };
    attempt(250);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
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
