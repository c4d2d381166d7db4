import { encode } from '@auth/core/jwt';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend';
import { rawRequest, startNginx, TEST_PROXY_SECRET, type RunningNginx } from '../support/nginx';

const SECRET = 'nginx-session-test-secret-0123456789abcdef';
const COOKIE = 'authjs.session-token';
const ISS = 'nginx-session';
const AUD = 'backend';
const HOST = 'portal.example.org';

/**
 * The portal session through the shipped nginx config: API locations never carry it, browser
 * locations do, and there a request that changes something needs the browser's same-origin word.
 */
describe('the portal session cookie behind the shipped nginx config (CSRF)', () => {
  let app: RunningApp;
  let backend: EchoBackend;
  let nginx: RunningNginx;
  let cookie: string;

  beforeAll(async () => {
    app = await startApp({
      database: 'postgres',
      env: { AUTH_SECRET: SECRET },
      config: {
        server: { proxy_secret: TEST_PROXY_SECRET },
        providers: [{ type: 'plain', name: 'users', realm: 'local', users: [{ username: 'bob', password: 'bob-pw', roles: [] }] }],
        portal: { realm: 'local' },
        jwt: { iss: ISS, aud: AUD, exp: 60 },
      },
    });
    const db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ id: string }>(`insert into users (realm, username, roles) values ('local', 'gina', '[]') returning id`);
    await db.end();
    const id = rows[0]?.id ?? '';
    cookie = `${COOKIE}=${await encode({ token: { sub: id, portal: { userId: id, realm: 'local', username: 'gina', name: null, roles: [] } }, secret: SECRET, salt: COOKIE, maxAge: 3600 })}`;
    backend = await startEchoBackend({ jwksUrl: `${app.url}/.well-known/jwks.json`, issuer: ISS, audience: AUD });
    nginx = await startNginx({ appAddresses: [`127.0.0.1:${app.port}`], backendAddress: backend.address });
  });

  afterAll(async () => {
    await nginx?.stop();
    await backend?.close();
    await app?.stop();
  });

  beforeEach(() => backend.clear());

  const send = (path: string, method: string, headers: Record<string, string> = {}) =>
    rawRequest(nginx.url, path, { method, headers: { Host: HOST, Cookie: cookie, ...headers }, body: method === 'GET' ? undefined : '{}' });

  it('lets the signed-in browser through browser locations as its user', async () => {
    const response = await send('/app/page', 'GET');
    expect(response.status, nginx.errorLog()).toBe(200);
    expect(backend.received[0]?.claims).toMatchObject({ username: 'gina', auth: { method: 'portal-session' } });
    expect((await send('/app/form', 'POST', { 'Sec-Fetch-Site': 'same-origin', Origin: `http://${HOST}` })).status).toBe(200);
  });

  it('never carries the session to an API location, whatever the browser says', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const response = await send('/api/v1/items', method, { 'Sec-Fetch-Site': 'same-origin', Origin: `http://${HOST}` });
      expect(response.status, method).toBe(401);
    }
    expect(backend.received).toHaveLength(0);
  });

  it('refuses a cross-site or same-site request that changes something at a browser location', async () => {
    const variants: Array<Record<string, string>> = [
      {},
      { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' },
      { 'Sec-Fetch-Site': 'same-site', Origin: `https://evil.${HOST}` },
      { Origin: 'https://evil.example' },
    ];
    for (const headers of variants) {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const response = await send('/app/form', method, headers);
        expect(response.status, `${method} ${JSON.stringify(headers)}`).toBe(302); // to sign-in, never to the backend
      }
    }
    expect(backend.received).toHaveLength(0);
  });
});
