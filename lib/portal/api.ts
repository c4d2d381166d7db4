import 'server-only';
import { ensureUser } from '../../db/users';
import { isDatabaseUnavailable } from '../../db/unavailable';
import { AppError, describeError, isAppError } from '../errors';
import type { User } from '../gateway/types';
import { readBody } from '../http/body';
import { originMatchesHost } from '../http/same-origin';
import { LogThrottle } from '../log/throttle';
import type { Runtime } from '../runtime';
import { getRuntime } from '../runtime';
import { PORTAL_SESSION_TYPE } from '../providers/portal-session';
import { clientAddressOf, peerAddressOf } from '../server/peer';
import type { Actor } from '../tokens/service';
import { requireAdmin } from './admin';
import { classifyError } from './error-classifier';
import { sessionActor } from './session-actor';

export interface ApiContext<P> {
  actor: Actor;
  runtime: Runtime;
  request: Request;
  params: P;
  /** The JSON body; a malformed one is a 400. */
  body(): Promise<unknown>;
  query(name: string): string | undefined;
}

interface ApiOptions {
  admin?: boolean;
  status?: number;
}

type Via = 'credential' | 'session';
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Wraps a JSON API handler: who is calling (portal session, or a credential the gateway accepts
 * directly — never an opaque token), admin check, CSRF check, and the one mapping of errors to statuses.
 */
export function apiRoute<P extends Record<string, string> = Record<string, never>>(handler: (context: ApiContext<P>) => Promise<unknown>, options: ApiOptions = {}) {
  return async (request: Request, context: { params: Promise<P> }): Promise<Response> => {
    const runtime = await getRuntime();
    try {
      const { actor, via } = await resolveActor(runtime, request);
      checkCsrf(request, via);
      if (options.admin) requireAdmin(actor);
      const url = new URL(request.url);
      const result = await handler({
        actor,
        runtime,
        request,
        params: await context.params,
        body: () => readBody(request),
        query: (name) => url.searchParams.get(name) ?? undefined,
      });
      // A handler may answer in another format (CSV) with its own Response.
      return result instanceof Response ? result : jsonResponse(options.status ?? 200, result);
    } catch (error) {
      return errorResponse(error, runtime);
    }
  };
}

/**
 * The caller as the gateway sees it (every provider, augmenters, capped scopes): the same check as
 * `/api/authenticate`, not a copy. A token's `ips` restriction applies; the others name requests
 * behind the proxy, which an API call is not. `session: false`: the portal's cookie does not count.
 */
export async function authenticateCaller(
  runtime: Runtime,
  request: Request,
  options: { session?: boolean } = {},
): Promise<{ user: User; clientAddress: string | undefined; userAgent: string | undefined }> {
  const header = (name: string) => request.headers.get(name) ?? undefined;
  const clientAddress = clientAddressOf(runtime.addresses, header);
  const userAgent = header('user-agent')?.slice(0, 300);
  // The session cookie may be what the gateway accepts (the header being garbage): the CSRF check
  // then applies as for any cookie, so the provider that accepted decides, not the header's presence.
  const allowSession = options.session ?? true;
  const origin = { clientAddress: () => clientAddress, fromAuthProxy: () => false, allowsSession: () => allowSession };
  const result = await runtime.gateway.authenticate({ method: request.method, path: new URL(request.url).pathname, header, remoteAddress: peerAddressOf(header) }, origin);
  if (result.kind === 'unavailable') throw new AppError('unavailable', 'an identity provider could not answer; try again');
  if (result.kind === 'unauthorized') throw new AppError('unauthorized', 'missing or invalid credentials');
  const restricted = result.user.restrictions?.identityRefusal(clientAddress);
  if (restricted) throw new AppError('forbidden', `outside the token's restriction: ${restricted}`, { restriction: restricted });
  return { user: result.user, clientAddress, userAgent };
}

/** A JSON API handler that authenticates nobody itself (RFC 7009 revocation) or does so on its own terms: only the error mapping. */
export function publicRoute(handler: (request: Request, runtime: Runtime) => Promise<Response>) {
  return async (request: Request): Promise<Response> => {
    const runtime = await getRuntime();
    try {
      return await handler(request, runtime);
    } catch (error) {
      return errorResponse(error, runtime);
    }
  };
}

/**
 * `session: false`: only credentials in the `Authorization` header count, never the portal's session
 * cookie (routes that change state on GET, which a cross-site image could trigger with the cookie).
 */
export async function resolveActor(runtime: Runtime, request: Request, options: { session?: boolean } = {}): Promise<{ actor: Actor; via: Via }> {
  const allowSession = options.session ?? true;
  const header = (name: string) => request.headers.get(name) ?? undefined;
  const clientAddress = clientAddressOf(runtime.addresses, header);
  const userAgent = header('user-agent')?.slice(0, 300);
  const adminRoles = runtime.config.portal?.admin_roles ?? ['admin'];

  if (header('authorization')) {
    const { user } = await authenticateCaller(runtime, request, { session: allowSession });
    if (user.auth.method === 'tokens') throw new AppError('forbidden', 'an API token cannot manage tokens: sign in, or use your password or identity-provider token');
    const row = await ensureUser(runtime.database.db, { realm: user.realm, username: user.username, roles: user.roles, attributes: user.attributes });
    if (row.disabledAt) throw new AppError('forbidden', 'this account is disabled');
    const via: Via = user.auth.method === PORTAL_SESSION_TYPE ? 'session' : 'credential';
    return { via, actor: { userId: row.id, realm: row.realm, username: row.username, isAdmin: user.roles.some((r) => adminRoles.includes(r)), clientAddress, userAgent } };
  }

  if (!allowSession) throw new AppError('unauthorized', 'send credentials in the Authorization header');
  const session = await sessionActor();
  if (!session) throw new AppError('unauthorized', 'sign in to the portal, or send credentials');
  return { via: 'session', actor: { ...session, clientAddress, userAgent } };
}

/**
 * Browsers always send Origin on cross-site POSTs; a session cookie alone must not be enough to
 * change anything from another site. Scripts (curl) send no Origin and authenticate with a header.
 */
function checkCsrf(request: Request, via: Via): void {
  if (!MUTATING.has(request.method)) return;
  const origin = request.headers.get('origin');
  const host = request.headers.get('host');
  if (origin) {
    if (!originMatchesHost(origin, host)) throw new AppError('forbidden', 'cross-origin request refused');
  } else if (via === 'session' && request.headers.get('sec-fetch-site') !== 'same-origin') {
    throw new AppError('forbidden', 'cross-origin request refused');
  }
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers } });
}

/** Renders the one classification of errors (lib/portal/error-classifier.ts) as the portal API's JSON. */
export function errorResponse(error: unknown, runtime: Runtime): Response {
  const verdict = classifyError(error, runtime.logger, 'portal API request');
  switch (verdict.kind) {
    case 'fields':
      return jsonResponse(422, { error: verdict.code, message: verdict.message, ...verdict.details, fields: verdict.fields });
    case 'product': {
      const retryAfter = verdict.error.retryAfter ?? (verdict.code === 'unavailable' ? 5 : undefined);
      const headers: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
      return jsonResponse(verdict.status, { error: verdict.code, message: verdict.message, ...verdict.error.details }, headers);
    }
    case 'unavailable':
      return jsonResponse(503, { error: verdict.code, message: verdict.message }, { 'Retry-After': String(verdict.retryAfter) });
    case 'internal':
      return jsonResponse(500, { error: verdict.code, message: 'something went wrong; it has been logged' });
  }
}
