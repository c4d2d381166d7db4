import { MISSED_MESSAGES, type Database } from '../../db/client';
import { getTokensForVerification, type TokenForVerification } from '../../db/tokens';
import { credentialKey, hashSecret, hashUses, type HashParams } from '../crypto/secrets';
import { describeError } from '../errors';
import { frozenIdentity } from '../gateway/identity';
import { andThen, type MaybePromise } from '../gateway/maybe';
import { accept, refuseForm, refuseSecret, unavailable } from '../gateway/outcomes';
import type { Credential, Identity, Provider, ProviderContext, ProviderOutcome } from '../gateway/types';
import { SecretChecker, type Lookup } from '../guard/checker';
import type { Lanes } from '../guard/lanes';
import type { Step } from '../http/cache';
import type { Logger } from '../log/logger';
import { BatchedLookup } from '../tokens/batched-lookup';
import { TOKENS_CHANNEL } from '../tokens/channel';
import { fingerprintKey, secretFingerprint } from '../tokens/fingerprint';
import { hasTokenShape, parseToken, type ParsedToken } from '../tokens/format';
import { compileRestrictions } from '../tokens/restrictions';
import type { LastUsedRecorder } from '../tokens/last-used';
import { SecretUpgrades } from '../tokens/secret-upgrades';

export interface TokensProviderOptions {
  name: string;
  realm: string | undefined;
  prefix: string;
  cacheTtlSeconds: number;
  /** argon2id parameters of new hashes (`tokens.hash`): older ones are upgraded on their next use. */
  hash: HashParams;
  database: Database;
  lanes: Lanes;
  lastUsed: LastUsedRecorder;
  logger?: Logger;
  onArgon2?: (lane: 'main' | 'narrow') => void;
}

interface Verified {
  tokenId: string;
  /**
   * The owner is disabled: the token is refused at every use, but its secret is still checked, so
   * whoever holds a leaked one can revoke it (re-enabling the owner must not bring it back).
   * Enabling or disabling the owner reaches every replica as `user:<id>`, which drops these verdicts.
   */
  suspended: boolean;
  /** Epoch seconds. */
  issuedAt: number;
  ownerId: string;
  ownerName: string;
  identity: Identity;
}

/** What a presented token value proves (TokensProvider.holderOf). */
export type HeldToken =
  | { status: 'valid'; tokenId: string; ownerId: string; issuedAt: number; identity: Identity; suspended: boolean }
  | { status: 'invalid' }
  | { status: 'unavailable'; reason: string };

const CACHE_SIZE = 50_000;
// Wrong secrets are remembered briefly, so repeating one costs no lookup.
const FAILURE_TTL_MS = 30_000;
const NOT_OURS = refuseForm('not one of our tokens, or a bad checksum');

/** This product's opaque tokens: `Bearer <token>`, or Basic `username:<token>` (OpenCloud style). */
export class TokensProvider implements Provider {
  readonly type = 'tokens';
  readonly schemes = ['Bearer', 'Basic'] as const;
  readonly name: string;
  readonly realm: string | undefined;
  private readonly checker: SecretChecker<Verified>;
  private readonly upgrades: SecretUpgrades;
  /** First uses read their rows a batch at a time. */
  private readonly lookups: BatchedLookup<string, TokenForVerification>;

  constructor(private readonly options: TokensProviderOptions) {
    this.name = options.name;
    this.realm = options.realm;
    this.checker = new SecretChecker<Verified>({ lanes: options.lanes, ttlMs: options.cacheTtlSeconds * 1000, negativeTtlMs: FAILURE_TTL_MS, max: CACHE_SIZE, onArgon2: options.onArgon2 });
    this.upgrades = new SecretUpgrades(options.database.db, options.logger);
    this.lookups = new BatchedLookup((ids) => getTokensForVerification(options.database.db, ids));
  }

