import { expect } from 'vitest';
import type { RunningApp } from './app';

export const ADMIN = `Basic ${Buffer.from('root:root-pw').toString('base64')}`;
/** A revocation through one replica must be honoured by every other within this. */
export const REPLICA_DEADLINE_MS = 1000;

/** Replicas that issue and check our tokens; `root` is an admin (Basic), tokens stay cached for minutes. */
export function replicaConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    providers: [
      { type: 'plain', name: 'users', realm: 'local', users: [{ username: 'root', password: 'root-pw', roles: ['admin'] }] },
      { type: 'tokens', name: 'tokens' },
    ],
    services: [{ name: 'polytope', scopes: ['read'] }],
    portal: { realm: 'local' },
    tokens: { cache_ttl: '5m', creations_per_minute: 100 }, // long: only the notification can make another replica forget
    jwt: { iss: 'replicas', aud: 'backend', exp: 60 },
    auth: { failure_delay_ms: 0 }, // a latency measured is the revocation's, not the refusal's delay
    ...extra,
  };
}

export async function newToken(app: RunningApp): Promise<{ id: string; secret: string }> {
  const response = await fetch(`${app.url}/api/tokens`, {
    method: 'POST',
    headers: { Authorization: ADMIN, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'replicated', scopes: ['polytope:read'] }),
  });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { token: { id: string }; secret: string };
  return { id: body.token.id, secret: body.secret };
}

export const check = (app: RunningApp, secret: string): Promise<number> => fetch(`${app.url}/api/authenticate`, { headers: { Authorization: `Bearer ${secret}` } }).then((r) => r.status);

export const revoke = (app: RunningApp, id: string): Promise<Response> => fetch(`${app.url}/api/tokens/${id}`, { method: 'DELETE', headers: { Authorization: ADMIN } });

export async function ready(app: RunningApp): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.url}/api/ready`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Revokes `token` (cached on `other`) through `through` and returns how long `other` kept accepting it. */
export async function revocationSeenAfter(through: RunningApp, other: RunningApp, token: { id: string; secret: string }): Promise<number> {
  expect((await revoke(through, token.id)).status).toBe(200);
  const revokedAt = performance.now();
  await expect.poll(() => check(other, token.secret), { timeout: REPLICA_DEADLINE_MS, interval: 10 }).toBe(401);
  return performance.now() - revokedAt;
}

/** A token cached on both replicas, revoked through `a`: how long `b` kept accepting it. */
export async function revocationLatency(a: RunningApp, b: RunningApp): Promise<number> {
  const token = await newToken(a);
  expect(await check(b, token.secret)).toBe(200);
  expect(await check(a, token.secret)).toBe(200);
  return revocationSeenAfter(a, b, token);
}

/** Lines of a replica's JSON log whose message contains `text`. */
export function logLines(app: RunningApp, text: string): Array<Record<string, unknown>> {
  return app
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(text))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export async function metric(app: RunningApp, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${app.url}/api/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}
