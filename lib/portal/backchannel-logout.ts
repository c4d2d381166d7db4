import 'server-only';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { TOKEN_ERROR_CODES } from '../providers/jwt-verifier';
import { z } from 'zod';
import { isLogoutTokenRecorded, recordLogoutToken } from '../../db/logout-tokens';
import { findUserByIdpSession, findUsersByIdpSubject, type UserRow } from '../../db/users';
import { ASYMMETRIC_ALGORITHMS } from '../config/schema';
import { AppError, describeError, isAppError } from '../errors';
import type { Runtime } from '../runtime';
import { signInConfig } from './auth-config';
import { discover } from './discovery';

export const BACKCHANNEL_LOGOUT_PATH = '/api/auth/backchannel-logout';
const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A logout token is acted on at once; an older one is a replay or a stuck queue (its `jti` is kept longer than this). */
const MAX_AGE_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 30;
const MAX_BODY_BYTES = 64 * 1024;

/** OpenID Connect Back-Channel Logout 1.0 §2.4: the claims a logout token has, and the one it must not have. */
const logoutClaims = z
  .object({
    iss: z.string().min(1),
    iat: z.number(),
    jti: z.string().min(1).max(512),
    sub: z.string().min(1).optional(),
    sid: z.string().min(1).optional(),
    events: z.record(z.string(), z.unknown()).refine((events) => {
      const event = events[LOGOUT_EVENT];
      return typeof event === 'object' && event !== null && !Array.isArray(event);
    }, `events must contain ${LOGOUT_EVENT}`),
    // An ID token (which has a nonce) must never pass for a logout token.
    nonce: z.never({ error: 'a logout token has no nonce' }).optional(),
  })
  .refine((claims) => claims.sub !== undefined || claims.sid !== undefined, 'a logout token names sub or sid');
type LogoutClaims = z.infer<typeof logoutClaims>;

// The `typ` values a logout token may carry (§2.4 recommends logout+jwt); an access token's at+jwt is not one.
const LOGOUT_TYPES = new Set(['logout+jwt', 'application/logout+jwt', 'jwt']);

const jwksByUri = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
function jwksFor(uri: string, timeoutMs: number): ReturnType<typeof createRemoteJWKSet> {
  let jwks = jwksByUri.get(uri);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(uri), { timeoutDuration: timeoutMs, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    jwksByUri.set(uri, jwks);
  }
  return jwks;
}

const invalid = (message: string) => new AppError('bad_request', message);

/** Checks a logout token completely (signature, issuer, audience, age, events, no nonce); throws `bad_request` or `unavailable`. */
async function verifyLogoutToken(runtime: Runtime, token: string): Promise<LogoutClaims> {
  const portal = signInConfig(runtime.config);
  if (!portal) throw new AppError('not_found', 'portal sign-in is not configured');
  let typ: string | undefined;
  try {
    typ = decodeProtectedHeader(token).typ;
  } catch {
    throw invalid('logout_token is not a JWT');
  }
  if (typ !== undefined && !LOGOUT_TYPES.has(typ.toLowerCase())) throw invalid('logout_token has the wrong type');

  const { jwks_uri: jwksUri } = await discover(portal.oidc.issuer, runtime.config.auth.timeout_in_ms);
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, jwksFor(jwksUri, runtime.config.auth.timeout_in_ms), {
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      issuer: portal.oidc.issuer,
      audience: portal.oidc.client_id,
      maxTokenAge: MAX_AGE_SECONDS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['iat', 'jti'],
    }));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && TOKEN_ERROR_CODES.has(code)) throw invalid(`logout_token refused: ${code}`);
    throw new AppError('unavailable', `the identity provider's keys could not be read: ${describeError(error)}`);
  }
  const claims = logoutClaims.safeParse(payload);
  if (!claims.success) throw invalid(`logout_token refused: ${claims.error.issues[0]?.message ?? 'invalid claims'}`);
  return claims.data;
}

