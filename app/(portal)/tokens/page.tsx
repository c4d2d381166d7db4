import type { Metadata } from 'next';
import { DEFAULT_PER_PAGE, pageInfo, pageOf, windowOf } from '@/lib/portal/paging';
import { requirePortalSession } from '@/lib/portal/session';
import { requireSessionActor } from '@/lib/portal/session-actor';
import { ConfirmRevoke } from '../_components/confirm-revoke';
import { NoticeArea } from '../_components/notice';
import { ListSummary, Pager } from '../_components/pager';
import { RotateDialog } from '../_components/rotate-dialog';
import { emptyClass, pageTitleClass, sectionClass, sectionTitleClass } from '../_components/styles';
import { TokenFilter } from '../_components/token-filter';
import { TokenForm } from '../_components/token-form';
import { TokenList } from '../_components/token-list';
import { catalogOf } from '../_lib/catalog';
import { expiryOptions } from '../_lib/expiry';
import { tokenLabel } from '../_lib/labels';
import { param, queryHref, type SearchParams, statusParam } from '../_lib/search-params';
import { createTokenAction, revokeTokenAction, rotateTokenAction } from './actions';

export const metadata: Metadata = { title: 'Your tokens - Auth-O-Tron' };

export default async function TokensPage({ searchParams }: { searchParams: SearchParams }) {
  await requirePortalSession('/tokens');
  const { actor, runtime } = await requireSessionActor();
  const params = await searchParams;
  const search = param(params, 'search');
  const status = statusParam(params);
  const paging = { page: pageOf(params.page), perPage: DEFAULT_PER_PAGE };
  const { tokens, total } = await runtime.tokens.list(actor, { search, status }, windowOf(paging));
  const info = pageInfo(paging, total);
  const hrefFor = (page: number) => queryHref('/tokens', { search, status, page });

  return (
    <div className="space-y-8">
      <div>
        <h1 className={pageTitleClass}>Your tokens</h1>
        <p className="mt-1 text-slate-700">
          API tokens let scripts call the APIs as you, limited to the scopes you pick. Send one as <code>Authorization: Bearer &lt;token&gt;</code>.
        </p>
      </div>

      <section aria-labelledby="create-heading" className={sectionClass}>
        <h2 id="create-heading" className={sectionTitleClass}>
          Create a token
        </h2>
        <TokenForm action={createTokenAction} catalog={catalogOf(await runtime.tokens.pickableScopes(actor))} expiry={expiryOptions(runtime.config.tokens)} />
      </section>

      <section aria-labelledby="list-heading" className={sectionClass}>
        <h2 id="list-heading" className={sectionTitleClass}>
          Token list
        </h2>
        <TokenFilter action="/tokens" clearHref="/tokens" search={search} status={status} searchLabel="Token name" />
        <ListSummary info={info} noun={['token', 'tokens']} filtered={Boolean(search || status)} />
        <NoticeArea>
          {total === 0 ? (
            <p className={emptyClass}>{search || status ? 'No token matches the search.' : 'You have no API tokens yet.'}</p>
          ) : (
            tokens.length > 0 && (
              <TokenList
                tokens={tokens}
                label="Your API tokens"
                hrefOf={(token) => `/tokens/${token.id}`}
                actions={(token) => (
                  <>
                    <RotateDialog tokenId={token.id} tokenName={token.name} label={tokenLabel(token)} action={rotateTokenAction} canRotate={token.status === 'active'} />
                    <ConfirmRevoke tokenId={token.id} tokenName={token.name} label={tokenLabel(token)} action={revokeTokenAction} canRevoke={token.status === 'active'} />
                  </>
                )}
              />
            )
          )}
        </NoticeArea>
        <Pager info={info} label="Token pages" hrefFor={hrefFor} />
      </section>
    </div>
  );
}
