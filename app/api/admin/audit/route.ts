import { z } from 'zod';
import { apiRoute } from '@/lib/portal/api';

export const dynamic = 'force-dynamic';
const page = z.coerce.number().int().min(1).max(100_000).default(1);
export const GET = apiRoute(async ({ actor, runtime, query }) => runtime.admin.audit(actor, page.parse(query('page') ?? undefined)), { admin: true });
