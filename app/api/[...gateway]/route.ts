// Every gateway path under /api (lib/gateway/routes.ts), and auth-o-tron's legacy paths rewritten here
// by next.config.ts. The portal's API routes are static segments, which Next matches before this one.
// Production answers the gateway's paths in server.ts before Next; this serves `next start` and `next dev`.
export const dynamic = 'force-dynamic';
export { DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT } from '@/lib/server/web-adapter';
