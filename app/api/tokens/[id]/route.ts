import { getTokenRoute, revokeTokenRoute } from '@/lib/portal/token-routes';

export const dynamic = 'force-dynamic';
export const GET = getTokenRoute('own');
export const DELETE = revokeTokenRoute('own');
