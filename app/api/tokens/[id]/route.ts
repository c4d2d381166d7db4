import { getTokenRoute, revokeTokenRoute, updateTokenRoute } from '@/lib/portal/token-routes';

export const dynamic = 'force-dynamic';
export const GET = getTokenRoute('own');
export const PATCH = updateTokenRoute('own');
export const DELETE = revokeTokenRoute('own');
