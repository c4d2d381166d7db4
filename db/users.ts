import 'server-only';
import { and, asc, eq, ilike, isNotNull, or, sql } from 'drizzle-orm';
import { insertAuditEntry, type NewAuditEntry } from './audit';
import type { Db } from './client';
import { users } from './schema';

export type UserRow = typeof users.$inferSelect;

export interface SignInProfile {
  realm: string;
  username: string;
  email?: string | null;
  name?: string | null;
  roles: string[];
  attributes?: Record<string, string>;
}

/** Creates the user on first sign-in; later sign-ins refresh what the identity provider says about them. */
export async function upsertUserOnSignIn(db: Db, profile: SignInProfile): Promise<UserRow> {
  const now = new Date();
  const values = {
    realm: profile.realm,
    username: profile.username,
    email: profile.email ?? null,
    name: profile.name ?? null,
    roles: profile.roles,
    attributes: profile.attributes ?? {},
    lastSignInAt: now,
  };
  const [row] = await db
    .insert(users)
    .values(values)
    .onConflictDoUpdate({ target: [users.realm, users.username], set: { email: values.email, name: values.name, roles: values.roles, attributes: values.attributes, lastSignInAt: now } })
    .returning();
  if (!row) throw new Error('user upsert returned nothing');
  return row;
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

export async function getUserById(db: Db, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

export async function getUserByName(db: Db, realm: string, username: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(and(eq(users.realm, realm), eq(users.username, username))).limit(1);
  return row;
}

export async function listUsers(db: Db, search?: string): Promise<UserRow[]> {
  const pattern = search ? `%${search.replace(/[%_\\]/g, '\\$&')}%` : undefined;
  return db
    .select()
    .from(users)
    .where(pattern ? or(ilike(users.username, pattern), ilike(users.email, pattern), ilike(users.name, pattern)) : undefined)
    .orderBy(asc(users.realm), asc(users.username))
    .limit(500);
}

/** Disables or re-enables a user, with its audit row in the same transaction. */
export async function setUserDisabled(db: Db, id: string, disabled: boolean, audit: NewAuditEntry): Promise<UserRow | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.update(users).set({ disabledAt: disabled ? new Date() : null }).where(eq(users.id, id)).returning();
    if (row) await insertAuditEntry(tx, audit);
    return row;
  });
}

/** Every disabled user's realm and name: few, and read at start and after a missed notification. */
export async function listDisabledUsers(db: Db): Promise<Array<Pick<UserRow, 'id' | 'realm' | 'username'>>> {
  return db.select({ id: users.id, realm: users.realm, username: users.username }).from(users).where(isNotNull(users.disabledAt));
}
