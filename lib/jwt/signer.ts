import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { User } from '../gateway/types';
import type { KeySet } from './keys';

export interface SignerOptions {
  issuer: string;
  audience?: string;
  lifetimeSeconds: number;
}

export interface SignedToken {
  token: string;
  expiresAt: number;
}

/** Issues the short-lived JWT the backend receives. */
export class JwtSigner {
  constructor(
    private readonly keys: () => KeySet,
    private readonly options: SignerOptions,
  ) {}

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
    return { token: await jwt.sign(active.key), expiresAt };
  }

  jwks(): { keys: KeySet['published'] } {
    return { keys: this.keys().published };
  }
}
