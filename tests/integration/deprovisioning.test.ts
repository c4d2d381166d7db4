import { randomBytes } from 'node:crypto';
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '@/lib/crypto/secrets';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';
import { PORTAL_CLIENT, PORTAL_SECRET, startTestIdp, type TestIdp } from '../support/oidc-idp';
import { waitForOutput } from '../support/gateway-client';
import { freePort } from '../support/ports';
import { newBrowser, signInToPortal, signOutAtIdp, signOutOfPortal } from '../support/portal-signin';
import { createPostgresDatabase, type TestDatabase } from '../support/postgres';

const REALM = 'people';
const DEADLINE_MS = 1000;
const POLL_MS = 25;
const SCIM_SECRET = `scim-${randomBytes(24).toString('base64url')}`;
const SCIM_TYPE = 'application/scim+json';
const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const PEOPLE = ['root', 'sam', 'dora', 'bella', 'remy', 'vera'] as const;
type Person = (typeof PEOPLE)[number];

const passwordOf = (person: Person) => `${person}-password`;
const basic = (person: Person) => `Basic ${Buffer.from(`${person}:${passwordOf(person)}`).toString('base64')}`;

/**
 * Deprovisioning from the IdP's side: SCIM deactivation, OIDC back-channel logout and a failed
 * revalidation each stop a user's tokens, Basic password and portal session on every replica
 * within a second; re-enabling (SCIM `active: true`, a new sign-in) brings the tokens back.
 */
