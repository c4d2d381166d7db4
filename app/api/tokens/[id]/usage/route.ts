import { tokenUsageRoute } from '@/lib/portal/token-routes';

export const dynamic = 'force-dynamic';
export const GET = tokenUsageRoute('own');
