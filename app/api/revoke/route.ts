import { revokeRoute } from '@/lib/portal/holder-routes';

export const dynamic = 'force-dynamic';
export const POST = revokeRoute;
