import Link from 'next/link';
import type { ReactNode } from 'react';
import type { TokenView } from '@/lib/tokens/schemas';
import { tokenRef } from '../_lib/labels';
import { DateTime } from './date-time';
import { Fact } from './fact';
import { StatusBadge } from './status-badge';
import { cardClass, linkClass } from './styles';

interface Props {
  tokens: TokenView[];
  /** Names the list for screen readers. */
  label: string;
  showOwner?: boolean;
  /** Where a token's name links to (its page). */
  hrefOf: (token: TokenView) => string;
  actions: (token: TokenView) => ReactNode;
}

/**
 * Tokens as stacked cards (a grid of facts beside the actions on wide screens, one column on a
 * phone): what a person needs to recognise a token and decide whether to keep it.
 */
export function TokenList({ tokens, label, showOwner = false, hrefOf, actions }: Props) {
  return (
    <ul aria-label={label} className="space-y-4">
      {tokens.map((token) => (
        <li key={token.id} data-token-id={token.id} className={`${cardClass} flex flex-col gap-3 md:flex-row md:items-start`}>
          <div className="min-w-0 grow space-y-3">
            <div className="flex flex-wrap items-baseline gap-2">
              <Link href={hrefOf(token)} className={`${linkClass} text-base break-words`}>
                {token.name}
                <span className="sr-only"> ({tokenRef(token)})</span>
              </Link>
              <StatusBadge status={token.status} />
              <code className="text-xs break-all text-slate-600">{token.display}</code>
            </div>
            {token.description && <p className="text-sm break-words text-slate-700">{token.description}</p>}
            <dl className="grid grid-cols-1 gap-x-4 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-4">
              {showOwner && <Fact term="Owner">{`${token.owner.realm}/${token.owner.username}`}</Fact>}
              <Fact term="Scopes">{token.scopes.length === 0 ? <span className="text-slate-600">none</span> : <span className="break-words">{token.scopes.join(', ')}</span>}</Fact>
              <Fact term="Created">
                <DateTime iso={token.created_at} />
              </Fact>
              <Fact term={token.status === 'revoked' ? 'Revoked at' : 'Expires'}>
                {token.status === 'revoked' && token.revoked_at ? (
                  <>
                    <DateTime iso={token.revoked_at} />
                    {token.revoked_by && <span className="block text-xs text-slate-700">by {token.revoked_by}</span>}
                  </>
                ) : (
                  <DateTime iso={token.expires_at} />
                )}
              </Fact>
              <Fact term="Last used">
                {token.last_used_at ? (
                  <>
                    <DateTime iso={token.last_used_at} />
                    {token.last_used_address && <span className="block text-xs text-slate-700">from {token.last_used_address}</span>}
                  </>
                ) : (
                  <span className="text-slate-600">never</span>
                )}
              </Fact>
            </dl>
          </div>
          <div className="flex shrink-0 flex-wrap items-start gap-2">{actions(token)}</div>
        </li>
      ))}
    </ul>
  );
}
