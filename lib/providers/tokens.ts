import { LRUCache } from 'lru-cache';
import { credentialKey } from '../crypto/secrets';
import { MISSED_MESSAGES, type Database } from '../../db/client';
import { getTokenForVerification, type TokenForVerification } from '../../db/tokens';
import { verifySecret } from '../crypto/secrets';
import { ProvenSecrets } from '../crypto/proven';
import type { WorkQueue } from '../crypto/work-queue';
import { describeError, isAppError } from '../errors';
import { basicOf, cacheKeyOf } from '../gateway/credentials';
import { frozenIdentity } from '../gateway/identity';
import type { MaybePromise } from '../gateway/maybe';
import { accept, refuseForm, refuseSecret } from '../gateway/outcomes';
import type { Credential, Identity, Provider, ProviderContext, ProviderOutcome } from '../gateway/types';
import { hasTokenShape, parseToken, type ParsedToken } from '../tokens/format';
import type { LastUsedRecorder } from '../tokens/last-used';
import { TOKENS_CHANNEL } from '../tokens/channel';

export interface TokensProviderOptions {
  name: string;
  realm: string | undefined;
  prefix: string;
  cacheTtlSeconds: number;
  database: Database;
  argon2: WorkQueue;
  /** The narrow lane for ids under a guessing attack. */
  suspectArgon2: WorkQueue;
  lastUsed: LastUsedRecorder;
}

interface Verified {
  tokenId: string;
  ownerId: string;
  ownerName: string;
  identity: Identity;
}

const CACHE_SIZE = 50_000;
// Wrong secrets for an existing id are remembered briefly, so repeated guesses cost no argon2.
const FAILURE_TTL_MS = 30_000;
const SUSPECT_TTL_MS = 10 * 60_000;
const NOT_OURS = refuseForm('not one of our tokens, or a bad checksum');

/** This product's opaque tokens: `Bearer <token>`, or Basic `username:<token>` (OpenCloud style). */
export class TokensProvider implements Provider {
  readonly type = 'tokens';
  readonly schemes = ['Bearer', 'Basic'] as const;
  readonly name: string;
  readonly realm: string | undefined;
  private readonly verified: LRUCache<string, Verified>;
  private readonly failures = new LRUCache<string, true>({ max: CACHE_SIZE, ttl: FAILURE_TTL_MS });
  /** Token ids that recently saw a wrong secret. */
  private readonly suspects = new LRUCache<string, true>({ max: CACHE_SIZE, ttl: SUSPECT_TTL_MS });
  /** Re-read from the database when their cache entry expires (revocation, expiry, owner, scopes), but no argon2 again. */
  private readonly proven = new ProvenSecrets(CACHE_SIZE);
  private readonly inflight = new Map<string, Promise<Verified | Exclude<ProviderOutcome, { status: 'accepted' }>>>();
  private generation = 0;

  constructor(private readonly options: TokensProviderOptions) {
    this.name = options.name;
    this.realm = options.realm;
    this.verified = new LRUCache({ max: CACHE_SIZE, ttl: options.cacheTtlSeconds * 1000 });
  }

  /** Revocations, rotations and disabled users reach every replica through NOTIFY. */
  async start(): Promise<void> {
    await this.options.database.listen(TOKENS_CHANNEL, (payload) => this.invalidate(payload));
  }

  invalidate(payload: string): void {
    this.generation += 1;
    if (payload === MISSED_MESSAGES) return this.verified.clear();
    const [kind, id] = payload.split(':');
    this.verified.forEach((entry, key) => {
      if ((kind === 'token' && entry.tokenId === id) || (kind === 'user' && entry.ownerId === id)) this.verified.delete(key);
    });
  }

  /** Our token's shape (its checksum is checked before any lookup): anything else is not ours. */
  claims(credential: Credential): boolean {
    return this.tokenOf(credential) !== undefined;
  }

