import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app';
import { authenticate, bearer, uniqueToken, waitForOutput } from '../support/gateway-client';
import { startTestIssuer, type TestIssuer } from '../support/jwks-server';
import { startUpstream, type Reply, type Upstream, type UpstreamRequest } from '../support/upstreams';

const CLIENT_ID = 'aot-gateway';
const CLIENT_SECRET = 'tg-client-secret-0f9e8d7c';

let issuer: TestIssuer;
let otherIssuer: TestIssuer;
let upstream: Upstream;
let app: RunningApp;
const secrets: string[] = [CLIENT_SECRET];

// ECMWF's token generator as documented: validate-token, then the admin refresh exchange.
async function generator(request: UpstreamRequest): Promise<Reply> {
  const body = request.json ?? {};
  if (request.method !== 'POST') return { status: 405, text: 'method' };
  if (request.path === '/validate-token') {
    if (body.client_id !== CLIENT_ID) return { status: 401, json: { error: 'unknown client' } };
    const kind = String(body.token).split('-')[0];
    if (kind === 'inactive') return { status: 200, json: { active: false } };
    if (kind === 'nofield') return { status: 200, json: {} };
    if (kind === 'validatedown') return { status: 500, text: 'boom' };
    if (kind === 'validatehang') return { hang: true };
    return { status: 200, json: { active: true } };
  }
  if (request.path === '/admin/refresh-access-token') {
    if (body.client_id !== CLIENT_ID || body.client_secret !== CLIENT_SECRET) return { status: 401, json: { error: 'bad client' } };
    const kind = String(body.refresh_token).split('-')[0];
    const claims = { sub: 'user-123', preferred_username: 'carol', realm_access: { roles: ['reader'] }, scope: 'openid offline_access', email: 'carol@ecmwf.int' };
    if (kind === 'revoked') return { status: 400, json: { error: 'invalid_grant' } };
    if (kind === 'refreshdown') return { status: 502, text: 'bad gateway' };
    if (kind === 'notoken') return { status: 200, json: { token_type: 'Bearer' } };
    if (kind === 'expired') return { status: 200, json: { access_token: await issuer.sign(claims, { expiresIn: Math.floor(Date.now() / 1000) - 120 }) } };
    if (kind === 'forged') return { status: 200, json: { access_token: await otherIssuer.sign(claims) } };
    const accessToken = await issuer.sign(claims, { expiresIn: '120s' });
    secrets.push(accessToken);
    return { status: 200, json: { access_token: accessToken, expires_in: 120 } };
  }
  return { status: 404, text: 'no' };
}

const token = (prefix: string) => {
  const t = uniqueToken(prefix);
  secrets.push(t);
  return t;
};
const callsFor = (t: string) => upstream.requests.filter((r) => r.json?.token === t || r.json?.refresh_token === t).length;

beforeAll(async () => {
  issuer = await startTestIssuer();
  otherIssuer = await startTestIssuer();
  upstream = await startUpstream(generator);
  app = await startApp({
    config: {
      auth: { timeout_in_ms: 1000 },
      logging: { level: 'debug' },
      jwt: { exp: 3600 },
      providers: [
        {
          type: 'ecmwf-token-generator',
          name: 'token-generator-provider',
          realm: 'ecmwf',
          cert_uri: issuer.jwksUri,
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          token_generator_url: upstream.url,
        },
      ],
    },
  });
});

afterAll(async () => {
  await app?.stop();
  await upstream?.close();
  await issuer?.close();
  await otherIssuer?.close();
});

describe('ecmwf-token-generator provider', () => {
  it('validates, exchanges and checks the access token; the JWT expires with it', async () => {
    const refreshToken = token('good');
    const answer = await authenticate(app.url, bearer(refreshToken, 'ecmwf'));
    expect(answer.status).toBe(200);
    expect(answer.claims).toMatchObject({ username: 'carol', realm: 'ecmwf', roles: ['reader'], auth: { provider: 'token-generator-provider' } });
    const exp = answer.claims?.exp ?? 0;
    expect(exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 121); // the access token's exp, not jwt.exp (3600)
    const validate = upstream.requests.find((r) => r.path === '/validate-token' && r.json?.token === refreshToken);
    expect(validate?.json).toEqual({ token: refreshToken, client_id: CLIENT_ID });
    const exchange = upstream.requests.find((r) => r.path === '/admin/refresh-access-token' && r.json?.refresh_token === refreshToken);
    expect(exchange?.json).toEqual({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: refreshToken });
    expect(JSON.stringify(answer.claims)).not.toContain(refreshToken);
  });

  it('caches the exchange: repeated and concurrent requests call the generator once', async () => {
    const refreshToken = token('good');
    const answers = await Promise.all(Array.from({ length: 4 }, () => authenticate(app.url, bearer(refreshToken, 'ecmwf'))));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect((await authenticate(app.url, bearer(refreshToken, 'ecmwf'))).status).toBe(200);
    expect(callsFor(refreshToken)).toBe(2); // one validate + one exchange
  });

  it('answers 401 for inactive, revoked, expired or forged tokens', async () => {
    for (const prefix of ['inactive', 'nofield', 'revoked', 'expired', 'forged']) {
      const answer = await authenticate(app.url, bearer(token(prefix), 'ecmwf'));
      expect(answer.status, prefix).toBe(401);
    }
  });

  it('answers 503 when the generator cannot give an answer', async () => {
    for (const prefix of ['validatedown', 'validatehang', 'refreshdown', 'notoken']) {
      expect((await authenticate(app.url, bearer(token(prefix), 'ecmwf'))).status, prefix).toBe(503);
    }
  });

  it('logs name the provider, never a refresh token, access token or the client secret', async () => {
    await waitForOutput(app.output, 'token-generator-provider');
    const output = app.output();
    for (const secret of secrets) expect(output).not.toContain(secret);
  });
});
