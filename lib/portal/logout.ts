import 'server-only';
import { decode } from '@auth/core/jwt';
import { z } from 'zod';
import type { Runtime } from '../runtime';
import { sessionCookie } from '../gateway/credentials';
import { signInConfig } from './auth-config';
import { sessionSecret } from './secret';

const discoverySchema = z.object({ end_session_endpoint: z.url().optional() });
const endpoints = new Map<string, Promise<string | undefined>>();

/** The IdP's `end_session_endpoint` from discovery (remembered per issuer); undefined when it offers none or cannot be reached. */
function endSessionEndpoint(issuer: string, timeoutMs: number): Promise<string | undefined> {
  let known = endpoints.get(issuer);
  if (!known) {
    known = fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(timeoutMs) })
      .then(async (response) => (response.ok ? discoverySchema.parse(await response.json()).end_session_endpoint : undefined))
      .catch(() => undefined);
    known.then((endpoint) => endpoint ?? endpoints.delete(issuer)); // only a found endpoint is remembered
    endpoints.set(issuer, known);
  }
  return known;
}

/** The ID token kept in the session cookie at sign-in (the `id_token_hint` of RP-initiated logout). */
async function idTokenOf(runtime: Runtime, cookieHeader: string | null): Promise<string | undefined> {
  const session = cookieHeader ? sessionCookie(cookieHeader) : undefined;
  if (!session) return undefined;
  try {
    const payload = await decode<Record<string, unknown>>({ token: session.value, secret: await sessionSecret(runtime.database), salt: session.name });
    return typeof payload?.idToken === 'string' ? payload.idToken : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where to send the browser so signing out also ends the IdP session (OpenID Connect RP-Initiated
 * Logout): otherwise the next sign-in on a shared machine goes straight back in as the same person.
 * Undefined when the IdP offers no `end_session_endpoint`; the portal session ends either way.
 */
export async function idpLogoutUrl(runtime: Runtime, cookieHeader: string | null, postLogoutRedirectUri: string): Promise<string | undefined> {
  const portal = signInConfig(runtime.config);
  if (!portal) return undefined;
  const [endpoint, idToken] = await Promise.all([endSessionEndpoint(portal.oidc.issuer, runtime.config.auth.timeout_in_ms), idTokenOf(runtime, cookieHeader)]);
  if (!endpoint) return undefined;
  const url = new URL(endpoint);
  if (idToken) url.searchParams.set('id_token_hint', idToken);
  url.searchParams.set('client_id', portal.oidc.client_id);
  url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
  return url.toString();
}
