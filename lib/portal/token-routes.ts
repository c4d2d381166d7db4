import 'server-only';
import { z } from 'zod';
import { getUserByName } from '../../db/users';
import { AppError } from '../errors';
import { tokenStatus } from '../tokens/schemas';
import { apiRoute } from './api';
import { pageInfo, pageRequest, windowOf } from './paging';

// The same handlers serve /api/tokens (own tokens) and /api/admin/tokens (everyone's, admins only).

type IdParams = { id: string };
const statusQuery = z.object({ status: tokenStatus.optional() });

export function listTokensRoute(scope: 'own' | 'all') {
  return apiRoute(
    async ({ actor, runtime, query }) => {
      const { status } = statusQuery.parse({ status: query('status') || undefined });
      const paging = pageRequest(query);
      const { tokens, total } = await runtime.tokens.list(actor, { all: scope === 'all', search: query('search') || undefined, status }, windowOf(paging));
      return { tokens, ...pageInfo(paging, total) };
    },
    { admin: scope === 'all' },
  );
}

const ownerSelector = z.union([z.strictObject({ user_id: z.uuid() }), z.strictObject({ user: z.strictObject({ realm: z.string().min(1), username: z.string().min(1) }) })]);

export function createTokenRoute(scope: 'own' | 'all') {
  return apiRoute(
    async ({ actor, runtime, body }) => {
      const raw = await body();
      if (scope === 'own') return runtime.tokens.create(actor, raw);
      // Admin: the same fields plus whose token it is.
      const { user_id: userId, user, ...tokenFields } = (raw ?? {}) as Record<string, unknown>;
      const selector = ownerSelector.parse(userId !== undefined ? { user_id: userId } : { user });
      const owner = 'user_id' in selector ? { id: selector.user_id } : await getUserByName(runtime.database.db, selector.user.realm, selector.user.username);
      if (!owner) throw new AppError('invalid_input', 'unknown user', { fields: { user: ['no such user; they must have signed in once'] } });
      return runtime.tokens.create(actor, tokenFields, owner.id);
    },
    { admin: scope === 'all', status: 201 },
  );
}

export function getTokenRoute(scope: 'own' | 'all') {
  return apiRoute<IdParams>(async ({ actor, runtime, params }) => runtime.tokens.get(actor, params.id), { admin: scope === 'all' });
}

export function revokeTokenRoute(scope: 'own' | 'all') {
  return apiRoute<IdParams>(async ({ actor, runtime, params }) => runtime.tokens.revoke(actor, params.id), { admin: scope === 'all' });
}

export function rotateTokenRoute(scope: 'own' | 'all') {
  return apiRoute<IdParams>(async ({ actor, runtime, params, body }) => runtime.tokens.rotate(actor, params.id, await body()), { admin: scope === 'all', status: 201 });
}

export function tokenUsageRoute(scope: 'own' | 'all') {
  return apiRoute<IdParams>(async ({ actor, runtime, params, query }) => runtime.tokens.usage(actor, params.id, { since: query('since') }), { admin: scope === 'all' });
}

/** `PATCH /api/tokens/<id>`: restrictions, owner or admin (audited). */
export function updateTokenRoute(scope: 'own' | 'all') {
  return apiRoute<IdParams>(async ({ actor, runtime, params, body }) => runtime.tokens.update(actor, params.id, await body()), { admin: scope === 'all' });
}

const lookupInput = z.strictObject({ q: z.string().trim().min(1, 'give a token id or a whole token').max(200) });

/** `POST /api/admin/tokens/lookup` `{"q": <id or whole token>}`: POST keeps a token value out of URLs and access logs. */
export const lookupTokenRoute = apiRoute(async ({ actor, runtime, body }) => ({ token: await runtime.tokens.lookup(actor, lookupInput.parse(await body()).q) }), { admin: true });

/** `POST /api/admin/users/<id>/revoke-tokens`: every active token of the user, at once. */
export const revokeUserTokensRoute = apiRoute<{ id: string }>(async ({ actor, runtime, params }) => runtime.tokens.revokeAllOf(actor, params.id), { admin: true });
