import { listStoreTokens } from '@/lib/portal/token-store';

// auth-o-tron's `GET /tokens` from an API client (next.config.ts tells it from the portal's page).
export const dynamic = 'force-dynamic';
export const GET = listStoreTokens;
