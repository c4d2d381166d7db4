import { introspectRoute } from '@/lib/portal/holder-routes';

export const dynamic = 'force-dynamic';
export const POST = introspectRoute;
