import Link from 'next/link';
import type { PageInfo } from '@/lib/portal/paging';
import { linkClass } from './styles';

interface Props {
  info: PageInfo;
  /** Names the navigation, e.g. "Token pages". */
  label: string;
  /** The address of another page, keeping the rest of the query. */
  hrefFor: (page: number) => string;
}

/** Previous/next and where you are; past the end it says so and links back to the last page. */
export function Pager({ info, label, hrefFor }: Props) {
  if (info.page > info.pages) {
    return (
      <nav aria-label={label} className="text-sm">
        <p role="status" className="rounded border border-amber-300 bg-amber-50 p-3 text-amber-950">
          There is no page {info.page}: the list has {info.pages === 1 ? '1 page' : `${info.pages} pages`}.{' '}
          <Link href={hrefFor(info.pages)} className={linkClass}>
            Go to page {info.pages}
          </Link>
        </p>
      </nav>
    );
  }
  if (info.pages === 1) return null;
  return (
    <nav aria-label={label} className="flex flex-wrap items-center gap-4 text-sm">
      {info.page > 1 && (
        <Link href={hrefFor(info.page - 1)} className={linkClass} rel="prev">
          ← Previous page
        </Link>
      )}
      <span aria-current="page">
        Page {info.page} of {info.pages}
      </span>
      {info.page < info.pages && (
        <Link href={hrefFor(info.page + 1)} className={linkClass} rel="next">
          Next page →
        </Link>
      )}
    </nav>
  );
}

/** "120 tokens" / "3 tokens match" and which of them this page shows. */
export function ListSummary({ info, noun, filtered }: { info: PageInfo; noun: [string, string]; filtered: boolean }) {
  const [one, many] = noun;
  const count = `${info.total} ${info.total === 1 ? one : many}`;
  const verb = filtered ? (info.total === 1 ? ' matches' : ' match') : '';
  const first = (info.page - 1) * info.per_page + 1;
  const last = Math.min(info.total, info.page * info.per_page);
  const shown = info.total > info.per_page && first <= last ? `; showing ${first}–${last}` : '';
  return (
    <p className="text-sm text-slate-700" data-testid="list-summary">
      {count}
      {verb}
      {shown}.
    </p>
  );
}
