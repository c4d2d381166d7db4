import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app';
import { authenticate, bearer, uniqueToken, waitForOutput } from '../support/gateway-client';
import { startUpstream, type Reply, type Upstream, type UpstreamRequest } from '../support/upstreams';

// A who-am-i / user-details service that follows the documented contract; the token's prefix picks
// the behaviour, so each test uses fresh tokens and the gateway's caches never interfere.
function behaviour(token: string, ok: () => Reply): Reply {
  const kind = token.split('-')[0];
  switch (kind) {
    case 'good':
      return ok();
    case 'forbidden':
      return { status: 403, json: { message: 'invalid key' } };
    case 'unauth':
      return { status: 401, json: { message: 'invalid key' } };
    case 'error':
      return { status: 500, text: 'internal error' };
    case 'notfound':
      return { status: 404, text: 'not found' };
    case 'hang':
      return { hang: true };
    case 'slow':
      return { ...(ok() as object), delayMs: 3_000 } as Reply;
    case 'garbage':
      return { status: 200, text: '{"uid": "alice", ', contentType: 'application/json' };
    case 'big':
      return { oversized: 256 * 1024 };
    case 'html':
      return { status: 200, text: '<html>login</html>', contentType: 'text/html' };
    case 'shape':
      return { status: 200, json: { user: 'nobody' } };
    case 'delay':
      return { ...(ok() as object), delayMs: 300 } as Reply;
    default:
      return { status: 403, json: { message: 'unknown key' } };
  }
}

function handler(request: UpstreamRequest): Reply {
  const token = request.query.get('token') ?? '';
  if (request.path === '/v1/who-am-i') return behaviour(token, () => ({ status: 200, json: { uid: 'alice', email: 'alice@ecmwf.int', full_name: 'Alice' } }));
  if (request.path === '/efas/userinfo') return behaviour(token, () => ({ status: 200, json: { username: 'bob', roles: ['forecaster', 'forecaster'], email: 'bob@efas.eu' } }));
  return { status: 404, text: 'no such path' };
}

let upstream: Upstream;
let app: RunningApp;
const usedTokens: string[] = [];
const token = (prefix: string) => {
  const t = uniqueToken(prefix);
  usedTokens.push(t);
  return t;
};
const callsFor = (t: string) => upstream.requests.filter((r) => r.query.get('token') === t).length;

beforeAll(async () => {
  upstream = await startUpstream(handler);
  app = await startApp({
    config: {
      version: '2.0.0',
      auth: { timeout_in_ms: 1000 },
      logging: { level: 'debug' },
      jwt: { exp: 600 },
      providers: [
        { type: 'ecmwf-api', name: 'ecmwf-api-provider', realm: 'ecmwf', uri: `${upstream.url}/v1` },
        { type: 'efas-api', name: 'efas-api-provider', realm: 'efas-custom', uri: `${upstream.url}/efas/userinfo` },
        { type: 'ecmwf-api', name: 'dead-api-provider', realm: 'dead', uri: 'http://127.0.0.1:1/v1' },
      ],
    },
  });
});

afterAll(async () => {
  await app?.stop();
  await upstream?.close();
});

