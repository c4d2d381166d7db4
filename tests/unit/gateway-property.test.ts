import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '@/lib/config/schema';
import { createLogger } from '@/lib/log/logger';
import { createRuntime, type Runtime } from '@/lib/runtime';
import { startTestIssuer, type TestIssuer } from '../support/jwks-server';

/** Random headers thrown at the gateway core: it never throws and only answers 200, 401, 403 or 503. */
describe('gateway core under random headers', () => {
  let runtime: Runtime;
  let idp: TestIssuer;
  let logs = '';

  beforeAll(async () => {
    idp = await startTestIssuer();
    const config = configSchema.parse({
      providers: [
        { type: 'plain', name: 'users', realm: 'local', users: [{ username: 'alice', password: 'alice-pw', roles: ['user'] }] },
        { type: 'jwt', name: 'idp', realm: 'idp', cert_uri: idp.jwksUri },
        { type: 'tokens', name: 'tokens' },
      ],
      augmenters: [{ type: 'plain_advanced', name: 'adv', realm: 'local', match: { username: ['alice'] }, augment: { roles: ['x'], attributes: { a: 'b' } } }],
      services: [{ name: 'svc', scopes: ['read'] }],
      policies: [
        { match: { path: '/admin/**' }, require: { roles_all: ['admin'] } },
        { match: { methods: ['DELETE'] }, require: { scopes: ['svc:read'], attributes: { a: 'c' } } },
      ],
      database: { path: 'memory://' },
      auth: { timeout_in_ms: 1000, failure_delay_ms: 0 },
    });
    const sink = new Writable({ write: (chunk, _enc, done) => ((logs += String(chunk)), done()) });
    runtime = await createRuntime({ config, demo: false, source: 'test', warnings: [] }, createLogger({ level: 'debug', format: 'json' }, sink));
  });

  afterAll(async () => {
    await runtime?.close();
    await idp?.close();
  });

  const validBasic = `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`;
  const schemeish = fc.oneof(fc.constantFrom('Basic', 'bearer', 'BEARER', 'Plain', 'Negotiate', ''), fc.string({ maxLength: 8 }));
  const credentialish = fc.oneof(
    fc.string({ maxLength: 64 }),
    fc.string({ unit: 'binary', maxLength: 64 }),
    fc.base64String({ maxLength: 64 }),
    fc.constant(validBasic.slice(6)),
    fc.constant('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'),
  );
  const authorization = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc
      .array(
        fc.tuple(schemeish, fc.constantFrom(' ', '  ', '\t', ''), credentialish).map(([s, sp, c]) => `${s}${sp}${c}`),
        { maxLength: 5 },
      )
      .map((parts) => parts.join(', ')),
    fc.constant(validBasic),
  );
  const headers = fc.record(
    {
      authorization,
      'x-auth-realm': fc.oneof(fc.constantFrom('local', 'idp', 'LOCAL'), fc.string({ unit: 'binary', maxLength: 20 })),
      'x-original-uri': fc.oneof(fc.constantFrom('/admin/x', '/../admin', '/%2e%2e/admin', '%', '/a?b#c'), fc.string({ unit: 'binary', maxLength: 50 })),
      'x-original-method': fc.oneof(fc.constantFrom('GET', 'DELETE', 'post'), fc.string({ maxLength: 10 })),
      'x-original-host': fc.string({ unit: 'binary', maxLength: 30 }),
      'x-forwarded-for': fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 40 })),
    },
    { requiredKeys: [] },
  );

  const attempts = async () =>
    (await runtime.metrics.registry.metrics())
      .split('\n')
      .filter((l) => l.startsWith('auth_provider_attempts_total{'))
      .join('\n');
  const check = (authorization: string) =>
    runtime.http.handle({ method: 'GET', path: '/api/authenticate', header: (name) => ({ authorization, 'x-original-uri': '/x' })[name], remoteAddress: '127.0.0.1' });

  it('leaves paths named like Object.prototype members to the portal (no route found by inheritance)', () => {
    for (const path of ['/constructor', '/__proto__', '/toString', '/hasOwnProperty', '/valueOf']) {
      expect(runtime.http.handle({ method: 'GET', path, header: () => undefined, remoteAddress: '127.0.0.1' })).toBeNull();
    }
  });

  it('refuses a flood of garbage at once: 401, no provider attempt, nothing left waiting', async () => {
    const before = await attempts();
    for (let i = 0; i < 2000; i++) {
      const answer = check(`Bearer not-a-token-${i.toString(36)}.${'x'.repeat(42)}`);
      expect(answer).not.toBeInstanceOf(Promise); // answered within the call: no timer, no queue
      expect(answer).toMatchObject({ status: 401, body: '' });
    }
    expect(await attempts()).toBe(before);
  });

  it('refuses a flood of our-shaped tokens with bad checksums at once: no lookup, no delay, nothing left waiting', async () => {
    for (let i = 0; i < 2000; i++) {
      const answer = check(`Bearer aot_${i.toString(36).padStart(16, '0')}_${'x'.repeat(42)}`);
      expect(answer).not.toBeInstanceOf(Promise); // a database lookup or the failure delay would be a promise
      expect(answer).toMatchObject({ status: 401, body: '' });
    }
  });

  it('never throws and only answers 200, 401, 403 or 503', async () => {
    await fc.assert(
      fc.asyncProperty(headers, fc.constantFrom('GET', 'POST', 'HEAD', 'DELETE', 'FOO'), fc.constantFrom('/api/authenticate', '/authenticate', '/api/whoami'), async (h, method, path) => {
        const response = await runtime.http.handle({ method, path, header: (name) => (h as Record<string, string | undefined>)[name], remoteAddress: '127.0.0.1' });
        expect(response).not.toBeNull();
        expect([200, 401, 403, 503]).toContain(response!.status);
        expect(response!.headers['Cache-Control']).toBe('no-store');
        for (const value of Object.values(response!.headers)) expect(value).toMatch(/^[\x20-\x7e]*$/);
        // Auth sub-requests (they name the original URI) get an empty body; everyone else JSON.
        const subRequest = path.endsWith('authenticate') && h['x-original-uri'] !== undefined;
        if (subRequest) expect(response!.body).toBe('');
        else expect(() => JSON.parse(response!.body)).not.toThrow();
      }),
      { numRuns: 400 },
    );
    expect(logs).not.toContain('alice-pw');
  });
});

