import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ProviderConfig } from '../config/schema';
import { constantTimeEqual, hashSecret, verifySecret } from '../crypto/secrets';
import type { WorkQueue } from '../crypto/work-queue';
import { decodeBasic } from '../gateway/credentials';
import type { Credential, Provider, ProviderOutcome } from '../gateway/types';

type PlainConfig = Extract<ProviderConfig, { type: 'plain' }>;
type PlainUser = PlainConfig['users'][number];

const VERDICT_TTL_MS = 30_000;

/** Static Basic users from the config: argon2id `password_hash`, or auth-o-tron's plaintext `password`. */
export class PlainProvider implements Provider {
  readonly type = 'plain';
  readonly schemes = ['Basic'] as const;
  readonly name: string;
  readonly realm: string;
  private readonly users: Map<string, PlainUser>;
  private readonly anyHashed: boolean;
  private dummyHash: Promise<string> | undefined;
  // Verdicts for recently seen credentials, keyed by a keyed hash (never the password): a busy client
  // costs one argon2 verification per TTL, not one per request (Authelia #5006).
  private readonly cacheKey = randomBytes(32);
  private readonly verdicts = new LRUCache<string, boolean>({ max: 20_000, ttl: VERDICT_TTL_MS });

  constructor(
    config: PlainConfig,
    private readonly argon2: WorkQueue,
  ) {
    this.name = config.name;
    this.realm = config.realm;
    this.users = new Map(config.users.map((u) => [u.username, u]));
    this.anyHashed = config.users.some((u) => u.password_hash !== undefined);
  }

  async verify(credential: Credential): Promise<ProviderOutcome> {
    const basic = decodeBasic(credential.value);
    if (!basic) return { status: 'rejected', reason: 'malformed basic credential' };
    const user = this.users.get(basic.username);
    const key = createHmac('sha256', this.cacheKey).update(basic.username).update('\0').update(basic.password).digest('base64url');
    let matches = this.verdicts.get(key);
    if (matches === undefined) {
      matches = await this.checkPassword(user, basic.password);
      this.verdicts.set(key, matches);
    }
    if (!user || !matches) return { status: 'rejected', reason: 'wrong username or password' };
    return {
      status: 'accepted',
      identity: { username: user.username, realm: this.realm, roles: [...user.roles], attributes: { ...user.attributes } },
    };
  }

  /** An unknown user costs the same work as a wrong password, so timing does not reveal who exists. */
  private async checkPassword(user: PlainUser | undefined, password: string): Promise<boolean> {
    if (user?.password_hash) return this.verifyHash(user.password_hash, password);
    if (user?.password !== undefined) return constantTimeEqual(user.password, password);
    if (this.anyHashed) {
      this.dummyHash ??= hashSecret('dummy password for unknown users');
      await this.verifyHash(await this.dummyHash, password);
    } else {
      constantTimeEqual('dummy password for unknown users', password);
    }
    return false;
  }

  private verifyHash(hash: string, password: string): Promise<boolean> {
    return this.argon2.run(() => verifySecret(hash, password));
  }
}
