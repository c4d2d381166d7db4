import { createTokenRoute, listTokensRoute } from '@/lib/portal/token-routes';

export const dynamic = 'force-dynamic';
export const GET = listTokensRoute('all');
export const POST = createTokenRoute('all');
