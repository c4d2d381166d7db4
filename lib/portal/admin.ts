import 'server-only';
import { type AuditFilter, listAuditActions, listAuditEntries } from '../../db/audit';
import type { Database } from '../../db/client';
import { getUserById, listEnabledUsers, listUsers, type UserRow } from '../../db/users';
import { AppError } from '../errors';
import type { Actor } from '../tokens/service';
import { disabledByOf, type UserStatus } from '../users/status';
import { z } from 'zod';

export const userView = z.object({
  id: z.string(),
  realm: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  roles: z.array(z.string()),
  disabled: z.boolean(),
  /** Who disabled the user: `admin`, `scim`, `idp-logout` or `revalidation`. */
  disabled_by: z.string().nullable(),
  created_at: z.string(),
  last_sign_in_at: z.string().nullable(),
});
export type UserView = z.infer<typeof userView>;

export const auditView = z.object({
  id: z.number(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target_user: z.string().nullable(),
  token_id: z.string().nullable(),
  client_address: z.string().nullable(),
  user_agent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditView = z.infer<typeof auditView>;

const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date yyyy-mm-dd')
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), 'not a calendar date');
const optionalText = z.string().trim().max(200).optional();

/** The audit log's filters, from a query (page or API): dates are whole UTC days, `to` included. */
export const auditQuery = z.object({
  actor: optionalText,
  action: optionalText,
  target_user: optionalText,
  token_id: optionalText,
  from: isoDay.optional(),
  to: isoDay.optional(),
});
export type AuditQuery = z.infer<typeof auditQuery>;

export function auditFilterOf(query: AuditQuery): AuditFilter {
  const day = (v: string) => new Date(`${v}T00:00:00Z`);
  return {
    actor: query.actor || undefined,
    action: query.action || undefined,
    targetUser: query.target_user || undefined,
    tokenId: query.token_id || undefined,
    from: query.from ? day(query.from) : undefined,
    until: query.to ? new Date(day(query.to).getTime() + 86_400_000) : undefined,
  };
}

export const setDisabledInput = z.strictObject({ disabled: z.boolean() });

function toUserView(user: UserRow): UserView {
  return userView.parse({
    id: user.id,
    realm: user.realm,
    username: user.username,
    email: user.email,
    name: user.name,
    roles: user.roles,
    disabled: user.disabledAt !== null,
    disabled_by: disabledByOf(user),
    created_at: user.createdAt.toISOString(),
    last_sign_in_at: user.lastSignInAt?.toISOString() ?? null,
  });
}

/** What only admins may do with users and the audit log. Every method checks the actor itself. */
export class AdminService {
  constructor(
    private readonly database: Database,
    private readonly status: UserStatus,
  ) {}

  async listUsers(actor: Actor, search: string | undefined, window: { offset: number; limit: number }): Promise<{ users: UserView[]; total: number }> {
    requireAdmin(actor);
    const { rows, total } = await listUsers(this.database.db, search, window);
    return { users: rows.map(toUserView), total };
  }

  /** Who an admin can create a token for; the form offers them as suggestions. */
  async enabledUsers(actor: Actor, limit: number): Promise<UserView[]> {
    requireAdmin(actor);
    return (await listEnabledUsers(this.database.db, limit)).map(toUserView);
  }

  /** A disabled user's tokens stop working on every replica at once (NOTIFY). */
  async setDisabled(actor: Actor, userId: string, body: unknown): Promise<UserView> {
    requireAdmin(actor);
    const { disabled } = setDisabledInput.parse(body);
    const target = z.uuid().safeParse(userId).success ? await getUserById(this.database.db, userId) : undefined;
    if (!target) throw new AppError('not_found', 'no such user');
    if (target.id === actor.userId && disabled) throw new AppError('conflict', 'you cannot disable yourself');
    const context = { actor: `${actor.realm}/${actor.username}`, clientAddress: actor.clientAddress ?? null, userAgent: actor.userAgent ?? null };
    // An admin's disabling stands until an admin undoes it (a sign-in or SCIM cannot), and an admin can undo anyone's.
    const result = disabled ? await this.status.disable(userId, 'admin', context) : await this.status.enable(userId, 'admin', context);
    if (!result) throw new AppError('not_found', 'no such user');
    const updated = result.row;
    return toUserView(updated);
  }

  async audit(actor: Actor, filter: AuditFilter, window: { offset: number; limit: number }): Promise<{ entries: AuditView[]; total: number }> {
    requireAdmin(actor);
    const { entries, total } = await listAuditEntries(this.database.db, filter, window);
    return { total, entries: entries.map(toAuditView) };
  }

  async auditActions(actor: Actor): Promise<string[]> {
    requireAdmin(actor);
    return listAuditActions(this.database.db);
  }
}

/** A token's own history: its owner sees it on the token's page, as admins do. */
export async function tokenAuditEntries(database: Database, tokenId: string, limit: number): Promise<AuditView[]> {
  return (await listAuditEntries(database.db, { tokenId }, { offset: 0, limit })).entries.map(toAuditView);
}

function toAuditView(e: Awaited<ReturnType<typeof listAuditEntries>>['entries'][number]): AuditView {
  return auditView.parse({
    id: e.id,
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    target_user: e.targetUser,
    token_id: e.tokenId,
    client_address: e.clientAddress,
    user_agent: e.userAgent,
    details: e.details,
  });
}

export function requireAdmin(actor: Actor): void {
  if (!actor.isAdmin) throw new AppError('forbidden', 'admin role required');
}
