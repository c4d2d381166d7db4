import 'server-only';
import { and, count, desc, eq, gt, ilike, isNotNull, isNull, lte, notExists, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { Db } from './client';
import { insertAuditEntry, type NewAuditEntry } from './audit';
import { tokens, users } from './schema';

export type TokenRow = typeof tokens.$inferSelect;
export type NewToken = typeof tokens.$inferInsert;
export type TokenStatus = 'active' | 'expired' | 'revoked';

export interface TokenWithOwner {
  token: TokenRow;
  owner: { id: string; realm: string; username: string };
}

/** What the gateway needs to verify a token and authenticate as its owner, in one indexed lookup. */
export interface TokenForVerification {
  id: string;
  secretHash: string;
  secretFingerprint: number | null;
  scopes: string[];
  expiresAt: Date;
  revokedAt: Date | null;
  owner: { id: string; realm: string; username: string; roles: string[]; attributes: Record<string, string>; disabledAt: Date | null };
}

export interface TokenFilter {
  ownerId?: string;
  /** Matches owner username or token name (case-insensitive substring). */
  search?: string;
  status?: TokenStatus;
  limit?: number;
}

const ownerColumns = { id: users.id, realm: users.realm, username: users.username };

/** A write bounded by the owner's number of active tokens: done, or refused (nothing written) with the count found. */
export type CappedWrite = { written: true; row: TokenRow } | { written: false; active: number };

const successor = alias(tokens, 'successor');

/**
 * The owner's active tokens (not revoked, not expired), each counted once: a token rotated with a
 * grace period keeps working until then, but its replacement stands for it.
 */
export async function countActiveTokens(db: Pick<Db, 'select'>, ownerId: string, now = new Date()): Promise<number> {
  const replaced = db
    .select({ id: successor.id })
    .from(successor)
    .where(and(eq(successor.ownerId, tokens.ownerId), eq(successor.rotatedFrom, tokens.id), isNull(successor.revokedAt), gt(successor.expiresAt, now)));
  const [row] = await db
    .select({ active: count() })
    .from(tokens)
    .where(and(eq(tokens.ownerId, ownerId), isNull(tokens.revokedAt), gt(tokens.expiresAt, now), notExists(replaced)));
  return row?.active ?? 0;
}

/**
 * Serialises the owner's token writes until the transaction ends, so a count taken after it stays
 * true until the insert commits (two concurrent creations cannot both see room for one more).
 * `no key update` is the weakest lock that conflicts with itself; it does not block foreign-key checks.
 */
async function lockOwner(tx: Pick<Db, 'select'>, ownerId: string): Promise<void> {
  await tx.select({ id: users.id }).from(users).where(eq(users.id, ownerId)).for('no key update');
}

/** Inserts a token and its audit row, unless its owner already has `maxActive` active tokens. */
export async function insertToken(db: Db, token: NewToken, audit: NewAuditEntry, maxActive: number): Promise<CappedWrite> {
  return db.transaction(async (tx) => {
    await lockOwner(tx, token.ownerId);
    const active = await countActiveTokens(tx, token.ownerId);
    if (active >= maxActive) return { written: false, active };
    const [row] = await tx.insert(tokens).values(token).returning();
    if (!row) throw new Error('token insert returned nothing');
    await insertAuditEntry(tx, audit);
    return { written: true, row };
  });
}

export async function getTokenWithOwner(db: Db, id: string): Promise<TokenWithOwner | undefined> {
  const [row] = await db.select({ token: tokens, owner: ownerColumns }).from(tokens).innerJoin(users, eq(users.id, tokens.ownerId)).where(eq(tokens.id, id)).limit(1);
  return row;
}

export async function listTokens(db: Db, filter: TokenFilter): Promise<TokenWithOwner[]> {
  const conditions: SQL[] = [];
  if (filter.ownerId) conditions.push(eq(tokens.ownerId, filter.ownerId));
  if (filter.search) {
    const pattern = `%${filter.search.replace(/[%_\\]/g, '\\$&')}%`;
    const match = or(ilike(users.username, pattern), ilike(tokens.name, pattern));
    if (match) conditions.push(match);
  }
  const now = new Date();
  if (filter.status === 'revoked') conditions.push(isNotNull(tokens.revokedAt));
  if (filter.status === 'expired') conditions.push(isNull(tokens.revokedAt), lte(tokens.expiresAt, now));
  if (filter.status === 'active') conditions.push(isNull(tokens.revokedAt), gt(tokens.expiresAt, now));
  return db
    .select({ token: tokens, owner: ownerColumns })
    .from(tokens)
    .innerJoin(users, eq(users.id, tokens.ownerId))
    .where(and(...conditions))
    .orderBy(desc(tokens.createdAt))
    .limit(filter.limit ?? 500);
}

/** Revokes a token once; revoking again changes nothing and writes no second audit row. */
export async function revokeToken(db: Db, id: string, revokedBy: string, audit: NewAuditEntry): Promise<TokenRow | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(tokens)
      .set({ revokedAt: new Date(), revokedBy })
      .where(and(eq(tokens.id, id), isNull(tokens.revokedAt)))
      .returning();
    if (row) await insertAuditEntry(tx, audit);
    return row;
  });
}

/** Revokes every token of the owner not revoked yet (SCIM DELETE); pass the transaction of the change that causes it. */
export async function revokeActiveTokensOf(db: Pick<Db, 'update'>, ownerId: string, revokedBy: string): Promise<number> {
  const rows = await db
    .update(tokens)
    .set({ revokedAt: new Date(), revokedBy })
    .where(and(eq(tokens.ownerId, ownerId), isNull(tokens.revokedAt)))
    .returning({ id: tokens.id });
  return rows.length;
}

