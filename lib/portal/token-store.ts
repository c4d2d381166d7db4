import 'server-only';
import { z } from 'zod';
import { AppError } from '../errors';
import type { Runtime } from '../runtime';
import { getRuntime } from '../runtime';
import type { Actor } from '../tokens/service';
import { ID_LENGTH, parseToken } from '../tokens/format';
import type { TokenView } from '../tokens/schemas';
import { errorResponse, resolveActor } from './api';

/**
 * auth-o-tron's token-store routes (`store.enabled: true`), backed by this product's tokens:
 * `GET /token` makes one, `GET /tokens` lists the caller's, `DELETE /token/{token}` revokes one of
 * the caller's. Only credentials in `Authorization` count (any the gateway accepts but our own
 * tokens, so a leaked token cannot mint more), never the portal's session cookie: a GET that makes
 * a token must not be something another site can trigger with a signed-in browser's cookie.
 */

const DISABLED = JSON.stringify({ error: 'Token store is disabled' });
const NOTE = "token secrets are stored as argon2id hashes and cannot be listed; token_string is the token's id, which DELETE /token/{token} accepts as well as the whole token";
const TOKEN_PARAM = z.string().min(1).max(200);

interface StoreContext<P> {
  actor: Actor;
  runtime: Runtime;
  params: P;
}

function storeRoute<P extends Record<string, string> = Record<string, never>>(handler: (context: StoreContext<P>) => Promise<Response>) {
  return async (request: Request, context: { params: Promise<P> }): Promise<Response> => {
    const runtime = await getRuntime();
    if (!runtime.config.store?.enabled) return new Response(DISABLED, { status: 503, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });
    try {
      // A browser says where a request comes from; scripts send nothing. Cached Basic credentials are ambient too.
      const site = request.headers.get('sec-fetch-site');
      if (site !== null && site !== 'same-origin' && site !== 'none') throw new AppError('forbidden', 'cross-site request refused');
      const { actor } = await resolveActor(runtime, request, { session: false });
      return await handler({ actor, runtime, params: await context.params });
    } catch (error) {
      return errorResponse(error, runtime);
    }
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });
}

/** `service:scope` strings as auth-o-tron's tokens held them: service → scopes. */
function scopesByService(scopes: readonly string[]): Record<string, string[]> {
  const byService: Record<string, string[]> = {};
  for (const scope of scopes) {
    const colon = scope.indexOf(':');
    (byService[scope.slice(0, colon)] ??= []).push(scope.slice(colon + 1));
  }
  return byService;
}

/** `GET /token`: a token with the default lifetime and every scope of the catalog the caller's roles allow (auth-o-tron's had no scopes). Audited as any creation. */
export const createStoreToken = storeRoute(async ({ actor, runtime }) => {
  const scopes = (await runtime.tokens.pickableScopes(actor)).map((entry) => `${entry.service}:${entry.name}`);
  const created = await runtime.tokens.create(actor, { name: 'made with GET /token', scopes });
  return json(200, { token: created.secret, id: created.token.id, expires_at: created.token.expires_at, scopes: scopesByService(created.token.scopes) });
});

/** `GET /tokens`: the caller's active tokens, in auth-o-tron's shape plus ours; never a secret (there is none to give). */
export const listStoreTokens = storeRoute(async ({ actor, runtime }) => {
  // Every active token on one answer: the cap counts a token in its grace period once with its replacement, so twice the cap holds them all.
  const { tokens: active } = await runtime.tokens.list(actor, { status: 'active' }, { offset: 0, limit: 2 * runtime.config.tokens.max_per_user });
  const mine = active.filter((token) => ownedBy(token, actor));
  const tokens = mine.map((token) => ({
    version: 1,
    token_string: token.id,
    scopes: scopesByService(token.scopes),
    id: token.id,
    name: token.name,
    created_at: token.created_at,
    expires_at: token.expires_at,
    last_used_at: token.last_used_at,
  }));
  return json(200, { tokens, note: NOTE });
});

/** `DELETE /token/{token}`: the whole token or its id; only the caller's own (an admin's too), else 404 as for a missing one. */
export const deleteStoreToken = storeRoute<{ token: string }>(async ({ actor, runtime, params }) => {
  const value = TOKEN_PARAM.parse(params.token);
  const id = parseToken(runtime.config.tokens.prefix, value)?.id ?? (value.length === ID_LENGTH ? value : undefined);
  if (!id) throw new AppError('not_found', 'no such token');
  const token = await runtime.tokens.get(actor, id);
  if (!ownedBy(token, actor)) throw new AppError('not_found', 'no such token');
  await runtime.tokens.revoke(actor, id);
  return new Response(null, { status: 204, headers: { 'Cache-Control': 'no-store' } });
});

function ownedBy(token: TokenView, actor: Actor): boolean {
  return token.owner.realm === actor.realm && token.owner.username === actor.username;
}
