import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAppExpectingExit, startApp, type RunningApp } from '../support/app';

const ROOT_USER = `Basic ${Buffer.from('root:root-pw').toString('base64')}`;
const config = {
  server: { workers: 2 },
  providers: [
    { type: 'plain', name: 'users', realm: 'local', users: [{ username: 'root', password: 'root-pw', roles: ['admin'] }] },
    { type: 'tokens', name: 'tokens' },
  ],
  services: [{ name: 'polytope', scopes: ['read'] }],
  portal: { realm: 'local' },
  tokens: { cache_ttl: '5m' }, // long: only the notification can make a worker forget
  auth: { failure_delay_ms: 0 },
};

const workerPids = (primary: number) =>
  execFileSync('ps', ['-o', 'pid=', '--ppid', String(primary)], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** A check on a new connection each time, so the primary spreads them over the workers. */
const check = (app: RunningApp, authorization: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: app.port, path: '/api/authenticate', agent: false, timeout: 3000, headers: { Authorization: authorization } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 3 s')));
    req.on('error', reject);
    req.end();
  });
const checks = (app: RunningApp, authorization: string, count = 12) => Promise.all(Array.from({ length: count }, () => check(app, authorization)));

describe('server.workers: several processes on one port', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ config, database: 'postgres' });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it("answers on every worker, and a revocation reaches every worker's cache within a second", async () => {
    await expect.poll(() => workerPids(app.pid).length, { timeout: 30_000 }).toBe(2);
    const created = await fetch(`${app.url}/api/tokens`, {
      method: 'POST',
      headers: { Authorization: ROOT_USER, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'spread', scopes: ['polytope:read'] }),
    });
    expect(created.status).toBe(201);
    const { token, secret } = (await created.json()) as { token: { id: string }; secret: string };
    expect(new Set(await checks(app, `Bearer ${secret}`))).toEqual(new Set([200])); // cached by both workers now
    expect((await fetch(`${app.url}/api/tokens/${token.id}`, { method: 'DELETE', headers: { Authorization: ROOT_USER } })).status).toBe(200);
    await expect.poll(async () => [...new Set(await checks(app, `Bearer ${secret}`))], { timeout: 1000, interval: 20 }).toEqual([401]);
  });

  it('replaces a worker that dies', async () => {
    const [victim] = workerPids(app.pid);
    process.kill(Number(victim), 'SIGKILL');
    await expect.poll(() => workerPids(app.pid).filter((pid) => pid !== victim).length, { timeout: 15_000 }).toBe(2);
    await expect.poll(async () => [...new Set(await checks(app, ROOT_USER, 6))], { timeout: 15_000 }).toEqual([200]);
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    const pids = workerPids(app.pid);
    process.kill(app.pid, 'SIGTERM');
    expect(await app.exited).toBe(0);
    for (const pid of pids) expect(() => process.kill(Number(pid), 0)).toThrow();
  });

  it('refuses workers > 1 with the embedded database (it belongs to one process)', async () => {
    const { code, output } = await runAppExpectingExit('server: {workers: 2}\n');
    expect(code).toBe(2);
    expect(output).toContain('server.workers: more than 1 needs database.url');
  });
});

describe('server.workers with the metrics listener', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ config: { ...config, metrics: { enabled: true, port: 0 } }, database: 'postgres' });
  });
  afterAll(() => app?.stop());

  it('one scrape of the metrics port is the sum of every worker (the primary asks them), build_info once', async () => {
    // Both workers listening (a starting one contributes nothing yet), and the primary's metrics listener.
    await expect.poll(() => app.output().split('"auth-o-tron listening"').length - 1, { timeout: 30_000 }).toBe(2);
    await expect.poll(() => app.output().includes('"metrics listening"'), { timeout: 10_000 }).toBe(true);
    const line =
      app
        .output()
        .split('\n')
        .find((l) => l.includes('"metrics listening"')) ?? '{}';
    const metricsPort = (JSON.parse(line) as { port: number }).port;
    expect(new Set(await checks(app, ROOT_USER, 20))).toEqual(new Set([200]));
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/^auth_requests_total\{result="success",realm="local"\} 20$/m);
    expect(text).toMatch(/^authotron_http_requests_total\{route="\/api\/authenticate",method="GET",status_code="200"\} 20$/m);
    expect(text).toMatch(/^authotron_build_info\{version="[^"]+"\} 1$/m);
    expect(text).toMatch(/^auth_duration_seconds_bucket\{le="\+Inf",result="success",realm="local"\} 20$/m);
  });
});
