import 'server-only';
import { randomBytes } from 'node:crypto';
import { getOrCreateAppSecret } from '@/db/app-secrets';
import type { Database } from '@/db/client';
import { Sealer } from '../crypto/sealed';

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

const ENCRYPTION_KEY_NAME = 'portal.encryption_key';
const sealers = new WeakMap<Database, Promise<Sealer>>();

/**
 * Encrypts the refresh tokens kept for revalidation: with `portal.encryption_key` when set (keep it
 * outside the database, so a stolen backup alone opens nothing), else with a key generated once and
 * stored like the session secret. A changed key makes stored tokens unreadable: those users are
 * simply not revalidated until their next sign-in.
 */
export function refreshTokenSealer(database: Database, configuredKey: string | undefined): Promise<Sealer> {
  if (configuredKey) return Promise.resolve(new Sealer(configuredKey));
  let sealer = sealers.get(database);
  if (!sealer) {
    sealer = getOrCreateAppSecret(database.db, ENCRYPTION_KEY_NAME, () => randomBytes(32).toString('base64url')).then((key) => new Sealer(key));
    sealer.catch(() => sealers.delete(database));
    sealers.set(database, sealer);
  }
  return sealer;
}
