import type { ProviderConfig } from '../config/schema';
import { hashSecret } from '../crypto/secrets';
import { frozenIdentity } from '../gateway/identity';
import { andThen, type MaybePromise } from '../gateway/maybe';
import { accept, refuseForm, refuseSecret, unavailable } from '../gateway/outcomes';
import type { Credential, Identity, Provider, ProviderContext, ProviderOutcome } from '../gateway/types';
import { SecretChecker, type Lookup, type StoredSecret } from '../guard/checker';
import type { Lanes } from '../guard/lanes';
import type { Step } from '../http/cache';

type PlainConfig = Extract<ProviderConfig, { type: 'plain' }>;

const VERDICT_TTL_MS = 30_000;
const DUMMY_PASSWORD = 'dummy password for unknown users';
const MALFORMED = refuseForm('malformed basic credential');

export interface PlainProviderOptions {
  /** How long a verdict is reused (tests shorten it). */
  verdictTtlMs?: number;
  onArgon2?: (lane: 'main' | 'narrow') => void;
}

/** Static Basic users from the config: argon2id `password_hash`, or auth-o-tron's plaintext `password`. */
export class PlainProvider implements Provider {
  readonly type = 'plain';
  readonly schemes = ['Basic'] as const;
  readonly name: string;
  readonly realm: string;
  private readonly users: Map<string, { stored: StoredSecret; identity: Identity }>;
  private readonly anyHashed: boolean;
  private dummyHash: Promise<string> | undefined;
  // Verdicts keyed by a keyed hash (never the password), filled once for concurrent callers: a busy
  // client costs one argon2 verification per TTL (Authelia #5006).
  private readonly checker: SecretChecker<Identity>;

  constructor(config: PlainConfig, lanes: Lanes, options: PlainProviderOptions = {}) {
    const ttlMs = options.verdictTtlMs ?? VERDICT_TTL_MS;
    this.checker = new SecretChecker<Identity>({ lanes, ttlMs, negativeTtlMs: ttlMs, max: 20_000, onArgon2: options.onArgon2 });
    this.name = config.name;
    this.realm = config.realm;
    this.users = new Map(
      config.users.map((u) => [
        u.username,
        {
          stored: u.password_hash !== undefined ? { kind: 'argon2', hash: u.password_hash } : { kind: 'plaintext', value: u.password ?? '' },
          identity: frozenIdentity({ username: u.username, realm: config.realm, roles: [...u.roles], attributes: { ...u.attributes } }),
        },
      ]),
    );
    this.anyHashed = config.users.some((u) => u.password_hash !== undefined);
  }

  /** Synchronous for a credential seen recently: its cached verdict answers without decoding it again. */
  verify(credential: Credential, context?: ProviderContext): MaybePromise<ProviderOutcome> {
    // Keyed by the keyed hash like every cache: the raw value is the password in base64.
    const key = credential.key;
    const seen = this.checker.peek(key);
    if (seen) return outcomeOf(seen);
    const basic = credential.basic;
    if (!basic) return MALFORMED;
    const verdict = this.checker.check({ key, secret: basic.password, subject: basic.username, address: context?.clientAddress?.(), find: () => this.find(basic.username) });
    return andThen(verdict, outcomeOf);
  }

  /** An unknown user costs the same work as a wrong password, so timing does not reveal who exists. */
  private find(username: string): MaybePromise<Lookup<Identity>> {
    const user = this.users.get(username);
    if (user) return { status: 'found', stored: user.stored, value: user.identity };
    if (!this.anyHashed) return { status: 'absent', reason: 'unknown user', decoy: { kind: 'plaintext', value: DUMMY_PASSWORD } };
    this.dummyHash ??= hashSecret(DUMMY_PASSWORD);
    return this.dummyHash.then((hash) => ({ status: 'absent', reason: 'unknown user', decoy: { kind: 'argon2', hash } }));
  }
}

function outcomeOf(step: Step<Identity>): ProviderOutcome {
  if (step.status === 'ok') return accept(step.value);
  // One reason for an unknown user and a wrong password: the log line must not tell them apart either.
  return step.status === 'unavailable' ? unavailable(step.reason) : refuseSecret('wrong username or password');
}
