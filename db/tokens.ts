import 'server-only';
import { and, count, desc, eq, gt, ilike, isNotNull, isNull, lte, notInArray, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { Db } from './client';
import { insertAuditEntries, insertAuditEntry, type NewAuditEntry } from './audit';
import { chunks, jsonRows, jsonTexts } from './batch';
import { tokens, users, type TokenRestrictions } from './schema';

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
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  restrictions: TokenRestrictions;
  /** The secret before the latest rotation, while its grace period lasts. */
  previous: { secretHash: string; secretFingerprint: number | null; until: Date } | null;
  owner: { id: string; realm: string; username: string; roles: string[]; attributes: Record<string, string>; disabledAt: Date | null };
}

export interface TokenFilter {
  ownerId?: string;
  /** Matches `realm/username`, token name (case-insensitive substring) or the exact token id. */
  search?: string;
  status?: TokenStatus;
}

/** One page of a list: `offset` rows skipped, at most `limit` returned, and how many there are in all. */
export interface PageWindow {
  offset: number;
  limit: number;
}

const ownerColumns = { id: users.id, realm: users.realm, username: users.username };

/** A write bounded by the owner's number of active tokens: done, or refused (nothing written) with the count found. */
export type CappedWrite = { written: true; row: TokenRow } | { written: false; active: number };

const successor = alias(tokens, 'successor');

/**
 * The owner's active tokens (not revoked, not expired), each counted once: a token replaced by a
 * legacy rotation (a new row, before rotation kept the token) keeps working until its grace ends, but
 * its replacement stands for it. `not in` (a hashed subplan, one pass) rather than `not exists`: with
 * stale statistics the planner turned the anti-join into a nested loop scanning the owner's tokens
 * once per token (> 60 s at 100k rows).
 */
export async function countActiveTokens(db: Pick<Db, 'select'>, ownerId: string, now = new Date()): Promise<number> {
  const replaced = db
    .select({ id: successor.rotatedFrom })
    .from(successor)
    .where(and(eq(successor.ownerId, ownerId), isNotNull(successor.rotatedFrom), isNull(successor.revokedAt), gt(successor.expiresAt, now)));
  const [row] = await db
    .select({ active: count() })
    .from(tokens)
    .where(and(eq(tokens.ownerId, ownerId), isNull(tokens.revokedAt), gt(tokens.expiresAt, now), notInArray(tokens.id, replaced)));
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

/** A page of tokens, newest first, and the number matching the filter (so nothing is cut off unsaid). */
export async function listTokens(db: Db, filter: TokenFilter, window: PageWindow): Promise<{ rows: TokenWithOwner[]; total: number }> {
  const conditions: SQL[] = [];
  if (filter.ownerId) conditions.push(eq(tokens.ownerId, filter.ownerId));
  if (filter.search) {
    const pattern = `%${filter.search.replace(/[%_\\]/g, '\\$&')}%`;
    const match = or(ilike(sql`${users.realm} || '/' || ${users.username}`, pattern), ilike(tokens.name, pattern), eq(tokens.id, filter.search));
    if (match) conditions.push(match);
  }
  const now = new Date();
  if (filter.status === 'revoked') conditions.push(isNotNull(tokens.revokedAt));
  if (filter.status === 'expired') conditions.push(isNull(tokens.revokedAt), lte(tokens.expiresAt, now));
  if (filter.status === 'active') conditions.push(isNull(tokens.revokedAt), gt(tokens.expiresAt, now));
  const where = and(...conditions);
  const [rows, [totals]] = await Promise.all([
    db
      .select({ token: tokens, owner: ownerColumns })
      .from(tokens)
      .innerJoin(users, eq(users.id, tokens.ownerId))
      .where(where)
      .orderBy(desc(tokens.createdAt), desc(tokens.id))
      .limit(window.limit)
      .offset(window.offset),
    db.select({ total: count() }).from(tokens).innerJoin(users, eq(users.id, tokens.ownerId)).where(where),
  ]);
  return { rows, total: totals?.total ?? 0 };
}

/** Whether the owner already has another token of this name that still works (a warning, not a refusal). */
export async function hasActiveTokenNamed(db: Db, ownerId: string, name: string, now = new Date()): Promise<boolean> {
  const [row] = await db
    .select({ id: tokens.id })
    .from(tokens)
    .where(and(eq(tokens.ownerId, ownerId), eq(tokens.name, name), isNull(tokens.revokedAt), gt(tokens.expiresAt, now)))
    .limit(1);
  return row !== undefined;
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

/** Revokes every token of the owner not revoked yet (SCIM DELETE); pass the transaction of the change that causes it. Returns their ids. */
export async function revokeActiveTokensOf(db: Pick<Db, 'update'>, ownerId: string, revokedBy: string): Promise<string[]> {
  const rows = await db
    .update(tokens)
    .set({ revokedAt: new Date(), revokedBy })
    .where(and(eq(tokens.ownerId, ownerId), isNull(tokens.revokedAt)))
    .returning({ id: tokens.id });
  return rows.map((row) => row.id);
}

/** A rotation: the new secret, and how long the current one keeps working (`previousUntil`; null: not at all). */
export interface Rotation {
  secretHash: string;
  secretFingerprint: number;
  previousUntil: Date | null;
}

/**
 * Gives an active token a new secret, in place (same id, name, scopes, restrictions, history). The
 * secret it had stays accepted until `previousUntil`; one kept from an earlier rotation ends now.
 * Undefined when the token is no longer active (revoked or expired meanwhile): nothing is written.
 */
export async function rotateTokenSecret(db: Db, id: string, rotation: Rotation, audit: NewAuditEntry): Promise<TokenRow | undefined> {
  return db.transaction(async (tx) => {
    const now = new Date();
    const keep = rotation.previousUntil !== null;
    const [row] = await tx
      .update(tokens)
      .set({
        previousSecretHash: keep ? sql`${tokens.secretHash}` : null,
        previousSecretFingerprint: keep ? sql`${tokens.secretFingerprint}` : null,
        previousSecretUntil: rotation.previousUntil,
        secretHash: rotation.secretHash,
        secretFingerprint: rotation.secretFingerprint,
        rotatedAt: now,
      })
      .where(and(eq(tokens.id, id), isNull(tokens.revokedAt), gt(tokens.expiresAt, now)))
      .returning();
    if (row) await insertAuditEntry(tx, audit);
    return row;
  });
}

/** Replaces a token's restrictions (PATCH), with its audit row. */
export async function updateTokenRestrictions(db: Db, id: string, restrictions: TokenRestrictions, audit: NewAuditEntry): Promise<TokenRow | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.update(tokens).set({ restrictions }).where(eq(tokens.id, id)).returning();
    if (row) await insertAuditEntry(tx, audit);
    return row;
  });
}