  /**
   * Synchronous for a token verified (or refused) recently: a cache hit needs neither the checksum
   * nor a parse. A database lookup and argon2 otherwise.
   */
  verify(credential: Credential, context: ProviderContext): MaybePromise<ProviderOutcome> {
    const token = this.tokenOf(credential);
    if (token === undefined) return NOT_OURS;
    const basicUsername = credential.scheme === 'Basic' ? basicOf(credential)?.username : undefined;
    const key = token === credential.value ? cacheKeyOf(credential) : credentialKey(token);
    const cached = this.verified.get(key);
    if (cached) return this.accept(cached, basicUsername, context);
    if (this.failures.has(key)) return refuseSecret('wrong secret (cached)');
    const parsed = parseToken(this.options.prefix, token);
    if (!parsed) return NOT_OURS;

    // Concurrent first uses of one token share one database lookup and one argon2 verification.
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.lookup(key, parsed).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending.then((result) => ('tokenId' in result ? this.accept(result, basicUsername, context) : result));
  }

  /** The token in a Bearer or Basic `user:token` credential, when it has our shape. */
  private tokenOf(credential: Credential): string | undefined {
    const token = credential.scheme === 'Bearer' ? credential.value : basicOf(credential)?.password;
    return token !== undefined && hasTokenShape(this.options.prefix, token) ? token : undefined;
  }

  private async lookup(key: string, parsed: ParsedToken): Promise<Verified | Exclude<ProviderOutcome, { status: 'accepted' }>> {
    // Someone guessing secrets for this id gets a narrow, rate-limited lane for the whole check
    // (database and argon2), so a flood of guesses costs neither the database nor the cores.
    const suspect = this.suspects.has(parsed.id) && !this.proven.has(key);
    const check = () => this.check(key, parsed, suspect);
    try {
      return suspect ? await this.options.suspectArgon2.run(check) : await check();
    } catch (error) {
      if (isAppError(error) && error.code === 'unavailable') return { status: 'unavailable', reason: 'verification queue full' };
      throw error;
    }
  }

  private async check(key: string, parsed: ParsedToken, suspect: boolean): Promise<Verified | Exclude<ProviderOutcome, { status: 'accepted' }>> {
    const generation = this.generation;
    let row: TokenForVerification | undefined;
    try {
      row = await getTokenForVerification(this.options.database.db, parsed.id);
    } catch (error) {
      return { status: 'unavailable', reason: `database: ${describeError(error)}` };
    }
    if (!row) return { status: 'rejected', reason: 'unknown token', offline: false };
    const refusal = refusalOf(row);
    if (refusal) return { status: 'rejected', reason: refusal, offline: false };

    const hash = row.secretHash;
    const matches =
      this.proven.has(key, hash) || (suspect ? await verifySecret(hash, parsed.secret) : await this.options.argon2.run(() => verifySecret(hash, parsed.secret)));
    if (!matches) {
      this.failures.set(key, true);
      this.suspects.set(parsed.id, true);
      return { status: 'rejected', reason: 'wrong secret', offline: false };
    }
    this.proven.remember(key, hash);

    const entry: Verified = {
      tokenId: row.id,
      ownerId: row.owner.id,
      ownerName: row.owner.username,
      identity: frozenIdentity({
        username: row.owner.username,
        realm: row.owner.realm,
        roles: row.owner.roles,
        attributes: row.owner.attributes,
        scopes: groupScopes(row.scopes),
        expiresAt: Math.floor(row.expiresAt.getTime() / 1000),
        tokenId: row.id,
      }),
    };
    // A revocation that arrived while we were verifying must not be undone by caching a stale answer.
    if (generation === this.generation) {
      this.verified.set(key, entry, { ttl: Math.max(1, Math.min(this.options.cacheTtlSeconds * 1000, row.expiresAt.getTime() - Date.now())) });
    }
    return entry;
  }

  private accept(entry: Verified, basicUsername: string | undefined, context: ProviderContext): ProviderOutcome {
    if (basicUsername !== undefined && basicUsername !== entry.ownerName) return refuseSecret('token belongs to another user');
    if ((entry.identity.expiresAt ?? 0) * 1000 <= Date.now()) return refuseSecret('token expired');
    this.options.lastUsed.record(entry.tokenId, context.clientAddress);
    return accept(entry.identity);
  }
}

function refusalOf(row: TokenForVerification): string | undefined {
  if (row.revokedAt) return 'token revoked';
  if (row.expiresAt.getTime() <= Date.now()) return 'token expired';
  if (row.owner.disabledAt) return 'owner disabled';
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
