// Envoy's ext_authz checks: `/api/authenticate/<original path>` (the custom server answers them before Next).
export const dynamic = 'force-dynamic';
export { DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT } from '@/lib/server/web-adapter';
