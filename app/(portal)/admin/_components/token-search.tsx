import Link from 'next/link';
import type { TokenView } from '@/lib/tokens/schemas';
import { buttonClass, inputClass, labelClass, linkClass } from '../../_components/styles';

const STATUSES: Array<TokenView['status']> = ['active', 'expired', 'revoked'];

/** A plain GET form: the filter lives in the address, so it can be bookmarked and shared. */
export function TokenSearch({ search, status }: { search?: string; status?: TokenView['status'] }) {
  return (
    <form method="get" action="/admin" role="search" aria-label="Tokens" className="flex flex-wrap items-end gap-3">
      <div className="min-w-0 grow basis-60">
        <label htmlFor="token-search" className={labelClass}>
          User or token name
        </label>
        <input id="token-search" type="search" name="search" defaultValue={search} className={inputClass} />
      </div>
      <div>
        <label htmlFor="token-status" className={labelClass}>
          Status
        </label>
        <select id="token-status" name="status" defaultValue={status ?? ''} className={inputClass}>
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.charAt(0).toUpperCase() + s.slice(1)}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className={`${buttonClass.primary} py-2`}>
        Search
      </button>
      {(search || status) && (
        <Link href="/admin" className={`${linkClass} py-2 text-sm`}>
          Clear the search
        </Link>
      )}
    </form>
  );
}
