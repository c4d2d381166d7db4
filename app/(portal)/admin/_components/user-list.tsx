import type { UserView } from '@/lib/portal/admin';
import { DateTime } from '../../_components/date-time';
import { cardClass } from '../../_components/styles';
import { Fact } from '../../_components/fact';
import { ConfirmAction } from '../../_components/confirm-action';
import { revokeAllTokensAction, setUserDisabledAction } from '../actions';
import { UserToggle } from './user-toggle';

// Why a user was disabled without an admin: the IdP's provisioning or the IdP itself.
const DISABLED_BY_LABEL: Record<string, string> = {
  admin: 'by an administrator',
  scim: 'by provisioning (SCIM)',
  'idp-logout': 'by an IdP logout',
  revalidation: 'no longer valid at the IdP',
};

/** Users as stacked cards, the action beside them on wide screens and below on a phone. */
export function UserList({ users, currentUserId }: { users: UserView[]; currentUserId: string }) {
  return (
    <ul aria-label="Users" className="space-y-4">
      {users.map((user) => {
        const handle = `${user.realm}/${user.username}`;
        return (
          <li key={user.id} data-user={handle} className={`${cardClass} flex flex-col gap-3 md:flex-row md:items-start`}>
            <div className="min-w-0 grow space-y-3">
              <div className="flex flex-wrap items-baseline gap-2">
                <h2 className="font-semibold break-all">{handle}</h2>
                {user.disabled ? (
                  <span className="rounded border border-red-700 bg-red-50 px-2 py-0.5 text-xs font-semibold text-red-900">Disabled</span>
                ) : (
                  <span className="rounded border border-green-700 bg-green-50 px-2 py-0.5 text-xs font-semibold text-green-900">Enabled</span>
                )}
                {user.disabled && user.disabled_by && <span className="text-sm text-slate-700">{DISABLED_BY_LABEL[user.disabled_by] ?? user.disabled_by}</span>}
              </div>
              <dl className="grid grid-cols-1 gap-x-4 gap-y-2 text-sm sm:grid-cols-3">
                <Fact term="Name and email">
                  {user.name ?? '—'}
                  {user.email && <span className="block break-all text-slate-700">{user.email}</span>}
                </Fact>
                <Fact term="Roles">{user.roles.length > 0 ? user.roles.join(', ') : '—'}</Fact>
                <Fact term="Last sign-in">{user.last_sign_in_at ? <DateTime iso={user.last_sign_in_at} /> : 'never'}</Fact>
              </dl>
            </div>
            <div className="flex shrink-0 flex-wrap items-start gap-2">
              {user.id === currentUserId ? (
                <span className="text-sm text-slate-600">(you)</span>
              ) : (
                <UserToggle userId={user.id} handle={handle} disabled={user.disabled} action={setUserDisabledAction} />
              )}
              <ConfirmAction
                action={revokeAllTokensAction}
                fields={{ user_id: user.id }}
                verb="Revoke all tokens"
                target={`of ${handle}`}
                question={<>Revoke every active token of {handle}? Each stops working at once on every server; this cannot be undone.</>}
              />
            </div>
          </li>
        );
      })}
    </ul>
  );
}
