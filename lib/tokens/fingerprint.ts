import 'server-only';
import { createHmac, randomBytes } from 'node:crypto';
import { getOrCreateAppSecret } from '../../db/app-secrets';
import type { Database } from '../../db/client';

/** The key's name among the app secrets (`app_secrets`). */
export const FINGERPRINT_KEY_NAME = 'tokens.fingerprint_key';
const keys = new WeakMap<Database, Promise<Buffer>>();

/**
 * The installation's key for secret fingerprints, generated once and kept in the database like the
 * other app secrets, so every replica computes the same fingerprints.
 */
export function fingerprintKey(database: Database): Promise<Buffer> {
  let key = keys.get(database);
  if (!key) {
    key = getOrCreateAppSecret(database.db, FINGERPRINT_KEY_NAME, () => randomBytes(32).toString('base64url')).then(decodeFingerprintKey);
    key.catch(() => keys.delete(database)); // a database hiccup is retried on the next call
    keys.set(database, key);
  }
  return key;
}

/** The key as stored (base64url text). */
export function decodeFingerprintKey(stored: string): Buffer {
  return Buffer.from(stored, 'base64url');
}

/**
 * 16 bits of HMAC-SHA256(key, secret), stored beside the hash: a wrong secret is refused without
 * argon2 unless it matches by chance (1 in 65,536). 16 of a secret's ≥ 192 random bits say nothing
 * useful about it, and without the key they cannot even be checked.
 */
export function secretFingerprint(key: Buffer, secret: string): number {
  return createHmac('sha256', key).update(secret, 'utf8').digest().readUInt16BE(0);
}
