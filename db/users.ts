import 'server-only';
import { and, asc, count, eq, ilike, inArray, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { insertAuditEntry, type NewAuditEntry } from './audit';
import type { Db } from './client';
import { users } from './schema';
import { revokeActiveTokensOf } from './tokens';

export type UserRow = typeof users.$inferSelect;
/** The columns a change to an existing user may set (never its id, realm or creation time). */
export type UserPatch = Partial<Omit<typeof users.$inferInsert, 'id' | 'realm' | 'createdAt'>>;

export interface SignInProfile {
  realm: string;
  username: string;
  email?: string | null;
  name?: string | null;
  roles: string[];
  attributes?: Record<string, string>;
  /** The IdP's `sub`, and the `sid` of this sign-in when the IdP sends one. */
  idpSubject?: string | null;
  idpSessionId?: string | null;
}

/**
 * Creates the user on first sign-in; later sign-ins refresh what the identity provider says about
 * them. `subjectMismatch` (nothing written) when the account is bound to another IdP subject: a
 * username can be reassigned or forged at the IdP (OIDC Core §5.7: only `sub` is stable), and
 * taking the account over would hand its tokens to someone else.
 */
export async function upsertUserOnSignIn(db: Db, profile: SignInProfile): Promise<{ row: UserRow } | { subjectMismatch: true }> {
  const now = new Date();
  const values = {
    realm: profile.realm,
    username: profile.username,
    email: profile.email ?? null,
    name: profile.name ?? null,
    roles: profile.roles,
    attributes: profile.attributes ?? {},
    lastSignInAt: now,
    idpSubject: profile.idpSubject ?? null,
    idpSessionId: profile.idpSessionId ?? null,
  };
  const refreshed = { email: values.email, name: values.name, roles: values.roles, attributes: values.attributes, lastSignInAt: now, idpSubject: values.idpSubject, idpSessionId: values.idpSessionId };
  const [row] = await db
    .insert(users)
    .values(values)
    // A row nobody signed in to yet (SCIM, Basic, an admin's) is bound to the first subject that does.
    .onConflictDoUpdate({ target: [users.realm, users.username], set: refreshed, setWhere: sql`${users.idpSubject} is null or ${users.idpSubject} = excluded.idp_subject` })
    .returning();
  return row ? { row } : { subjectMismatch: true };
}

/** The user a directly authenticated caller (Basic, IdP JWT) acts as; this authentication counts as their latest sign-in. */
export async function ensureUser(db: Db, identity: { realm: string; username: string; roles?: string[]; attributes?: Record<string, string> }): Promise<UserRow> {
  const [row] = await db
    .insert(users)
    .values({ realm: identity.realm, username: identity.username, roles: identity.roles ?? [], attributes: identity.attributes ?? {} })
    .onConflictDoUpdate({ target: [users.realm, users.username], set: { roles: sql`excluded.roles`, attributes: sql`excluded.attributes` } })
    .returning();
  if (!row) throw new Error('user upsert returned nothing');
  return row;
}

/** Whether `realm` has a user with one of these username and email pairs (the demo guard's question). */
export async function hasUserWithEmail(db: Db, realm: string, accounts: ReadonlyArray<{ username: string; email: string }>): Promise<boolean> {
  const matches = accounts.map((a) => and(eq(users.username, a.username), eq(users.email, a.email)));
  if (matches.length === 0) return false;
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.realm, realm), or(...matches)))
    .limit(1);
  return row !== undefined;
}

export async function getUserById(db: Db, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

export async function getUserByName(db: Db, realm: string, username: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.realm, realm), eq(users.username, username)))
    .limit(1);
  return row;
}