/** The users a logout token names: by the IdP's `sub` (every portal user it signed in as), else by the session. */
async function usersNamed(runtime: Runtime, realm: string, claims: LogoutClaims): Promise<UserRow[]> {
  if (claims.sub !== undefined) return findUsersByIdpSubject(runtime.database.db, realm, claims.sub);
  const user = claims.sid === undefined ? undefined : await findUserByIdpSession(runtime.database.db, realm, claims.sid);
  return user ? [user] : [];
}

async function logoutTokenOf(request: Request): Promise<string> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw invalid('expected an application/x-www-form-urlencoded body');
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw invalid('body too large');
  const body = await request.text();
  if (body.length > MAX_BODY_BYTES) throw invalid('body too large');
  const tokens = new URLSearchParams(body).getAll('logout_token');
  if (tokens.length !== 1 || !tokens[0]) throw invalid('expected exactly one logout_token');
  return tokens[0];
}

/**
 * Disables the users an IdP logout names, on every replica at once, and ends their portal sessions
 * for good (`sessions_not_before`); a later successful sign-in re-enables them. A logout the user
 * started by signing out of the portal (its `sid` recorded then) disables nobody.
 */
async function logOut(runtime: Runtime, claims: LogoutClaims): Promise<number> {
  const realm = runtime.config.portal?.realm ?? 'portal';
  let disabled = 0;
  for (const user of await usersNamed(runtime, realm, claims)) {
    if (claims.sid !== undefined && user.signedOutSessionId === claims.sid) {
      runtime.logger.info({ realm, username: user.username }, 'back-channel logout of a portal sign-out: nothing to do');
      continue;
    }
    const result = await runtime.users.disable(user.id, 'idp-logout', { actor: 'idp-logout', details: { reason: 'back-channel logout' } }, { sessionsNotBefore: new Date() });
    if (result?.changed) disabled += 1;
  }
  return disabled;
}

const answer = (status: number, body?: Record<string, string>) =>
  new Response(body ? JSON.stringify(body) : null, { status, headers: { 'Cache-Control': 'no-store', ...(body ? { 'Content-Type': 'application/json' } : {}) } });

const unavailable = (description: string) =>
  new Response(JSON.stringify({ error: 'temporarily_unavailable', error_description: description }), {
    status: 503,
    headers: { 'Cache-Control': 'no-store', 'Content-Type': 'application/json', 'Retry-After': '5' },
  });

/** `POST /api/auth/backchannel-logout`: 200 once acted on; 400 (and nothing changes) for anything but a valid, fresh logout token. */
export async function receiveBackchannelLogout(runtime: Runtime, request: Request): Promise<Response> {
  try {
    const claims = await verifyLogoutToken(runtime, await logoutTokenOf(request));
    const key = `${claims.iss} ${claims.jti}`;
    if (await isLogoutTokenRecorded(runtime.database.db, key)) throw invalid('logout_token was already used');
    const disabled = await logOut(runtime, claims);
    // Recorded only once acted on: a failure above leaves it unrecorded, so the IdP's retry acts
    // (disabling twice changes nothing). Only verified tokens, so forged ones cannot fill the table.
    // A copy delivered concurrently may act too: it is the same logout.
    await recordLogoutToken(runtime.database.db, key);
    runtime.logger.info({ disabled, by: claims.sub !== undefined ? 'sub' : 'sid' }, 'back-channel logout');
    return answer(200);
  } catch (error) {
    if (!isAppError(error)) {
      // The database, most likely: the token was not recorded, so the IdP's retry acts on it (users
      // disabled before the failure stay disabled; disabling them again changes nothing).
      runtime.logger.error({ err: error }, 'back-channel logout failed');
      return unavailable('the logout could not be recorded; try again');
    }
    if (error.code === 'bad_request') {
      runtime.logger.warn({ reason: error.message }, 'back-channel logout refused');
      return answer(400, { error: 'invalid_request', error_description: error.message });
    }
    if (error.code === 'not_found') return answer(404, { error: 'not_found', error_description: error.message });
    runtime.logger.warn({ reason: error.message }, 'back-channel logout could not be checked');
    return unavailable(error.message);
  }
}
