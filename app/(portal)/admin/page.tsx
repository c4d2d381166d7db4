import type { Metadata } from 'next';
import { requireAdminSession } from '@/lib/portal/session';
import { requireSessionActor } from '@/lib/portal/session-actor';
import { tokenStatus } from '@/lib/tokens/schemas';
import { ConfirmRevoke } from '../_components/confirm-revoke';
import { linkClass } from '../_components/styles';
import { TokenForm } from '../_components/token-form';
import { TokenTable } from '../_components/token-table';
import { catalogOf } from '../_lib/catalog';
import { expiryOptions } from '../_lib/expiry';
import { adminCreateTokenAction, adminRevokeTokenAction } from './actions';
import { AuditTable } from './_components/audit-table';
import { TokenSearch } from './_components/token-search';
import { UsersTable } from './_components/users-table';

export const metadata: Metadata = { title: 'Administration - Auth-O-Tron' };

const AUDIT_PAGE_SIZE = 25;
type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
const SECTIONS = [
  ['all-tokens', 'All tokens'],
  ['create-for-user', 'Create a token for a user'],
  ['users', 'Users'],
  ['audit', 'Audit log'],
] as const;

export default async function AdminPage({ searchParams }: { searchParams: SearchParams }) {
  await requireAdminSession('/admin');
  const { actor, runtime } = await requireSessionActor();
  const params = await searchParams;
  const search = first(params.search)?.trim() || undefined;
  const status = tokenStatus.safeParse(first(params.status)).data;
  const page = Math.max(1, Number.parseInt(first(params.page) ?? '', 10) || 1);

  const [tokens, users, audit] = await Promise.all([runtime.tokens.list(actor, { all: true, search, status }), runtime.admin.listUsers(actor), runtime.admin.audit(actor, page, AUDIT_PAGE_SIZE)]);
  const pageCount = Math.max(1, Math.ceil(audit.total / AUDIT_PAGE_SIZE));
  const auditHref = (target: number) => {
    const query = new URLSearchParams({ ...(search ? { search } : {}), ...(status ? { status } : {}), page: String(target) });
    return `/admin?${query.toString()}#audit`;
  };

  return (
    <div className="space-y-10">
      <div className="space-y-2">
        <h1 className="text-2xl font-bold">Administration</h1>
        <nav aria-label="Sections">
          <ul className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
            {SECTIONS.map(([id, title]) => (
              <li key={id}>
                <a href={`#${id}`} className={linkClass}>
                  {title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </div>

      <section id="all-tokens" aria-labelledby="all-tokens-heading" className="scroll-mt-4 space-y-3">
        <h2 id="all-tokens-heading" className="text-xl font-semibold">
          All tokens
        </h2>
        <TokenSearch search={search} status={status} />
        <p role="status" className="text-sm text-slate-700">
          {tokens.length === 1 ? '1 token' : `${tokens.length} tokens`}
          {search || status ? (tokens.length === 1 ? ' matches the search' : ' match the search') : ''}.
        </p>
        {tokens.length > 0 && (
          <TokenTable
            tokens={tokens}
            label="Tokens of every user"
            showOwner
            actions={(token) => <ConfirmRevoke tokenId={token.id} tokenName={token.name} action={adminRevokeTokenAction} canRevoke={token.status === 'active'} />}
          />
        )}
      </section>

      <section id="create-for-user" aria-labelledby="create-for-user-heading" className="scroll-mt-4 space-y-3">
        <h2 id="create-for-user-heading" className="text-xl font-semibold">
          Create a token for a user
        </h2>
        <p className="text-sm text-slate-700">The user must have signed in once. Hand the secret over through a safe channel.</p>
        <TokenForm
          action={adminCreateTokenAction}
          catalog={catalogOf(runtime.catalog.list())}
          expiry={expiryOptions(runtime.config.tokens)}
          users={users.filter((u) => !u.disabled).map((u) => ({ id: u.id, label: `${u.realm}/${u.username}${u.name ? ` (${u.name})` : ''}` }))}
        />
      </section>

      <section id="users" aria-labelledby="users-heading" className="scroll-mt-4 space-y-3">
        <h2 id="users-heading" className="text-xl font-semibold">
          Users
        </h2>
        <p className="text-sm text-slate-700">A disabled user cannot sign in, and their tokens stop working at once.</p>
        <UsersTable users={users} currentUserId={actor.userId} />
      </section>

      <section id="audit" aria-labelledby="audit-heading" className="scroll-mt-4 space-y-3">
        <h2 id="audit-heading" className="text-xl font-semibold">
          Audit log
        </h2>
        <AuditTable entries={audit.entries} page={page} pageCount={pageCount} hrefFor={auditHref} />
      </section>
    </div>
  );
}
