import { createHmac, createSecretKey, KeyObject, randomUUID, sign as signData } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { User } from '../gateway/types';
import type { Config } from '../config/schema';
import type { KeySet, SigningKey } from './keys';

export interface SignerOptions {
  issuer: string;
  audience?: string;
  lifetimeSeconds: number;
}

export interface SignedToken {
  token: string;
  issuedAt: number;
  expiresAt: number;
  /** The key it was signed with: once another is active, the token is not handed out again. */
  signedWith: object;
}

/**
 * The `aud` the issued JWT carries, if any. auth-o-tron's HS256 tokens never had one, and backends
 * verifying them with a library's defaults (PyJWT, Rust jsonwebtoken) refuse a token whose `aud`
 * they were not told to expect: with `jwt.secret` it is emitted only on request (`emit_aud: true`).
 * Asymmetric keys are a deliberate migration, so there `aud` is emitted unless `emit_aud: false`.
 */
export function emittedAudience(jwt: Pick<Config['jwt'], 'aud' | 'secret' | 'emit_aud'>): string | undefined {
  if (!jwt.aud) return undefined;
  const hs256 = jwt.secret !== undefined && jwt.secret !== '';
  return (jwt.emit_aud ?? !hs256) ? jwt.aud : undefined;
}

/** Issues the short-lived JWT the backend receives. */
export class JwtSigner {
  // Signing costs more than everything else on a cached request; the same identity reuses its JWT.
  private readonly recent = new LRUCache<string, SignedToken>({ max: 20_000 });

  constructor(
    private readonly keys: () => KeySet,
    private readonly options: SignerOptions,
  ) {}

  /** The JWT issued for this exact user with the active key, while it has more than half its life left. */
  signOrReuse(user: User): SignedToken {
    const now = Math.floor(Date.now() / 1000);
    const { active } = this.keys();
    // The identity itself is the key (no secret in it); hashing it would cost more than the lookup.
    const key = JSON.stringify([active.kid, user.realm, user.username, user.roles, user.attributes, user.scopes, user.auth, user.expiresAt]);
    const recent = this.recent.get(key);
    if (recent && this.reusable(recent, now)) return recent;
    const signed = this.sign(user, now);
    this.recent.set(key, signed);
    return signed;
  }

  /** Whether a JWT issued earlier may still be handed out: signed with the active key, more than half its life left. */
  reusable(signed: SignedToken, now = Math.floor(Date.now() / 1000)): boolean {
    return signed.signedWith === this.keys().active.key && signed.expiresAt - now > (signed.expiresAt - signed.issuedAt) / 2;
  }

  /**
   * A JWS in compact form, signed with node:crypto directly and at once: for a cold token the JWT is
   * one more thing per request, and WebCrypto's asynchronous job (jose's way) cost several times the
   * signature itself and queued behind argon2 in the same thread pool.
   */
  sign(user: User, now = Math.floor(Date.now() / 1000)): SignedToken {
    const { active } = this.keys();
    // Never outlive the credential it was issued for.
    const expiresAt = Math.min(now + this.options.lifetimeSeconds, user.expiresAt ?? Number.POSITIVE_INFINITY);
    const header = { alg: active.alg, typ: 'JWT', ...(active.kid ? { kid: active.kid } : {}) };
    const claims = {
      username: user.username,
      realm: user.realm,
      roles: user.roles,
      attributes: user.attributes,
      scopes: user.scopes,
      auth: user.auth,
      iss: this.options.issuer,
      sub: `${user.realm}-${user.username}`,
      iat: now,
      exp: expiresAt,
      jti: randomUUID(),
      ...(this.options.audience ? { aud: this.options.audience } : {}),
    };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    return { token: `${input}.${this.signature(active, input).toString('base64url')}`, issuedAt: now, expiresAt, signedWith: active.key };
  }

  /** The active key as a KeyObject, converted once per key (the database's keys are imported as CryptoKeys). */
  private converted: { from: SigningKey['key']; key: KeyObject } | undefined;

  private signature(active: SigningKey, input: string): Buffer {
    if (this.converted?.from !== active.key) this.converted = { from: active.key, key: keyObjectOf(active.key) };
    const { key } = this.converted;
    const data = Buffer.from(input);
    switch (active.alg) {
      case 'HS256':
        return createHmac('sha256', key).update(data).digest();
      case 'ES256':
        return signData('sha256', data, { key, dsaEncoding: 'ieee-p1363' }); // JWS wants r‖s, not DER
      case 'RS256':
        return signData('sha256', data, key); // RSASSA-PKCS1-v1_5
      case 'EdDSA':
        return signData(null, data, key);
    }
  }

  jwks(): { keys: KeySet['published'] } {
    return { keys: this.keys().published };
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function keyObjectOf(key: SigningKey['key']): KeyObject {
  if (key instanceof KeyObject) return key;
  if (key instanceof Uint8Array) return createSecretKey(key);
  return KeyObject.from(key);
}
