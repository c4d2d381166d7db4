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
import { revokeTokenAction, rotateTokenAction } from '../actions';

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
  const history = await tokenAuditEntries(runtime.database, token.id, HISTORY + 1);
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

      {/* Filled by the usage counting (db/token-usage.ts) and token restrictions when they land: UsageChart from _components/usage-chart.tsx goes here. */}
      <section aria-labelledby="usage-heading" className={sectionClass} data-testid="usage-section">
        <h2 id="usage-heading" className={sectionTitleClass}>
          Usage and restrictions
        </h2>
        <p className={emptyClass}>Requests per hour, recent addresses and restrictions are not recorded on this server yet. Last use is shown above.</p>
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