  /** Revocations, rotations and disabled users reach every replica through NOTIFY. */
  async start(): Promise<void> {
    await fingerprintKey(this.options.database);
    await this.options.database.listen(TOKENS_CHANNEL, (payload) => this.invalidate(payload));
  }

  async close(): Promise<void> {
    await this.upgrades.close();
  }

  invalidate(payload: string): void {
    if (payload === MISSED_MESSAGES) return this.checker.clear();
    const [kind, id] = payload.split(':');
    this.checker.invalidate((entry) => (kind === 'token' && entry.tokenId === id) || (kind === 'user' && entry.ownerId === id));
  }

  /** Our token's shape (its checksum is checked before any lookup): anything else is not ours. */
  claims(credential: Credential): boolean {
    return this.tokenOf(credential) !== undefined;
  }

  /**
   * Synchronous for a token verified (or refused) recently: a cache hit needs neither the checksum
   * nor a parse. A database lookup, and argon2 unless the fingerprint refuses the secret, otherwise.
   */
  verify(credential: Credential, context: ProviderContext): MaybePromise<ProviderOutcome> {
    const token = this.tokenOf(credential);
    if (token === undefined) return NOT_OURS;
    const basicUsername = credential.scheme === 'Basic' ? credential.basic?.username : undefined;
    const key = token === credential.value ? credential.key : credentialKey(token);
    const verdict = this.verdictOf(token, key, () => context.clientAddress?.());
    if (!verdict) return NOT_OURS;
    return andThen(verdict, (step) => this.outcomeOf(step, basicUsername, context));
  }

  /**
   * The token a presented value stands for, its secret checked exactly as at a gateway check (same
   * cache, lanes and guessing defences), without counting a use: for revocation and introspection.
   */
  holderOf(token: string, clientAddress: string | undefined): MaybePromise<HeldToken> {
    const verdict = hasTokenShape(this.options.prefix, token) ? this.verdictOf(token, credentialKey(token), () => clientAddress) : undefined;
    if (!verdict) return { status: 'invalid' };
    return andThen(verdict, (step): HeldToken => {
      if (step.status === 'unavailable') return { status: 'unavailable', reason: step.reason };
      if (step.status !== 'ok' || (step.value.identity.expiresAt ?? 0) * 1000 <= Date.now()) return { status: 'invalid' };
      const { tokenId, ownerId, issuedAt, identity, suspended } = step.value;
      return { status: 'valid', tokenId, ownerId, issuedAt, identity, suspended };
    });
  }

  /** Synchronous when remembered (no checksum, no parse); undefined when the checksum is wrong. */
  private verdictOf(token: string, key: string, address: () => string | undefined): MaybePromise<Step<Verified>> | undefined {
    const seen = this.checker.peek(key);
    if (seen) return seen;
    const parsed = parseToken(this.options.prefix, token);
    if (!parsed) return undefined;
    return this.checker.check({ key, secret: parsed.secret, subject: parsed.id, address: address(), find: () => this.find(parsed) });
  }

  /** The token in a Bearer or Basic `user:token` credential, when it has our shape. */
  private tokenOf(credential: Credential): string | undefined {
    const token = credential.scheme === 'Bearer' ? credential.value : credential.basic?.password;
    return token !== undefined && hasTokenShape(this.options.prefix, token) ? token : undefined;
  }

