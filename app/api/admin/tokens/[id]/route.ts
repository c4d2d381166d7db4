import { getTokenRoute, revokeTokenRoute, updateTokenRoute } from '@/lib/portal/token-routes';

export const dynamic = 'force-dynamic';
export const GET = getTokenRoute('all');
export const PATCH = updateTokenRoute('all');
export const DELETE = revokeTokenRoute('all');
