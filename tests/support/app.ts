import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { SERVER_BUNDLE } from '../../scripts/build-server.mjs';
import { freePort } from './ports';
import { createPostgresDatabase, type DatabaseKind, type TestDatabase } from './postgres';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAX_OUTPUT = 1 << 20;

export interface StartOptions {
  /** The config.yaml contents, as an object (written as YAML) or raw text. */
  config: Record<string, unknown> | string;
  database?: DatabaseKind;
  /** Reuse a database (several replicas on one Postgres). */
  databaseUrl?: string;
  env?: Record<string, string>;
  /**
   * `custom` (default): the compiled server.ts, as `npm start` runs it. `next`: plain `next start`, where the App
   * Router's route handlers answer the gateway paths (what `next dev` uses).
   */
  server?: 'custom' | 'next';
  /**
   * Host name in the returned `url` (the server always listens on 127.0.0.1). Browser tests need
   * `localhost`: next-auth loops on a CSRF error when Next rewrites 127.x hosts (STACK.md).
   */
  urlHost?: 'localhost' | '127.0.0.1';
  /** A PGlite data directory to use and keep after `stop()` (to restart on the same database). */
  pglitePath?: string;
  /** Extra node flags for the custom server (the benchmark's profiler: `--cpu-prof`). */
  nodeArgs?: string[];
}

export interface RunningApp {
  url: string;
  port: number;
  pid: number;
  databaseUrl?: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts the production server (`server.ts` over the built `.next`) on a free loopback port. */
export async function startApp(options: StartOptions): Promise<RunningApp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aot-app-'));
  const configPath = path.join(dir, 'config.yaml');
  writeFileSync(configPath, typeof options.config === 'string' ? options.config : stringify(options.config));

  let database: TestDatabase | undefined;
  let databaseUrl = options.databaseUrl;
  if (!databaseUrl && options.database === 'postgres') {
    database = await createPostgresDatabase();
    databaseUrl = database.url;
  }

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    AOT_CONFIG_PATH: configPath,
    AOT_SERVER__HOST: '127.0.0.1',
    AOT_SERVER__PORT: '0',
    AOT_LOGGING__FORMAT: 'json',
    AOT_DATABASE__PATH: options.pglitePath ?? path.join(dir, 'pglite'),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...options.env,
  };
  const nextPort = options.server === 'next' ? await freePort() : 0;
  const args = options.server === 'next' ? ['node_modules/next/dist/bin/next', 'start', '-H', '127.0.0.1', '-p', String(nextPort)] : [...(options.nodeArgs ?? []), SERVER_BUNDLE];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  // Keep the start and the most recent output; a long benchmark would otherwise fill the memory.
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 4 * MAX_OUTPUT) output = output.slice(0, MAX_OUTPUT) + output.slice(-MAX_OUTPUT);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const cleanup = async () => {
    rmSync(dir, { recursive: true, force: true });
    await database?.drop();
  };
  let port: number;
  try {
    port = options.server === 'next' ? await waitForHealth(child, nextPort, () => output) : await waitForListening(child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    await cleanup();
    throw error;
  }
  return {
    url: `http://${options.urlHost ?? '127.0.0.1'}:${port}`,
    port,
    pid: child.pid ?? 0,
    databaseUrl,
    output: () => output,
    exited,
    async stop() {
      await stopProcess(child);
      await cleanup();
    },
  };
}

function waitForListening(child: ChildProcess, output: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not start in 60 s:\n${output()}`)), 60_000);
    const check = () => {
      const line = output()
        .split('\n')
        .find((l) => l.includes('"auth-o-tron listening"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code} before listening:\n${output()}`));
    });
  });
}

async function waitForHealth(child: ChildProcess, port: number, output: () => string): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next exited with ${child.exitCode}:\n${output()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return port;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`next did not answer in 60 s:\n${output()}`);
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Runs the server with a config expected to be refused; resolves with its exit code and output. */
export function runAppExpectingExit(config: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aot-bad-'));
  const configPath = path.join(dir, 'config.yaml');
  writeFileSync(configPath, config);
  const child = spawn(process.execPath, [SERVER_BUNDLE], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      AOT_CONFIG_PATH: configPath,
      AOT_SERVER__PORT: '0',
      AOT_SERVER__HOST: '127.0.0.1',
      AOT_DATABASE__PATH: path.join(dir, 'pglite'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, output });
    });
  });
}

/** The matrix every database-backed test runs over. */
export { DATABASE_KINDS } from './postgres';