  private async find(parsed: ParsedToken): Promise<Lookup<Verified>> {
    let row: TokenForVerification | undefined;
    let key: Buffer;
    try {
      [row, key] = await Promise.all([this.lookups.load(parsed.id), fingerprintKey(this.options.database)]);
    } catch (error) {
      return { status: 'unavailable', reason: `database: ${describeError(error)}` };
    }
    if (!row) return { status: 'absent', reason: 'unknown token' };
    const refusal = refusalOf(row);
    if (refusal) return { status: 'refused', reason: refusal };
    const found = row;
    const fingerprint = secretFingerprint(key, parsed.secret);
    // In a rotation's grace period the secret may be the previous one: the fingerprints tell which to
    // check (a rotation picks a new secret whose fingerprint differs from the previous one's).
    const previous = found.previous;
    if (previous && found.secretFingerprint !== fingerprint && (previous.secretFingerprint === null || previous.secretFingerprint === fingerprint)) {
      return {
        status: 'found',
        stored: { kind: 'argon2', hash: previous.secretHash },
        value: verifiedOf(found, previous.until),
        // Remembered no longer than the grace lasts, on every replica, without a message.
        ttlMs: Math.max(1, Math.min(found.expiresAt.getTime(), previous.until.getTime()) - Date.now()),
      };
    }
    return {
      status: 'found',
      stored: { kind: 'argon2', hash: found.secretHash },
      plausible: found.secretFingerprint === null || found.secretFingerprint === fingerprint,
      value: verifiedOf(found),
      ttlMs: Math.max(1, found.expiresAt.getTime() - Date.now()),
      confirmed: () => this.upgrade(found, parsed.secret, fingerprint),
    };
  }

  /** A hash with other parameters than `tokens.hash`, or no fingerprint yet: rewritten, off the request path. */
  private upgrade(row: TokenForVerification, secret: string, fingerprint: number): void {
    const current = hashUses(row.secretHash, this.options.hash);
    if (current && row.secretFingerprint === fingerprint) return;
    const hash = current ? Promise.resolve(row.secretHash) : hashSecret(secret, this.options.hash);
    hash.then(
      (next) => this.upgrades.add({ id: row.id, previousHash: row.secretHash, hash: next, fingerprint }),
      (error: unknown) => this.options.logger?.warn({ err: error, token_id: row.id }, 'could not rehash a token secret'),
    );
  }

  private outcomeOf(step: Step<Verified>, basicUsername: string | undefined, context: ProviderContext): ProviderOutcome {
    if (step.status === 'ok') return this.accept(step.value, basicUsername, context);
    return step.status === 'unavailable' ? unavailable(step.reason) : refuseSecret(step.reason);
  }

  private accept(entry: Verified, basicUsername: string | undefined, context: ProviderContext): ProviderOutcome {
    if (entry.suspended) return refuseSecret('owner disabled');
    if (basicUsername !== undefined && basicUsername !== entry.ownerName) return refuseSecret('token belongs to another user');
    if ((entry.identity.expiresAt ?? 0) * 1000 <= Date.now()) return refuseSecret('token expired');
    this.options.lastUsed.record(entry.tokenId, context.clientAddress);
    return accept(entry.identity);
  }
}

/** `until`: the previous secret's grace end, when that is the secret presented (the credential ends then). */
function verifiedOf(row: TokenForVerification, until?: Date): Verified {
  const endsAt = until && until < row.expiresAt ? until : row.expiresAt;
  return {
    tokenId: row.id,
    suspended: row.owner.disabledAt !== null,
    issuedAt: Math.floor(row.createdAt.getTime() / 1000),
    ownerId: row.owner.id,
    ownerName: row.owner.username,
    identity: frozenIdentity({
      username: row.owner.username,
      realm: row.owner.realm,
      roles: row.owner.roles,
      attributes: row.owner.attributes,
      scopes: groupScopes(row.scopes),
      expiresAt: Math.floor(endsAt.getTime() / 1000),
      tokenId: row.id,
      restrictions: compileRestrictions(row.restrictions),
    }),
  };
}

function refusalOf(row: TokenForVerification): string | undefined {
  if (row.revokedAt) return 'token revoked';
  if (row.expiresAt.getTime() <= Date.now()) return 'token expired';
  return undefined;
}

function groupScopes(scopes: string[]): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (const scope of scopes) {
    const [service = '', name = ''] = scope.split(':');
    (grouped[service] ??= []).push(name);
  }
  return grouped;
}
