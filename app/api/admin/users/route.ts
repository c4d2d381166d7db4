import { apiRoute } from '@/lib/portal/api';

export const dynamic = 'force-dynamic';
export const GET = apiRoute(async ({ actor, runtime, query }) => ({ users: await runtime.admin.listUsers(actor, query('search')) }), { admin: true });
