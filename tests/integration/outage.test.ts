import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTENER_APPLICATION_NAME } from '@/db/client';
import { startApp, type RunningApp } from '../support/app';
import { startPgCluster, type PgCluster } from '../support/pg-cluster';
import { ADMIN, check, logLines, metric, newToken, ready, replicaConfig, revocationLatency, revocationSeenAfter } from '../support/revocation';

const READY_DEADLINE_MS = 2000;
const LOST = 'revocation listener lost its database connection';
const RECONNECTED = 'revocation listener reconnected';
const NOT_RECEIVING = 'revocation listener is not receiving notifications';

/** Polls until `app` is ready; returns the milliseconds since `since`. */
async function readyAfter(app: RunningApp, since: number): Promise<number> {
  await expect.poll(async () => (await ready(app)).status, { timeout: READY_DEADLINE_MS, interval: 20 }).toBe(200);
  return performance.now() - since;
}

/** Two replicas on a Postgres cluster of the test's own, which the test stops and starts (never the shared server). */
describe('a database outage', () => {
  let cluster: PgCluster;
  let a: RunningApp;
  let b: RunningApp;

  beforeAll(async () => {
    cluster = await startPgCluster();
    const url = await cluster.createDatabase('aot');
    a = await startApp({ config: replicaConfig(), databaseUrl: url });
    b = await startApp({ config: replicaConfig(), databaseUrl: url });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await cluster?.dispose();
  });

  it('cached checks keep answering, the rest is 503; after the restart both are ready within 2 s and a revocation reaches the other replica within 1 s', async () => {
    const cached = await newToken(a);
    const uncached = await newToken(a);
    const revokedOnRecovery = await newToken(a);
    for (const token of [cached, revokedOnRecovery]) for (const app of [a, b]) expect(await check(app, token.secret)).toBe(200);
    for (const app of [a, b]) expect((await ready(app)).status).toBe(200);

    await cluster.stop();
    const downAt = performance.now();
    for (const app of [a, b]) {
      expect(await check(app, cached.secret)).toBe(200); // within tokens.cache_ttl
      expect(await check(app, uncached.secret)).toBe(503);
      const notReady = await ready(app);
      expect(notReady).toMatchObject({ status: 503, body: { status: 'not ready', database: 'unreachable', revocation_listener: 'not receiving' } });
      expect(String(notReady.body.message)).toContain('not connected to the database');
      const tokens = await fetch(`${app.url}/api/tokens`, { headers: { Authorization: ADMIN } });
      expect(tokens.status).toBe(503);
      expect(tokens.headers.get('retry-after')).toBe('5');
      expect(await tokens.json()).toMatchObject({ error: 'unavailable' });
      expect(await metric(app, 'authotron_revocation_listener_up')).toBe(0);
    }
    // A few heartbeat intervals of requests: the log grows with the intervals, not with the requests.
    // At least 60 requests however slow the machine is (the setup above may already have used the time).
    let requests = 0;
    while (performance.now() - downAt < 4500 || requests < 60) {
      await Promise.all([check(b, cached.secret), check(b, uncached.secret), ready(b), fetch(`${b.url}/api/tokens`, { headers: { Authorization: ADMIN } })]);
      requests += 4;
    }
    const outageSeconds = (performance.now() - downAt) / 1000;

    await cluster.start();
    const upAt = performance.now();
    const readiness = Promise.all([readyAfter(a, upAt), readyAfter(b, upAt)]);
    const onRecovery = await revocationSeenAfter(a, b, revokedOnRecovery);
    const readyMs = await readiness;
    const afterReady = await revocationLatency(a, b);
    console.log(
      `outage of ${outageSeconds.toFixed(1)} s: ready ${readyMs.map((ms) => ms.toFixed(0)).join(' / ')} ms after the database; ` +
        `revocation made right after recovery seen by the other replica after ${onRecovery.toFixed(0)} ms, once ready after ${afterReady.toFixed(0)} ms`,
    );

    for (const app of [a, b]) {
      expect(logLines(app, LOST)).toHaveLength(1);
      expect(logLines(app, RECONNECTED)).toHaveLength(1);
      expect(await metric(app, 'authotron_revocation_listener_up')).toBe(1);
    }
    const misses = logLines(b, NOT_RECEIVING);
    expect(requests).toBeGreaterThan(50);
    expect(misses.length).toBeGreaterThanOrEqual(1);
    expect(misses.length).toBeLessThanOrEqual(Math.ceil(outageSeconds / 2) + 2);
    expect(await metric(b, 'authotron_revocation_heartbeats_missed_total')).toBe(misses.length);
    expect(logLines(b, 'portal API: database unavailable').length).toBeLessThanOrEqual(2); // one a window, with a count
  });

  it('comes back when the server terminates its listeners (pg_terminate_backend), and resynchronises', async () => {
    const token = await newToken(a);
    for (const app of [a, b]) expect(await check(app, token.secret)).toBe(200);
    const lostBefore = logLines(b, LOST).length;

    const terminated = await cluster.query<{ pid: number }>(
      // Materialised first: otherwise the planner may call pg_terminate_backend on any row, this session's too.
      'with listeners as materialized (select pid from pg_stat_activity where datname = $1 and application_name = $2) select pid from listeners where pg_terminate_backend(pid)',
      ['aot', LISTENER_APPLICATION_NAME],
    );
    expect(terminated).toHaveLength(2); // one listener a replica
    const terminatedAt = performance.now();
    // Revoked while B's listener is away: B drops its cache on reconnect, or hears the NOTIFY.
    const latency = await revocationSeenAfter(a, b, token);
    const readyMs = await Promise.all([readyAfter(a, terminatedAt), readyAfter(b, terminatedAt)]);
    const afterReady = await revocationLatency(b, a);
    console.log(`listeners terminated: ready after ${readyMs.map((ms) => ms.toFixed(0)).join(' / ')} ms; revocation seen after ${latency.toFixed(0)} ms, once ready after ${afterReady.toFixed(0)} ms`);

    expect(logLines(b, LOST)).toHaveLength(lostBefore + 1);
    expect(logLines(b, LOST).at(-1)?.reason).toMatch(/57P01/);
    expect(logLines(b, RECONNECTED)).toHaveLength(lostBefore + 1);
    expect(await metric(b, 'authotron_revocation_listener_reconnects_total')).toBe(lostBefore + 1);
  });
});
