import type { NextConfig } from 'next';

// auth-o-tron served its endpoints without the /api prefix; nginx configs written for it keep working.
// `/health` has a route of its own: auth-o-tron's answers text, /api/health JSON.
const legacyPaths = ['authenticate', 'whoami', 'providers', 'augmenters', 'ready', 'metrics'];

/**
 * `GET /tokens` is auth-o-tron's token list and the portal's page. An API client is told apart by
 * sending credentials (`Authorization`) or asking for JSON and not HTML; a browser navigating sends
 * neither, and Next's own client navigations (`RSC` header) stay with the page. Each `has` carries a
 * value so that the header is not copied into the rewritten URL's query (Next does that for `has`
 * items without one).
 */
const tokenList = '/api/token-store/tokens';
const apiClientOfTokens = [
  { source: '/tokens', has: [{ type: 'header' as const, key: 'authorization', value: '.+' }], destination: tokenList },
  {
    source: '/tokens',
    has: [{ type: 'header' as const, key: 'accept', value: '(?!.*text/html).*application/json.*' }],
    missing: [{ type: 'header' as const, key: 'rsc', value: '.*' }],
    destination: tokenList,
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
      afterFiles: [
        ...legacyPaths.map((p) => ({ source: `/${p}`, destination: `/api/${p}` })),
        // auth-o-tron's token-store routes (store.enabled).
        { source: '/token', destination: '/api/token-store/token' },
        { source: '/token/:token', destination: '/api/token-store/token/:token' },
      ],
      fallback: [],
    };
  },
};

export default nextConfig;