describe('ecmwf-api provider', () => {
  it('accepts a valid key: username from uid, email attribute, never the key', async () => {
    const key = token('good');
    const answer = await authenticate(app.url, bearer(key, 'ecmwf'));
    expect(answer.status).toBe(200);
    expect(answer.claims).toMatchObject({
      username: 'alice',
      realm: 'ecmwf',
      attributes: { email: 'alice@ecmwf.int', 'ecmwf-email': 'alice@ecmwf.int' },
      auth: { method: 'ecmwf-api', provider: 'ecmwf-api-provider' },
    });
    expect(answer.jwt).toBeDefined();
    expect(JSON.stringify(answer.claims)).not.toContain(key);
  });

  it('URL-encodes the key in the who-am-i query', async () => {
    const key = `good-${crypto.randomUUID()}+a/b&c=d%e?f`;
    usedTokens.push(key);
    expect((await authenticate(app.url, bearer(key, 'ecmwf'))).status).toBe(200);
    const seen = upstream.requests.filter((r) => r.path === '/v1/who-am-i').at(-1);
    expect(seen?.query.get('token')).toBe(key); // arrived intact, so it was encoded
    expect(seen?.rawUrl).not.toContain('&c=d');
  });

  it('answers 401 with a challenge when who-am-i says the key is invalid (401/403)', async () => {
    for (const prefix of ['forbidden', 'unauth']) {
      const answer = await authenticate(app.url, bearer(token(prefix), 'ecmwf'));
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toContain('Bearer realm="ecmwf"');
    }
  });

  it('answers 503 when who-am-i cannot give an answer', async () => {
    for (const prefix of ['error', 'notfound', 'hang', 'slow', 'garbage', 'big', 'html', 'shape']) {
      const started = Date.now();
      const answer = await authenticate(app.url, bearer(token(prefix), 'ecmwf'));
      expect(answer.status, prefix).toBe(503);
      expect(answer.headers.get('retry-after')).toBeTruthy();
      expect(Date.now() - started, prefix).toBeLessThan(2_500); // bounded by auth.timeout_in_ms
    }
  });

  it('answers 503 when the service is down (connection refused)', async () => {
    expect((await authenticate(app.url, bearer(token('good'), 'dead'))).status).toBe(503);
  });

  it('caches answers: repeats and concurrent requests make one upstream call', async () => {
    const key = token('delay');
    const answers = await Promise.all(Array.from({ length: 5 }, () => authenticate(app.url, bearer(key, 'ecmwf'))));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(callsFor(key)).toBe(1);
    expect((await authenticate(app.url, bearer(key, 'ecmwf'))).status).toBe(200);
    expect(callsFor(key)).toBe(1);
  });

  it('caches rejections briefly but never an outage', async () => {
    const bad = token('forbidden');
    await authenticate(app.url, bearer(bad, 'ecmwf'));
    await authenticate(app.url, bearer(bad, 'ecmwf'));
    expect(callsFor(bad)).toBe(1);
    const failing = token('error');
    await authenticate(app.url, bearer(failing, 'ecmwf'));
    await authenticate(app.url, bearer(failing, 'ecmwf'));
    expect(callsFor(failing)).toBe(2);
  });
});

describe('efas-api provider', () => {
  it('accepts a valid key with the configured realm, roles and email', async () => {
    const answer = await authenticate(app.url, bearer(token('good'), 'efas-custom'));
    expect(answer.status).toBe(200);
    expect(answer.claims).toMatchObject({ username: 'bob', realm: 'efas-custom', roles: ['forecaster'], attributes: { email: 'bob@efas.eu' } });
  });

  it('is selected by its configured realm, not a hard-coded "efas"', async () => {
    const wrongRealm = await authenticate(app.url, bearer(token('good'), 'efas'));
    expect(wrongRealm.status).toBe(401);
    expect(wrongRealm.headers.get('www-authenticate')).toContain('Bearer realm="efas-custom"');
    const providers = (await (await fetch(`${app.url}/api/providers`)).json()) as { providers: Array<{ name: string; realm: string }> };
    expect(providers.providers).toContainEqual({ name: 'efas-api-provider', type: 'efas-api', realm: 'efas-custom' });
  });

  it('maps invalid keys to 401 and upstream trouble to 503', async () => {
    expect((await authenticate(app.url, bearer(token('forbidden'), 'efas-custom'))).status).toBe(401);
    for (const prefix of ['error', 'hang', 'garbage', 'big', 'html', 'shape']) {
      expect((await authenticate(app.url, bearer(token(prefix), 'efas-custom'))).status, prefix).toBe(503);
    }
  });
});

describe('without a realm header', () => {
  it('a key one provider accepts wins even when another is down', async () => {
    const answer = await authenticate(app.url, bearer(token('good')));
    expect(answer.status).toBe(200);
    expect(answer.claims?.realm).toBe('ecmwf'); // config order
  });

  it('a key every reachable provider refuses, with one provider down, is 503 (maybe valid there)', async () => {
    expect((await authenticate(app.url, bearer(token('forbidden')))).status).toBe(503);
  });
});

describe('logs', () => {
  it('name the provider but never contain a key', async () => {
    for (const name of ['ecmwf-api-provider', 'efas-api-provider', 'dead-api-provider']) await waitForOutput(app.output, name);
    const output = app.output();
    for (const key of usedTokens) expect(output).not.toContain(key);
    expect(output).not.toContain('token=');
  });
});
