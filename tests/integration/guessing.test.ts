import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '@/lib/crypto/secrets';
import { formatToken } from '@/lib/tokens/format';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Enough guesses to fill the narrow lane (64 waiting) and, at once, the main one (17 per core). */
const FLOOD = Math.max(80, 20 * availableParallelism());
const ATTACKER = '203.0.113.66';
const OWNER = '198.51.100.7';

// A fresh process each time: the owner has never been verified by this replica, so nothing it
// remembers (a verdict, a proven secret) can let them in; only the lanes' design can.
describe.each(DATABASE_KINDS)('a guessing flood does not lock the owner out (%s)', (database) => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({
      database,
      config: {
        providers: [
          {
            type: 'plain',
            name: 'users',
            realm: 'local',
            users: [
              { username: 'alice', password: 'alice-pw', roles: ['user'] },
              { username: 'bob', password_hash: await hashSecret('bob-pw'), roles: ['user'] },
              { username: 'carol', password_hash: await hashSecret('carol-pw'), roles: ['user'] },
            ],
          },
          { type: 'tokens', name: 'portal-tokens' },
        ],
        portal: { realm: 'local' },
        jwt: { iss: 'guessing-test', exp: 300 },
      },
    });
  });
  afterAll(() => app?.stop());

  // The app trusts X-Forwarded-For from loopback (server.trusted_proxies): each header is a client.
  const check = (authorization: string, from: string) => fetch(`${app.url}/api/authenticate`, { headers: { Authorization: authorization, 'X-Forwarded-For': from } }).then((r) => r.status);
  const timed = async (authorization: string, from: string) => {
    const started = performance.now();
    const status = await check(authorization, from);
    return { status, ms: performance.now() - started };
  };
  const argon2Runs = async (provider: string) => {
    const text = await (await fetch(`${app.url}/api/metrics`)).text();
    return [...text.matchAll(new RegExp(`^authotron_argon2_verifications_total\\{provider_name="${provider}"[^}]*\\} (\\d+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
  };

  it('plain: the owner gets in within 2 s from another address while its username is flooded with wrong passwords', async () => {
    expect(await check(basic('bob', 'guess-0'), ATTACKER)).toBe(401); // the attacker's address is now a suspect for bob
    const flood = Array.from({ length: FLOOD }, (_, i) => check(basic('bob', `guess-${i + 1}`), ATTACKER));
    await sleep(200); // the guesses fill the narrow lane
    const owner = await timed(basic('bob', 'bob-pw'), OWNER);
    expect(owner.status).toBe(200);
    expect(owner.ms).toBeLessThan(2000);
    const statuses = await Promise.all(flood);
    expect(statuses).not.toContain(200);
    expect(statuses).toContain(503); // the lane was full: the owner got in beside it
  });

  it('plain: a flood that fills the main lane before any verdict still lets another address through next', async () => {
    const flood = Array.from({ length: FLOOD }, (_, i) => check(basic('carol', `guess-${i}`), ATTACKER));
    await sleep(100);
    const owner = await timed(basic('carol', 'carol-pw'), OWNER);
    expect(owner.status).toBe(200);
    expect(owner.ms).toBeLessThan(2000);
    expect(await Promise.all(flood)).not.toContain(200);
  });

  it('tokens: the owner gets in within 2 s from another address, and the flood of wrong secrets costs no argon2', async () => {
    const response = await fetch(`${app.url}/api/tokens`, { method: 'POST', headers: { Authorization: basic('alice', 'alice-pw'), 'Content-Type': 'application/json' }, body: '{"name":"flooded"}' });
    expect(response.status).toBe(201);
    const { token, secret } = (await response.json()) as { token: { id: string }; secret: string };
    const guess = (i: number) => `Bearer ${formatToken('aot', token.id, `W${String(i).padStart(35, '0')}`)}`;
    const before = await argon2Runs('portal-tokens');

    expect(await check(guess(0), ATTACKER)).toBe(401);
    const flood = Array.from({ length: FLOOD }, (_, i) => check(guess(i + 1), ATTACKER));
    await sleep(200);
    const owner = await timed(`Bearer ${secret}`, OWNER);
    expect(owner.status).toBe(200);
    expect(owner.ms).toBeLessThan(2000);
    const statuses = await Promise.all(flood);
    expect(statuses).not.toContain(200);
    // Valid checksums, wrong secrets: refused by their fingerprint. Only the owner's secret ran argon2.
    expect(await argon2Runs('portal-tokens')).toBe(before + 1);
  });

  it('tokens: guesses from many addresses cost no argon2 either', async () => {
    const response = await fetch(`${app.url}/api/tokens`, { method: 'POST', headers: { Authorization: basic('alice', 'alice-pw'), 'Content-Type': 'application/json' }, body: '{"name":"spread"}' });
    const { token } = (await response.json()) as { token: { id: string } };
    const before = await argon2Runs('portal-tokens');
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => check(`Bearer ${formatToken('aot', token.id, `S${String(i).padStart(35, '0')}`)}`, `192.0.2.${i + 1}`)));
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(await argon2Runs('portal-tokens')).toBe(before);
  });
});
