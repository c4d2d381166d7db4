import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import argon2 from 'argon2';

/** argon2id cost parameters, as config `tokens.hash` spells them. */
export interface HashParams {
  memory_kib: number;
  iterations: number;
  parallelism: number;
}

/**
 * OWASP's argon2id recommendation (m=19 MiB, t=2, p=1), for secrets people choose (passwords): the
 * stretching is what stands between a leaked hash and a guessable password.
 */
export const PASSWORD_HASH: HashParams = { memory_kib: 19456, iterations: 2, parallelism: 1 };
/** The same, as argon2's options. */
export const ARGON2_OPTIONS = argon2Options(PASSWORD_HASH);

function argon2Options(params: HashParams) {
  return { type: argon2.argon2id, memoryCost: params.memory_kib, timeCost: params.iterations, parallelism: params.parallelism } as const;
}

export function hashSecret(secret: string, params: HashParams = PASSWORD_HASH): Promise<string> {
  return argon2.hash(secret, argon2Options(params));
}

/**
 * Whether `hash` is an argon2id hash made with exactly `params` (else it is upgraded on its next
 * successful use). Read off the PHC string's head, which argon2 always writes in this form: this runs
 * on every first verification, and parsing the whole string costs more than the comparison.
 */
export function hashUses(hash: string, params: HashParams): boolean {
  return hash.startsWith(`$argon2id$v=19$m=${params.memory_kib},t=${params.iterations},p=${params.parallelism}$`);
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
