import type { ReactNode } from 'react';
import type { TokenView } from '@/lib/tokens/schemas';
import { DateTime } from './date-time';
import { ScrollRegion, tdClass, thClass } from './scroll-region';
import { StatusBadge } from './status-badge';

interface Props {
  tokens: TokenView[];
  /** Names the table (caption) and its scroll region. */
  label: string;
  showOwner?: boolean;
  actions: (token: TokenView) => ReactNode;
}

/** Tokens as a table: what a person needs to recognise a token and decide whether to keep it. */
export function TokenTable({ tokens, label, showOwner = false, actions }: Props) {
  return (
    <ScrollRegion label={label}>
      <table className="w-full min-w-[46rem] border-collapse">
        <caption className="sr-only">{label}</caption>
        <thead>
          <tr>
            <th scope="col" className={thClass}>
              Name
            </th>
            {showOwner && (
              <th scope="col" className={thClass}>
                Owner
              </th>
            )}
            <th scope="col" className={thClass}>
              Status
            </th>
            <th scope="col" className={thClass}>
              Scopes
            </th>
            <th scope="col" className={thClass}>
              Created
            </th>
            <th scope="col" className={thClass}>
              Expires
            </th>
            <th scope="col" className={thClass}>
              Last used
            </th>
            <th scope="col" className={thClass}>
              Actions
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr key={token.id} data-token-id={token.id}>
              <th scope="row" className={`${tdClass} text-left font-normal`}>
                <span className="font-semibold">{token.name}</span>
                {token.description && <span className="block text-slate-700">{token.description}</span>}
                <code className="block text-xs text-slate-600">{token.display}</code>
              </th>
              {showOwner && (
                <td className={tdClass}>
                  {token.owner.realm}/{token.owner.username}
                </td>
              )}
              <td className={tdClass}>
                <StatusBadge status={token.status} />
                {token.revoked_at && (
                  <span className="mt-1 block text-xs text-slate-700">
                    <DateTime iso={token.revoked_at} />
                    {token.revoked_by && <> by {token.revoked_by}</>}
                  </span>
                )}
              </td>
              <td className={tdClass}>
                {token.scopes.length === 0 ? (
                  <span className="text-slate-600">none</span>
                ) : (
                  <ul className="space-y-0.5">
                    {token.scopes.map((scope) => (
                      <li key={scope}>
                        <code>{scope}</code>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td className={tdClass}>
                <DateTime iso={token.created_at} />
              </td>
              <td className={tdClass}>
                <DateTime iso={token.expires_at} />
              </td>
              <td className={tdClass}>
                {token.last_used_at ? (
                  <>
                    <DateTime iso={token.last_used_at} />
                    {token.last_used_address && <span className="block text-xs text-slate-700">from {token.last_used_address}</span>}
                  </>
                ) : (
                  <span className="text-slate-600">never</span>
                )}
              </td>
              <td className={tdClass}>
                <div className="flex flex-wrap items-start gap-2">{actions(token)}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
