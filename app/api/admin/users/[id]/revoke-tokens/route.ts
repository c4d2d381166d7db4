import { revokeUserTokensRoute } from '@/lib/portal/token-routes';

export const dynamic = 'force-dynamic';
export const POST = revokeUserTokensRoute;
