import 'server-only';
import { decode } from '@auth/core/jwt';
import { decodeJwt } from 'jose';
import { recordPortalSignOut } from '@/db/users';
import type { Runtime } from '../runtime';
import { sessionCookie } from '../gateway/credentials';
import { signInConfig } from './auth-config';
import { discover } from './discovery';
import { sessionSecret } from './secret';
import { sessionClaimsSchema } from './session-claims';

/** The ID token and user kept in the session cookie at sign-in (`id_token_hint` of RP-initiated logout). */
async function sessionOf(runtime: Runtime, cookieHeader: string | null): Promise<{ idToken?: string; userId?: string }> {
  const session = cookieHeader ? sessionCookie(cookieHeader) : undefined;
  if (!session) return {};
  try {
    const payload = await decode<Record<string, unknown>>({ token: session.value, secret: await sessionSecret(runtime.database), salt: session.name });
    const claims = sessionClaimsSchema.safeParse(payload?.portal);
    return { idToken: typeof payload?.idToken === 'string' ? payload.idToken : undefined, userId: claims.success ? claims.data.userId : undefined };
  } catch {
    return {};
  }
}

/** The `sid` an ID token names; it comes from our own encrypted cookie, so it is read, not verified again. */
function sidOf(idToken: string | undefined): string | undefined {
  if (!idToken) return undefined;
  try {
    const { sid } = decodeJwt(idToken);
    return typeof sid === 'string' && sid.length > 0 ? sid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where to send the browser so signing out also ends the IdP session (OpenID Connect RP-Initiated
 * Logout): otherwise the next sign-in on a shared machine goes straight back in as the same person.
 * Undefined when the IdP offers no `end_session_endpoint`; the portal session ends either way.
 * Records the session's `sid` as ended by the user (see backchannel-logout.ts).
 */
export async function idpLogoutUrl(runtime: Runtime, cookieHeader: string | null, postLogoutRedirectUri: string): Promise<string | undefined> {
  const portal = signInConfig(runtime.config);
  if (!portal) return undefined;
  const [endpoint, { idToken, userId }] = await Promise.all([
    // An IdP that cannot be reached now: the portal session still ends.
    discover(portal.oidc.issuer, runtime.config.auth.timeout_in_ms).then(
      (discovery) => discovery.end_session_endpoint,
      () => undefined,
    ),
    sessionOf(runtime, cookieHeader),
  ]);
  if (!endpoint) return undefined;
  // The IdP answers this logout with a back-channel logout token for the same sid: the user's own doing, which must not disable them.
  const sid = sidOf(idToken);
  if (userId && sid) {
    await recordPortalSignOut(runtime.database.db, userId, sid).catch((error: unknown) =>
      runtime.logger.warn({ err: error }, 'could not record the portal sign-out; its back-channel logout will disable the user'),
    );
  }
  const url = new URL(endpoint);
  if (idToken) url.searchParams.set('id_token_hint', idToken);
  url.searchParams.set('client_id', portal.oidc.client_id);
  url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
  return url.toString();
}
