import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration, type OidcContext } from 'oidc-provider';
import { interactionUrl } from './interactions';
import { findDemoAccount } from './users';

export interface DemoClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

const SCOPES = 'openid profile email';

/**
 * The first-party portal client needs no consent screen: reuse the grant the session already has,
 * else grant the standard scopes outright.
 */
async function loadExistingGrant(ctx: OidcContext) {
  const { provider, client, session, result } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  const existing = grantId ? await provider.Grant.find(grantId) : undefined;
  if (existing) return existing;
  const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  grant.addOIDCScope(SCOPES);
  await grant.save();
  return grant;
}

async function findAccount(_ctx: OidcContext, sub: string) {
  const account = findDemoAccount(sub);
  if (!account) return undefined;
  return {
    accountId: account.username,
    claims: () => ({
      sub: account.username,
      preferred_username: account.username,
      name: account.name,
      email: account.email,
      email_verified: true,
      roles: [...account.roles],
    }),
  };
}

/** oidc-provider's logout confirmation, answered yes at once (its form is posted by a tiny script). */
async function autoSubmitLogout(ctx: OidcContext, form: string): Promise<void> {
  ctx.type = 'html';
  ctx.body = `<!doctype html><html><head><title>Signing out</title></head><body>${form}<script>var f=document.forms[0];var i=document.createElement('input');i.type='hidden';i.name='logout';i.value='yes';f.appendChild(i);f.submit();</script></body></html>`;
}

/** An oidc-provider instance: one confidential client, PKCE required, roles in the ID token and userinfo. */
export async function createDemoProvider(issuer: string, client: DemoClient): Promise<Provider> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const configuration: Configuration = {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: client.redirectUris,
        // Signing out of the portal ends the IdP session and comes back to the portal's home page.
        post_logout_redirect_uris: [...new Set(client.redirectUris.map((uri) => `${new URL(uri).origin}/`))],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    // Roles ride along with the profile scope, which every OIDC client asks for.
    claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'roles'], email: ['email', 'email_verified'] },
    // Put the scope's claims in the ID token too, not only in userinfo.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      // A development IdP: no "do you want to sign out?" page, the form submits itself.
      rpInitiatedLogout: { enabled: true, logoutSource: autoSubmitLogout },
    },
    interactions: { url: (_ctx, interaction) => interactionUrl(interaction.uid) },
    findAccount,
    loadExistingGrant,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // Explicit lifetimes (seconds); oidc-provider nags about its defaults otherwise.
    ttl: { Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600, AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600 },
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'demo-idp' }] },
  };
  return new Provider(issuer, configuration);
}
