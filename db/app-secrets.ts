import 'server-only';
import { eq } from 'drizzle-orm';
import type { Db } from './client';
import { appSecrets } from './schema';

/**
 * The installation's secret called `name`, generated on first use. Insert-if-absent then read, so
 * replicas starting together all end up with the one value that won.
 */
export async function getOrCreateAppSecret(db: Db, name: string, generate: () => string): Promise<string> {
  await db.insert(appSecrets).values({ name, value: generate() }).onConflictDoNothing({ target: appSecrets.name });
  const [row] = await db.select({ value: appSecrets.value }).from(appSecrets).where(eq(appSecrets.name, name)).limit(1);
  if (!row) throw new Error(`app secret ${name} could not be stored`);
  return row.value;
}

export async function hasAppSecret(db: Db, name: string): Promise<boolean> {
  const [row] = await db.select({ name: appSecrets.name }).from(appSecrets).where(eq(appSecrets.name, name)).limit(1);
  return row !== undefined;
}
