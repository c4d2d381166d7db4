import { githubAlertRoute } from '@/lib/secret-scanning/route';

export const dynamic = 'force-dynamic';
export const POST = githubAlertRoute;
