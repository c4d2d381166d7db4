import { getRuntime } from '../runtime';

/**
 * The gateway for Next's route handlers (used by `next dev`; production answers these paths in
 * server.ts before Next sees them). Same core, same answers.
 */
export async function handleGatewayRoute(request: Request): Promise<Response> {
  const runtime = await getRuntime();
  const url = new URL(request.url);
  const response = await runtime.http.handle({
    method: request.method,
    path: url.pathname,
    // Next has parsed (and so normalised) the URL already: the raw target is not to be had here.
    target: url.pathname + url.search,
    header: (name) => request.headers.get(name) ?? undefined,
  });
  // Under /api, a path of neither the gateway (lib/gateway/routes.ts) nor the portal: Next's 404 has no body either.
  if (!response) return new Response(null, { status: 404, headers: { 'Cache-Control': 'no-store' } });
  // An empty body is no body (a string would add a text/plain Content-Type).
  return new Response(request.method === 'HEAD' || response.body === '' ? null : response.body, { status: response.status, headers: response.headers });
}

/** Every method a gateway route answers: the route files re-export these (one mechanism, not one copy per path). */
export const GET = handleGatewayRoute;
export const HEAD = handleGatewayRoute;
export const POST = handleGatewayRoute;
export const PUT = handleGatewayRoute;
export const PATCH = handleGatewayRoute;
export const DELETE = handleGatewayRoute;
export const OPTIONS = handleGatewayRoute;
