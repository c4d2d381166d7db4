import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startApp, type RunningApp } from '../support/app';
import { authenticate, bearer, waitForOutput } from '../support/gateway-client';
import { obtainTokens, PRIVATE_CLIENT, PRIVATE_SECRET, PUBLIC_CLIENT, RESOURCE, startTestIdp, type TestIdp } from '../support/oidc-idp';

const INTROSPECT = '/protocol/openid-connect/token/introspect';
const TOKEN = '/protocol/openid-connect/token';

let idp: TestIdp;
let app: RunningApp;
const secrets: string[] = [PRIVATE_SECRET];
const offlineToken = async (username: string, scope?: string) => {
  const tokens = await obtainTokens(idp, username, scope);
  secrets.push(tokens.refresh_token, tokens.access_token);
  return tokens.refresh_token;
};

beforeAll(async () => {
  idp = await startTestIdp('test');
  const clients = { public_client_id: PUBLIC_CLIENT, private_client_id: PRIVATE_CLIENT, private_client_secret: PRIVATE_SECRET };
  app = await startApp({
    config: {
      auth: { timeout_in_ms: 1500 },
      logging: { level: 'debug' },
      jwt: { exp: 3600 },
      providers: [
        { type: 'openid-offline', name: 'offline-discovery', realm: 'oidc', issuer: idp.issuer, audience: RESOURCE, ...clients },
        // auth-o-tron's keys: Keycloak layout, the realm doubles as the Keycloak realm.
        { type: 'openid-offline', name: 'offline-keycloak', realm: 'test', iam_url: idp.base, ...clients },
        { type: 'openid-offline', name: 'offline-confidential', realm: 'confidential', issuer: idp.issuer, ...clients, public_client_id: PRIVATE_CLIENT },
        { type: 'openid-offline', name: 'offline-wrong-secret', realm: 'misconfigured', iam_url: idp.base, iam_realm: 'test', ...clients, private_client_secret: 'not-the-secret' },
        { type: 'openid-offline', name: 'offline-no-idp', realm: 'nowhere', issuer: 'http://127.0.0.1:1/realms/none', ...clients },
      ],
    },
  });
});

afterAll(async () => {
  await app?.stop();
  await idp?.close();
});

describe('openid-offline provider against a real OpenID Provider', () => {
  it('accepts an offline token (discovery): introspect, refresh, JWT check; the JWT expires with the access token', async () => {
    const token = await offlineToken('alice');
    const answer = await authenticate(app.url, bearer(token, 'oidc'));
    expect(answer.status).toBe(200);
    expect(answer.claims).toMatchObject({ username: 'alice', realm: 'oidc', roles: ['offline-user'], auth: { method: 'openid-offline', provider: 'offline-discovery' } });
    expect(answer.claims?.exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 300); // access token TTL, not jwt.exp
    expect(JSON.stringify(answer.claims)).not.toContain(token);
  });

  it('accepts it through the Keycloak URL layout (iam_url + realm)', async () => {
    const token = await offlineToken('bob');
    const before = idp.hits(INTROSPECT);
    const answer = await authenticate(app.url, bearer(token, 'test'));
    expect(answer.status).toBe(200);
    expect(answer.claims).toMatchObject({ username: 'bob', realm: 'test' });
    expect(idp.hits(INTROSPECT)).toBe(before + 1);
  });

  it('refreshes as the confidential client when both client ids name it', async () => {
    const tokens = await obtainTokens(idp, 'ivan', 'openid offline_access', PRIVATE_CLIENT);
    secrets.push(tokens.refresh_token, tokens.access_token);
    expect((await authenticate(app.url, bearer(tokens.refresh_token, 'confidential'))).claims).toMatchObject({ username: 'ivan', realm: 'confidential' });
    // ...and a token of the public client cannot be refreshed by it
    expect((await authenticate(app.url, bearer(await offlineToken('judy'), 'confidential'))).status).toBe(401);
  });

  it('caches introspection and refresh; concurrent requests share one call', async () => {
    const token = await offlineToken('carol');
    const introspections = idp.hits(INTROSPECT);
    const refreshes = idp.hits(TOKEN);
    const answers = await Promise.all(Array.from({ length: 5 }, () => authenticate(app.url, bearer(token, 'oidc'))));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await authenticate(app.url, bearer(token, 'oidc'))).status).toBe(200);
    expect(idp.hits(INTROSPECT) - introspections).toBe(1);
    expect(idp.hits(TOKEN) - refreshes).toBe(1);
  });

  it('requires the exact offline_access scope (auth-o-tron matched a substring)', async () => {
    const token = await offlineToken('dave', 'openid not_offline_access');
    expect((await authenticate(app.url, bearer(token, 'oidc'))).status).toBe(401);
  });

  it('refuses revoked and unknown tokens with 401', async () => {
    const token = await offlineToken('erin');
    const revoked = await fetch(`${idp.issuer}/protocol/openid-connect/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: PUBLIC_CLIENT }).toString(),
    });
    expect(revoked.status).toBe(200);
    expect((await authenticate(app.url, bearer(token, 'oidc'))).status).toBe(401);
    expect((await authenticate(app.url, bearer('not-a-real-offline-token', 'oidc'))).status).toBe(401);
  });

  it('refuses an access token presented instead of an offline token', async () => {
    const { access_token: accessToken } = await obtainTokens(idp, 'frank');
    secrets.push(accessToken);
    expect(decodeJwt(accessToken).aud).toBe(RESOURCE);
    expect((await authenticate(app.url, bearer(accessToken, 'oidc'))).status).toBe(401);
  });

  it('answers 503 when the IdP fails or hangs, and recovers', async () => {
    const token = await offlineToken('grace');
    try {
      idp.setMode('down');
      expect((await authenticate(app.url, bearer(token, 'oidc'))).status).toBe(503);
      idp.setMode('hang');
      const started = Date.now();
      expect((await authenticate(app.url, bearer(token, 'test'))).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      idp.setMode('ok');
    }
    expect((await authenticate(app.url, bearer(token, 'oidc'))).status).toBe(200); // the outage was not cached
  });

  it('answers 503 for a gateway misconfiguration (wrong client secret) or an unreachable issuer', async () => {
    const token = await offlineToken('heidi');
    expect((await authenticate(app.url, bearer(token, 'misconfigured'))).status).toBe(503);
    expect((await authenticate(app.url, bearer(token, 'nowhere'))).status).toBe(503);
  });

  it('logs name the provider and never a token or the client secret', async () => {
    await waitForOutput(app.output, 'offline-wrong-secret');
    await waitForOutput(app.output, 'offline-no-idp');
    const output = app.output();
    for (const secret of secrets) expect(output).not.toContain(secret);
  });
});
