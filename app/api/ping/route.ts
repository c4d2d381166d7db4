// A route that goes through Next's own routing (server.ts answers the gateway paths before Next):
// `npm run bench` measures it as the framework's floor.
export const dynamic = 'force-dynamic';
export function GET(): Response {
  return new Response('ok', { headers: { 'Cache-Control': 'no-store' } });
}
