import { getTokenRoute, revokeTokenRoute } from '@/lib/portal/token-routes';

export const dynamic = 'force-dynamic';
export const GET = getTokenRoute('all');
export const DELETE = revokeTokenRoute('all');
