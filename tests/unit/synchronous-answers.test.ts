import { Writable } from 'node:stream';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '@/lib/config/schema';
import { isPending } from '@/lib/gateway/maybe';
import type { GatewayResponse } from '@/lib/gateway/types';
import { createLogger } from '@/lib/log/logger';
import { createRuntime, type Runtime } from '@/lib/runtime';

/**
 * A check whose answer is in memory is answered within the call (the custom server writes it to the
 * socket without a turn of the event loop). Static augmenters (plain, plain_advanced) must not cost
 * a realm that path, and must still apply to every answer.
 */
describe('cached checks answer synchronously, static augmenters included', () => {
  let runtime: Runtime;

  beforeAll(async () => {
    const config = configSchema.parse({
      providers: [
        { type: 'plain', name: 'users', realm: 'local', users: [{ username: 'alice', password: 'alice-pw', roles: ['user'] }] },
        { type: 'plain', name: 'bare', realm: 'bare', users: [{ username: 'bob', password: 'bob-pw', roles: ['user'] }] },
      ],
      augmenters: [
        { type: 'plain', name: 'admins', realm: 'local', roles: { admin: ['alice'] } },
        { type: 'plain_advanced', name: 'adv', realm: 'local', match: { role: ['admin'] }, augment: { roles: ['ops'], attributes: { team: 'core' } } },
      ],
      include_legacy_headers: true,
      database: { path: 'memory://' },
      auth: { failure_delay_ms: 0 },
    });
    runtime = await createRuntime({ config, demo: false, source: 'test', warnings: [] }, createLogger({ level: 'fatal', format: 'json' }, new Writable({ write: (_c, _e, done) => done() })));
  });
  afterAll(() => runtime?.close());

  const check = (user: string, password: string) => {
    const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, 'x-original-uri': '/data' };
    return runtime.http.handle({ method: 'GET', path: '/api/authenticate', header: (name) => headers[name], remoteAddress: '127.0.0.1' });
  };
  const settled = async (answer: ReturnType<typeof check>) => (await answer) as GatewayResponse;

  it('a realm with plain augmenters answers its cached checks at once, with the augmented roles and attributes', async () => {
    const first = await settled(check('alice', 'alice-pw')); // argon2: a promise
    expect(first.status).toBe(200);
    const again = check('alice', 'alice-pw');
    expect(isPending(again)).toBe(false);
    const response = again as GatewayResponse;
    expect(response.status).toBe(200);
    expect(response.headers['X-Auth-Roles']).toBe('user,admin,ops');
    const claims = decodeJwt((response.headers.Authorization ?? '').slice('Bearer '.length));
    expect(claims).toMatchObject({ username: 'alice', roles: ['user', 'admin', 'ops'], attributes: { team: 'core' } });
    // The same answer, made once for the identity: the JWT is reused, not signed again.
    expect(response.headers.Authorization).toBe(first.headers.Authorization);
  });

  it('a realm without augmenters, and a cached wrong password, answer at once as well', async () => {
    await settled(check('bob', 'bob-pw'));
    expect(isPending(check('bob', 'bob-pw'))).toBe(false);
    expect((await settled(check('bob', 'wrong'))).status).toBe(401);
    const refused = check('bob', 'wrong');
    expect(isPending(refused)).toBe(false);
    expect((refused as GatewayResponse).status).toBe(401);
  });
});
