import type { UserView } from '@/lib/portal/admin';
import { DateTime } from '../../_components/date-time';
import { ScrollRegion, tdClass, thClass } from '../../_components/scroll-region';
import { setUserDisabledAction } from '../actions';
import { UserToggle } from './user-toggle';

// Why a user was disabled without an admin: the IdP's provisioning or the IdP itself.
const DISABLED_BY_LABEL: Record<string, string> = {
  scim: 'by provisioning (SCIM)',
  'idp-logout': 'by an IdP logout',
  revalidation: 'no longer valid at the IdP',
};

export function UsersTable({ users, currentUserId }: { users: UserView[]; currentUserId: string }) {
  return (
    <ScrollRegion label="User list">
      <table className="w-full min-w-[44rem] border-collapse">
        <caption className="sr-only">User list</caption>
        <thead>
          <tr>
            <th scope="col" className={thClass}>
              User
            </th>
            <th scope="col" className={thClass}>
              Name and email
            </th>
            <th scope="col" className={thClass}>
              Roles
            </th>
            <th scope="col" className={thClass}>
              Last sign-in
            </th>
            <th scope="col" className={thClass}>
              Status
            </th>
            <th scope="col" className={thClass}>
              Actions
            </th>
          </tr>
        </thead>
        <tbody>
          {users.map((user) => {
            const handle = `${user.realm}/${user.username}`;
            return (
              <tr key={user.id}>
                <th scope="row" className={`${tdClass} text-left font-semibold`}>
                  {handle}
                </th>
                <td className={tdClass}>
                  {user.name ?? '—'}
                  {user.email && <span className="block text-slate-700">{user.email}</span>}
                </td>
                <td className={tdClass}>{user.roles.length > 0 ? user.roles.join(', ') : '—'}</td>
                <td className={tdClass}>{user.last_sign_in_at ? <DateTime iso={user.last_sign_in_at} /> : 'never'}</td>
                <td className={tdClass}>
                  {user.disabled ? <strong className="text-red-800">Disabled</strong> : 'Enabled'}
                  {user.disabled_by && user.disabled_by !== 'admin' && <span className="block text-slate-700">{DISABLED_BY_LABEL[user.disabled_by] ?? user.disabled_by}</span>}
                </td>
                <td className={tdClass}>
                  {user.id === currentUserId ? (
                    <span className="text-slate-600">(you)</span>
                  ) : (
                    <UserToggle userId={user.id} username={handle} disabled={user.disabled} action={setUserDisabledAction} />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
