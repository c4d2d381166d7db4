import { encode } from '@auth/core/jwt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app';

const SECRET = 'portal-session-test-secret-0123456789abcdef';
const COOKIE = 'authjs.session-token';

/**
 * People signed in to the portal reach browser paths behind nginx: the gateway accepts the portal's
 * session cookie (as next-auth writes it), and only while the user is enabled.
 */
describe('portal session at the gateway', () => {
  let app: RunningApp;
  let db: pg.Client;
  let userId: string;

  beforeAll(async () => {
    app = await startApp({
      database: 'postgres',
      env: { AUTH_SECRET: SECRET, AOT_DEMO_IDP_PORT: '0' }, // sign-in configured (the development IdP), so the portal API reads sessions
      config: {
        providers: [{ type: 'plain', name: 'users', realm: 'local', users: [{ username: 'bob', password: 'bob-pw' }] }],
        services: [{ name: 'polytope', scopes: ['read'] }],
        portal: { realm: 'local', admin_roles: ['admin'] },
        jwt: { iss: 'session-test', exp: 600 },
      },
    });
    db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ id: string }>(`insert into users (realm, username, roles, attributes) values ('local', 'carol', '["viewer"]', '{"team":"x"}') returning id`);
    userId = rows[0]!.id;
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const cookieFor = async (claims: Record<string, unknown>, secret = SECRET, maxAge = 3600) =>
    `theme=dark; ${COOKIE}=${await encode({ token: { sub: userId, portal: claims }, secret, salt: COOKIE, maxAge })}`;
  const claims = () => ({ userId, realm: 'local', username: 'carol', name: 'Carol', roles: ['viewer'] });
  const check = (cookie: string) => fetch(`${app.url}/api/authenticate`, { headers: { Cookie: cookie } });

  it('accepts a valid session cookie as the signed-in user, with every catalog scope', async () => {
    const response = await check(await cookieFor(claims()));
    expect(response.status).toBe(200);
    const whoami = await (await fetch(`${app.url}/api/whoami`, { headers: { Cookie: await cookieFor(claims()) } })).json();
    expect(whoami).toMatchObject({ username: 'carol', realm: 'local', roles: ['viewer'], attributes: { team: 'x' }, scopes: { polytope: ['read'] }, auth: { method: 'portal-session' } });
  });

  it('refuses a cookie from another secret, a tampered one, an expired one, and no cookie at all', async () => {
    expect((await check(await cookieFor(claims(), 'another-installation-secret-0123456789'))).status).toBe(401);
    const valid = await cookieFor(claims());
    expect((await check(`${valid.slice(0, -4)}AAAA`)).status).toBe(401);
    expect((await check(await cookieFor(claims(), SECRET, -60))).status).toBe(401);
    expect((await check('theme=dark')).status).toBe(401);
    expect((await check(await cookieFor({ ...claims(), userId: '00000000-0000-0000-0000-000000000000' }))).status).toBe(401);
  });

  it('does not offer a challenge for the session (it is not something a client can send)', async () => {
    const response = await check('theme=dark');
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="local"');
  });

  it('stops accepting the session as soon as the user is disabled', async () => {
    const cookie = await cookieFor(claims());
    expect((await check(cookie)).status).toBe(200); // cached now
    await db.query('update users set disabled_at = now() where id = $1', [userId]);
    await db.query(`select pg_notify('aot_tokens', $1)`, [`user:${userId}`]);
    await expect.poll(async () => (await check(cookie)).status, { timeout: 1000 }).toBe(401);
  });

  it('lets the session manage tokens from the same origin only (CSRF)', async () => {
    const user = await db.query<{ id: string }>(`insert into users (realm, username, roles) values ('local', 'dave', '[]') returning id`);
    const cookie = `${COOKIE}=${await encode({ token: { sub: user.rows[0]!.id, portal: { userId: user.rows[0]!.id, realm: 'local', username: 'dave', name: null, roles: [] } }, secret: SECRET, salt: COOKIE, maxAge: 3600 })}`;
    const post = (headers: Record<string, string>) =>
      fetch(`${app.url}/api/tokens`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ name: 'from the browser' }) });
    const count = async () => ((await (await fetch(`${app.url}/api/tokens`, { headers: { Cookie: cookie } })).json()) as { tokens: unknown[] }).tokens.length;

    expect((await post({ Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({})).status).toBe(403); // no Origin and no Sec-Fetch-Site: not provably same-origin
    expect(await count()).toBe(0);
    expect((await post({ Origin: `http://127.0.0.1:${Number(new URL(app.url).port) + 1}` })).status).toBe(403); // another port
    expect((await post({ Origin: new URL(app.url).origin })).status).toBe(201);
    expect((await post({ 'Sec-Fetch-Site': 'same-origin' })).status).toBe(201);
    expect(await count()).toBe(2);
  });

  /** A session cookie for a new, enabled user (carol is disabled above). */
  async function freshSession(username: string): Promise<string> {
    const { rows } = await db.query<{ id: string }>(`insert into users (realm, username, roles) values ('local', $1, '[]') returning id`, [username]);
    const id = rows[0]!.id;
    return `${COOKIE}=${await encode({ token: { sub: id, portal: { userId: id, realm: 'local', username, name: null, roles: [] } }, secret: SECRET, salt: COOKIE, maxAge: 3600 })}`;
  }

  it('accepts the session for a request that changes something only when the browser says it is same-origin (CSRF at the gateway)', async () => {
    const cookie = await freshSession('erin');
    const asked = (method: string, headers: Record<string, string> = {}) =>
      fetch(`${app.url}/api/authenticate`, { headers: { Cookie: cookie, 'X-Original-Method': method, 'X-Original-URI': '/app/x', 'X-Original-Host': 'portal.example.org', ...headers } }).then(
        (r) => r.status,
      );
    expect(await asked('GET')).toBe(200); // safe methods: a cross-site link is fine
    expect(await asked('HEAD', { 'Sec-Fetch-Site': 'cross-site' })).toBe(200);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post']) {
      expect(await asked(method), method).toBe(401); // says nothing about its origin
      expect(await asked(method, { 'Sec-Fetch-Site': 'cross-site' }), method).toBe(401);
      expect(await asked(method, { 'Sec-Fetch-Site': 'same-site' }), method).toBe(401); // a sibling host is another origin
      expect(await asked(method, { Origin: 'https://evil.example' }), method).toBe(401);
      expect(await asked(method, { Origin: 'https://sub.portal.example.org' }), method).toBe(401);
      expect(await asked(method, { Origin: 'http://portal.example.org:8081' }), method).toBe(401); // another port is another origin
      expect(await asked(method, { Origin: 'null' }), method).toBe(401);
      expect(await asked(method, { 'Sec-Fetch-Site': 'same-origin' }), method).toBe(200);
      expect(await asked(method, { Origin: 'https://portal.example.org' }), method).toBe(200);
    }
    // A cross-site POST still authenticates with a real credential of its own.
    expect(await asked('POST', { 'Sec-Fetch-Site': 'cross-site', Authorization: `Basic ${Buffer.from('bob:bob-pw').toString('base64')}` })).toBe(200);
  });

  it("decides the portal API's CSRF check by the provider that accepted, not by the presence of an Authorization header", async () => {
    const cookie = await freshSession('frank');
    const post = (headers: Record<string, string>) =>
      fetch(`${app.url}/api/tokens`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ name: 'riding on the cookie' }) });
    const count = async () => ((await (await fetch(`${app.url}/api/tokens`, { headers: { Cookie: cookie } })).json()) as { tokens: unknown[] }).tokens.length;
    const before = await count();
    for (const authorization of ['Bearer garbage', 'Basic Ym9iOndyb25n', 'Negotiate abc', 'Bearer aot_x_y']) {
      const response = await post({ Authorization: authorization, 'Sec-Fetch-Site': 'cross-site' });
      expect([401, 403], authorization).toContain(response.status);
    }
    expect(await count()).toBe(before);
  });
});
