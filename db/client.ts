import 'server-only';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema';
import { lockDataDir } from './pglite-lock';

export { DatabaseInUseError } from './pglite-lock';

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
  /** The LISTEN connection (Postgres); undefined for PGlite, whose notifications never leave the process. */
  listener?: ListenerControl;
  close(): Promise<void>;
}

/** `restarted`: dropped on purpose by `restart`, not by the server or the network. */
export type ListenerEvent = { kind: 'lost'; reason: string; restarted: boolean } | { kind: 'restored'; downMs: number; attempts: number };

export interface ListenerControl {
  /** True while the LISTEN connection is open (it may still receive nothing, behind a transaction pooler). */
  readonly connected: boolean;
  /** Called once when the connection is lost and once when it is back (handlers have then had `MISSED_MESSAGES`). */
  watch(handler: (event: ListenerEvent) => void): void;
  /** Drops the connection and opens a new one, for a connection that looks open but delivers nothing. */
  restart(reason: string): void;
}

export interface DatabaseOptions {
  url?: string;
  /**
   * A session connection for LISTEN (and the migration lock), when `url` goes through a
   * transaction-mode pooler: there LISTEN lands on whichever server connection is free and never
   * hears a NOTIFY. Defaults to `url`.
   */
  listen_url?: string;
  /** PGlite data directory; `memory://` for a throwaway in-memory database. */
  path: string;
}

const MIGRATIONS = path.join(process.cwd(), 'drizzle');
// Any constant: serialises migrations when several replicas start at once.
const MIGRATION_LOCK = 7_461_021;

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options.listen_url ?? options.url) : openPglite(options.path);
}

// Retried at this pace, not backing off: the listener should be back within a second of the database.
const RECONNECT_DELAY_MS = 250;
const LISTENER_CONNECT_TIMEOUT_MS = 2000;
/** How the LISTEN connection shows in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'auth-o-tron listener';

async function openPostgres(url: string, sessionUrl: string): Promise<Database> {
  const { Pool, Client } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');

  // pg_advisory_lock belongs to a session: through a transaction pooler its unlock could land on
  // another server connection and leave the lock held, so it takes the session connection.
  const migrator = new Client({ connectionString: sessionUrl });
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
  const listener = new ResilientListener(
    () => new Client({ connectionString: sessionUrl, application_name: LISTENER_APPLICATION_NAME, keepAlive: true, connectionTimeoutMillis: LISTENER_CONNECT_TIMEOUT_MS }),
    RECONNECT_DELAY_MS,
  );

  return {
    db,
    kind: 'postgres',
    listener,
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
class ResilientListener implements ListenerControl {
  private client: PgClient | undefined;
  private readonly handlers = new Map<string, Array<(payload: string) => void>>();
  private readonly watchers: Array<(event: ListenerEvent) => void> = [];
  private closed = false;
  private connecting: Promise<void> | undefined;
  private reconnecting = false;

  constructor(
    private readonly connect: () => PgClient,
    private readonly retryDelayMs: number,
  ) {}

  get connected(): boolean {
    return this.client !== undefined;
  }

  watch(handler: (event: ListenerEvent) => void): void {
    this.watchers.push(handler);
  }

  async listen(channel: string, onMessage: (payload: string) => void): Promise<void> {
    const existing = this.handlers.get(channel);
    if (existing) return void existing.push(onMessage); // several subscribers share one LISTEN
    this.handlers.set(channel, [onMessage]);
    // While reconnecting, the next connection listens to every channel known by then.
    if (this.client) await this.client.query(`listen ${quoteIdentifier(channel)}`);
    else if (!this.reconnecting) await (this.connecting ??= this.open().finally(() => (this.connecting = undefined)));
  }

  restart(reason: string): void {
    const current = this.client;
    if (!current) return;
    this.lost(current, reason, true);
    void current.end().catch(() => undefined);
  }

  private async open(): Promise<void> {
    const client = this.connect();
    client.on('notification', (msg) => this.handlers.get(msg.channel)?.forEach((handler) => handler(msg.payload ?? '')));
    client.on('error', (error: Error) => this.lost(client, describe(error)));
    client.on('end', () => this.lost(client, 'connection closed'));
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`listen ${quoteIdentifier(channel)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) return void (await client.end().catch(() => undefined));
    this.client = client;
  }

  /** The first sign of `dead` failing (error or end, whichever comes first) starts one reconnect loop. */
  private lost(dead: PgClient, reason: string, restarted = false): void {
    if (this.closed || this.client !== dead) return;
    this.client = undefined;
    this.reconnecting = true;
    this.emit({ kind: 'lost', reason, restarted });
    const since = Date.now();
    let attempts = 0;
    // At once first (a terminated backend on a healthy server), then at a steady pace.
    const attempt = (delayMs: number) => {
      setTimeout(() => {
        if (this.closed) return;
        attempts += 1;
        this.open().then(
          () => {
            if (this.closed) return;
            this.reconnecting = false;
            this.handlers.forEach((handlers) => handlers.forEach((handler) => handler(MISSED_MESSAGES)));
            this.emit({ kind: 'restored', downMs: Date.now() - since, attempts });
          },
          () => attempt(this.retryDelayMs),
        );
      }, delayMs).unref();
    };
    attempt(0);
  }

  private emit(event: ListenerEvent): void {
    for (const watcher of this.watchers) watcher(event);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}

function describe(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
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
  // Before opening: a second process on the directory would work on a copy and lose its writes.
  const unlock = inMemory ? () => undefined : lockDataDir(dataPath);
  const client = inMemory ? new PGlite() : new PGlite(dataPath);
  const pglite = drizzle(client, { schema });
  try {
    await client.waitReady;
    await migrate(pglite, { migrationsFolder: MIGRATIONS });
  } catch (error) {
    unlock();
    throw error;
  }
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
      try {
        await client.close();
      } finally {
        unlock();
      }
    },
  };
}
