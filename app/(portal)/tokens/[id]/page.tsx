import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { tokenAuditEntries } from '@/lib/portal/admin';
import { requirePortalSession } from '@/lib/portal/session';
import { requireSessionActor } from '@/lib/portal/session-actor';
import { isAppError } from '@/lib/errors';
import { AuditList } from '../../admin/_components/audit-list';
import { ConfirmRevoke } from '../../_components/confirm-revoke';
import { DateTime } from '../../_components/date-time';
import { NoticeArea } from '../../_components/notice';
import { RotateDialog } from '../../_components/rotate-dialog';
import { StatusBadge } from '../../_components/status-badge';
import { cardClass, emptyClass, linkClass, pageTitleClass, sectionClass, sectionTitleClass } from '../../_components/styles';
import { Fact } from '../../_components/fact';
import { catalogOf, scopeDescriptions } from '../../_lib/catalog';
import { tokenLabel } from '../../_lib/labels';
import { revokeTokenAction, rotateTokenAction, updateRestrictionsAction } from '../actions';
import { RestrictionsForm } from '../../_components/restrictions-form';
import { UsageChart } from '../../_components/usage-chart';
import { RESTRICTION_FIELDS } from '@/lib/portal/restriction-fields';
import { entriesText } from '@/lib/portal/restrictions-form';
import { dailyTotals, RECENT_HOURS, totalOf } from '@/lib/portal/usage';

export const metadata: Metadata = { title: 'Token - Auth-O-Tron' };

/** The most history entries shown for one token (the admin audit log has them all, paged). */
const HISTORY = 50;

