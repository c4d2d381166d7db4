import { auditFilterOf, auditQuery } from '@/lib/portal/admin';
import { apiRoute } from '@/lib/portal/api';
import { auditCsvResponse } from '@/lib/portal/audit-csv';
import { pageInfo, pageRequest, windowOf } from '@/lib/portal/paging';
import { z } from 'zod';

export const dynamic = 'force-dynamic';

/** JSON (paged) by default; `format=csv` downloads every matching entry. Another format is a 422, not a silent JSON answer. */
const format = z.enum(['json', 'csv']).default('json');

export const GET = apiRoute(
  async ({ actor, runtime, query }) => {
    const filters = auditQuery.extend({ format }).parse({
      actor: query('actor'),
      action: query('action'),
      target_user: query('target_user'),
      token_id: query('token_id'),
      from: query('from'),
      to: query('to'),
      format: query('format'),
    });
    const filter = auditFilterOf(filters);
    if (filters.format === 'csv') return auditCsvResponse(runtime.admin, actor, filter);
    const paging = pageRequest(query);
    const { entries, total } = await runtime.admin.audit(actor, filter, windowOf(paging));
    return { entries, ...pageInfo(paging, total) };
  },
  { admin: true },
);