/** A page of users by realm and name, and how many match: `search` matches `realm/username`, email or name. */
export async function listUsers(db: Db, search: string | undefined, window: { offset: number; limit: number }): Promise<{ rows: UserRow[]; total: number }> {
  const pattern = search ? `%${search.replace(/[%_\\]/g, '\\$&')}%` : undefined;
  const where = pattern ? or(ilike(sql`${users.realm} || '/' || ${users.username}`, pattern), ilike(users.email, pattern), ilike(users.name, pattern)) : undefined;
  const [rows, [totals]] = await Promise.all([
    db.select().from(users).where(where).orderBy(asc(users.realm), asc(users.username)).limit(window.limit).offset(window.offset),
    db.select({ total: count() }).from(users).where(where),
  ]);
  return { rows, total: totals?.total ?? 0 };
}

/** Users an admin can create a token for (enabled), by realm and name, at most `limit`. */
export async function listEnabledUsers(db: Db, limit: number): Promise<UserRow[]> {
  return db.select().from(users).where(isNull(users.disabledAt)).orderBy(asc(users.realm), asc(users.username)).limit(limit);
}

/** What `plan` decided for a user: the columns to set, their audit rows, and whether the user's tokens are revoked for good (SCIM DELETE). */
export interface UserUpdate {
  set: UserPatch;
  audit: NewAuditEntry[];
  revokeTokensBy?: string;
}

/**
 * Reads the user under a row lock, lets `plan` decide what changes (null: nothing), and writes it
 * with its audit rows in one transaction: two replicas deciding about one user take turns.
 */
export async function updateUserLocked(db: Db, id: string, plan: (row: UserRow) => UserUpdate | null): Promise<{ row: UserRow; changed: boolean } | undefined> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(users).where(eq(users.id, id)).for('update').limit(1);
    if (!current) return undefined;
    const update = plan(current);
    if (!update) return { row: current, changed: false };
    const [row] = Object.keys(update.set).length > 0 ? await tx.update(users).set(update.set).where(eq(users.id, id)).returning() : [current];
    if (!row) throw new Error('user update returned nothing');
    const revoked = update.revokeTokensBy ? await revokeActiveTokensOf(tx, id, update.revokeTokensBy) : [];
    for (const entry of update.audit) await insertAuditEntry(tx, entry);
    // One `token.revoke` row per token, as for any revocation: its history shows it, and its owner is notified.
    const cause = update.audit[0];
    for (const tokenId of revoked) {
      await insertAuditEntry(tx, {
        actor: update.revokeTokensBy ?? 'unknown',
        action: 'token.revoke',
        targetUser: `${row.realm}/${row.username}`,
        tokenId,
        clientAddress: cause?.clientAddress ?? null,
        userAgent: cause?.userAgent ?? null,
        details: { with: cause?.action ?? 'user update' },
      });
    }
    return { row, changed: true };
  });
}

/** Every disabled user's realm and name: few, and read at start and after a missed notification. */
export async function listDisabledUsers(db: Db): Promise<Array<Pick<UserRow, 'id' | 'realm' | 'username'>>> {
  return db.select({ id: users.id, realm: users.realm, username: users.username }).from(users).where(isNotNull(users.disabledAt));
}

export interface RealmUserFilter {
  /** Case-insensitive, as SCIM's `userName` is. */
  username?: string;
  externalId?: string;
}

/** The users of one realm that were not deleted (SCIM's view), a page at a time, with how many there are. */
export async function listRealmUsers(db: Db, realm: string, filter: RealmUserFilter, offset: number, limit: number): Promise<{ rows: UserRow[]; total: number }> {
  const conditions: SQL[] = [eq(users.realm, realm), isNull(users.deletedAt)];
  if (filter.username !== undefined) conditions.push(sql`lower(${users.username}) = lower(${filter.username})`);
  if (filter.externalId !== undefined) conditions.push(eq(users.externalId, filter.externalId));
  const where = and(...conditions);
  const [rows, [totals]] = await Promise.all([
    limit > 0 ? db.select().from(users).where(where).orderBy(asc(users.createdAt), asc(users.id)).limit(limit).offset(offset) : Promise.resolve([]),
    db.select({ total: count() }).from(users).where(where),
  ]);
  return { rows, total: totals?.total ?? 0 };
}

