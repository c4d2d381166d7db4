import { NextRequest } from 'next/server';
import { publicOrigin } from './canonical-origin';

/**
 * The request as the browser addressed it. Behind a custom server Next gives route handlers a URL
 * built from its own `localhost:<port>`, whatever the Host header said, and next-auth derives the
 * OIDC callback URL from it. The server trusts the host headers (AUTH_TRUST_HOST, set in
 * server.ts), the forwarded ones only from a trusted proxy (it removes any other's); with AUTH_URL
 * set, next-auth uses that origin instead and this changes nothing.
 */
export function withPublicOrigin(request: NextRequest): NextRequest {
  if (process.env.AUTH_URL ?? process.env.NEXTAUTH_URL) return request;
  const origin = publicOrigin(request.headers);
  if (!origin) return request; // a malformed Host header keeps Next's URL
  const { pathname, search } = request.nextUrl;
  return origin === request.nextUrl.origin ? request : new NextRequest(new URL(`${pathname}${search}`, origin), request);
}
