import { rotateTokenRoute } from '@/lib/portal/token-routes';

export const dynamic = 'force-dynamic';
export const POST = rotateTokenRoute('all');
