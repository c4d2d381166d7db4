import { handleGatewayRoute } from '@/lib/server/web-adapter';

export const dynamic = 'force-dynamic';
export const GET = handleGatewayRoute;
export const HEAD = handleGatewayRoute;
export const POST = handleGatewayRoute;
export const PUT = handleGatewayRoute;
export const PATCH = handleGatewayRoute;
export const DELETE = handleGatewayRoute;
export const OPTIONS = handleGatewayRoute;
