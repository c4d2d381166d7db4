import type { AuditView } from '@/lib/portal/admin';
import { actionName } from '@/lib/portal/audit-actions';
import { DateTime } from '../../_components/date-time';
import { cardClass } from '../../_components/styles';
import { Fact } from '../../_components/fact';

function tokenOf(e: AuditView) {
  const name = typeof e.details.name === 'string' ? e.details.name : undefined;
  const replacement = typeof e.details.new_token_id === 'string' ? e.details.new_token_id : undefined;
  if (!e.token_id) return '—';
  return (
    <>
      {name && <span className="block font-medium break-words">{name}</span>}
      <code className="text-xs break-all">{e.token_id}</code>
      {replacement && (
        <span className="block text-xs break-all text-slate-700">
          replaced by <code>{replacement}</code>
        </span>
      )}
    </>
  );
}

/** Audit entries, newest first, as stacked cards (a phone shows every field without scrolling sideways). */
export function AuditList({ entries, label }: { entries: AuditView[]; label: string }) {
  return (
    <ol aria-label={label} className="space-y-2">
      {entries.map((e) => (
        <li key={e.id} className={`${cardClass} space-y-2`} data-action={e.action}>
          <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
            <span className="font-semibold">{actionName(e.action)}</span>
            <span className="text-sm text-slate-700">
              <DateTime iso={e.at} />
            </span>
          </div>
          <dl className="grid grid-cols-1 gap-x-4 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-5">
            <Fact term="Actor">
              <span className="break-all">{e.actor}</span>
            </Fact>
            <Fact term="Target user">
              <span className="break-all">{e.target_user ?? '—'}</span>
            </Fact>
            <Fact term="Token">{tokenOf(e)}</Fact>
            <Fact term="From">
              <span className="break-all">{e.client_address ?? '—'}</span>
            </Fact>
            <Fact term="User agent">
              <span className="text-xs break-words">{e.user_agent ?? '—'}</span>
            </Fact>
          </dl>
          {typeof e.details.reason === 'string' && <p className="text-sm text-slate-700">Reason: {e.details.reason}</p>}
        </li>
      ))}
    </ol>
  );
}
