import { createPrivateKey, createPublicKey, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Config } from '../config/schema';

export type SigningAlgorithm = 'ES256' | 'EdDSA' | 'RS256' | 'HS256';

export interface SigningKey {
  kid: string | undefined;
  alg: SigningAlgorithm;
  key: KeyObject | CryptoKey | Uint8Array;
}

/** The key that signs now, and every public key a backend may still meet. */
export interface KeySet {
  active: SigningKey;
  published: JWK[];
}

export interface StoredKey {
  kid: string;
  algorithm: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

function algorithmOf(key: KeyObject): Exclude<SigningAlgorithm, 'HS256'> {
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('EC keys must use the P-256 curve (ES256)');
      return 'ES256';
    case 'ed25519':
      return 'EdDSA';
    case 'rsa':
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('RSA keys must have at least 2048 bits');
      return 'RS256';
    default:
      throw new Error(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
  }
}

async function publicJwkOf(privateKey: KeyObject, alg: string, kid?: string): Promise<JWK> {
  const jwk = await exportJWK(createPublicKey(privateKey));
  return { ...jwk, kid: kid ?? (await calculateJwkThumbprint(jwk)), alg, use: 'sig' };
}

/** Keys written in the config (PEM text or files): the first signs, the others stay published. */
export async function keySetFromConfig(jwt: Config['jwt']): Promise<KeySet | undefined> {
  if (jwt.secret) return { active: { kid: undefined, alg: 'HS256', key: createSecretKey(Buffer.from(jwt.secret, 'utf8')) }, published: [] };
  const entries = jwt.keys ?? (jwt.private_key || jwt.private_key_file ? [{ private_key: jwt.private_key, private_key_file: jwt.private_key_file }] : []);
  if (entries.length === 0) return undefined;
  const keys = await Promise.all(
    entries.map(async (entry) => {
      const pem = entry.private_key ?? readFileSync(/*turbopackIgnore: true*/ entry.private_key_file ?? '', 'utf8');
      const key = createPrivateKey(pem);
      const alg = algorithmOf(key);
      const publicJwk = await publicJwkOf(key, alg, 'kid' in entry ? entry.kid : undefined);
      return { key, alg, publicJwk };
    }),
  );
  const [first] = keys;
  if (!first) return undefined;
  return { active: { kid: first.publicJwk.kid, alg: first.alg, key: first.key }, published: keys.map((k) => k.publicJwk) };
}

/** A fresh key pair in the form the database keeps. */
export async function generateStoredKey(algorithm: Exclude<SigningAlgorithm, 'HS256'>): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true, ...(algorithm === 'RS256' ? { modulusLength: 2048 } : {}) });
  const kid = `${algorithm.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  return {
    kid,
    algorithm,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: algorithm },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: algorithm, use: 'sig' },
  };
}

export async function keySetFromStored(active: StoredKey, published: StoredKey[]): Promise<KeySet> {
  const key = await importJWK(active.privateJwk, active.algorithm);
  return {
    active: { kid: active.kid, alg: active.algorithm as SigningAlgorithm, key },
    published: published.map((k) => k.publicJwk),
  };
}
