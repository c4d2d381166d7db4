import Link from 'next/link';
import { linkClass } from '../../_components/styles';

export const ADMIN_SECTIONS = [
  ['/admin/tokens', 'All tokens', 'Find any token by user, name, id or value; revoke it.'],
  ['/admin/tokens/new', 'Create a token for a user', 'Issue a token on someone’s behalf.'],
  ['/admin/users', 'Users', 'Disable or enable people; a disabled user’s tokens stop at once.'],
  ['/admin/audit', 'Audit log', 'Who did what, when and from where; filter and export as CSV.'],
] as const;

/** The administration pages, the current one marked. */
export function AdminNav({ current }: { current: string }) {
  return (
    <nav aria-label="Administration">
      <ul className="flex flex-wrap gap-x-4 gap-y-2 text-sm">
        <li>
          <Link href="/admin" className={linkClass} aria-current={current === '/admin' ? 'page' : undefined}>
            Overview
          </Link>
        </li>
        {ADMIN_SECTIONS.map(([href, title]) => (
          <li key={href}>
            <Link href={href} className={`${linkClass} aria-[current=page]:no-underline aria-[current=page]:text-slate-900`} aria-current={current === href ? 'page' : undefined}>
              {title}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