describe('refusing presented credentials takes auth.failure_delay_ms', () => {
  let runtime: Runtime;

  beforeAll(async () => {
    const config = configSchema.parse({
      providers: [{ type: 'plain', name: 'users', realm: 'local', users: [{ username: 'alice', password: 'alice-pw' }] }],
      database: { path: 'memory://' },
      auth: { failure_delay_ms: 5000 },
    });
    runtime = await createRuntime({ config, demo: false, source: 'test', warnings: [] }, createLogger({ level: 'fatal', format: 'json' }, new Writable({ write: (_c, _e, done) => done() })));
  });
  afterAll(() => runtime?.close());

  const ask = (authorization?: string) =>
    runtime.http.handle({ method: 'GET', path: '/api/authenticate', header: (name) => (name === 'authorization' ? authorization : undefined), remoteAddress: '127.0.0.1' });
  const settledSoon = (answer: unknown) => Promise.race([Promise.resolve(answer).then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 200))]);

  it('holds back the answer to a wrong password, but not to garbage, no credentials or a right one', async () => {
    expect(await settledSoon(ask(`Basic ${Buffer.from('alice:wrong').toString('base64')}`))).toBe(false);
    expect(await settledSoon(ask(`Basic ${Buffer.from('bob:guess').toString('base64')}`))).toBe(false); // unknown users alike
    expect(await settledSoon(ask('Basic %%%not-base64%%%'))).toBe(true);
    expect(await settledSoon(ask('Bearer garbage'))).toBe(true);
    expect(await settledSoon(ask())).toBe(true);
    expect(await settledSoon(ask(`Basic ${Buffer.from('alice:alice-pw').toString('base64')}`))).toBe(true);
  });
});
