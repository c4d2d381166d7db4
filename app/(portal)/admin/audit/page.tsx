import type { Metadata } from 'next';
import Link from 'next/link';
import { auditFilterOf, auditQuery } from '@/lib/portal/admin';
import { actionName } from '@/lib/portal/audit-actions';
import { DEFAULT_PER_PAGE, pageInfo, pageOf, windowOf } from '@/lib/portal/paging';
import { requireAdminSession } from '@/lib/portal/session';
import { requireSessionActor } from '@/lib/portal/session-actor';
import { FieldError } from '../../_components/field-error';
import { ListSummary, Pager } from '../../_components/pager';
import { buttonClass, emptyClass, hintClass, inputClass, labelClass, linkClass, pageTitleClass, sectionClass } from '../../_components/styles';
import { param, queryHref, type SearchParams } from '../../_lib/search-params';
import { AdminNav } from '../_components/admin-nav';
import { AuditList } from '../_components/audit-list';

export const metadata: Metadata = { title: 'Audit log - Administration - Auth-O-Tron' };

const FIELDS = ['actor', 'action', 'target_user', 'token_id', 'from', 'to'] as const;

export default async function AdminAuditPage({ searchParams }: { searchParams: SearchParams }) {
  await requireAdminSession('/admin/audit');
  const { actor, runtime } = await requireSessionActor();
  const params = await searchParams;
  const raw = Object.fromEntries(FIELDS.map((name) => [name, param(params, name)])) as Record<(typeof FIELDS)[number], string | undefined>;
  const parsed = auditQuery.safeParse(raw);
  // An invalid field is shown next to it and left out of the search, which runs on the rest.
  const errors: Partial<Record<string, string[]>> = {};
  for (const issue of parsed.error?.issues ?? []) (errors[String(issue.path[0])] ??= []).push(issue.message);
  const query = parsed.success ? parsed.data : auditQuery.parse(Object.fromEntries(Object.entries(raw).filter(([name]) => !errors[name])));
  const paging = { page: pageOf(params.page), perPage: DEFAULT_PER_PAGE };
  const [{ entries, total }, actions] = await Promise.all([runtime.admin.audit(actor, auditFilterOf(query), windowOf(paging)), runtime.admin.auditActions(actor)]);
  const info = pageInfo(paging, total);
  const filtered = FIELDS.some((name) => query[name]);
  const csvHref = queryHref('/api/admin/audit', { format: 'csv', ...query });

  const textField = (name: (typeof FIELDS)[number], label: string, hint?: string) => (
    <div className="min-w-0 grow basis-48">
      <label htmlFor={`audit-${name}`} className={labelClass}>
        {label}
      </label>
      <input
        id={`audit-${name}`}
        name={name}
        defaultValue={raw[name]}
        autoComplete="off"
        inputMode={hint ? 'numeric' : undefined}
        placeholder={hint ? 'yyyy-mm-dd' : undefined}
        aria-invalid={errors[name] ? true : undefined}
        aria-describedby={[hint && `audit-${name}-hint`, errors[name] && `audit-${name}-error`].filter(Boolean).join(' ') || undefined}
        className={inputClass}
      />
      {hint && (
        <p id={`audit-${name}-hint`} className={hintClass}>
          {hint}
        </p>
      )}
      <FieldError id={`audit-${name}-error`} errors={errors[name]} />
    </div>
  );

  return (
    <div className="space-y-8">
      <AdminNav current="/admin/audit" />
      <h1 className={pageTitleClass}>Audit log</h1>
      <section aria-label="Audit entries" className={sectionClass}>
        <form method="get" action="/admin/audit" role="search" aria-label="Filter the audit log" className="flex flex-wrap items-start gap-3">
          {textField('actor', 'Actor (realm/username)')}
          <div className="min-w-0 grow basis-48">
            <label htmlFor="audit-action" className={labelClass}>
              Action
            </label>
            <select id="audit-action" name="action" defaultValue={raw.action ?? ''} className={inputClass}>
              <option value="">Any action</option>
              {[...new Set([...actions, ...(raw.action ? [raw.action] : [])])].map((a) => (
                <option key={a} value={a}>
                  {actionName(a)}
                </option>
              ))}
            </select>
          </div>
          {textField('target_user', 'Target user (realm/username)')}
          {textField('token_id', 'Token id')}
          {textField('from', 'From (UTC day)', 'e.g. 2026-12-01')}
          {textField('to', 'To (UTC day, included)', 'e.g. 2026-12-31')}
          <div className="flex basis-full flex-wrap items-center gap-3">
            <button type="submit" className={buttonClass.primary}>
              Filter
            </button>
            {filtered && (
              <Link href="/admin/audit" className={`${linkClass} text-sm`}>
                Clear the filters
              </Link>
            )}
            <a href={csvHref} className={buttonClass.secondary} download>
              Download as CSV
            </a>
          </div>
        </form>
        <ListSummary info={info} noun={['entry', 'entries']} filtered={filtered} />
        {total === 0 ? (
          <p className={emptyClass}>{filtered ? 'No entry matches the filters.' : 'Nothing has been recorded yet.'}</p>
        ) : (
          entries.length > 0 && <AuditList entries={entries} label="Audit log, newest first" />
        )}
        <Pager info={info} label="Audit log pages" hrefFor={(page) => queryHref('/admin/audit', { ...query, page })} />
      </section>
    </div>
  );
}
