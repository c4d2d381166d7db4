import 'server-only';
import { listAuditEntries } from '../../db/audit';
import type { Database } from '../../db/client';
import { getUserById, listUsers, type UserRow } from '../../db/users';
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

  async listUsers(actor: Actor, search?: string): Promise<UserView[]> {
    requireAdmin(actor);
    return (await listUsers(this.database.db, search)).map(toUserView);
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

  async audit(actor: Actor, page: number, pageSize = 50): Promise<{ entries: AuditView[]; page: number; page_size: number; total: number }> {
    requireAdmin(actor);
    const { entries, total } = await listAuditEntries(this.database.db, page, pageSize);
    return {
      page,
      page_size: pageSize,
      total,
      entries: entries.map((e) =>
        auditView.parse({
          id: e.id,
          at: e.at.toISOString(),
          actor: e.actor,
          action: e.action,
          target_user: e.targetUser,
          token_id: e.tokenId,
          client_address: e.clientAddress,
          user_agent: e.userAgent,
          details: e.details,
        }),
      ),
    };
  }
}

export function requireAdmin(actor: Actor): void {
  if (!actor.isAdmin) throw new AppError('forbidden', 'admin role required');
}
