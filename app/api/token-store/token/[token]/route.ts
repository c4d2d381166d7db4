import { deleteStoreToken } from '@/lib/portal/token-store';

// auth-o-tron's `DELETE /token/{token}` (next.config.ts rewrites it here).
export const dynamic = 'force-dynamic';
export const DELETE = deleteStoreToken;
