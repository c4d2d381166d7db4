import Link from 'next/link';
import type { AuditView } from '@/lib/portal/admin';
import { DateTime } from '../../_components/date-time';
import { ScrollRegion, tdClass, thClass } from '../../_components/scroll-region';
import { linkClass } from '../../_components/styles';

interface Props {
  entries: AuditView[];
  page: number;
  pageCount: number;
  /** Builds the address of another page, keeping the rest of the query. */
  hrefFor: (page: number) => string;
}

export function AuditTable({ entries, page, pageCount, hrefFor }: Props) {
  return (
    <div className="space-y-3">
      {entries.length === 0 ? (
        <p className="rounded border border-dashed border-slate-300 bg-white p-4 text-slate-700">No entries on this page.</p>
      ) : (
        <ScrollRegion label="Audit log entries">
          <table className="w-full min-w-[48rem] border-collapse">
            <caption className="sr-only">Audit log, newest first</caption>
            <thead>
              <tr>
                <th scope="col" className={thClass}>
                  Time
                </th>
                <th scope="col" className={thClass}>
                  Actor
                </th>
                <th scope="col" className={thClass}>
                  Action
                </th>
                <th scope="col" className={thClass}>
                  Target user
                </th>
                <th scope="col" className={thClass}>
                  Token
                </th>
                <th scope="col" className={thClass}>
                  Client address
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td className={tdClass}>
                    <DateTime iso={e.at} />
                  </td>
                  <td className={tdClass}>{e.actor}</td>
                  <td className={tdClass}>
                    <code>{e.action}</code>
                  </td>
                  <td className={tdClass}>{e.target_user ?? '—'}</td>
                  <td className={tdClass}>
                    {e.token_id ? <code>{e.token_id}</code> : '—'}
                    {typeof e.details.name === 'string' && <span className="block text-slate-700">{e.details.name}</span>}
                  </td>
                  <td className={tdClass}>{e.client_address ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
      <nav aria-label="Audit log pages" className="flex flex-wrap items-center gap-4 text-sm">
        {page > 1 ? (
          <Link href={hrefFor(Math.min(page - 1, pageCount))} className={linkClass}>
            ← Newer entries
          </Link>
        ) : null}
        <span>
          Page {page} of {pageCount}
        </span>
        {page < pageCount ? (
          <Link href={hrefFor(page + 1)} className={linkClass}>
            Older entries →
          </Link>
        ) : null}
      </nav>
    </div>
  );
}
