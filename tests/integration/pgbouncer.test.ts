import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app';
import { startPgbouncer, type Pgbouncer } from '../support/pgbouncer';
import { createPostgresDatabase, POSTGRES_ADMIN_URL, type TestDatabase } from '../support/postgres';
import { logLines, metric, ready, replicaConfig, revocationLatency } from '../support/revocation';

/** Debian's pgbouncer in front of the shared Postgres, each scenario on a database of its own. */
const server = (() => {
  const url = new URL(POSTGRES_ADMIN_URL);
  return { host: url.hostname, port: Number(url.port || 5432) };
})();

describe('behind pgbouncer in transaction mode', () => {
  let bouncer: Pgbouncer;
  let database: TestDatabase;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    bouncer = await startPgbouncer({ mode: 'transaction', server });
    database = await createPostgresDatabase();
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await database?.drop();
    await bouncer?.stop();
  });

  it('without database.listen_url: the app works but is not ready, and the log says why (once an interval, with a count)', async () => {
    const app = await startApp({ config: replicaConfig(), databaseUrl: bouncer.through(database.url) });
    apps.push(app);
    const { status, body } = await ready(app);
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 'not ready', database: 'ok', revocation_listener: 'not receiving' });
    expect(String(body.message)).toContain('database.listen_url');
    expect(await metric(app, 'authotron_revocation_listener_up')).toBe(0);

    // Checks keep working meanwhile (nothing else depends on the listener); the log does not grow with them.
    const started = Date.now();
    for (let i = 0; i < 50; i++) await ready(app);
    await new Promise((resolve) => setTimeout(resolve, 4500 - (Date.now() - started)));
    const misses = logLines(app, 'revocation listener is not receiving notifications');
    expect(misses.length).toBeGreaterThanOrEqual(2);
    expect(misses.length).toBeLessThanOrEqual(4);
    expect(misses[0]).toMatchObject({ level: 50, missed: 1, listener_connected: true });
    expect(String(misses[0]?.msg)).toContain('transaction-mode pooler (pgbouncer), set database.listen_url');
    expect(misses.map((line) => line.missed)).toEqual(misses.map((_, i) => i + 1));
    expect(await metric(app, 'authotron_revocation_heartbeats_missed_total')).toBeGreaterThanOrEqual(2);
    expect(bouncer.log()).toContain(`login attempt: db=${new URL(database.url).pathname.slice(1)}`);
  });

  it('with database.listen_url straight to Postgres: two replicas are ready and see a revocation within a second', async () => {
    const env = { DATABASE_LISTEN_URL: database.url };
    const a = await startApp({ config: replicaConfig(), databaseUrl: bouncer.through(database.url), env });
    apps.push(a);
    const b = await startApp({ config: replicaConfig(), databaseUrl: bouncer.through(database.url), env });
    apps.push(b);
    for (const app of [a, b]) {
      expect(await ready(app)).toMatchObject({ status: 200, body: { status: 'ready', revocation_listener: 'receiving' } });
      expect(await metric(app, 'authotron_revocation_listener_up')).toBe(1);
    }
    const latencies = [await revocationLatency(a, b), await revocationLatency(b, a)];
    console.log(`pgbouncer (transaction) + listen_url: revocation seen by the other replica after ${latencies.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    expect(logLines(b, 'not receiving')).toEqual([]);
  });
});

describe('behind pgbouncer in session mode', () => {
  let bouncer: Pgbouncer;
  let database: TestDatabase;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    bouncer = await startPgbouncer({ mode: 'session', server });
    database = await createPostgresDatabase();
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await database?.drop();
    await bouncer?.stop();
  });

  it('works as is: ready, and replicas see a revocation within a second', async () => {
    const a = await startApp({ config: replicaConfig(), databaseUrl: bouncer.through(database.url) });
    apps.push(a);
    const b = await startApp({ config: replicaConfig(), databaseUrl: bouncer.through(database.url) });
    apps.push(b);
    for (const app of [a, b]) expect(await ready(app)).toMatchObject({ status: 200, body: { revocation_listener: 'receiving' } });
    const latency = await revocationLatency(a, b);
    console.log(`pgbouncer (session): revocation seen by the other replica after ${latency.toFixed(0)} ms`);
  });
});
