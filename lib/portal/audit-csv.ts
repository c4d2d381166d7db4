import type { AuditView } from './admin';
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
