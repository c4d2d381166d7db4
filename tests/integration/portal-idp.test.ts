import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app';
import { type AccountClaims, obtainTokens, PORTAL_CLIENT, PORTAL_SECRET, RESOURCE, startTestIdp, type TestIdp } from '../support/oidc-idp';
import { freePort } from '../support/ports';
import { signInToPortal } from '../support/portal-signin';

const REALM = 'people';

/**
 * The roles an IdP gives a person, joined as different servers join them (commas, spaces, nested
 * Keycloak claims), and another client's roles, which must count nowhere. Usernames come from
 * `email` (username_claim): `nomail` has none, and `mallory` claims ann's address.
 */
const ACCOUNTS: AccountClaims = {
  ann: { email: 'ann@example.org', roles: 'admin,user' },
  ben: { email: 'ben@example.org', roles: 'reader writer' },
  cai: { email: 'cai@example.org', realm_access: { roles: ['ops', 'user'] }, resource_access: { [PORTAL_CLIENT]: { roles: ['auditor'] }, 'other-app': { roles: ['admin'] } } },
  dev: { email: 'dev@example.org', resource_access: { 'other-app': { roles: ['admin'] }, [RESOURCE]: { roles: ['admin'] } } },
  nomail: { preferred_username: 'ann@example.org' },
  mallory: { email: 'ann@example.org' },
};

/**
 * Signing in to the portal through a real OpenID Provider (oidc-provider), and the gateway's `jwt`
 * provider verifying that IdP's access tokens: one reading of the same person's claims.
 */
describe('the portal and the gateway with a real identity provider', () => {
  let idp: TestIdp;
  let app: RunningApp;
  let misconfigured: RunningApp;

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    idp = await startTestIdp('claims', {
      accounts: ACCOUNTS,
      // No refresh tokens for the portal: revalidation has nothing to revalidate with, and must say so.
      portal: { origins: ports.flatMap((port) => [`http://localhost:${port}`, `http://127.0.0.1:${port}`]), refreshTokens: false },
    });
    const configFor = (port: number, clientSecret: string) => ({
      providers: [
        { type: 'jwt', name: 'idp', realm: 'idp', cert_uri: `${idp.issuer}/protocol/openid-connect/certs`, issuer: idp.issuer, audience: RESOURCE, username_claim: 'email' },
        { type: 'tokens', name: 'tokens' },
      ],
      portal: {
        url: `http://localhost:${port}`,
        realm: REALM,
        admin_roles: ['admin'],
        oidc: { issuer: idp.issuer, client_id: PORTAL_CLIENT, client_secret: clientSecret, username_claim: 'email' },
        revalidate_every: '1h',
        encryption_key: 'an encryption key of at least thirty-two characters',
      },
      jwt: { iss: 'portal-idp-test', aud: 'backend', exp: 60 },
      auth: { failure_delay_ms: 0 },
    });
    const started = await Promise.all(
      ports.map((port, i) =>
        startApp({ config: configFor(port, i === 0 ? PORTAL_SECRET : 'not-the-client-secret-3f9a'), urlHost: 'localhost', database: 'pglite', env: { AOT_SERVER__PORT: String(port) } }),
      ),
    );
    [app, misconfigured] = started as [RunningApp, RunningApp];
  });

  afterAll(async () => {
    await Promise.all([app?.stop(), misconfigured?.stop()]);
    await idp?.close();
  });

  const portalUser = async (cookie: string) => {
    const session = (await (await fetch(`${app.url}/api/auth/session`, { headers: { cookie } })).json()) as { portal?: { username: string; roles: string[] } };
    return session.portal;
  };
  const gatewayIdentity = async (account: string) => {
    const { access_token: accessToken } = await obtainTokens(idp, account, 'openid');
    const response = await fetch(`${app.url}/api/authenticate`, { headers: { Authorization: `Bearer ${accessToken}` } });
    if (response.status !== 200) return { status: response.status };
    const issued = decodeJwt((response.headers.get('authorization') ?? '').replace(/^Bearer /, ''));
    return { status: 200, username: issued.username, roles: issued.roles };
  };

  it.each([
    ['ann', 'comma-joined', ['admin', 'user']],
    ['ben', 'space-joined', ['reader', 'writer']],
    ['cai', 'nested realm_access and this client', ['ops', 'user', 'auditor']],
  ])('%s (%s roles) has the same username and roles in the portal and at the gateway', async (account, _kind, roles) => {
    const portal = await portalUser(await signInToPortal(app.url, idp, account));
    const gateway = await gatewayIdentity(account);
    expect(portal).toMatchObject({ username: `${account}@example.org` });
    expect(gateway).toMatchObject({ status: 200, username: `${account}@example.org` });
    // The portal reads resource_access of its client (cai: auditor), the gateway of its audience: the rest is the same.
    const portalRoles = portal?.roles.filter((role) => role !== 'auditor');
    expect(portalRoles).toEqual(gateway.roles);
    expect(portal?.roles.toSorted()).toEqual([...roles].sort());
  });

  it("counts no other client's roles: admin of another application is admin neither in the portal nor at the gateway", async () => {
    const portal = await portalUser(await signInToPortal(app.url, idp, 'dev'));
    expect(portal).toMatchObject({ username: 'dev@example.org', roles: [] });
    // The gateway reads the client roles of its audience only (dev is admin there).
    expect(await gatewayIdentity('dev')).toMatchObject({ status: 200, roles: ['admin'] });
  });

  it('refuses a sign-in and a token without the configured username_claim, saying why, instead of using preferred_username', async () => {
    await expect(signInToPortal(app.url, idp, 'nomail')).rejects.toThrow();
    await expect.poll(() => app.output()).toContain('the identity provider sent no \\"email\\" claim, the configured username_claim');
    expect(app.output()).toMatch(/"step":"profile"[^\n]*portal sign-in failed/);
    expect(await gatewayIdentity('nomail')).toEqual({ status: 401 });
  });

  it("refuses a sign-in whose subject is not the account's: another IdP user with ann's address does not get her account", async () => {
    await signInToPortal(app.url, idp, 'ann');
    await expect(signInToPortal(app.url, idp, 'mallory')).rejects.toThrow(/signed in nowhere/);
    expect(app.output()).toContain('portal sign-in refused: the account belongs to another subject at the identity provider');
    // ann still signs in.
    expect(await portalUser(await signInToPortal(app.url, idp, 'ann'))).toMatchObject({ username: 'ann@example.org' });
  });

  it('warns, naming the user, when the IdP sends no refresh token to revalidate with', async () => {
    await signInToPortal(app.url, idp, 'ben');
    expect(app.output()).toMatch(/"username":"ben@example.org"[^\n]*the identity provider sent no refresh token: this user is not revalidated/);
  });

  it("logs the IdP's error and the step when the token exchange fails, never the client secret", async () => {
    await expect(signInToPortal(misconfigured.url, idp, 'ann')).rejects.toThrow();
    await expect.poll(() => misconfigured.output()).toContain('portal sign-in failed');
    const line =
      misconfigured
        .output()
        .split('\n')
        .find((l) => l.includes('portal sign-in failed')) ?? '';
    expect(JSON.parse(line)).toMatchObject({ step: 'token exchange', error: 'invalid_client', error_description: expect.any(String) });
    expect(misconfigured.output()).not.toContain('not-the-client-secret-3f9a');
  });
});
