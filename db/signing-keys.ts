import 'server-only';
import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Db } from './client';
import { signingKeys } from './schema';

export type SigningKeyRow = typeof signingKeys.$inferSelect;
export type NewSigningKey = typeof signingKeys.$inferInsert;

const KEY_LOCK = 7_461_022;

/** Keys still worth publishing: the active one and those retired less than `graceSeconds` ago. */
export async function listPublishedSigningKeys(db: Db, graceSeconds: number): Promise<SigningKeyRow[]> {
  const cutoff = new Date(Date.now() - graceSeconds * 1000);
  return db
    .select()
    .from(signingKeys)
    .where(or(isNull(signingKeys.retiredAt), gt(signingKeys.retiredAt, cutoff)))
    .orderBy(desc(signingKeys.createdAt));
}

/** Returns the active key for `algorithm`, creating it with `generate` if there is none (one winner across replicas). */
export async function ensureActiveSigningKey(db: Db, algorithm: string, generate: () => Promise<NewSigningKey>): Promise<SigningKeyRow> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${KEY_LOCK})`);
    const [active] = await tx
      .select()
      .from(signingKeys)
      .where(and(eq(signingKeys.algorithm, algorithm), isNull(signingKeys.retiredAt)))
      .orderBy(desc(signingKeys.createdAt))
      .limit(1);
    if (active) return active;
    const [created] = await tx
      .insert(signingKeys)
      .values(await generate())
      .returning();
    if (!created) throw new Error('signing key insert returned nothing');
    return created;
  });
}

/** Retires every active key and makes a new one active. */
export async function rotateSigningKey(db: Db, key: NewSigningKey): Promise<SigningKeyRow> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${KEY_LOCK})`);
    await tx.update(signingKeys).set({ retiredAt: new Date() }).where(isNull(signingKeys.retiredAt));
    const [created] = await tx.insert(signingKeys).values(key).returning();
    if (!created) throw new Error('signing key insert returned nothing');
    return created;
  });
}
