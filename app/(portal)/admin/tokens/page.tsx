import type { Metadata } from 'next';
import Link from 'next/link';
import { DEFAULT_PER_PAGE, pageInfo, pageOf, windowOf } from '@/lib/portal/paging';
import { requireAdminSession } from '@/lib/portal/session';
import { requireSessionActor } from '@/lib/portal/session-actor';
import { ConfirmRevoke } from '../../_components/confirm-revoke';
import { NoticeArea } from '../../_components/notice';
import { ListSummary, Pager } from '../../_components/pager';
import { buttonClass, emptyClass, pageTitleClass, sectionClass } from '../../_components/styles';
import { TokenFilter } from '../../_components/token-filter';
import { TokenList } from '../../_components/token-list';
import { tokenLabel } from '../../_lib/labels';
import { param, queryHref, type SearchParams, statusParam } from '../../_lib/search-params';
import { adminRevokeTokenAction, searchTokensAction } from '../actions';
import { AdminNav } from '../_components/admin-nav';

export const metadata: Metadata = { title: 'All tokens - Administration - Auth-O-Tron' };

export default async function AdminTokensPage({ searchParams }: { searchParams: SearchParams }) {
  await requireAdminSession('/admin/tokens');
  const { actor, runtime } = await requireSessionActor();
  const params = await searchParams;
  const search = param(params, 'search');
  const status = statusParam(params);
  const paging = { page: pageOf(params.page), perPage: DEFAULT_PER_PAGE };
  const { tokens, total } = await runtime.tokens.list(actor, { all: true, search, status }, windowOf(paging));
  const info = pageInfo(paging, total);

  return (
    <div className="space-y-8">
      <AdminNav current="/admin/tokens" />
      <div className="flex flex-wrap items-center justify-between gap-4">
        <h1 className={pageTitleClass}>All tokens</h1>
        <Link href="/admin/tokens/new" className={buttonClass.primary}>
          Create a token for a user
        </Link>
      </div>
      <section aria-label="Tokens of every user" className={sectionClass}>
        <TokenFilter
          action={searchTokensAction}
          clearHref="/admin/tokens"
          search={search}
          status={status}
          searchLabel="User, token name, token id or whole token"
          searchHint="A user as realm/username. A whole token is looked up by its id; its secret is not kept."
        />
        <ListSummary info={info} noun={['token', 'tokens']} filtered={Boolean(search || status)} />
        <NoticeArea>
          {total === 0 ? (
            <p className={emptyClass}>{search || status ? 'No token matches the search.' : 'Nobody has a token yet.'}</p>
          ) : (
            <TokenList
              tokens={tokens}
              label="Tokens of every user"
              showOwner
              hrefOf={(token) => `/tokens/${token.id}`}
              actions={(token) => <ConfirmRevoke tokenId={token.id} tokenName={token.name} label={tokenLabel(token)} action={adminRevokeTokenAction} canRevoke={token.status === 'active'} />}
            />
          )}
        </NoticeArea>
        <Pager info={info} label="Token pages" hrefFor={(page) => queryHref('/admin/tokens', { search, status, page })} />
      </section>
    </div>
  );
}
