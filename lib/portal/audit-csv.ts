import type { AuditFilter } from '../../db/audit';
import type { Actor } from '../tokens/service';
import type { AdminService, AuditView } from './admin';
import { actionName } from './audit-actions';

export const AUDIT_CSV_COLUMNS = ['time', 'actor', 'action', 'action_code', 'target_user', 'token_id', 'token_name', 'client_address', 'user_agent', 'details'] as const;

/**
 * RFC 4180 field: quoted when needed, quotes doubled. A leading `=`, `+`, `-` or `@` is prefixed
 * with `'` so a spreadsheet never runs a user agent or token name as a formula.
 */
function field(value: string | null | undefined): string {
  let text = value ?? '';
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function auditCsvHeader(): string {
  return `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
}

export function auditCsvRows(entries: AuditView[]): string {
  return entries
    .map((e) =>
      [e.at, e.actor, actionName(e.action), e.action, e.target_user, e.token_id, typeof e.details.name === 'string' ? e.details.name : '', e.client_address, e.user_agent, JSON.stringify(e.details)]
        .map(field)
        .join(','),
    )
    .map((line) => `${line}\r\n`)
    .join('');
}

/** The most rows one export holds; the last line says when there were more. */
const CSV_MAX_ROWS = 100_000;
const CSV_CHUNK = 1_000;

/** The audit entries `filter` matches as a CSV download, read a page at a time. */
export async function auditCsvResponse(admin: AdminService, actor: Actor, filter: AuditFilter): Promise<Response> {
  let body = auditCsvHeader();
  let total = 0;
  for (let offset = 0; offset < CSV_MAX_ROWS; offset += CSV_CHUNK) {
    const page = await admin.audit(actor, filter, { offset, limit: CSV_CHUNK });
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
