import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import type { MaybePromise } from '../gateway/maybe';
import type { User } from '../gateway/types';
import type { Config } from '../config/schema';
import type { KeySet } from './keys';

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
  signOrReuse(user: User): MaybePromise<SignedToken> {
    const now = Math.floor(Date.now() / 1000);
    const { active } = this.keys();
    // The identity itself is the key (no secret in it); hashing it would cost more than the lookup.
    const key = JSON.stringify([active.kid, user.realm, user.username, user.roles, user.attributes, user.scopes, user.auth, user.expiresAt]);
    const recent = this.recent.get(key);
    if (recent && this.reusable(recent, now)) return recent;
    return this.sign(user, now).then((signed) => {
      this.recent.set(key, signed);
      return signed;
    });
  }

  /** Whether a JWT issued earlier may still be handed out: signed with the active key, more than half its life left. */
  reusable(signed: SignedToken, now = Math.floor(Date.now() / 1000)): boolean {
    return signed.signedWith === this.keys().active.key && signed.expiresAt - now > (signed.expiresAt - signed.issuedAt) / 2;
  }

  async sign(user: User, now = Math.floor(Date.now() / 1000)): Promise<SignedToken> {
    const { active } = this.keys();
    // Never outlive the credential it was issued for.
    const expiresAt = Math.min(now + this.options.lifetimeSeconds, user.expiresAt ?? Number.POSITIVE_INFINITY);
    const jwt = new SignJWT({
      username: user.username,
      realm: user.realm,
      roles: user.roles,
      attributes: user.attributes,
      scopes: user.scopes,
      auth: user.auth,
    })
      .setProtectedHeader({ alg: active.alg, typ: 'JWT', ...(active.kid ? { kid: active.kid } : {}) })
      .setIssuer(this.options.issuer)
      .setSubject(`${user.realm}-${user.username}`)
      .setIssuedAt(now)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID());
    if (this.options.audience) jwt.setAudience(this.options.audience);
    return { token: await jwt.sign(active.key), issuedAt: now, expiresAt, signedWith: active.key };
  }

  jwks(): { keys: KeySet['published'] } {
    return { keys: this.keys().published };
  }
}
