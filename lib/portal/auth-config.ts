import 'server-only';
import type { NextAuthConfig, User } from 'next-auth';
import type { OIDCConfig } from 'next-auth/providers';
import { insertAuditEntry, type NewAuditEntry } from '@/db/audit';
import { getUserByName, upsertUserOnSignIn } from '@/db/users';
import type { ClaimReading } from '../claims';
import type { Config } from '../config/schema';
import type { Runtime } from '../runtime';
import { combinePlans, enablePlan } from '../users/status';
import { portalProfileFrom, rolesFromClaims, type PortalProfile } from './claims';
import { safeReturnPath } from './return-path';
import { idpErrorOf, ProfileRefused, signInFailureOf } from './sign-in-failure';
import { requestOrigin } from './request-origin';
import { refreshTokenSealer, sessionSecret } from './secret';
import { sessionClaimsSchema, type SessionClaims } from './session-claims';
import { fetchUserinfo } from './userinfo';

type PortalConfig = NonNullable<Config['portal']>;
type OidcConfig = NonNullable<PortalConfig['oidc']>;
/** What the profile callback hands to signIn: the profile, and the IdP session (`sid`) this sign-in belongs to. */
type PortalUser = User & { portal: PortalProfile; idpSessionId?: string };

export const OIDC_PROVIDER_ID = 'oidc';
const SESSION_MAX_AGE_SECONDS = 8 * 3600;

/** The portal section when sign-in is possible (an IdP is configured or the demo IdP was injected). */
export function signInConfig(config: Config): (PortalConfig & { oidc: OidcConfig }) | undefined {
  const portal = config.portal;
  return portal?.oidc ? { ...portal, oidc: portal.oidc } : undefined;
}

export function isAdmin(roles: readonly string[], portal: PortalConfig): boolean {
  return roles.some((role) => portal.admin_roles.includes(role));
}

function portalProfileOf(user: User): PortalProfile | undefined {
  return (user as Partial<PortalUser>).portal;
}

function idpSessionOf(user: User): string | undefined {
  const sid = (user as Partial<PortalUser>).idpSessionId;
  return typeof sid === 'string' && sid.length > 0 ? sid : undefined;
}

/** A generic OIDC provider: discovery from the issuer, authorization code with PKCE, state and nonce. */
function oidcProvider(oidc: OidcConfig, timeoutMs: number, revalidate: boolean): OIDCConfig<Record<string, unknown>> {
  // The portal's own client roles, never another client's.
  const reading: ClaimReading = { rolesClaim: oidc.roles_claim, usernameClaim: oidc.username_claim, clientIds: [oidc.client_id] };
  return {
    id: OIDC_PROVIDER_ID,
    name: 'OpenID Connect',
    type: 'oidc',
    issuer: oidc.issuer,
    clientId: oidc.client_id,
    clientSecret: oidc.client_secret,
    // The nonce binds the ID token to this sign-in (some IdPs refuse `openid` without one).
    checks: ['pkce', 'state', 'nonce'],
    // Revalidation needs a refresh token that outlives the IdP session (Entra ID and Okta issue one only for offline_access).
    ...(revalidate ? { authorization: { params: { scope: 'openid profile email offline_access' } } } : {}),
    async profile(claims, tokens) {
      let merged = claims;
      // Some IdPs put roles only in userinfo; ask it once when the ID token has none.
      if (!rolesFromClaims(claims, reading) && tokens.access_token && typeof claims.sub === 'string') {
        const userinfo = await fetchUserinfo(oidc.issuer, tokens.access_token, claims.sub, timeoutMs);
        if (userinfo) merged = { ...userinfo, ...claims };
      }
      const portal = portalProfileFrom(merged, reading);
      // Logged by next-auth's error hook as the sign-in's reason.
      if ('refused' in portal) throw new ProfileRefused(portal.refused);
      const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
      const user: PortalUser = { id: portal.sub, name: portal.name, email: portal.email, portal, ...(sid ? { idpSessionId: sid } : {}) };
      return user;
    },
  };
}

