import 'server-only';
import { and, count, desc, eq, gte, ilike, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from './client';
import { auditLog } from './schema';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditEntry = typeof auditLog.$inferInsert;

/** Writes an audit row; pass the transaction of the change it records so both land or neither does. */
export async function insertAuditEntry(db: Pick<Db, 'insert'>, entry: NewAuditEntry): Promise<void> {
  await db.insert(auditLog).values(entry);
}

/** Several audit rows in one statement (bulk changes), in the transaction of the change. */
export async function insertAuditEntries(db: Pick<Db, 'insert'>, entries: NewAuditEntry[]): Promise<void> {
  if (entries.length > 0) await db.insert(auditLog).values(entries);
}

export interface AuditFilter {
  /** `realm/username` of who acted (case-insensitive substring). */
  actor?: string;
  action?: string;
  /** `realm/username` the entry is about (case-insensitive substring). */
  targetUser?: string;
  /** Entries of this token, including the rotation that replaced it by another. */
  tokenId?: string;
  from?: Date;
  /** Exclusive. */
  until?: Date;
}

const like = (text: string) => `%${text.replace(/[%_\\]/g, '\\$&')}%`;

function conditionsOf(filter: AuditFilter): SQL | undefined {
  const conditions: Array<SQL | undefined> = [];
  if (filter.actor) conditions.push(ilike(auditLog.actor, like(filter.actor)));
  if (filter.action) conditions.push(eq(auditLog.action, filter.action));
  if (filter.targetUser) conditions.push(ilike(auditLog.targetUser, like(filter.targetUser)));
  if (filter.tokenId) conditions.push(or(eq(auditLog.tokenId, filter.tokenId), sql`${auditLog.details}->>'new_token_id' = ${filter.tokenId}`));
  if (filter.from) conditions.push(gte(auditLog.at, filter.from));
  if (filter.until) conditions.push(lt(auditLog.at, filter.until));
  return and(...conditions);
}

/** A page of entries, newest first, and how many match. */
export async function listAuditEntries(db: Db, filter: AuditFilter, window: { offset: number; limit: number }): Promise<{ entries: AuditRow[]; total: number }> {
  const where = conditionsOf(filter);
  const [entries, [totals]] = await Promise.all([
    db.select().from(auditLog).where(where).orderBy(desc(auditLog.id)).limit(window.limit).offset(window.offset),
    db.select({ total: count() }).from(auditLog).where(where),
  ]);
  return { entries, total: totals?.total ?? 0 };
}

/** The actions present in the log, for the filter's choices. */
export async function listAuditActions(db: Db): Promise<string[]> {
  const rows = await db.selectDistinct({ action: auditLog.action }).from(auditLog).orderBy(auditLog.action);
  return rows.map((r) => r.action);
}
