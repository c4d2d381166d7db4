import { rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './ports';
import { postgresOwnedDir, runAsPostgres } from './postgres-user';

const BIN = process.env.TEST_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

/** A Postgres cluster of the test's own (initdb in a temp directory), for outages: never the shared server. */
export interface PgCluster {
  port: number;
  /** A URL for `database` on this cluster. */
  url(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** `pg_ctl stop -m fast`: connections are terminated (57P01), new ones refused. */
  stop(): Promise<void>;
  /** `pg_ctl start`, returning once the server accepts connections. */
  start(): Promise<void>;
  /** Runs one statement as the superuser. */
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  dispose(): Promise<void>;
}

export async function startPgCluster(): Promise<PgCluster> {
  const dir = await postgresOwnedDir('aot-cluster-');
  const data = path.join(dir, 'data');
  const port = await freePort();
  await runAsPostgres(path.join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const pgCtl = (...args: string[]) => runAsPostgres(path.join(BIN, 'pg_ctl'), ['-D', data, '-w', ...args]);
  const start = async () => {
    // fsync off: a throwaway cluster; listen on loopback only, socket in the temp directory.
    await pgCtl('-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', path.join(dir, 'postgres.log'), 'start');
  };
  await start();
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url('postgres') });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  let running = true;
  return {
    port,
    url,
    async createDatabase(name) {
      await query(`create database ${name}`);
      return url(name);
    },
    async stop() {
      await pgCtl('-m', 'fast', 'stop');
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    query,
    async dispose() {
      if (running) await pgCtl('-m', 'immediate', 'stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
