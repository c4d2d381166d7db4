import type { NewAuditEntry } from '../../db/audit';
import type { Database } from '../../db/client';
import type { DisabledBy } from '../../db/schema';
import { updateUserLocked, type UserPatch, type UserRow, type UserUpdate } from '../../db/users';
import { TOKENS_CHANNEL } from '../tokens/channel';

/**
 * Who may undo whose disabling. An admin's decision stands until an admin reverses it; SCIM (the
 * IdP's provisioning) can undo its own and the IdP's signals; a successful sign-in at the IdP can
 * undo only what an IdP signal did (a failed revalidation, a back-channel logout), since it proves
 * the IdP accepts the user again. A stronger disabler takes over a weaker one's disabling.
 */
const RANK: Record<DisabledBy, number> = { revalidation: 1, 'idp-logout': 1, scim: 2, admin: 3 };
export type EnabledBy = 'admin' | 'scim' | 'sign-in';
const MAY_ENABLE: Record<EnabledBy, ReadonlySet<DisabledBy>> = {
  admin: new Set(['admin', 'scim', 'idp-logout', 'revalidation']),
  scim: new Set(['scim', 'idp-logout', 'revalidation']),
  'sign-in': new Set(['idp-logout', 'revalidation']),
};

/** Who did it and from where, for the audit row. */
export interface AuditContext {
  actor: string;
  clientAddress?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
}

/** Rows disabled before `disabled_by` was recorded were disabled by an admin (nothing else could). */
export const disabledByOf = (row: Pick<UserRow, 'disabledAt' | 'disabledBy'>): DisabledBy | null => (row.disabledAt ? (row.disabledBy ?? 'admin') : null);

const handle = (row: Pick<UserRow, 'realm' | 'username'>) => `${row.realm}/${row.username}`;

export function auditEntry(row: UserRow, action: string, context: AuditContext, details: Record<string, unknown>): NewAuditEntry {
  return {
    actor: context.actor,
    action,
    targetUser: handle(row),
    clientAddress: context.clientAddress ?? null,
    userAgent: context.userAgent ?? null,
    details: { ...details, ...context.details },
  };
}

/** The columns and audit row that disable `row` on behalf of `by`; null when it changes nothing. */
export function disablePlan(row: UserRow, by: DisabledBy, context: AuditContext): UserUpdate | null {
  const current = disabledByOf(row);
  if (current && RANK[current] >= RANK[by]) return null;
  return {
    set: { disabledAt: row.disabledAt ?? new Date(), disabledBy: by },
    audit: [auditEntry(row, 'user.disable', context, current ? { by, previously_by: current } : { by })],
  };
}

/** The columns and audit row that enable `row` on behalf of `by`; null when it is enabled or `by` may not. */
export function enablePlan(row: UserRow, by: EnabledBy, context: AuditContext): UserUpdate | null {
  const current = disabledByOf(row);
  if (!current || !MAY_ENABLE[by].has(current)) return null;
  return { set: { disabledAt: null, disabledBy: null }, audit: [auditEntry(row, 'user.enable', context, { by, was_disabled_by: current })] };
}

/** Merges plans for one row (attribute changes, a status change) into one write; null when none changes anything. */
export function combinePlans(...plans: Array<UserUpdate | null>): UserUpdate | null {
  const present = plans.filter((p): p is UserUpdate => p !== null);
  if (present.length === 0) return null;
  const set: UserPatch = Object.assign({}, ...present.map((p) => p.set));
  const revokeTokensBy = present.find((p) => p.revokeTokensBy)?.revokeTokensBy;
  return { set, audit: present.flatMap((p) => p.audit), ...(revokeTokensBy ? { revokeTokensBy } : {}) };
}

/**
 * Changes to users that every replica must see at once: written under the row's lock with their
 * audit rows, then announced (`user:<id>`), which refreshes the disabled set and drops cached
 * verdicts for the user's tokens and sessions everywhere.
 */
export class UserStatus {
  constructor(private readonly database: Database) {}

  async update(userId: string, plan: (row: UserRow) => UserUpdate | null): Promise<{ row: UserRow; changed: boolean } | undefined> {
    const result = await updateUserLocked(this.database.db, userId, plan);
    if (result?.changed) await this.announce(userId);
    return result;
  }

  disable(userId: string, by: DisabledBy, context: AuditContext, extra: UserPatch = {}): Promise<{ row: UserRow; changed: boolean } | undefined> {
    return this.update(userId, (row) => combinePlans(disablePlan(row, by, context), Object.keys(extra).length > 0 ? { set: extra, audit: [] } : null));
  }

  enable(userId: string, by: EnabledBy, context: AuditContext): Promise<{ row: UserRow; changed: boolean } | undefined> {
    return this.update(userId, (row) => enablePlan(row, by, context));
  }

  announce(userId: string): Promise<void> {
    return this.database.notify(TOKENS_CHANNEL, `user:${userId}`);
  }
}
