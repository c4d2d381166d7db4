import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../lib/crypto/secrets';
import { startApp, type RunningApp } from '../support/app';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ROOT_USER = `Basic ${Buffer.from('root:root-pw').toString('base64')}`;
const SHUTDOWN_TIMEOUT_S = 8;

const config = async () => ({
  server: { shutdown_timeout: `${SHUTDOWN_TIMEOUT_S}s` },
  providers: [
    {
      type: 'plain',
      name: 'users',
      realm: 'local',
      users: [
        { username: 'root', password: 'root-pw', roles: ['admin'] },
        { username: 'hashed', password_hash: await hashSecret('hashed-pw'), roles: [] },
      ],
    },
    { type: 'tokens', name: 'tokens' },
  ],
  services: [{ name: 'polytope', scopes: ['read'] }],
  portal: { realm: 'local' },
  tokens: { creations_per_minute: 100 },
  auth: { failure_delay_ms: 0 },
  jwt: { iss: 'shutdown', exp: 60 },
});

interface Outcome {
  kind: string;
  status?: number;
  connection?: string;
  error?: string;
}

/** One request on a keep-alive connection; a reset or refusal is an outcome, not a throw. */
function send(app: RunningApp, agent: Agent, kind: string, target: string, authorization: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: app.port, path: target, agent, headers: { Authorization: authorization } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ kind, status: res.statusCode, connection: res.headers.connection }));
      res.on('error', (error) => resolve({ kind, error: error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ kind, error: error.code ?? error.message }));
    req.end();
  });
}

describe('graceful shutdown (SIGTERM)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('answers every request received before SIGTERM (cached, database + argon2, portal API) without a reset or a 5xx, then exits 0', async () => {
    const app = await startApp({ config: await config(), database: 'postgres' });
    try {
      const tokens: string[] = [];
      for (let i = 0; i < 16; i++) {
        const created = await fetch(`${app.url}/api/tokens`, {
          method: 'POST',
          headers: { Authorization: ROOT_USER, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: `t${i}`, scopes: ['polytope:read'] }),
        });
        expect(created.status).toBe(201);
        tokens.push(((await created.json()) as { secret: string }).secret);
      }
      const agent = new Agent({ keepAlive: true, maxSockets: 64 });
      // Connections open before the signal (new ones after it are refused, as they should be), and the password cached.
      const warm = await Promise.all(Array.from({ length: 49 }, () => send(app, agent, 'warm', '/api/authenticate', ROOT_USER)));
      expect(new Set(warm.map((w) => w.status))).toEqual(new Set([200]));

      const pending: Array<Promise<Outcome>> = [
        ...tokens.map((t) => send(app, agent, 'uncached token (database + argon2)', '/api/authenticate', `Bearer ${t}`)),
        send(app, agent, 'uncached password (argon2)', '/api/authenticate', `Basic ${Buffer.from('hashed:hashed-pw').toString('base64')}`),
        ...Array.from({ length: 24 }, () => send(app, agent, 'cached', '/api/authenticate', ROOT_USER)),
        ...Array.from({ length: 8 }, () => send(app, agent, 'portal API', '/api/tokens', ROOT_USER)),
      ];
      // Every request is on the wire well before the signal; the argon2 ones are still being worked out.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const signalled = Date.now();
      process.kill(app.pid, 'SIGTERM');
      const outcomes = await Promise.all(pending);
      const code = await app.exited;
      const took = Date.now() - signalled;
      agent.destroy();

      const bad = outcomes.filter((o) => o.error !== undefined || (o.status ?? 0) >= 500);
      expect(bad, JSON.stringify(bad)).toEqual([]);
      expect(outcomes.every((o) => o.status === 200)).toBe(true);
      expect(code).toBe(0);
      expect(took).toBeLessThan(SHUTDOWN_TIMEOUT_S * 1000);
      expect(app.output()).toContain('shutting down');
      console.log(`SIGTERM with ${outcomes.length} requests in hand: all answered, exit 0 after ${took} ms`);
    } finally {
      await app.stop();
    }
  });

  it('closes idle keep-alive connections at once instead of waiting for their timeout', async () => {
    const app = await startApp({ config: await config() });
    try {
      const socket = net.connect(app.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(`GET /api/authenticate HTTP/1.1\r\nHost: x\r\nAuthorization: ${ROOT_USER}\r\n\r\n`);
      await once(socket, 'data');
      const closed = once(socket, 'close');
      socket.resume();
      process.kill(app.pid, 'SIGTERM');
      await closed;
      expect(await app.exited).toBe(0);
    } finally {
      await app.stop();
    }
  });

  it('`npm start` passes SIGTERM to the server, which stops', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'aot-npm-start-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'config.yaml'), stringify(await config()));
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: {
        ...process.env,
        AOT_CONFIG_PATH: path.join(dir, 'config.yaml'),
        AOT_SERVER__HOST: '127.0.0.1',
        AOT_SERVER__PORT: '0',
        AOT_LOGGING__FORMAT: 'json',
        AOT_DATABASE__PATH: path.join(dir, 'pglite'),
        DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not listen:\n${output}`)), 90_000);
      npm.stdout.on('data', () => {
        const line = output.split('\n').find((l) => l.includes('"auth-o-tron listening"'));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { port: number }).port);
        }
      });
    });
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
    const exited = once(npm, 'exit');
    npm.kill('SIGTERM');
    await exited;
    await expect
      .poll(
        () =>
          fetch(`http://127.0.0.1:${port}/api/health`).then(
            () => 'answering',
            () => 'stopped',
          ),
        { timeout: 10_000 },
      )
      .toBe('stopped');
  });
});
