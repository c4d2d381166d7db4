import type { NextConfig } from 'next';
import { legacyRewrites, TOKEN_LIST, TOKEN_STORE_ROUTES } from './lib/gateway/routes';

/**
 * `GET /tokens` is auth-o-tron's token list and the portal's page. An API client is told apart by
 * sending credentials (`Authorization`) or asking for JSON and not HTML; a browser navigating sends
 * neither, and Next's own client navigations (`RSC` header) stay with the page. Each `has` carries a
 * value so that the header is not copied into the rewritten URL's query (Next does that for `has`
 * items without one).
 */
const { source, destination } = TOKEN_LIST;
const apiClientOfTokens = [
  { source, has: [{ type: 'header' as const, key: 'authorization', value: '.+' }], destination },
  {
    source,
    has: [{ type: 'header' as const, key: 'accept', value: '(?!.*text/html).*application/json.*' }],
    missing: [{ type: 'header' as const, key: 'rsc', value: '.*' }],
    destination,
  },
];

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // `forbidden()` renders the 403 page with a real 403 status (the portal's admin pages).
  experimental: { authInterrupts: true },
  serverExternalPackages: ['argon2', '@electric-sql/pglite', 'pg', 'pino', 'pino-pretty', 'oidc-provider', 'ldapts'],
  async rewrites() {
    return {
      // Before the filesystem: /tokens is a page too.
      beforeFiles: apiClientOfTokens,
      // auth-o-tron's paths without /api (the gateway's catch-all answers them), and its token store.
      afterFiles: [...legacyRewrites(), ...TOKEN_STORE_ROUTES.map(({ source, destination }) => ({ source, destination }))],
      fallback: [],
    };
  },
};

export default nextConfig;
