import type { NextConfig } from 'next';

// auth-o-tron served its endpoints without the /api prefix; nginx configs written for it keep working.
// `/health` has a route of its own: auth-o-tron's answers text, /api/health JSON.
const legacyPaths = ['authenticate', 'whoami', 'providers', 'augmenters', 'ready', 'metrics'];

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // `forbidden()` renders the 403 page with a real 403 status (the portal's admin pages).
  experimental: { authInterrupts: true },
  serverExternalPackages: ['argon2', '@electric-sql/pglite', 'pg', 'pino', 'pino-pretty', 'oidc-provider', 'ldapts'],
  async rewrites() {
    return legacyPaths.map((p) => ({ source: `/${p}`, destination: `/api/${p}` }));
  },
};

export default nextConfig;