/** Whether another user of `realm` has `username` in any letter case (SCIM's userName is case-insensitive). */
export async function isUsernameTakenByAnother(db: Db, realm: string, username: string, id: string): Promise<boolean> {
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.realm, realm), sql`lower(${users.username}) = lower(${username})`, sql`${users.id} <> ${id}`))
    .limit(1);
  return row !== undefined;
}

/** A user of `realm` that was not deleted. */
export async function getRealmUser(db: Db, realm: string, id: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, id), eq(users.realm, realm), isNull(users.deletedAt)))
    .limit(1);
  return row;
}

export type NewRealmUser = Omit<typeof users.$inferInsert, 'id' | 'createdAt'> & { realm: string; username: string };

/**
 * Creates a user (SCIM POST), or brings back one that was deleted under the same name (its tokens
 * stay revoked). `conflict` when the name belongs to a user that exists.
 */
export async function createRealmUser(db: Db, values: NewRealmUser, audit: NewAuditEntry): Promise<{ row: UserRow } | { conflict: true }> {
  return db.transaction(async (tx) => {
    // SCIM's userName is case-insensitive: "Alice" is alice. Two creations of one name take turns.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`${values.realm}/${values.username.toLowerCase()}`}))`);
    const same = await tx
      .select()
      .from(users)
      .where(and(eq(users.realm, values.realm), sql`lower(${users.username}) = lower(${values.username})`))
      .for('update');
    if (same.some((row) => !row.deletedAt)) return { conflict: true as const };
    // A deleted user of that name comes back under the name the rest of the product knows them by.
    const existing = same.find((row) => row.username === values.username) ?? same[0];
    const [row] = existing
      ? await tx
          .update(users)
          .set({ ...values, username: existing.username, deletedAt: null, createdAt: new Date() })
          .where(eq(users.id, existing.id))
          .returning()
      : await tx.insert(users).values(values).returning();
    if (!row) throw new Error('user insert returned nothing');
    await insertAuditEntry(tx, audit);
    return { row };
  });
}

/** The users of `realm` the IdP knows by `subject` (one, unless the username changed at the IdP). */
export async function findUsersByIdpSubject(db: Db, realm: string, subject: string): Promise<UserRow[]> {
  return db
    .select()
    .from(users)
    .where(and(eq(users.realm, realm), eq(users.idpSubject, subject)));
}

/** The user whose latest portal sign-in was IdP session `sid`. */
export async function findUserByIdpSession(db: Db, realm: string, sid: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.realm, realm), eq(users.idpSessionId, sid)))
    .limit(1);
  return row;
}

/** Remembers that the user ended IdP session `sid` from the portal (its logout token then disables nobody). */
export async function recordPortalSignOut(db: Db, id: string, sid: string): Promise<void> {
  await db.update(users).set({ signedOutSessionId: sid }).where(eq(users.id, id));
}

/**
 * Claims up to `limit` enabled users of `realm` whose refresh token was last exchanged before
 * `before`, marking them revalidated now: a replica claims each user once, and one that claims a row
 * another replica holds skips it (`for update skip locked`) instead of waiting.
 */
export async function claimUsersForRevalidation(db: Db, realm: string, before: Date, limit: number): Promise<Array<Pick<UserRow, 'id' | 'realm' | 'username' | 'refreshToken'>>> {
  const due = db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.realm, realm), isNull(users.disabledAt), isNotNull(users.refreshToken), or(isNull(users.revalidatedAt), lt(users.revalidatedAt, before))))
    .orderBy(sql`${users.revalidatedAt} asc nulls first`)
    .limit(limit)
    .for('update', { skipLocked: true });
  return db.update(users).set({ revalidatedAt: new Date() }).where(inArray(users.id, due)).returning({ id: users.id, realm: users.realm, username: users.username, refreshToken: users.refreshToken });
}

/** Stores the IdP's next refresh token (rotation), unless a sign-in stored another one meanwhile. */
export async function replaceRefreshToken(db: Db, id: string, previous: string, next: string | null): Promise<void> {
  await db
    .update(users)
    .set({ refreshToken: next })
    .where(and(eq(users.id, id), eq(users.refreshToken, previous)));
}
