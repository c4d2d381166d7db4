import type { NextConfig } from 'next';

// auth-o-tron served its endpoints without the /api prefix; nginx configs written for it keep working.
const legacyPaths = ['authenticate', 'whoami', 'health', 'providers', 'augmenters'];

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
