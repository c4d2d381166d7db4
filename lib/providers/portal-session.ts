import { decode } from '@auth/core/jwt';
import { credentialKey } from '../crypto/secrets';
import { LRUCache } from 'lru-cache';
import { MISSED_MESSAGES, type Database } from '../../db/client';
import { getUserById } from '../../db/users';
import { describeError } from '../errors';
import { sessionCookie } from '../gateway/credentials';
import { frozenIdentity } from '../gateway/identity';
import type { Credential, Identity, Provider, ProviderOutcome } from '../gateway/types';
import { sessionClaimsSchema, sessionEnded } from '../portal/session-claims';
import { TOKENS_CHANNEL } from '../tokens/channel';
import { accept, refuseForm, refuseSecret, unavailable } from '../gateway/outcomes';

const CACHE_TTL_MS = 30_000;
export const PORTAL_SESSION_TYPE = 'portal-session';

export interface PortalSessionOptions {
  realm: string;
  database: Database;
  /** The key next-auth encrypts session cookies with (AUTH_SECRET or the one kept in the database). */
  secret: () => Promise<string>;
}

interface Verified {
  userId: string;
  identity: Identity;
}

/**
 * Lets a person signed in to the portal through to browser paths behind nginx: the gateway reads the
 * portal's session cookie (nginx forwards `Cookie` to /_auth). A disabled user is refused at once.
 */
export class PortalSessionProvider implements Provider {
  readonly type = PORTAL_SESSION_TYPE;
  readonly name = 'portal-session';
  readonly schemes = ['Session'] as const;
  readonly realm: string;
  private readonly verified = new LRUCache<string, Verified>({ max: 20_000, ttl: CACHE_TTL_MS });

  constructor(private readonly options: PortalSessionOptions) {
    this.realm = options.realm;
  }

  async start(): Promise<void> {
    await this.options.database.listen(TOKENS_CHANNEL, (payload) => {
      if (payload === MISSED_MESSAGES) return this.verified.clear();
      const [kind, id] = payload.split(':');
      if (kind === 'user') this.verified.forEach((entry, key) => entry.userId === id && this.verified.delete(key));
    });
  }

  async verify(credential: Credential): Promise<ProviderOutcome> {
    const session = sessionCookie(credential.value);
    if (!session) return refuseForm('no session cookie');
    const key = credentialKey(session.value);
    const cached = this.verified.get(key);
    if (cached && (cached.identity.expiresAt ?? 0) * 1000 > Date.now()) return accept(cached.identity);

    let payload: Record<string, unknown> | null;
    try {
      payload = await decode<Record<string, unknown>>({ token: session.value, secret: await this.options.secret(), salt: session.name });
    } catch {
      return refuseSecret('session cookie does not decrypt (expired, tampered or another installation)');
    }
    const claims = sessionClaimsSchema.safeParse(payload?.portal);
    const exp = payload?.exp;
    if (!claims.success || typeof exp !== 'number') return refuseSecret('session without portal claims');

    let user;
    try {
      user = await getUserById(this.options.database.db, claims.data.userId);
    } catch (error) {
      return unavailable(`database: ${describeError(error)}`);
    }
    if (!user || user.disabledAt || user.realm !== claims.data.realm) return refuseSecret('user unknown or disabled');
    if (sessionEnded(user, claims.data.signedInAt)) return refuseSecret('session ended by an identity-provider logout');

    const identity = frozenIdentity({ username: user.username, realm: user.realm, roles: user.roles, attributes: user.attributes, expiresAt: exp });
    this.verified.set(key, { userId: user.id, identity });
    return accept(identity);
  }
}
