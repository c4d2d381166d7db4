import { handleGatewayRoute } from '@/lib/server/web-adapter';

// Envoy's ext_authz checks: `/api/authenticate/<original path>` (the custom server answers them before Next).
export const dynamic = 'force-dynamic';
export const GET = handleGatewayRoute;
export const HEAD = handleGatewayRoute;
export const POST = handleGatewayRoute;
export const PUT = handleGatewayRoute;
export const PATCH = handleGatewayRoute;
export const DELETE = handleGatewayRoute;
export const OPTIONS = handleGatewayRoute;
