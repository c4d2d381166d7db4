import { LRUCache } from 'lru-cache';
import type { ProviderConfig } from '../config/schema';
import { ProvenSecrets } from '../crypto/proven';
import { constantTimeEqual, hashSecret, verifySecret } from '../crypto/secrets';
import type { WorkQueue } from '../crypto/work-queue';
import { basicOf, cacheKeyOf } from '../gateway/credentials';
import { frozenIdentity } from '../gateway/identity';
import { andThen, type MaybePromise } from '../gateway/maybe';
import { accept, refuseForm, refuseSecret } from '../gateway/outcomes';
import type { Credential, Identity, Provider, ProviderOutcome } from '../gateway/types';
import { SingleFlightCache, type Step } from '../http/cache';

type PlainConfig = Extract<ProviderConfig, { type: 'plain' }>;
type PlainUser = PlainConfig['users'][number];

const VERDICT_TTL_MS = 30_000;
const SUSPECT_TTL_MS = 10 * 60_000;

/** Static Basic users from the config: argon2id `password_hash`, or auth-o-tron's plaintext `password`. */
export class PlainProvider implements Provider {
  readonly type = 'plain';
  readonly schemes = ['Basic'] as const;
  readonly name: string;
  readonly realm: string;
  private readonly users: Map<string, PlainUser>;
  private readonly identities: Map<string, Identity>;
  private readonly anyHashed: boolean;
  private dummyHash: Promise<string> | undefined;
  // Verdicts for recently seen credentials (keyed by a keyed hash, never the password), filled once for
  // concurrent callers: a busy client costs one argon2 verification per TTL (Authelia #5006).
  private readonly verdicts: SingleFlightCache<Identity>;
  /** Usernames that recently saw a wrong password: their guesses share one core at most. */
  private readonly suspects = new LRUCache<string, true>({ max: 20_000, ttl: SUSPECT_TTL_MS });
  /** The users come from the config, so a credential confirmed once stays right while it is remembered. */
  private readonly proven = new ProvenSecrets(20_000);

  constructor(
    config: PlainConfig,
    private readonly argon2: WorkQueue,
    private readonly suspectArgon2: WorkQueue,
    verdictTtlMs = VERDICT_TTL_MS,
  ) {
    this.verdicts = new SingleFlightCache<Identity>({ ttlMs: verdictTtlMs, negativeTtlMs: verdictTtlMs, max: 20_000 });
    this.name = config.name;
    this.realm = config.realm;
    this.users = new Map(config.users.map((u) => [u.username, u]));
    this.identities = new Map(config.users.map((u) => [u.username, frozenIdentity({ username: u.username, realm: config.realm, roles: [...u.roles], attributes: { ...u.attributes } })]));
    this.anyHashed = config.users.some((u) => u.password_hash !== undefined);
  }

  /** Synchronous for a credential seen recently: its cached verdict answers without decoding it again. */
  verify(credential: Credential): MaybePromise<ProviderOutcome> {
    // Keyed by the keyed hash like every cache: the raw value is the password in base64.
    const key = cacheKeyOf(credential);
    const seen = this.verdicts.peek(key);
    if (seen) return outcomeOf(seen);
    const basic = basicOf(credential);
    if (!basic) return refuseForm('malformed basic credential');
    const verdict = this.verdicts.get(key, async () => {
      const identity = this.identities.get(basic.username);
      const user = this.users.get(basic.username);
      const storedHash = user?.password_hash ?? ''; // plaintext users: the proof needs no hash to hold on to
      if ((this.proven.has(key, storedHash) || (await this.checkPassword(basic.username, user, basic.password))) && identity) {
        this.proven.remember(key, storedHash);
        return { status: 'ok', value: identity };
      }
      this.suspects.set(basic.username, true);
      return { status: 'rejected', reason: 'wrong username or password' };
    });
    return andThen(verdict, outcomeOf);
  }

  /** An unknown user costs the same work as a wrong password, so timing does not reveal who exists. */
  private async checkPassword(username: string, user: PlainUser | undefined, password: string): Promise<boolean> {
    if (user?.password_hash) return this.verifyHash(username, user.password_hash, password);
    if (user?.password !== undefined) return constantTimeEqual(user.password, password);
    if (this.anyHashed) {
      this.dummyHash ??= hashSecret('dummy password for unknown users');
      await this.verifyHash(username, await this.dummyHash, password);
    } else {
      constantTimeEqual('dummy password for unknown users', password);
    }
    return false;
  }

  private verifyHash(username: string, hash: string, password: string): Promise<boolean> {
    const queue = this.suspects.has(username) ? this.suspectArgon2 : this.argon2;
    return queue.run(() => verifySecret(hash, password));
  }
}

function outcomeOf(step: Step<Identity>): ProviderOutcome {
  if (step.status === 'ok') return accept(step.value);
  return step.status === 'unavailable' ? step : refuseSecret('wrong username or password');
}
