import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import type { User } from '../gateway/types';
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
}

/** Issues the short-lived JWT the backend receives. */
export class JwtSigner {
  // Signing costs more than everything else on a cached request; the same identity reuses its JWT.
  private readonly recent = new LRUCache<string, SignedToken>({ max: 20_000 });

  constructor(
    private readonly keys: () => KeySet,
    private readonly options: SignerOptions,
  ) {}

  /** The JWT issued for this exact identity with this key, while it has more than half its life left. */
  async signOrReuse(user: User): Promise<SignedToken> {
    const now = Math.floor(Date.now() / 1000);
    // The identity itself is the key (no secret in it); hashing it would cost more than the lookup.
    const key = JSON.stringify([this.keys().active.kid, user.realm, user.username, user.roles, user.attributes, user.scopes, user.auth, user.expiresAt]);
    const cached = this.recent.get(key);
    if (cached && cached.expiresAt - now > (cached.expiresAt - cached.issuedAt) / 2) return cached;
    const fresh = await this.sign(user, now);
    this.recent.set(key, fresh);
    return fresh;
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
    return { token: await jwt.sign(active.key), issuedAt: now, expiresAt };
  }

  jwks(): { keys: KeySet['published'] } {
    return { keys: this.keys().published };
  }
}
