import { apiRoute } from '@/lib/portal/api';
import { pageInfo, pageRequest, windowOf } from '@/lib/portal/paging';

export const dynamic = 'force-dynamic';
export const GET = apiRoute(
  async ({ actor, runtime, query }) => {
    const paging = pageRequest(query);
    const { users, total } = await runtime.admin.listUsers(actor, query('search') || undefined, windowOf(paging));
    return { users, ...pageInfo(paging, total) };
  },
  { admin: true },
);