/** Revokes every active token of a user at once (admin), one audit row per token, in one transaction. */
export async function revokeTokensOfOwner(db: Db, ownerId: string, revokedBy: string, audit: (row: TokenRow) => NewAuditEntry): Promise<TokenRow[]> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(tokens)
      .set({ revokedAt: new Date(), revokedBy })
      .where(and(eq(tokens.ownerId, ownerId), isNull(tokens.revokedAt), gt(tokens.expiresAt, new Date())))
      .returning();
    await insertAuditEntries(tx, rows.map(audit));
    return rows;
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
      created_at: timestamptz,
      expires_at: timestamptz,
      revoked_at: timestamptz.nullable(),
      restrictions: z.record(z.string(), z.array(z.string())),
      previous_secret_hash: z.string().nullable(),
      previous_secret_fingerprint: z.number().int().nullable(),
      previous_secret_until: timestamptz.nullable(),
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
  const result = await db.execute(sql`
    select t.id, t.secret_hash, t.secret_fingerprint, t.scopes, t.created_at, t.expires_at, t.revoked_at, t.restrictions,
           t.previous_secret_hash, t.previous_secret_fingerprint, t.previous_secret_until,
           u.id as owner_id, u.realm, u.username, u.roles, u.attributes, u.disabled_at
    from ${tokens} t join ${users} u on u.id = t.owner_id
    where t.id = any(${jsonTexts(ids)})`);
  const now = Date.now();
  for (const row of verificationRows.parse(result).rows) {
    found.set(row.id, {
      id: row.id,
      secretHash: row.secret_hash,
      secretFingerprint: row.secret_fingerprint,
      scopes: row.scopes,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      restrictions: row.restrictions,
      previous:
        row.previous_secret_hash && row.previous_secret_until && row.previous_secret_until.getTime() > now
          ? { secretHash: row.previous_secret_hash, secretFingerprint: row.previous_secret_fingerprint, until: row.previous_secret_until }
          : null,
      owner: { id: row.owner_id, realm: row.realm, username: row.username, roles: row.roles, attributes: row.attributes, disabledAt: row.disabled_at },
    });
  }
  return found;
}

/** Records last use for many tokens, a few thousand a statement (called from a batch, off the request path). */
export async function recordTokenUse(db: Db, uses: Array<{ id: string; at: Date; address: string | null }>): Promise<void> {
  for (const chunk of chunks(uses, 1)) {
    await db.execute(sql`
      update ${tokens} set last_used_at = v.at, last_used_address = v.address
      from ${jsonRows(chunk)} as v(id text, at timestamptz, address text)
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
  for (const chunk of chunks(upgrades, 4)) {
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
