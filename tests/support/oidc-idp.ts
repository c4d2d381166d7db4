import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';

/** A grant as oidc-provider's `grant.saved` event hands it over. */
interface GrantModel {
  jti: string;
  accountId?: string;
}

/** The little of oidc-provider used here. */
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  on(event: string, listener: (ctx: unknown, error: unknown) => void): unknown;
  Grant: { find(id: string): Promise<{ destroy(): Promise<void> } | undefined> };
}
type OidcProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;

/** oidc-provider ships no types (and the portal declares its own subset): import it by a computed name. */
async function loadOidcProvider(): Promise<OidcProviderClass> {
  const name = 'oidc-provider';
  const module = (await import(name)) as { default: OidcProviderClass };
  return module.default;
}

export const PUBLIC_CLIENT = 'aot-cli';
export const PRIVATE_CLIENT = 'aot-gateway';
export const PRIVATE_SECRET = 'gateway-client-secret-5b1f0c2e';
export const REDIRECT_URI = 'http://127.0.0.1/callback';
export const RESOURCE = 'urn:aot:backend';
export const PORTAL_CLIENT = 'aot-portal';
export const PORTAL_SECRET = 'portal-client-secret-8c41d2a7';

/** The portal as an OIDC client of the IdP: where it listens (each replica), and where back-channel logout tokens go. */
export interface PortalClientOptions {
  origins: string[];
  backchannelLogoutUri?: string;
  /** False: the portal's client may not use refresh tokens, so none is issued to it (default true). */
  refreshTokens?: boolean;
}

/**
 * Claims of particular accounts (by login name, which is also their `sub`), as an IdP's mappers
 * would add them: in their ID tokens and in the JWT access tokens issued for them.
 */
export type AccountClaims = Record<string, Record<string, unknown>>;

/**
 * A real OpenID Provider (oidc-provider) on loopback, laid out like Keycloak: issuer
 * `{base}/realms/{realm}`, endpoints under `/protocol/openid-connect/`, discovery under the issuer.
 */
export interface TestIdp {
  /** `iam_url` for the Keycloak layout. */
  base: string;
  realm: string;
  issuer: string;
  provider: OidcProvider;
  /** Requests to each path (without the realm prefix), to count upstream calls. */
  hits(path: string): number;
  /** Makes every answer fail (`down`) or never come (`hang`), or restores normal service. */
  setMode(mode: 'ok' | 'down' | 'hang'): void;
  /** Signs with the IdP's own key (and kid): for logout tokens the IdP could have sent, and some it never would. */
  sign(payload: JWTPayload, header?: { typ?: string }): Promise<string>;
  /** Destroys every grant of the account, as an IdP admin revoking its sessions: its refresh tokens then get `invalid_grant`. */
  revokeGrants(accountId: string): Promise<number>;
  /** Every refresh token the IdP issued (oidc-provider's opaque tokens are their ids): to check none leaks. */
  issuedRefreshTokens(): string[];
  close(): Promise<void>;
}

