import { type AuditQuery, auditFilterOf, auditQuery } from '@/lib/portal/admin';
import { apiRoute } from '@/lib/portal/api';
import { auditCsvHeader, auditCsvRows } from '@/lib/portal/audit-csv';
import { pageInfo, pageRequest, windowOf } from '@/lib/portal/paging';

export const dynamic = 'force-dynamic';

/** The most rows one CSV export holds; the last line says when there were more. */
const CSV_MAX_ROWS = 100_000;
const CSV_CHUNK = 1_000;

export const GET = apiRoute(
  async ({ actor, runtime, query }) => {
    const filters: AuditQuery = auditQuery.parse({
      actor: query('actor'),
      action: query('action'),
      target_user: query('target_user'),
      token_id: query('token_id'),
      from: query('from'),
      to: query('to'),
    });
    const filter = auditFilterOf(filters);
    if (query('format') === 'csv') {
      let body = auditCsvHeader();
      let total = 0;
      for (let offset = 0; offset < CSV_MAX_ROWS; offset += CSV_CHUNK) {
        const page = await runtime.admin.audit(actor, filter, { offset, limit: CSV_CHUNK });
        total = page.total;
        body += auditCsvRows(page.entries);
        if (page.entries.length < CSV_CHUNK) break;
      }
      if (total > CSV_MAX_ROWS) body += `# ${total - CSV_MAX_ROWS} more entries not exported: narrow the filter\r\n`;
      const day = new Date().toISOString().slice(0, 10);
      return new Response(body, {
        headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="audit-${day}.csv"`, 'Cache-Control': 'no-store' },
      });
    }
    const paging = pageRequest(query);
    const { entries, total } = await runtime.admin.audit(actor, filter, windowOf(paging));
    return { entries, ...pageInfo(paging, total) };
  },
  { admin: true },
);
