import 'server-only';
import { count, desc } from 'drizzle-orm';
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

export async function listAuditEntries(db: Db, page: number, pageSize: number): Promise<{ entries: AuditRow[]; total: number }> {
  const [entries, [totals]] = await Promise.all([
    db
      .select()
      .from(auditLog)
      .orderBy(desc(auditLog.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ total: count() }).from(auditLog),
  ]);
  return { entries, total: totals?.total ?? 0 };
}
