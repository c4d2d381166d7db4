import { scimRoute } from '@/lib/scim/http';

export const dynamic = 'force-dynamic';

export const GET = scimRoute<{ id: string }>(async ({ scim, params, base }) => ({ body: await scim.get(params.id, base) }));

export const PUT = scimRoute<{ id: string }>(async ({ scim, params, body, base, caller }) => ({ body: await scim.replace(params.id, await body(), base, caller) }));

/** PatchOp; `active: false` suspends every credential of the user on every replica, `true` restores them. */
export const PATCH = scimRoute<{ id: string }>(async ({ scim, params, body, base, caller }) => ({ body: await scim.patch(params.id, await body(), base, caller) }));

/** Disables and marks the user deleted, and revokes their tokens (see ScimService.delete). */
export const DELETE = scimRoute<{ id: string }>(async ({ scim, params, caller }) => {
  await scim.delete(params.id, caller);
  return { status: 204 };
});
