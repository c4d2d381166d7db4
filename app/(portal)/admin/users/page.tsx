import type { Metadata } from 'next';
import Link from 'next/link';
import { DEFAULT_PER_PAGE, pageInfo, pageOf, windowOf } from '@/lib/portal/paging';
import { requireAdminSession } from '@/lib/portal/session';
import { requireSessionActor } from '@/lib/portal/session-actor';
import { NoticeArea } from '../../_components/notice';
import { ListSummary, Pager } from '../../_components/pager';
import { buttonClass, emptyClass, inputClass, labelClass, linkClass, pageTitleClass, sectionClass } from '../../_components/styles';
import { param, queryHref, type SearchParams } from '../../_lib/search-params';
import { AdminNav } from '../_components/admin-nav';
import { UserList } from '../_components/user-list';

export const metadata: Metadata = { title: 'Users - Administration - Auth-O-Tron' };

export default async function AdminUsersPage({ searchParams }: { searchParams: SearchParams }) {
  await requireAdminSession('/admin/users');
  const { actor, runtime } = await requireSessionActor();
  const params = await searchParams;
  const search = param(params, 'search');
  const paging = { page: pageOf(params.page), perPage: DEFAULT_PER_PAGE };
  const { users, total } = await runtime.admin.listUsers(actor, search, windowOf(paging));
  const info = pageInfo(paging, total);

  return (
    <div className="space-y-8">
      <AdminNav current="/admin/users" />
      <h1 className={pageTitleClass}>Users</h1>
      <section aria-label="User list" className={sectionClass}>
        <p className="text-sm text-slate-700">A disabled user cannot sign in, and their tokens stop working at once.</p>
        <form method="get" action="/admin/users" role="search" aria-label="Users" className="flex flex-wrap items-end gap-3">
          <div className="min-w-0 grow basis-60">
            <label htmlFor="user-search" className={labelClass}>
              User (realm/username), name or email
            </label>
            <input id="user-search" type="search" name="search" defaultValue={search} autoComplete="off" className={inputClass} />
          </div>
          <button type="submit" className={`${buttonClass.primary} py-2`}>
            Search
          </button>
          {search && (
            <Link href="/admin/users" className={`${linkClass} py-2 text-sm`}>
              Clear the search
            </Link>
          )}
        </form>
        <ListSummary info={info} noun={['user', 'users']} filtered={Boolean(search)} />
        <NoticeArea>
          {total === 0 ? <p className={emptyClass}>{search ? 'No user matches the search.' : 'Nobody has signed in yet.'}</p> : <UserList users={users} currentUserId={actor.userId} />}
        </NoticeArea>
        <Pager info={info} label="User pages" hrefFor={(page) => queryHref('/admin/users', { search, page })} />
      </section>
    </div>
  );
}