/**
 * Replaces a token by a new one; the old one stops at `oldStopsAt` (now, or after a grace period).
 * A replacement takes the old token's place under the owner's cap, so it is never refused for it;
 * only rotating a token that was already replaced (it adds a second replacement) must fit under `maxActive`.
 */
export async function rotateToken(db: Db, oldId: string, replacement: NewToken, oldStopsAt: Date, audit: NewAuditEntry, maxActive: number): Promise<CappedWrite> {
  return db.transaction(async (tx) => {
    await lockOwner(tx, replacement.ownerId);
    const now = new Date();
    const [replaced] = await tx
      .select({ id: tokens.id })
      .from(tokens)
      .where(and(eq(tokens.ownerId, replacement.ownerId), eq(tokens.rotatedFrom, oldId), isNull(tokens.revokedAt), gt(tokens.expiresAt, now)))
      .limit(1);
    if (replaced) {
      const active = await countActiveTokens(tx, replacement.ownerId, now);
      if (active >= maxActive) return { written: false, active };
    }
    await tx
      .update(tokens)
      .set({ expiresAt: sql`least(${tokens.expiresAt}, ${oldStopsAt.toISOString()}::timestamptz)` })
      .where(eq(tokens.id, oldId));
    const [row] = await tx.insert(tokens).values(replacement).returning();
    if (!row) throw new Error('token insert returned nothing');
    await insertAuditEntry(tx, audit);
    return { written: true, row };
  });
}

/** A `timestamptz` as the drivers hand it to drizzle's raw queries: text (drizzle's setting), or a Date. */
const timestamptz = z.union([z.date(), z.string().transform((text) => new Date(text))]).pipe(z.date());

const verificationRows = z.object({
  rows: z.array(
    z.object({
      id: z.string(),
      secret_hash: z.string(),
      secret_fingerprint: z.number().int().nullable(),
      scopes: z.array(z.string()),
      expires_at: timestamptz,
      revoked_at: timestamptz.nullable(),
      owner_id: z.string(),
      realm: z.string(),
      username: z.string(),
      roles: z.array(z.string()),
      attributes: z.record(z.string(), z.string()),
      disabled_at: timestamptz.nullable(),
    }),
  ),
});

/**
 * Every first use of a token runs this: plain SQL, since building the same query with the select
 * builder costs several times the CPU of the round trip itself. Not a named prepared statement:
 * those break behind a transaction-mode pooler (pgbouncer).
 */
export async function getTokenForVerification(db: Db, id: string): Promise<TokenForVerification | undefined> {
  return (await getTokensForVerification(db, [id])).get(id);
}

/** The rows of several tokens in one statement (a burst of first uses: see lib/tokens/batched-lookup.ts), by id; absent ids are missing. */
export async function getTokensForVerification(db: Db, ids: readonly string[]): Promise<Map<string, TokenForVerification>> {
  const found = new Map<string, TokenForVerification>();
  if (ids.length === 0) return found;
  // drizzle writes an array as a parenthesised list of parameters.
  const result = await db.execute(sql`
    select t.id, t.secret_hash, t.secret_fingerprint, t.scopes, t.expires_at, t.revoked_at,
           u.id as owner_id, u.realm, u.username, u.roles, u.attributes, u.disabled_at
    from ${tokens} t join ${users} u on u.id = t.owner_id
    where t.id in ${[...ids]}`);
  for (const row of verificationRows.parse(result).rows) {
    found.set(row.id, {
      id: row.id,
      secretHash: row.secret_hash,
      secretFingerprint: row.secret_fingerprint,
      scopes: row.scopes,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      owner: { id: row.owner_id, realm: row.realm, username: row.username, roles: row.roles, attributes: row.attributes, disabledAt: row.disabled_at },
    });
  }
  return found;
}

/**
 * Rows per statement of a batch write: a statement carries at most 65,535 parameters, and a burst of
 * first uses (a new replica, thousands of tokens a second) fills a batch faster than that.
 */
const BATCH_ROWS = 5_000;

function* chunks<T>(items: T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += BATCH_ROWS) yield items.slice(i, i + BATCH_ROWS);
}

/** Records last use for many tokens, a few thousand a statement (called from a batch, off the request path). */
export async function recordTokenUse(db: Db, uses: Array<{ id: string; at: Date; address: string | null }>): Promise<void> {
  for (const chunk of chunks(uses)) {
    const values = sql.join(
      chunk.map((u) => sql`(${u.id}, ${u.at.toISOString()}::timestamptz, ${u.address})`),
      sql`, `,
    );
    await db.execute(sql`
      update ${tokens} set last_used_at = v.at, last_used_address = v.address
      from (values ${values}) as v(id, at, address)
      where ${tokens.id} = v.id and (${tokens.lastUsedAt} is null or ${tokens.lastUsedAt} < v.at)`);
  }
}

/** A stored secret brought up to date: a hash with the current parameters and its fingerprint. */
export interface SecretUpgrade {
  id: string;
  /** The hash the secret was verified against: a row changed since then is left alone. */
  previousHash: string;
  hash: string;
  fingerprint: number;
}

/** Writes many secret upgrades, a few thousand a statement (off the request path). */
export async function upgradeTokenSecrets(db: Db, upgrades: SecretUpgrade[]): Promise<void> {
  for (const chunk of chunks(upgrades)) {
    const values = sql.join(
      chunk.map((u) => sql`(${u.id}, ${u.previousHash}, ${u.hash}, ${u.fingerprint}::integer)`),
      sql`, `,
    );
    await db.execute(sql`
      update ${tokens} set secret_hash = v.hash, secret_fingerprint = v.fingerprint
      from (values ${values}) as v(id, previous_hash, hash, fingerprint)
      where ${tokens.id} = v.id and ${tokens.secretHash} = v.previous_hash`);
  }
}
