import 'server-only';
import { and, eq, isNull, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import { chunks } from './batch';
import type { Db } from './client';
import { jobCursors, notifications, type NotificationChannel } from './schema';

export type NewNotification = typeof notifications.$inferInsert;
export type NotificationRow = typeof notifications.$inferSelect;

/** Queues notifications; one already queued for the same event and channel is left as it is (so every replica may queue it). */
export async function queueNotifications(db: Db, rows: NewNotification[]): Promise<void> {
  for (const chunk of chunks(rows, 7)) {
    if (chunk.length > 0)
      await db
        .insert(notifications)
        .values(chunk)
        .onConflictDoNothing({ target: [notifications.eventKey, notifications.channel] });
  }
}

/** A `timestamptz` as the drivers hand it to raw queries: text or a Date. */
const timestamptz = z.union([z.date(), z.string().transform((text) => new Date(text))]).pipe(z.date());
const owner = { user_id: z.string(), realm: z.string(), username: z.string(), email: z.string().nullable() };

const revocationRows = z.object({
  rows: z.array(
    z.object({
      audit_id: z.coerce.number().int(),
      at: timestamptz,
      actor: z.string(),
      details: z.record(z.string(), z.unknown()).nullable(),
      token_id: z.string(),
      name: z.string(),
      expires_at: timestamptz,
      ...owner,
    }),
  ),
});
export type Revocation = z.infer<typeof revocationRows>['rows'][number];

/** How long an audit row may take to become visible after its id was taken (its transaction still open). */
const SETTLE_SECONDS = 60;

/**
 * The next `token.revoke` audit rows after the cursor whose actor is not the token's owner, with the
 * token and its owner; the audit log is the outbox of revocations, whoever wrote them.
 */
export async function revocationsAfter(db: Db, cursor: string, limit: number): Promise<{ rows: Revocation[]; position: number }> {
  await db.insert(jobCursors).values({ name: cursor, position: sql`(select coalesce(max(id), 0) from audit_log)` }).onConflictDoNothing();
  const [state] = await db.select({ position: jobCursors.position }).from(jobCursors).where(eq(jobCursors.name, cursor));
  const position = state?.position ?? 0;
  const result = await db.execute(sql`
    select a.id as audit_id, a.at, a.actor, a.details, t.id as token_id, t.name, t.expires_at,
           u.id as user_id, u.realm, u.username, u.email
    from audit_log a join tokens t on t.id = a.token_id join users u on u.id = t.owner_id
    where a.id > ${position} and a.action = 'token.revoke' and a.actor <> u.realm || '/' || u.username
    order by a.id limit ${limit}`);
  return { rows: revocationRows.parse(result).rows, position };
}

/**
 * Moves the cursor past what was read, but never past a row younger than a minute: ids are taken
 * in one order and committed in another, and a row not yet visible must still be read next time.
 */
export async function advanceCursor(db: Db, cursor: string, upTo: number | undefined): Promise<number> {
  const settled = await db.execute(sql`select id from audit_log where at < now() - ${SETTLE_SECONDS}::integer * interval '1 second' order by at desc, id desc limit 1`);
  const oldest = z.object({ rows: z.array(z.object({ id: z.coerce.number() })) }).parse(settled).rows[0]?.id;
  const next = Math.min(oldest ?? 0, upTo ?? Number.POSITIVE_INFINITY);
  const [row] = await db
    .update(jobCursors)
    .set({ position: sql`greatest(${jobCursors.position}, ${next}::bigint)`, updatedAt: new Date() })
    .where(eq(jobCursors.name, cursor))
    .returning({ position: jobCursors.position });
  return row?.position ?? 0;
}

const expiringRows = z.object({
  rows: z.array(z.object({ event_key: z.string(), token_id: z.string(), name: z.string(), expires_at: timestamptz, ...owner })),
});
export type Expiring = z.infer<typeof expiringRows>['rows'][number];

/**
 * Active tokens of enabled owners within `warning` seconds of expiry that have not been warned at
 * this threshold, nor fall under a smaller one of `smaller` (the nearest threshold is the one sent),
 * and that lived longer than the threshold (a token made to last a day needs no warning a day ahead).
 */
export async function tokensToWarn(db: Db, warning: number, smaller: number[], options: { needsEmail: boolean; limit: number }): Promise<Expiring[]> {
  const within = (seconds: number) => sql`(t.expires_at <= now() + ${seconds}::integer * interval '1 second' and t.expires_at - t.created_at > ${seconds}::integer * interval '1 second')`;
  const nearer = smaller.map((seconds) => sql` and not ${within(seconds)}`);
  const key = sql`'expiry:' || t.id || ':' || ${warning}::integer || ':' || floor(extract(epoch from t.expires_at))::bigint`;
  const result = await db.execute(sql`
    select ${key} as event_key, t.id as token_id, t.name, t.expires_at, u.id as user_id, u.realm, u.username, u.email
    from tokens t join users u on u.id = t.owner_id
    where t.revoked_at is null and t.expires_at > now() and u.disabled_at is null and ${within(warning)}${sql.join(nearer, sql``)}
      ${options.needsEmail ? sql`and u.email is not null` : sql``}
      and not exists (select 1 from ${notifications} n where n.event_key = ${key})
    order by t.expires_at limit ${options.limit}`);
  return expiringRows.parse(result).rows;
}

/** How long a claimed notification stays with its replica: if it dies sending, another one retries after this. */
const LEASE_SECONDS = 300;

/** Takes up to `limit` due notifications for this replica; rows another replica is claiming are skipped, not waited for. */
export async function claimDueNotifications(db: Db, limit: number): Promise<NotificationRow[]> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ id: notifications.id })
      .from(notifications)
      .where(and(isNull(notifications.sentAt), isNull(notifications.failedAt), lte(notifications.nextAttemptAt, sql`now()`)))
      .orderBy(notifications.nextAttemptAt, notifications.id)
      .limit(limit)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    return tx
      .update(notifications)
      .set({ attempts: sql`${notifications.attempts} + 1`, nextAttemptAt: sql`now() + ${LEASE_SECONDS}::integer * interval '1 second'` })
      .where(
        sql`${notifications.id} in (${sql.join(
          due.map((d) => sql`${d.id}`),
          sql`, `,
        )})`,
      )
      .returning();
  });
}

export async function markSent(db: Db, id: number): Promise<void> {
  await db.update(notifications).set({ sentAt: new Date(), lastError: null }).where(eq(notifications.id, id));
}

/** A failed attempt: tried again after `retryInSeconds`, or given up (`retryInSeconds` null). */
export async function markFailed(db: Db, id: number, error: string, retryInSeconds: number | null): Promise<void> {
  await db
    .update(notifications)
    .set(retryInSeconds === null ? { failedAt: new Date(), lastError: error } : { lastError: error, nextAttemptAt: sql`now() + ${retryInSeconds}::integer * interval '1 second'` })
    .where(eq(notifications.id, id));
}

export type { NotificationChannel };
