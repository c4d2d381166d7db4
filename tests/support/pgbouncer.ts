import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort } from './ports';
import { postgresOwnedDir, runAsPostgres } from './postgres-user';

export interface Pgbouncer {
  port: number;
  /** `url` (a database on the server behind) as reached through the pooler. */
  through(url: string): string;
  log(): string;
  stop(): Promise<void>;
}

/** Debian's pgbouncer on a free loopback port, trust auth, in front of the server at `server` (host:port); every database name maps through. */
export async function startPgbouncer(options: { mode: 'transaction' | 'session'; server: { host: string; port: number } }): Promise<Pgbouncer> {
  const dir = await postgresOwnedDir('aot-pgbouncer-');
  const port = await freePort();
  const file = (name: string) => path.join(dir, name);
  writeFileSync(file('users.txt'), '"postgres" ""\n');
  writeFileSync(
    file('pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${options.server.host} port=${options.server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${file('users.txt')}`,
      `pool_mode = ${options.mode}`,
      'max_client_conn = 500',
      'default_pool_size = 20',
      `logfile = ${file('pgbouncer.log')}`,
      `pidfile = ${file('pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  await runAsPostgres('pgbouncer', ['-d', file('pgbouncer.ini')]);
  await waitForPort(port);
  // pgbouncer binds its port before it daemonises and writes the pid file, so the port alone does not mean the file is there.
  await until(() => existsSync(file('pgbouncer.pid')) && readFileSync(file('pgbouncer.pid'), 'utf8').trim() !== '');
  const pid = Number(readFileSync(file('pgbouncer.pid'), 'utf8').trim());
  return {
    port,
    through(url) {
      const target = new URL(url);
      target.host = `127.0.0.1:${port}`;
      return target.toString();
    },
    log: () => readFileSync(file('pgbouncer.log'), 'utf8'),
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
        await until(() => !alive(pid));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitForPort(port: number): Promise<void> {
  await until(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      }),
  );
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
