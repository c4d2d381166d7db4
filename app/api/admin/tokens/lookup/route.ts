import { lookupTokenRoute } from '@/lib/portal/token-routes';

export const dynamic = 'force-dynamic';
export const POST = lookupTokenRoute;
