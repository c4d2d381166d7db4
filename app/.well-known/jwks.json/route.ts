import { handleGatewayRoute } from '@/lib/server/web-adapter';

export const dynamic = 'force-dynamic';
export const GET = handleGatewayRoute;