export default async function TokenPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requirePortalSession(`/tokens/${encodeURIComponent(id)}`);
  const { actor, runtime } = await requireSessionActor();
  // Someone else's token looks exactly like a missing one (the service decides; admins see all).
  const token = await runtime.tokens.get(actor, id).catch((error: unknown) => {
    if (isAppError(error) && error.code === 'not_found') notFound();
    throw error;
  });
  const descriptions = scopeDescriptions(catalogOf(runtime.catalog.list()));
  const [history, usage] = await Promise.all([tokenAuditEntries(runtime.database, token.id, HISTORY + 1), runtime.tokens.usage(actor, token.id)]);
  const total = totalOf(usage.hours);
  const restricted = RESTRICTION_FIELDS.filter(({ kind }) => token.restrictions[kind]?.length);
  const mine = token.owner.realm === actor.realm && token.owner.username === actor.username;

  return (
    <div className="space-y-8">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link href={mine ? '/tokens' : '/admin/tokens'} className={linkClass}>
          ← {mine ? 'Your tokens' : 'All tokens'}
        </Link>
      </nav>
      <div className="space-y-2">
        <div className="flex flex-wrap items-baseline gap-3">
          <h1 className={`${pageTitleClass} break-words`}>{token.name}</h1>
          <StatusBadge status={token.status} />
        </div>
        <code className="block text-sm break-all text-slate-600">{token.display}</code>
        {token.description && <p className="break-words text-slate-700">{token.description}</p>}
      </div>

      <NoticeArea>
        <div className="flex flex-wrap gap-2">
          <RotateDialog tokenId={token.id} tokenName={token.name} label={tokenLabel(token)} action={rotateTokenAction} canRotate={token.status === 'active'} />
          <ConfirmRevoke tokenId={token.id} tokenName={token.name} label={tokenLabel(token)} action={revokeTokenAction} canRevoke={token.status === 'active'} />
        </div>
      </NoticeArea>

      <section aria-labelledby="details-heading" className={sectionClass}>
        <h2 id="details-heading" className={sectionTitleClass}>
          Details
        </h2>
        <dl className={`${cardClass} grid grid-cols-1 gap-4 text-sm sm:grid-cols-2 lg:grid-cols-3`}>
          <Fact term="Owner">{`${token.owner.realm}/${token.owner.username}`}</Fact>
          <Fact term="Created">
            <DateTime iso={token.created_at} />
            {token.created_by && <span className="block text-slate-700">by {token.created_by}</span>}
          </Fact>
          <Fact term="Expires">
            <DateTime iso={token.expires_at} />
          </Fact>
          <Fact term="Last used">
            {token.last_used_at ? (
              <>
                <DateTime iso={token.last_used_at} />
                {token.last_used_address && <span className="block text-slate-700">from {token.last_used_address}</span>}
              </>
            ) : (
              'never'
            )}
          </Fact>
          {token.revoked_at && (
            <Fact term="Revoked">
              <DateTime iso={token.revoked_at} />
              {token.revoked_by && <span className="block text-slate-700">by {token.revoked_by}</span>}
            </Fact>
          )}
          {token.rotated_from && (
            <Fact term="Replaces">
              <Link href={`/tokens/${token.rotated_from}`} className={linkClass}>
                <code className="break-all">{token.rotated_from}</code>
              </Link>
            </Fact>
          )}
        </dl>
        <h3 className="font-semibold">Scopes</h3>
        {token.scopes.length === 0 ? (
          <p className="text-sm text-slate-700">None: the token proves who you are, nothing more.</p>
        ) : (
          <ul className="space-y-1 text-sm">
            {token.scopes.map((scope) => (
              <li key={scope}>
                <code>{scope}</code>
                {descriptions.get(scope) && <span className="text-slate-700"> — {descriptions.get(scope)}</span>}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="usage-heading" className={sectionClass} data-testid="usage-section">
        <h2 id="usage-heading" className={sectionTitleClass}>
          Usage
        </h2>
        <p className="text-sm text-slate-700">
          <strong className="text-base text-slate-900" data-testid="usage-total">
            {total === 1 ? '1 request' : `${total} requests`}
          </strong>{' '}
          in the last 30 days. A use shows here within about 10 seconds.
        </p>
        <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
          <div className="min-w-0 space-y-2">
            <h3 className="font-semibold">Per day, last 30 days</h3>
            <UsageChart hours={dailyTotals(usage.hours)} unit="day" />
          </div>
          <div className="min-w-0 space-y-2">
            <h3 className="font-semibold">Per hour, last {RECENT_HOURS} hours</h3>
            <UsageChart hours={usage.hours.slice(-RECENT_HOURS)} unit="hour" />
          </div>
        </div>
        <h3 className="font-semibold">Recent client addresses</h3>
        {usage.addresses.length === 0 ? (
          <p className={emptyClass}>No use recorded in the last 30 days.</p>
        ) : (
          <ul aria-label="Recent client addresses" className={`${cardClass} divide-y divide-slate-200 text-sm`}>
            {usage.addresses.map((a) => (
              <li key={a.address} className="flex flex-wrap justify-between gap-x-4 py-1">
                <code className="break-all">{a.address}</code>
                <span className="text-slate-700">
                  last seen <DateTime iso={a.last_seen} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="restrictions-heading" className={sectionClass} data-testid="restrictions-section">
        <h2 id="restrictions-heading" className={sectionTitleClass}>
          Restrictions
        </h2>
        {restricted.length === 0 ? (
          <p className="text-sm text-slate-700">None: the token works from any address, for any method, path and host its scopes allow.</p>
        ) : (
          <dl className={`${cardClass} grid grid-cols-1 gap-4 text-sm sm:grid-cols-2`} aria-label="Current restrictions">
            {restricted.map(({ kind, label }) => (
              <Fact key={kind} term={label}>
                <ul>
                  {token.restrictions[kind]?.map((entry) => (
                    <li key={entry}>
                      <code className="break-all">{entry}</code>
                    </li>
                  ))}
                </ul>
              </Fact>
            ))}
          </dl>
        )}
        {token.status === 'active' ? (
          <RestrictionsForm tokenId={token.id} current={Object.fromEntries(RESTRICTION_FIELDS.map(({ kind }) => [kind, entriesText(token.restrictions[kind])]))} action={updateRestrictionsAction} />
        ) : (
          <p className="text-sm text-slate-700">The token is {token.status}: its restrictions can no longer be changed.</p>
        )}
      </section>

      <section aria-labelledby="history-heading" className={sectionClass}>
        <h2 id="history-heading" className={sectionTitleClass}>
          History
        </h2>
        {history.length === 0 ? <p className={emptyClass}>Nothing recorded for this token.</p> : <AuditList entries={history.slice(0, HISTORY)} label={`History of ${tokenLabel(token)}`} />}
        {history.length > HISTORY && (
          <p className="text-sm text-slate-700">
            Showing the latest {HISTORY} entries.
            {actor.isAdmin && (
              <>
                {' '}
                <Link href={`/admin/audit?token_id=${token.id}`} className={linkClass}>
                  The audit log has them all.
                </Link>
              </>
            )}
          </p>
        )}
      </section>
    </div>
  );
}
