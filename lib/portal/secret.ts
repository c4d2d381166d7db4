import 'server-only';
import { randomBytes } from 'node:crypto';
import { getOrCreateAppSecret } from '@/db/app-secrets';
import type { Database } from '@/db/client';

const SECRET_NAME = 'portal.session_secret';
const cache = new WeakMap<Database, Promise<string>>();

/**
 * The key that encrypts session cookies: `AUTH_SECRET` when set, else one generated on first use and
 * kept in the database, so every replica (and the next restart) reads the sessions the others wrote.
 */
export function sessionSecret(database: Database): Promise<string> {
  const fromEnv = process.env.AUTH_SECRET;
  if (fromEnv) return Promise.resolve(fromEnv);
  let secret = cache.get(database);
  if (!secret) {
    secret = getOrCreateAppSecret(database.db, SECRET_NAME, () => randomBytes(32).toString('base64url'));
    secret.catch(() => cache.delete(database)); // a database hiccup is retried on the next request
    cache.set(database, secret);
  }
  return secret;
}