/** next-auth's configuration, built per request from the runtime (the config and database are async). */
export async function buildAuthConfig(runtime: Runtime): Promise<NextAuthConfig> {
  const { config, database, logger } = runtime;
  const portal = signInConfig(config);
  const realm = config.portal?.realm ?? 'portal';

  return {
    secret: await sessionSecret(runtime.database),
    session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: '/signin', error: '/signin' },
    providers: portal ? [oidcProvider(portal.oidc, config.auth.timeout_in_ms, portal.revalidate_every !== undefined)] : [],
    logger: {
      // next-auth's own logging would print request details to the console; keep only what helps.
      error: (error) => logger.warn(signInFailureOf(error), 'portal sign-in failed'),
      warn: (code) => logger.debug({ code }, 'next-auth warning'),
      debug: (message, metadata) => {
        if (message === 'OAuthCallbackError') logger.warn({ step: 'authorization', ...idpErrorOf(metadata) }, 'portal sign-in refused by the identity provider');
      },
    },
    callbacks: {
      // Every redirect next-auth makes (sign-in callbackUrl, its cookie, sign-out) stays on this origin;
      // its default accepts any value starting with `/`, which a tab or newline can turn into another host.
      redirect({ url, baseUrl }) {
        return `${new URL(baseUrl).origin}${safeReturnPath(url, '/tokens', baseUrl)}`;
      },
      async signIn({ user, account }) {
        const profile = portalProfileOf(user);
        if (!profile) return false;
        const upserted = await upsertUserOnSignIn(database.db, {
          realm,
          username: profile.username,
          email: profile.email,
          name: profile.name,
          roles: profile.roles,
          idpSubject: profile.sub,
          idpSessionId: idpSessionOf(user),
        });
        // Kept only for revalidation, sealed to this user's row; never in the session cookie or a log.
        if ('subjectMismatch' in upserted) {
          const who = `${realm}/${profile.username}`;
          logger.warn({ realm, username: profile.username }, 'portal sign-in refused: the account belongs to another subject at the identity provider');
          await auditSignIn(runtime, { actor: who, action: 'user.sign_in_refused', targetUser: who, details: { reason: 'the account belongs to another subject at the identity provider' } });
          return false;
        }
        const revalidate = portal?.revalidate_every !== undefined;
        const refreshToken = revalidate && typeof account?.refresh_token === 'string' ? account.refresh_token : undefined;
        // Nothing to revalidate with: the user is not revalidated until a sign-in that brings one.
        if (revalidate && !refreshToken) logger.warn({ realm, username: profile.username }, 'the identity provider sent no refresh token: this user is not revalidated');
        const sealed = refreshToken ? (await refreshTokenSealer(database, portal?.encryption_key)).seal(refreshToken, upserted.row.id) : null;
        const result = await runtime.users.update(upserted.row.id, (row) => {
          // The IdP has just vouched for the user: that undoes a failed revalidation or an IdP logout, not an admin's or SCIM's disabling.
          const enable = enablePlan(row, 'sign-in', { actor: `${realm}/${row.username}`, details: { reason: 'signed in at the identity provider' } });
          if (row.disabledAt && !enable) return null;
          const keep = sealed !== row.refreshToken ? { set: { refreshToken: sealed, revalidatedAt: new Date() }, audit: [] } : null;
          return combinePlans(enable, keep);
        });
        const row = result?.row ?? upserted.row;
        const who = `${realm}/${row.username}`;
        if (row.disabledAt) {
          logger.warn({ realm, username: row.username }, 'portal sign-in refused: user is disabled');
          await auditSignIn(runtime, { actor: who, action: 'user.sign_in_refused', targetUser: who, details: { reason: 'the account is disabled' } });
          return false;
        }
        logger.info({ realm, username: row.username, roles: row.roles }, 'portal sign-in');
        await auditSignIn(runtime, { actor: who, action: 'user.sign_in', targetUser: who, details: {} });
        return true;
      },
      async jwt({ token, user, account, trigger }) {
        const profile = user && (trigger === 'signIn' || trigger === 'signUp') ? portalProfileOf(user) : undefined;
        if (!profile) return token;
        const row = await getUserByName(database.db, realm, profile.username);
        if (!row) throw new Error('signed-in user not found');
        const claims: SessionClaims = { userId: row.id, realm, username: row.username, name: row.name, roles: row.roles, signedInAt: Date.now() };
        // Kept (encrypted, server-side only: not in the session the browser reads) for signing out at the IdP.
        const idToken = typeof account?.id_token === 'string' ? account.id_token : undefined;
        return { ...token, sub: row.id, portal: claims, ...(idToken ? { idToken } : {}) };
      },
      session({ session, token }) {
        const claims = sessionClaimsSchema.safeParse(token.portal);
        return { ...session, portal: claims.success ? claims.data : undefined };
      },
    },
  };
}

/** Records a sign-in or a refused one; the request's origin when there is a request (there always is in next-auth's callback). */
async function auditSignIn(runtime: Runtime, entry: Omit<NewAuditEntry, 'clientAddress' | 'userAgent'>): Promise<void> {
  const origin = await requestOrigin(runtime).catch(() => ({ clientAddress: undefined, userAgent: undefined }));
  await insertAuditEntry(runtime.database.db, { ...entry, clientAddress: origin.clientAddress ?? null, userAgent: origin.userAgent ?? null });
}
