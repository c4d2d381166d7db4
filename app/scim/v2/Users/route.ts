import { scimRoute } from '@/lib/scim/http';

export const dynamic = 'force-dynamic';

/** `?filter=userName eq "…"`, `startIndex`, `count`: a ListResponse of the portal realm's users. */
export const GET = scimRoute(async ({ scim, query, base }) => ({ body: await scim.list(query(), base) }));

export const POST = scimRoute(async ({ scim, body, base, caller }) => ({ status: 201, body: await scim.create(await body(), base, caller) }));
