import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app';
import { BOB, localUsers, ROOT } from '../support/local-users';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend';
import { startNginx, type RunningNginx } from '../support/nginx';
import { createPostgresDatabase, type TestDatabase } from '../support/postgres';

const REPLICA_DEADLINE_MS = 1000;

/** Two replicas on one Postgres behind nginx: a revocation through one is honoured by the other at once. */
describe('revocation across replicas', () => {
  let database: TestDatabase;
  let a: RunningApp;
  let b: RunningApp;
  let backend: EchoBackend;
  let nginx: RunningNginx;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const config = {
      providers: [localUsers('root', 'bob'), { type: 'tokens', name: 'tokens' }],
      services: [{ name: 'polytope', scopes: ['read'] }],
      portal: { realm: 'local' },
      tokens: { cache_ttl: '5m' }, // long: only the notification can make the other replica forget
      jwt: { iss: 'replicas', aud: 'backend', exp: 60 },
      auth: { failure_delay_ms: 0 }, // the latency printed is the revocation's, not the refusal's delay
    };
    a = await startApp({ config, databaseUrl: database.url });
    b = await startApp({ config, databaseUrl: database.url });
    backend = await startEchoBackend({ jwksUrl: `${a.url}/.well-known/jwks.json`, issuer: 'replicas', audience: 'backend' });
    nginx = await startNginx({ appAddresses: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`], backendAddress: backend.address });
  });

  afterAll(async () => {
    await nginx?.stop();
    await backend?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  async function newToken(owner = ROOT): Promise<{ id: string; secret: string }> {
    const response = await fetch(`${a.url}/api/tokens`, {
      method: 'POST',
      headers: { Authorization: owner, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'replicated', scopes: ['polytope:read'] }),
    });
    const body = (await response.json()) as { token: { id: string }; secret: string };
    return { id: body.token.id, secret: body.secret };
  }
  const check = (app: RunningApp, secret: string) => fetch(`${app.url}/api/authenticate`, { headers: { Authorization: `Bearer ${secret}` } }).then((r) => r.status);
  const revokeThroughA = (id: string) => fetch(`${a.url}/api/tokens/${id}`, { method: 'DELETE', headers: { Authorization: ROOT } });

  /** Revokes through A and returns how long B kept accepting the token (B had it cached). */
  async function revocationLatency(): Promise<number> {
    const token = await newToken();
    expect(await check(b, token.secret)).toBe(200);
    expect(await check(a, token.secret)).toBe(200);
    expect((await revokeThroughA(token.id)).status).toBe(200);
    const revokedAt = performance.now();
    await expect.poll(() => check(b, token.secret), { timeout: REPLICA_DEADLINE_MS, interval: 10 }).toBe(401);
    return performance.now() - revokedAt;
  }

  it('the other replica refuses a revoked token within a second', async () => {
    const latency = await revocationLatency();
    console.log(`revocation seen by the other replica after ${latency.toFixed(0)} ms`);
  });

  it('still does under load through nginx, and nginx stops passing the token on', async () => {
    const busy = await newToken();
    let stop = false;
    const statuses: number[] = [];
    const load = Array.from({ length: 16 }, async () => {
      while (!stop) statuses.push((await fetch(`${nginx.url}/api/v1/data`, { headers: { Authorization: `Bearer ${busy.secret}` } })).status);
    });
    try {
      const latency = await revocationLatency();
      console.log(`under load: revocation seen after ${latency.toFixed(0)} ms`);
      await revokeThroughA(busy.id);
      await new Promise((resolve) => setTimeout(resolve, REPLICA_DEADLINE_MS));
      const after = statuses.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(statuses.slice(after).length).toBeGreaterThan(0);
      expect(new Set(statuses.slice(after))).toEqual(new Set([401]));
    } finally {
      stop = true;
      await Promise.all(load);
    }
    expect(statuses).toContain(200);
  });

  it('a rotation keeps the token: the other replica accepts the old secret during the grace period and refuses it within a second after', async () => {
    const token = await newToken();
    expect(await check(b, token.secret)).toBe(200); // B remembers it (cache_ttl: 5m)
    const rotated = await fetch(`${a.url}/api/tokens/${token.id}/rotate`, {
      method: 'POST',
      headers: { Authorization: ROOT, 'Content-Type': 'application/json' },
      body: JSON.stringify({ grace_period: '3s' }),
    });
    const body = (await rotated.json()) as { token: { id: string; previous_secret_expires_at: string }; secret: string };
    expect(body.token.id).toBe(token.id);
    const graceEnds = Date.parse(body.token.previous_secret_expires_at);
    expect(await check(b, body.secret)).toBe(200);
    expect(await check(b, token.secret)).toBe(200);
    await expect.poll(() => check(b, token.secret), { timeout: Math.max(0, graceEnds - Date.now()) + REPLICA_DEADLINE_MS, interval: 20 }).toBe(401);
    console.log(`old secret refused by the other replica ${(Date.now() - graceEnds).toFixed(0)} ms after the grace period ended`);
    expect(await check(b, body.secret)).toBe(200);
    expect(await check(a, token.secret)).toBe(401);

    // Without a grace period the other replica forgets the old secret at once (the NOTIFY).
    const again = await fetch(`${a.url}/api/tokens/${token.id}/rotate`, { method: 'POST', headers: { Authorization: ROOT, 'Content-Type': 'application/json' }, body: '{}' });
    const next = (await again.json()) as { secret: string };
    await expect.poll(() => check(b, body.secret), { timeout: REPLICA_DEADLINE_MS, interval: 10 }).toBe(401);
    expect(await check(b, next.secret)).toBe(200);
  });

  it("an admin revoking all of a user's tokens through one replica: the other refuses every one of them within a second, and nothing else", async () => {
    const bobs = [await newToken(BOB), await newToken(BOB), await newToken(BOB)];
    const roots = await newToken();
    for (const token of [...bobs, roots]) {
      expect(await check(b, token.secret)).toBe(200); // B remembers them (cache_ttl: 5m)
      expect(await check(a, token.secret)).toBe(200);
    }
    const users = (await (await fetch(`${a.url}/api/admin/users?search=bob`, { headers: { Authorization: ROOT } })).json()) as { users: Array<{ id: string; username: string }> };
    const bob = users.users.find((u) => u.username === 'bob');
    expect(bob).toBeDefined();

    const answer = await fetch(`${a.url}/api/admin/users/${bob?.id}/revoke-tokens`, { method: 'POST', headers: { Authorization: ROOT } });
    expect(answer.status).toBe(200);
    const revokedAt = performance.now();
    expect(((await answer.json()) as { revoked: number }).revoked).toBe(bobs.length);
    await expect.poll(() => Promise.all(bobs.map((t) => check(b, t.secret))), { timeout: REPLICA_DEADLINE_MS, interval: 10 }).toEqual(bobs.map(() => 401));
    console.log(`user-wide revocation seen by the other replica after ${(performance.now() - revokedAt).toFixed(0)} ms`);
    for (const token of bobs) expect(await check(a, token.secret)).toBe(401);
    // Only her tokens: another user's token and her own password still work on B.
    expect(await check(b, roots.secret)).toBe(200);
    expect((await fetch(`${b.url}/api/authenticate`, { headers: { Authorization: BOB } })).status).toBe(200);
  });
});