describe.each(DATABASE_KINDS)('deprovisioning (%s)', (kind) => {
  let idp: TestIdp;
  let database: TestDatabase | undefined;
  let replicas: RunningApp[] = [];
  /** Logout tokens this test sent: none may show up in a log. */
  const sentLogoutTokens: string[] = [];

  beforeAll(async () => {
    const ports = kind === 'postgres' ? [await freePort(), await freePort()] : [await freePort()];
    // Next calls loopback addresses `localhost` in the callback URL it sends: the IdP knows both names.
    const origins = ports.map((port) => `http://localhost:${port}`);
    idp = await startTestIdp('deprov', {
      portal: { origins: [...origins, ...ports.map((port) => `http://127.0.0.1:${port}`)], backchannelLogoutUri: `http://127.0.0.1:${ports[0]}/api/auth/backchannel-logout` },
    });
    const tokenHash = await hashSecret(SCIM_SECRET);
    const configFor = (origin: string) => ({
      providers: [
        { type: 'plain', name: 'people', realm: REALM, users: PEOPLE.map((p) => ({ username: p, password: passwordOf(p), roles: p === 'root' ? ['admin'] : ['user'] })) },
        { type: 'tokens', name: 'tokens' },
      ],
      services: [{ name: 'polytope', scopes: ['read'] }],
      portal: { url: origin, realm: REALM, admin_roles: ['admin'], oidc: { issuer: idp.issuer, client_id: PORTAL_CLIENT, client_secret: PORTAL_SECRET }, revalidate_every: '1s' },
      scim: { token_hash: tokenHash },
      tokens: { cache_ttl: '5m', creations_per_minute: 100 }, // long: only a notification can make a replica forget
      jwt: { iss: 'deprovisioning', aud: 'backend', exp: 60 },
      auth: { failure_delay_ms: 0 },
    });
    if (kind === 'postgres') database = await createPostgresDatabase();
    replicas = await Promise.all(
      ports.map((port, i) =>
        startApp({ config: configFor(origins[i] as string), urlHost: 'localhost', ...(database ? { databaseUrl: database.url } : { database: 'pglite' }), env: { AOT_SERVER__PORT: String(port) } }),
      ),
    );
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await database?.drop();
    await idp?.close();
  });

  const first = () => replicas[0] as RunningApp;
  const check = (app: RunningApp, headers: Record<string, string>) => fetch(`${app.url}/api/authenticate`, { headers }).then((r) => r.status);
  /** Every credential answers `status` on every replica within DEADLINE_MS of now (call it right after the change): all polled at once, against one deadline. */
  const everywhere = async (credentials: Array<Record<string, string>>, status: number) => {
    const start = Date.now();
    const settle = async (app: RunningApp, headers: Record<string, string>) => {
      for (;;) {
        const answered = await check(app, headers);
        if (answered === status) return;
        if (Date.now() - start > DEADLINE_MS) throw new Error(`${app.url} still answers ${answered}, not ${status}, ${Date.now() - start} ms after the change`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    };
    await Promise.all(replicas.flatMap((app) => credentials.map((headers) => settle(app, headers))));
  };
  const warm = async (credentials: Array<Record<string, string>>) => {
    for (const app of replicas) for (const headers of credentials) expect(await check(app, headers)).toBe(200);
  };
  const createToken = async (person: Person): Promise<Record<string, string>> => {
    const created = await fetch(`${first().url}/api/tokens`, {
      method: 'POST',
      headers: { Authorization: basic(person), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `${person}'s`, scopes: ['polytope:read'] }),
    });
    expect(created.status).toBe(201);
    return { Authorization: `Bearer ${((await created.json()) as { secret: string }).secret}` };
  };
  const password = (person: Person) => ({ Authorization: basic(person) });
  const scim = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    fetch(`${first().url}/scim/v2${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${SCIM_SECRET}`, ...(init.json !== undefined ? { 'Content-Type': SCIM_TYPE } : {}), ...(init.headers as Record<string, string>) },
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    });
  const scimId = async (userName: string): Promise<string> => {
    const list = (await (await scim(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).json()) as { totalResults: number; Resources: Array<{ id: string }> };
    expect(list.totalResults).toBe(1);
    return list.Resources[0]?.id as string;
  };
  const replaceActive = (id: string, operation: Record<string, unknown>) => scim(`/Users/${id}`, { method: 'PATCH', json: { schemas: [PATCH_OP], Operations: [operation] } });
  const adminUser = async (person: Person) => {
    const { users } = (await (await fetch(`${first().url}/api/admin/users?search=${person}`, { headers: password('root') })).json()) as {
      users: Array<{ id: string; username: string; disabled: boolean; disabled_by: string | null }>;
    };
    return users.find((u) => u.username === person);
  };
  const setDisabledByAdmin = (id: string, disabled: boolean) =>
    fetch(`${first().url}/api/admin/users/${id}`, { method: 'PATCH', headers: { Authorization: basic('root'), 'Content-Type': 'application/json' }, body: JSON.stringify({ disabled }) });
  const audit = async () =>
    (await (await fetch(`${first().url}/api/admin/audit`, { headers: password('root') })).json()) as {
      total: number;
      entries: Array<{ actor: string; action: string; target_user: string | null; details: Record<string, unknown> }>;
    };
  const logoutToken = (claims: JWTPayload, header?: { typ?: string }) =>
    idp.sign({ iss: idp.issuer, aud: PORTAL_CLIENT, iat: Math.floor(Date.now() / 1000), jti: randomBytes(8).toString('hex'), events: { [LOGOUT_EVENT]: {} }, ...claims }, header);
  const postLogout = (token: string, contentType = 'application/x-www-form-urlencoded') => {
    sentLogoutTokens.push(token);
    return fetch(`${first().url}/api/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body: contentType.includes('json') ? JSON.stringify({ logout_token: token }) : new URLSearchParams({ logout_token: token }).toString(),
    });
  };

  it('SCIM deactivation stops the token and password everywhere; active: true (either PATCH form) restores them', async () => {
    const token = await createToken('sam');
    await warm([token, password('sam')]);
    const id = await scimId('sam');

    const off = await replaceActive(id, { op: 'replace', path: 'active', value: false });
    expect(off.status).toBe(200);
    expect(off.headers.get('content-type')).toContain(SCIM_TYPE);
    expect(await off.json()).toMatchObject({ id, userName: 'sam', active: false });
    await everywhere([token, password('sam')], 401);
    expect(await check(first(), password('root'))).toBe(200); // nobody else

    expect((await replaceActive(id, { op: 'replace', value: { active: true } })).status).toBe(200);
    await everywhere([token, password('sam')], 200);

    // Okta's form (no path), then Entra ID's ("Replace", the boolean as a string).
    expect((await replaceActive(id, { op: 'replace', value: { active: false } })).status).toBe(200);
    await everywhere([token, password('sam')], 401);
    expect((await replaceActive(id, { op: 'Replace', path: 'active', value: 'True' })).status).toBe(200);
    await everywhere([token, password('sam')], 200);

    const entries = (await audit()).entries.filter((e) => e.target_user === `${REALM}/sam` && e.actor === 'scim');
    expect(entries.map((e) => e.action)).toEqual(['user.enable', 'user.disable', 'user.enable', 'user.disable']);
  });

  it('SCIM userName is case-insensitive: another case of an existing name is a 409, on create and on rename', async () => {
    const sam = await scimId('SAM');
    const duplicate = await scim('/Users', { method: 'POST', json: { userName: 'Sam' } });
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toMatchObject({ status: '409', scimType: 'uniqueness' });
    expect(((await (await scim(`/Users?filter=${encodeURIComponent('userName eq "sam"')}`)).json()) as { totalResults: number }).totalResults).toBe(1);

    const created = await scim('/Users', { method: 'POST', json: { userName: 'zed' } });
    expect(created.status).toBe(201);
    const zed = ((await created.json()) as { id: string }).id;
    const rename = (id: string, userName: string) => scim(`/Users/${id}`, { method: 'PATCH', json: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'userName', value: userName }] } });
    const renamed = await rename(zed, 'sAm');
    expect(renamed.status).toBe(409);
    expect(await renamed.json()).toMatchObject({ scimType: 'uniqueness' });
    // Its own name in another case is the same user: the stored name stays.
    const recased = await rename(sam, 'Sam');
    expect(recased.status).toBe(200);
    expect(await recased.json()).toMatchObject({ id: sam, userName: 'sam' });
    // And deactivating through any case stops sam's password.
    expect((await replaceActive(await scimId('Sam'), { op: 'replace', path: 'active', value: false })).status).toBe(200);
    await everywhere([password('sam')], 401);
    expect((await replaceActive(sam, { op: 'replace', path: 'active', value: true })).status).toBe(200);
    await everywhere([password('sam')], 200);
  });

  it("SCIM does not undo an admin's disabling", async () => {
    const id = await scimId('sam');
    expect((await setDisabledByAdmin(id, true)).status).toBe(200);
    const answer = await replaceActive(id, { op: 'replace', path: 'active', value: true });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ active: false });
    expect((await adminUser('sam'))?.disabled_by).toBe('admin');
    expect((await setDisabledByAdmin(id, false)).status).toBe(200);
    await everywhere([password('sam')], 200);
  });

  it('SCIM refuses calls without the bearer, with another secret, with malformed JSON or another content type', async () => {
    for (const authorization of [undefined, 'Bearer not-the-secret', `Basic ${Buffer.from(`scim:${SCIM_SECRET}`).toString('base64')}`]) {
      const response = await fetch(`${first().url}/scim/v2/Users`, { headers: authorization ? { Authorization: authorization } : {} });
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get('content-type')).toContain(SCIM_TYPE);
      expect(await response.json()).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401', detail: expect.any(String) });
    }
    const malformed = await scim('/Users', { method: 'POST', headers: { 'Content-Type': SCIM_TYPE }, body: '{"userName": "x",' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
    const plainText = await scim('/Users', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ userName: 'x' }) });
    expect(plainText.status).toBe(415);
    expect(await plainText.json()).toMatchObject({ status: '415' });
    const noType = await scim('/Users', { method: 'POST', body: JSON.stringify({ userName: 'x' }) });
    expect(noType.status).toBe(415);
    const invalid = await scim('/Users', { method: 'POST', json: { userName: 'x', active: 'perhaps' } });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ scimType: 'invalidValue' });
    const filter = await scim(`/Users?filter=${encodeURIComponent('name.familyName co "x"')}`);
    expect(filter.status).toBe(400);
    expect(await filter.json()).toMatchObject({ scimType: 'invalidFilter' });
    expect((await scim('/Users/not-a-uuid')).status).toBe(404);
    expect((await scim('/Users/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it("SCIM creates, finds, pages, replaces and deletes users; a deleted user's tokens stay revoked", async () => {
    const created = await scim('/Users', {
      method: 'POST',
      json: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'nova',
        externalId: 'ext-nova',
        active: true,
        name: { givenName: 'Nova', familyName: 'Quinn' },
        emails: [{ value: 'nova@example.org', type: 'work', primary: true }],
        title: 'kept nowhere',
      },
    });
    expect(created.status).toBe(201);
    const nova = (await created.json()) as { id: string; meta: { location: string } };
    expect(nova).toMatchObject({
      userName: 'nova',
      externalId: 'ext-nova',
      active: true,
      displayName: 'Nova Quinn',
      name: { givenName: 'Nova', familyName: 'Quinn' },
      emails: [{ value: 'nova@example.org', primary: true }],
      meta: { resourceType: 'User' },
    });
    expect(nova.meta.location).toBe(`${first().url}/scim/v2/Users/${nova.id}`);
    expect(await (await scim(`/Users/${nova.id}`)).json()).toEqual(nova);
    const again = await scim('/Users', { method: 'POST', json: { userName: 'nova' } });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ status: '409', scimType: 'uniqueness' });

    const byExternal = (await (await scim(`/Users?filter=${encodeURIComponent('externalId eq "ext-nova"')}`)).json()) as { totalResults: number };
    expect(byExternal.totalResults).toBe(1);
    const byName = (await (await scim(`/Users?filter=${encodeURIComponent('userName eq "NOVA"')}`)).json()) as { totalResults: number };
    expect(byName.totalResults).toBe(1); // userName is case-insensitive in SCIM
    const all = (await (await scim('/Users')).json()) as { totalResults: number };
    const page = (await (await scim('/Users?startIndex=2&count=1')).json()) as Record<string, unknown>;
    expect(page).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: all.totalResults, startIndex: 2, itemsPerPage: 1 });
    expect(all.totalResults).toBeGreaterThanOrEqual(2);

    const replaced = await scim(`/Users/${nova.id}`, { method: 'PUT', json: { userName: 'nova', displayName: 'Nova Q.', emails: [{ value: 'nq@example.org' }] } });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({ displayName: 'Nova Q.', emails: [{ value: 'nq@example.org' }], active: true });
    const renamed = await scim(`/Users/${nova.id}`, {
      method: 'PATCH',
      json: {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'replace', path: 'emails[type eq "work"].value', value: 'nova.q@example.org' },
          { op: 'replace', path: 'name.givenName', value: 'Novella' },
        ],
      },
    });
    expect(await renamed.json()).toMatchObject({ emails: [{ value: 'nova.q@example.org' }], name: { givenName: 'Novella' } });

    // dora has a password in this realm and a token; DELETE stops both, and bringing her back returns only the password.
    const token = await createToken('dora');
    await warm([token, password('dora')]);
    const dora = await scimId('dora');
    expect((await scim(`/Users/${dora}`, { method: 'DELETE' })).status).toBe(204);
    await everywhere([token, password('dora')], 401);
    expect((await scim(`/Users/${dora}`)).status).toBe(404);
    expect(((await (await scim(`/Users?filter=${encodeURIComponent('userName eq "dora"')}`)).json()) as { totalResults: number }).totalResults).toBe(0);
    const back = await scim('/Users', { method: 'POST', json: { userName: 'dora' } });
    expect(back.status).toBe(201);
    await everywhere([password('dora')], 200);
    await everywhere([token], 401);
    expect((await audit()).entries.some((e) => e.actor === 'scim' && e.action === 'user.delete' && e.target_user === `${REALM}/dora`)).toBe(true);
  });

  it('back-channel logout from the IdP stops the token, password and session everywhere; signing in again restores the token', async () => {
    const browser = newBrowser();
    const session = { Cookie: await signInToPortal(first().url, idp, 'bella', browser) };
    const token = await createToken('bella');
    await warm([token, password('bella'), session]);

    await signOutAtIdp(idp, browser); // the IdP posts a logout token (sub and sid) to the portal
    await everywhere([token, password('bella'), session], 401);
    expect((await adminUser('bella'))?.disabled_by).toBe('idp-logout');
    expect((await audit()).entries.find((e) => e.target_user === `${REALM}/bella`)).toMatchObject({ actor: 'idp-logout', action: 'user.disable' });

    const fresh = { Cookie: await signInToPortal(first().url, idp, 'bella') };
    await everywhere([token, password('bella'), fresh], 200);
    await everywhere([session], 401); // the session the logout ended stays ended
  });

  it('a logout that follows the user signing out of the portal disables nobody', async () => {
    const browser = newBrowser();
    await signInToPortal(first().url, idp, 'vera', browser);
    await warm([password('vera')]);
    // Sign out (the portal's server action) sends the browser to the IdP, which posts a logout token for that sid.
    // Signed out at another name for the server: the IdP still sends the browser back to portal.url.
    const idpLogout = await signOutOfPortal(first().url.replace('localhost', '127.0.0.1'), browser);
    expect(idpLogout).toContain('id_token_hint=');
    expect(new URL(idpLogout).searchParams.get('post_logout_redirect_uri')).toBe(`${first().url}/`);
    await signOutAtIdp(idp, browser, idpLogout);
    // oidc-provider answers the browser before its back-channel POST has been handled.
    await waitForOutput(() => first().output(), 'back-channel logout of a portal sign-out', 10_000);
    expect((await adminUser('vera'))?.disabled).toBe(false);
    await everywhere([password('vera')], 200);
    // The refresh token outlives the IdP session (offline_access): revalidation keeps vouching after the sign-out.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await adminUser('vera'))?.disabled).toBe(false);
  });

  it('refuses forged, misaddressed, stale, nonce-bearing and replayed logout tokens, and changes nothing', async () => {
    await signInToPortal(first().url, idp, 'bella');
    const before = (await audit()).total;
    const { privateKey: otherKey } = await generateKeyPair('RS256');
    const base = { iss: idp.issuer, aud: PORTAL_CLIENT, jti: 'x', sub: 'bella', events: { [LOGOUT_EVENT]: {} } };
    const forged = await new SignJWT(base).setProtectedHeader({ alg: 'RS256', kid: 'idp-key-1' }).setIssuedAt().sign(otherKey);
    const refused = [
      forged,
      await logoutToken({ sub: 'bella', aud: 'another-client' }),
      await logoutToken({ sub: 'bella', iss: 'http://127.0.0.1:1/elsewhere' }),
      await logoutToken({ sub: 'bella', nonce: 'n-0S6_WzA2Mj' }),
      await logoutToken({ sub: 'bella', iat: Math.floor(Date.now() / 1000) - 3600 }),
      await logoutToken({ sub: 'bella', iat: Math.floor(Date.now() / 1000) + 3600 }),
      await logoutToken({ sub: 'bella', events: {} }),
      await logoutToken({ sub: 'bella', events: { [LOGOUT_EVENT]: 'yes' } }),
      await logoutToken({ sub: undefined }),
      await logoutToken({ sub: 'bella', jti: undefined }),
      await logoutToken({ sub: 'bella' }, { typ: 'at+jwt' }),
      'not-a-jwt',
    ];
    for (const [i, token] of refused.entries()) {
      const response = await postLogout(token);
      expect(response.status, `token #${i}`).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    }
    expect((await postLogout(await logoutToken({ sub: 'bella' }), 'application/json')).status).toBe(400);
    expect((await fetch(`${first().url}/api/auth/backchannel-logout`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: '' })).status).toBe(400);
    await everywhere([password('bella')], 200);
    expect((await adminUser('bella'))?.disabled).toBe(false);
    expect((await audit()).total).toBe(before);

    // A valid token acts once; sent again (after bella signed in again), it is refused and changes nothing.
    const valid = await logoutToken({ sub: 'bella' });
    expect((await postLogout(valid)).status).toBe(200);
    await everywhere([password('bella')], 401);
    await signInToPortal(first().url, idp, 'bella');
    await everywhere([password('bella')], 200);
    const replayed = await postLogout(valid);
    expect(replayed.status).toBe(400);
    expect(await replayed.json()).toMatchObject({ error_description: expect.stringContaining('already used') });
    await everywhere([password('bella')], 200);
  });

  it.runIf(kind === 'postgres')('a logout that failed on the database is acted on when the IdP sends it again', async () => {
    await signInToPortal(first().url, idp, 'bella');
    await warm([password('bella')]);
    const token = await logoutToken({ sub: 'bella' });
    // A real failure where disabling writes: a trigger refusing any update of bella's row.
    const client = new pg.Client({ connectionString: database?.url });
    await client.connect();
    try {
      await client.query("create function refuse_bella() returns trigger language plpgsql as $$ begin raise exception 'forced failure'; end $$");
      await client.query("create trigger refuse_bella before update on users for each row when (old.username = 'bella') execute function refuse_bella()");
      const failed = await postLogout(token);
      expect(failed.status).toBe(503);
      expect(failed.headers.get('retry-after')).toBe('5');
      expect((await adminUser('bella'))?.disabled).toBe(false);
    } finally {
      await client.query('drop trigger if exists refuse_bella on users');
      await client.query('drop function if exists refuse_bella()');
      await client.end();
    }
    // The IdP's retry of the same token.
    expect((await postLogout(token)).status).toBe(200);
    await everywhere([password('bella')], 401);
    expect((await adminUser('bella'))?.disabled_by).toBe('idp-logout');
    expect((await postLogout(token)).status).toBe(400); // acted on once: now it is a replay
    await signInToPortal(first().url, idp, 'bella');
    await everywhere([password('bella')], 200);
  });

  it("is the back-channel route, not next-auth's catch-all", async () => {
    const get = await fetch(`${first().url}/api/auth/backchannel-logout`);
    expect(get.status).toBe(405);
    expect((await fetch(`${first().url}/api/auth/session`)).status).toBe(200); // next-auth still answers its own paths
  });

  it('failed revalidation (the IdP revoked the grant) stops the token and password everywhere; signing in again restores them', async () => {
    await signInToPortal(first().url, idp, 'remy');
    const token = await createToken('remy');
    await warm([token, password('remy')]);
    // A few revalidations pass while the IdP still vouches; it rotates the refresh token each time, so the newest must be kept.
    const issuedBefore = idp.issuedRefreshTokens().length;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(idp.issuedRefreshTokens().length).toBeGreaterThan(issuedBefore);
    expect((await adminUser('remy'))?.disabled).toBe(false);

    expect(await idp.revokeGrants('remy')).toBeGreaterThan(0);
    await expect.poll(async () => (await adminUser('remy'))?.disabled_by, { timeout: 10_000, interval: 100 }).toBe('revalidation');
    await everywhere([token, password('remy')], 401);
    expect((await audit()).entries.find((e) => e.target_user === `${REALM}/remy`)).toMatchObject({ actor: 'revalidation', action: 'user.disable' });

    await signInToPortal(first().url, idp, 'remy');
    await everywhere([token, password('remy')], 200);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the new refresh token revalidates fine
    expect((await adminUser('remy'))?.disabled).toBe(false);

    // A sign-in undoes what revalidation did, never what an admin did.
    const id = (await adminUser('remy'))?.id as string;
    expect((await setDisabledByAdmin(id, true)).status).toBe(200);
    await expect(signInToPortal(first().url, idp, 'remy')).rejects.toThrow(/signed in nowhere/);
    expect((await adminUser('remy'))?.disabled_by).toBe('admin');
    await everywhere([token], 401);
    expect((await setDisabledByAdmin(id, false)).status).toBe(200);
  });

  it('keeps refresh tokens encrypted and never logs or returns a secret', async () => {
    const issued = idp.issuedRefreshTokens();
    expect(issued.length).toBeGreaterThan(0);
    if (database) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ refresh_token: string }>('select refresh_token from users where refresh_token is not null');
        expect(rows.length).toBeGreaterThan(0);
        for (const { refresh_token: stored } of rows) {
          expect(stored).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
          for (const token of issued) expect(stored).not.toContain(token);
        }
      } finally {
        await client.end();
      }
    }
    const auditText = JSON.stringify(await audit());
    const secrets = [SCIM_SECRET, ...issued, ...sentLogoutTokens.filter((t) => t.length > 20)];
    for (const app of replicas) for (const secret of secrets) expect(app.output()).not.toContain(secret);
    for (const secret of secrets) expect(auditText).not.toContain(secret);
  });
});
