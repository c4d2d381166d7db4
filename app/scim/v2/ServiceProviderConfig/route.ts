import { scimRoute } from '@/lib/scim/http';
import { serviceProviderConfig } from '@/lib/scim/schemas';

export const dynamic = 'force-dynamic';

export const GET = scimRoute(async ({ base }) => ({ body: serviceProviderConfig(base) }));
