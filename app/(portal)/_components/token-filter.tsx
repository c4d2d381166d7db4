import Link from 'next/link';
import type { TokenView } from '@/lib/tokens/schemas';
import { buttonClass, inputClass, labelClass, linkClass } from './styles';

const STATUSES: Array<TokenView['status']> = ['active', 'expired', 'revoked'];

interface Props {
  /** Where the form goes: a GET address (the filter lives in it, to bookmark and share), or a server action. */
  action: string | ((formData: FormData) => Promise<void>);
  clearHref: string;
  search?: string;
  status?: TokenView['status'];
  searchLabel: string;
  searchHint?: string;
}

/** Search and status filter of a token list. */
export function TokenFilter({ action, clearHref, search, status, searchLabel, searchHint }: Props) {
  return (
    <form method={typeof action === 'string' ? 'get' : undefined} action={action} role="search" aria-label="Filter tokens" className="flex flex-wrap items-end gap-3">
      <div className="min-w-0 grow basis-60">
        <label htmlFor="token-search" className={labelClass}>
          {searchLabel}
        </label>
        <input id="token-search" type="search" name="search" defaultValue={search} autoComplete="off" aria-describedby={searchHint ? 'token-search-hint' : undefined} className={inputClass} />
        {searchHint && (
          <p id="token-search-hint" className="mt-1 text-sm text-slate-600">
            {searchHint}
          </p>
        )}
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
        <Link href={clearHref} className={`${linkClass} py-2 text-sm`}>
          Clear the search
        </Link>
      )}
    </form>
  );
}
