import { createStoreToken } from '@/lib/portal/token-store';

// auth-o-tron's `GET /token` (next.config.ts rewrites it here).
export const dynamic = 'force-dynamic';
export const GET = createStoreToken;
