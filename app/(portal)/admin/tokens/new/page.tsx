import type { Metadata } from 'next';
import { requireAdminSession } from '@/lib/portal/session';
import { requireSessionActor } from '@/lib/portal/session-actor';
import { pageTitleClass, sectionClass } from '../../../_components/styles';
import { TokenForm } from '../../../_components/token-form';
import { catalogOf } from '../../../_lib/catalog';
import { expiryOptions } from '../../../_lib/expiry';
import { adminCreateTokenAction } from '../../actions';
import { AdminNav } from '../../_components/admin-nav';

export const metadata: Metadata = { title: 'Create a token for a user - Administration - Auth-O-Tron' };

/** More than this many users to choose from: the list says so (type to narrow it, the browser's select does). */
const USER_CHOICES = 500;

export default async function AdminNewTokenPage() {
  await requireAdminSession('/admin/tokens/new');
  const { actor, runtime } = await requireSessionActor();
  const users = await runtime.admin.enabledUsers(actor, USER_CHOICES + 1);

  return (
    <div className="space-y-8">
      <AdminNav current="/admin/tokens/new" />
      <section aria-labelledby="create-for-user-heading" className={sectionClass}>
        <h1 id="create-for-user-heading" className={pageTitleClass}>
          Create a token for a user
        </h1>
        <p className="text-sm text-slate-700">
          The user must have signed in once. Hand the secret over through a safe channel.
          {users.length > USER_CHOICES && ` Only the first ${USER_CHOICES} enabled users (by realm and name) are offered; use the API for others.`}
        </p>
        <TokenForm
          action={adminCreateTokenAction}
          catalog={catalogOf(runtime.catalog.list())}
          expiry={expiryOptions(runtime.config.tokens)}
          users={users.slice(0, USER_CHOICES).map((u) => ({ id: u.id, label: `${u.realm}/${u.username}${u.name ? ` (${u.name})` : ''}` }))}
        />
      </section>
    </div>
  );
}
