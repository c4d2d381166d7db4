import 'server-only';
import { eq, lt } from 'drizzle-orm';
import type { Db } from './client';
import { seenLogoutTokens } from './schema';

/** Far longer than a logout token is accepted (minutes), so a replay always finds its first use. */
const KEEP_MS = 24 * 3600_000;

/** Records a logout token's issuer and `jti` once it was acted on; false when it was recorded before, on any replica. */
export async function recordLogoutToken(db: Db, key: string): Promise<boolean> {
  await db.delete(seenLogoutTokens).where(lt(seenLogoutTokens.seenAt, new Date(Date.now() - KEEP_MS)));
  const inserted = await db.insert(seenLogoutTokens).values({ jti: key }).onConflictDoNothing().returning({ jti: seenLogoutTokens.jti });
  return inserted.length === 1;
}

/** Whether a logout token's issuer and `jti` were recorded (acted on) before, on any replica. */
export async function isLogoutTokenRecorded(db: Db, key: string): Promise<boolean> {
  const [row] = await db.select({ jti: seenLogoutTokens.jti }).from(seenLogoutTokens).where(eq(seenLogoutTokens.jti, key)).limit(1);
  return row !== undefined;
}
