import type { Metadata } from 'next';
import Link from 'next/link';
import { requireAdminSession } from '@/lib/portal/session';
import { requireSessionActor } from '@/lib/portal/session-actor';
import { cardClass, linkClass, pageTitleClass } from '../_components/styles';
import { ADMIN_SECTIONS } from './_components/admin-nav';

export const metadata: Metadata = { title: 'Administration - Auth-O-Tron' };

/** An overview: what there is, and a way into each part. */
export default async function AdminPage() {
  await requireAdminSession('/admin');
  const { actor, runtime } = await requireSessionActor();
  const none = { offset: 0, limit: 1 };
  const [tokens, active, users, audit] = await Promise.all([
    runtime.tokens.list(actor, { all: true }, none),
    runtime.tokens.list(actor, { all: true, status: 'active' }, none),
    runtime.admin.listUsers(actor, undefined, none),
    runtime.admin.audit(actor, {}, none),
  ]);
  const counts: Record<string, string> = {
    '/admin/tokens': `${tokens.total} ${tokens.total === 1 ? 'token' : 'tokens'}, ${active.total} active`,
    '/admin/users': `${users.total} ${users.total === 1 ? 'user' : 'users'}`,
    '/admin/audit': `${audit.total} ${audit.total === 1 ? 'entry' : 'entries'}`,
  };
  return (
    <div className="space-y-8">
      <h1 className={pageTitleClass}>Administration</h1>
      <ul className="grid grid-cols-1 gap-4 md:grid-cols-2">
        {ADMIN_SECTIONS.map(([href, title, text]) => (
          <li key={href} className={`${cardClass} space-y-2`}>
            <h2 className="text-lg font-semibold">
              <Link href={href} className={linkClass}>
                {title}
              </Link>
            </h2>
            <p className="text-sm text-slate-700">{text}</p>
            {counts[href] && <p className="text-sm font-medium">{counts[href]}</p>}
          </li>
        ))}
      </ul>
    </div>
  );
}