export async function startTestIdp(realm = 'test', options: { portal?: PortalClientOptions; accounts?: AccountClaims } = {}): Promise<TestIdp> {
  const accounts = options.accounts ?? {};
  const accountClaimNames = [...new Set(Object.values(accounts).flatMap((claims) => Object.keys(claims)))];
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const prefix = `/realms/${realm}`;
  const hits = new Map<string, number>();
  let mode: 'ok' | 'down' | 'hang' = 'ok';
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(`${prefix}/`) || !handler) return void res.writeHead(404).end();
    const path = url.slice(prefix.length).split('?')[0] ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (mode === 'hang') return;
    if (mode === 'down') return void res.writeHead(503, { 'Content-Type': 'text/plain' }).end('maintenance');
    // Mounted under the realm path the way express mounts it: oidc-provider derives its URLs from originalUrl.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = url.slice(prefix.length);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;
  const issuer = `${base}${prefix}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };
  const Provider = await loadOidcProvider();
  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    clients: [
      // The public client people use to get an offline token (e.g. a CLI).
      { client_id: PUBLIC_CLIENT, token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [REDIRECT_URI] },
      // The gateway's confidential client, allowed to introspect.
      { client_id: PRIVATE_CLIENT, client_secret: PRIVATE_SECRET, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [REDIRECT_URI] },
      ...(options.portal ? [portalClient(options.portal)] : []),
    ],
    scopes: ['openid', 'offline_access', 'not_offline_access'],
    routes: {
      authorization: '/protocol/openid-connect/auth',
      token: '/protocol/openid-connect/token',
      introspection: '/protocol/openid-connect/token/introspect',
      revocation: '/protocol/openid-connect/revoke',
      jwks: '/protocol/openid-connect/certs',
      userinfo: '/protocol/openid-connect/userinfo',
    },
    features: {
      devInteractions: { enabled: true },
      // Logout tokens to the portal when a session ends here (its sid in the ID token and the logout token).
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      // JWT access tokens (what the gateway verifies), for one backend resource.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'api', audience: RESOURCE, accessTokenFormat: 'jwt', accessTokenTTL: 300 }),
      },
    },
    // Refresh tokens for every client allowed the grant, so tokens WITHOUT offline_access exist too.
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(grant: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    // Keycloak's offline tokens are reusable by default; oidc-provider rotates public clients' tokens.
    // The portal's rotate on every use (as Okta's and Entra ID's do): reusing an old one is invalid_grant.
    rotateRefreshToken: (ctx: { oidc: { client?: { clientId: string } } }) => ctx.oidc.client?.clientId === PORTAL_CLIENT,
    // The portal asks for offline_access, which outlives the IdP session (oidc-provider grants it only with
    // prompt=consent): its grant survives a logout at the IdP, as Keycloak's offline tokens and Okta's and Entra ID's refresh tokens do.
    expiresWithSession: (ctx: { oidc: { client?: { clientId: string } } }, token: { scopes: Set<string> }) => ctx.oidc.client?.clientId !== PORTAL_CLIENT && !token.scopes.has('offline_access'),
    extraTokenClaims: async (_ctx: unknown, token: unknown) => {
      const accountId = (token as { accountId?: string }).accountId;
      if (!accountId) return undefined;
      return accounts[accountId] ?? { preferred_username: accountId, realm_access: { roles: ['offline-user'] } };
    },
    // The accounts' own claims in every ID token (with the code flow oidc-provider otherwise keeps them for userinfo).
    ...(accountClaimNames.length > 0 ? { claims: { acr: null, sid: null, auth_time: null, iss: null, openid: ['sub', ...accountClaimNames] }, conformIdTokenClaims: false } : {}),
    pkce: { required: () => true },
    // Everything here is on loopback, which oidc-provider's SSRF guard refuses for the calls it makes (back-channel logout).
    fetch: (url: URL | string, init: RequestInit & { dispatcher?: unknown }) => {
      const { dispatcher: _guard, ...rest } = init;
      return fetch(url, rest);
    },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ ...accounts[sub], sub }) }),
    ttl: { AccessToken: 300, RefreshToken: 86_400, Interaction: 600, Session: 3_600, Grant: 86_400, IdToken: 300 },
  });
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider error', error));
  provider.on('backchannel.error', (_ctx, error) => console.error('oidc-provider back-channel logout failed:', (error as Error).message));
  const grants = new Map<string, Set<string>>();
  provider.on('grant.saved', (grant) => {
    const { jti, accountId } = grant as GrantModel;
    if (accountId) grants.set(accountId, (grants.get(accountId) ?? new Set()).add(jti));
  });
  const refreshTokens: string[] = [];
  provider.on('refresh_token.saved', (token) => void refreshTokens.push((token as { jti: string }).jti));
  handler = provider.callback();

  return {
    base,
    realm,
    issuer,
    provider,
    hits: (path) => hits.get(path) ?? 0,
    setMode: (next) => (mode = next),
    sign: (payload, header = {}) => new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: jwk.kid, ...header }).sign(privateKey),
    async revokeGrants(accountId) {
      let revoked = 0;
      for (const id of grants.get(accountId) ?? []) {
        const grant = await provider.Grant.find(id);
        if (grant) {
          await grant.destroy();
          revoked += 1;
        }
      }
      grants.delete(accountId);
      return revoked;
    },
    issuedRefreshTokens: () => [...refreshTokens],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The portal's confidential client: code flow with refresh tokens, its callback on every replica, back-channel logout to one of them. */
function portalClient(portal: PortalClientOptions): Record<string, unknown> {
  return {
    client_id: PORTAL_CLIENT,
    client_secret: PORTAL_SECRET,
    grant_types: portal.refreshTokens === false ? ['authorization_code'] : ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: portal.origins.map((origin) => `${origin}/api/auth/callback/oidc`),
    post_logout_redirect_uris: portal.origins.map((origin) => `${origin}/`),
    backchannel_logout_uri: portal.backchannelLogoutUri ?? `${portal.origins[0]}/api/auth/backchannel-logout`,
    backchannel_logout_session_required: true,
  };
}

/** A tiny cookie jar: enough for oidc-provider's interaction and session cookies on one host. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

export interface IssuedTokens {
  refresh_token: string;
  access_token: string;
  scope?: string;
}

/**
 * Signs `username` in through the devInteractions login and consent pages with plain HTTP requests
 * (authorization code + PKCE, public client) and returns the tokens, like a CLI would obtain them.
 */
export async function obtainTokens(idp: TestIdp, username: string, scope = 'openid offline_access', clientId = PUBLIC_CLIENT): Promise<IssuedTokens> {
  const jar = new CookieJar();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL(`${idp.issuer}/protocol/openid-connect/auth`);
  authorize.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope,
    redirect_uri: REDIRECT_URI,
    prompt: 'consent',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    resource: RESOURCE,
  }).toString();

  const go = async (url: string, init: RequestInit = {}): Promise<string> => {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
    jar.store(response);
    await response.arrayBuffer();
    const location = response.headers.get('location');
    if (!location) throw new Error(`expected a redirect from ${url}, got ${response.status}`);
    return new URL(location, url).toString();
  };
  const submit = (url: string, fields: Record<string, string>) =>
    go(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

  let next = await go(authorize.toString()); // → login interaction
  next = await submit(next, { prompt: 'login', login: username, password: 'any' }); // → resume
  next = await go(next); // → consent interaction
  next = await submit(next, { prompt: 'consent' }); // → resume
  next = await go(next); // → redirect_uri?code=
  const code = new URL(next).searchParams.get('code');
  if (!code) throw new Error(`no code in ${next}`);

  const tokenResponse = await fetch(`${idp.issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(clientId === PRIVATE_CLIENT ? { authorization: `Basic ${Buffer.from(`${PRIVATE_CLIENT}:${PRIVATE_SECRET}`).toString('base64')}` } : {}),
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      ...(clientId === PUBLIC_CLIENT ? { client_id: clientId } : {}),
    }).toString(),
  });
  const tokens = (await tokenResponse.json()) as Partial<IssuedTokens> & { error?: string; error_description?: string };
  if (!tokens.refresh_token || !tokens.access_token) throw new Error(`token endpoint answered ${tokenResponse.status}: ${JSON.stringify(tokens)}`);
  return { refresh_token: tokens.refresh_token, access_token: tokens.access_token, scope: tokens.scope };
}
