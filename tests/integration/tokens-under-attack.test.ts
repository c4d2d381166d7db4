import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatToken } from '@/lib/tokens/format';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';

const ALICE = `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Guesses against a token id wait in a narrow lane (2 a second, 64 waiting). Its owner, whose secret
// was confirmed before, must not wait behind them once the verified cache has expired.
describe.each(DATABASE_KINDS)('a token whose id is under a guessing attack (%s)', (database) => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({
      database,
      env: { AOT_AUTH__FAILURE_DELAY_MS: '0', AOT_AUTH__TIMEOUT_IN_MS: '1500' },
      config: {
        providers: [
          { type: 'plain', name: 'users', realm: 'local', users: [{ username: 'alice', password: 'alice-pw', roles: ['user'] }] },
          { type: 'tokens', name: 'portal-tokens' },
        ],
        portal: { realm: 'local' },
        tokens: { cache_ttl: '1s' },
        jwt: { iss: 'attack-test', exp: 300 },
      },
    });
  });
  afterAll(() => app?.stop());

  const gateway = (authorization: string) => fetch(`${app.url}/api/authenticate`, { headers: { Authorization: authorization } }).then((r) => r.status);

  it('still lets its owner in after the cache expires, while the guesses are refused or shed', async () => {
    const response = await fetch(`${app.url}/api/tokens`, { method: 'POST', headers: { Authorization: ALICE, 'Content-Type': 'application/json' }, body: '{"name":"attacked"}' });
    const { token, secret } = (await response.json()) as { token: { id: string }; secret: string };
    const guess = (i: number) => `Bearer ${formatToken('aot', token.id, `W${String(i).padStart(35, '0')}`)}`;

    expect(await gateway(`Bearer ${secret}`)).toBe(200);
    expect(await gateway(guess(0))).toBe(401); // the id is now a suspect
    await sleep(1200); // the owner's verified entry has expired

    const flood = Array.from({ length: 80 }, (_, i) => gateway(guess(i + 1)));
    await sleep(200); // the guesses fill the lane
    expect(await gateway(`Bearer ${secret}`)).toBe(200);
    const statuses = await Promise.all(flood);
    expect(statuses).toContain(503); // the lane was full: the owner got in beside it, not through it
    expect(statuses).not.toContain(200);
  });

  it('does not let a wrong secret ride on the proof of the right one', async () => {
    const response = await fetch(`${app.url}/api/tokens`, { method: 'POST', headers: { Authorization: ALICE, 'Content-Type': 'application/json' }, body: '{"name":"second"}' });
    const { token, secret } = (await response.json()) as { token: { id: string }; secret: string };
    expect(await gateway(`Bearer ${secret}`)).toBe(200);
    await sleep(1200);
    expect(await gateway(`Bearer ${formatToken('aot', token.id, 'X'.repeat(36))}`)).toBe(401);
    expect(await gateway(`Bearer ${secret}`)).toBe(200);
  });

  it('refuses a proven secret once its token is revoked', async () => {
    const response = await fetch(`${app.url}/api/tokens`, { method: 'POST', headers: { Authorization: ALICE, 'Content-Type': 'application/json' }, body: '{"name":"revoked"}' });
    const { token, secret } = (await response.json()) as { token: { id: string }; secret: string };
    expect(await gateway(`Bearer ${secret}`)).toBe(200);
    await sleep(1200);
    expect((await fetch(`${app.url}/api/tokens/${token.id}`, { method: 'DELETE', headers: { Authorization: ALICE } })).status).toBe(200);
    expect(await gateway(`Bearer ${secret}`)).toBe(401);
  });
});
