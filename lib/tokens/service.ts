import 'server-only';
import type { Database } from '../../db/client';
import type { PageWindow, TokenRow, TokenStatus, TokenWithOwner } from '../../db/tokens';
import {
  countActiveTokens,
  getTokenWithOwner,
  insertToken,
  listTokens as listTokenRows,
  revokeTokensOfOwner,
  revokeToken as revokeTokenRow,
  rotateTokenSecret,
  updateTokenRestrictions,
} from '../../db/tokens';
import { tokenUsage, USAGE_RETENTION_MS } from '../../db/token-usage';
import { getUserById, type UserRow } from '../../db/users';
import type { Config } from '../config/schema';
import { parseDurationSeconds } from '../config/duration';
import { hashSecret, verifySecret } from '../crypto/secrets';
import { AppError } from '../errors';
import { fingerprintKey, secretFingerprint } from './fingerprint';
import { newToken, newTokenId, parseToken } from './format';
import { normalizeRestrictions } from './restrictions';
import type { ScopeCatalog, ScopeEntry } from './scope-catalog';
import { TOKENS_CHANNEL } from './channel';
import { capReached, issuanceRateLimited, SlidingWindowLimiter } from './limits';
import { createdTokenView, createTokenInput, rotateTokenInput, tokenUsageView, tokenView, updateTokenInput, usageQuery, type CreatedTokenView, type TokenUsageView, type TokenView } from './schemas';

/** Who is acting, as established by the portal session or a directly accepted credential. */
export interface Actor {
  userId: string;
  realm: string;
  username: string;
  isAdmin: boolean;
  clientAddress?: string;
  userAgent?: string;
}

export interface TokenServiceDeps {
  database: Database;
  config: Pick<Config, 'tokens'>;
  catalog: ScopeCatalog;
  /** A user's roles as a token of theirs would carry them: from their last sign-in, plus the realm's augmenters. */
  rolesOf: (owner: Pick<UserRow, 'realm' | 'username' | 'roles' | 'attributes'>) => Promise<string[]>;
}

export { TOKENS_CHANNEL } from './channel';

const actorName = (actor: Actor) => `${actor.realm}/${actor.username}`;

export function statusOf(token: Pick<TokenRow, 'revokedAt' | 'expiresAt'>, now = new Date()): TokenStatus {
  if (token.revokedAt) return 'revoked';
  return token.expiresAt <= now ? 'expired' : 'active';
}

function toView({ token, owner }: TokenWithOwner, prefix: string): TokenView {
  return tokenView.parse({
    id: token.id,
    name: token.name,
    description: token.description,
    scopes: token.scopes,
    status: statusOf(token),
    owner: { realm: owner.realm, username: owner.username },
    created_at: token.createdAt.toISOString(),
    created_by: token.createdBy,
    expires_at: token.expiresAt.toISOString(),
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
    last_used_address: token.lastUsedAddress,
    revoked_at: token.revokedAt?.toISOString() ?? null,
    revoked_by: token.revokedBy,
    rotated_from: token.rotatedFrom,
    rotated_at: token.rotatedAt?.toISOString() ?? null,
    previous_secret_expires_at: token.previousSecretUntil && token.previousSecretUntil > new Date() ? token.previousSecretUntil.toISOString() : null,
    restrictions: token.restrictions,
    display: `${prefix}_${token.id}_…`,
  });
}

export class TokenService {
  /** New secrets (creations and rotations) per acting user: each costs an argon2 hash. In this process's memory (see the class). */
  private readonly issuance: SlidingWindowLimiter;

  constructor(private readonly deps: TokenServiceDeps) {
    this.issuance = new SlidingWindowLimiter(deps.config.tokens.creations_per_minute);
  }

  private get db() {
    return this.deps.database.db;
  }

  private get prefix() {
    return this.deps.config.tokens.prefix;
  }

  /** Creates a token for the actor, or (admins) for `ownerId`. The secret is returned here and never again. */
  async create(actor: Actor, body: unknown, ownerId = actor.userId): Promise<CreatedTokenView> {
    const input = createTokenInput.parse(body);
    const unknown = input.scopes.filter((s) => !this.deps.catalog.has(s));
    if (unknown.length > 0) throw new AppError('invalid_input', 'unknown scopes', { fields: { scopes: unknown.map((s) => `unknown scope "${s}"`) } });
    const expiresAt = this.expiryOf(input.expires_in, input.expires_at);
    const owner = ownerId === actor.userId ? undefined : await this.ownerForAdmin(actor, ownerId);
    const whose = owner ? `${owner.realm}/${owner.username}` : undefined;
    // A token only ever carries what its owner's roles allow: picking more is refused, not silently dropped.
    const roles = await this.deps.rolesOf(owner ?? (await this.ownerRow(actor.userId)));
    const refused = this.deps.catalog.refused(input.scopes, roles);
    if (refused.length > 0) {
      throw new AppError('invalid_input', `scopes not allowed by ${owner ? "the owner's" : 'your'} roles: ${refused.join(', ')}`, {
        fields: {
          scopes: refused.map(
            (s) =>
              `"${s}" needs one of the roles ${this.deps.catalog
                .list()
                .find((e) => `${e.service}:${e.name}` === s)
                ?.rolesAny?.join(', ')}`,
          ),
        },
      });
    }
    const restrictions = normalizeRestrictions(input.restrictions);
    // Cheap refusals first, then the argon2 hash; the insert checks the cap again under the owner's lock.
    const { max_per_user: maxActive } = this.deps.config.tokens;
    const activeNow = await countActiveTokens(this.db, ownerId);
    if (activeNow >= maxActive) throw capReached(activeNow, maxActive, whose);
    this.takeIssuance(actor);

    const id = newTokenId();
    const { token, secret } = newToken(this.prefix, id);
    const result = await insertToken(
      this.db,
      {
        id,
        ownerId,
        name: input.name,
        description: input.description ?? null,
        scopes: [...new Set(input.scopes)],
        restrictions,
        ...(await this.storedSecret(secret)),
        expiresAt,
        createdBy: actorName(actor),
      },
      this.audit(actor, owner ? 'token.create_for_user' : 'token.create', whose ?? actorName(actor), id, { name: input.name, scopes: input.scopes, expires_at: expiresAt.toISOString(), restrictions }),
      maxActive,
    );
    if (!result.written) throw capReached(result.active, maxActive, whose);
    const { row } = result;
    const ownerRef = owner ?? { id: actor.userId, realm: actor.realm, username: actor.username };
    return createdTokenView.parse({
      token: toView({ token: row, owner: ownerRef }, this.prefix),
      secret: token,
      warning: 'Copy this token now: it is shown once and cannot be recovered.',
    });
  }

  /** The catalog scopes the actor's roles allow them to pick (the portal's scope picker). */
  async pickableScopes(actor: Actor): Promise<ScopeEntry[]> {
    const roles = await this.deps.rolesOf(await this.ownerRow(actor.userId));
    return this.deps.catalog.list().filter((entry) => this.deps.catalog.allows(`${entry.service}:${entry.name}`, roles));
  }

  /**
   * A page of the actor's tokens (admins: everyone's with `all`). A whole token value as `search`
   * finds that token by its id: only the id is used, the secret is neither checked nor kept.
   */
  async list(actor: Actor, filter: { all?: boolean; search?: string; status?: TokenStatus } = {}, window: PageWindow = { offset: 0, limit: 50 }): Promise<{ tokens: TokenView[]; total: number }> {
    if (filter.all && !actor.isAdmin) throw new AppError('forbidden', 'only admins can list every token');
    const search = filter.search ? (parseToken(this.prefix, filter.search)?.id ?? filter.search) : undefined;
    const { rows, total } = await listTokenRows(this.db, { ownerId: filter.all ? undefined : actor.userId, search, status: filter.status }, window);
    return { tokens: rows.map((row) => toView(row, this.prefix)), total };
  }

  async get(actor: Actor, id: string): Promise<TokenView> {
    return toView(await this.visible(actor, id), this.prefix);
  }

  /** Requests per hour and latest client addresses; `since` (ISO) within the 30 days kept, else all of them. */
  async usage(actor: Actor, id: string, query: { since?: string } = {}): Promise<TokenUsageView> {
    const { since } = usageQuery.parse(query);
    await this.visible(actor, id);
    const oldest = Date.now() - USAGE_RETENTION_MS;
    const from = since ? new Date(Math.max(new Date(since).getTime(), oldest)) : undefined;
    return tokenUsageView.parse({ token_id: id, ...(await tokenUsage(this.db, id, { since: from })) });
  }

  /** Revoking twice is harmless: the second call reports the token as it is. */
  async revoke(actor: Actor, id: string): Promise<TokenView> {
    const existing = await this.visible(actor, id);
    const target = `${existing.owner.realm}/${existing.owner.username}`;
    const revoked = await revokeTokenRow(this.db, id, actorName(actor), this.audit(actor, 'token.revoke', target, id, { name: existing.token.name }));
    if (revoked) await this.deps.database.notify(TOKENS_CHANNEL, `token:${id}`);
    return toView({ token: revoked ?? existing.token, owner: existing.owner }, this.prefix);
  }

  /**
   * A new secret for the same token (same id, name, scopes, restrictions, history). The previous
   * secret keeps working for the grace period chosen (`0`: not at all); one kept from an earlier
   * rotation ends now.
   */
  async rotate(actor: Actor, id: string, body: unknown): Promise<CreatedTokenView> {
    const { grace_period: grace } = rotateTokenInput.parse(body ?? {});
    const existing = await this.visible(actor, id);
    if (statusOf(existing.token) !== 'active') throw new AppError('conflict', `the token is ${statusOf(existing.token)} and cannot be rotated`);
    const graceSeconds = grace === '0' ? 0 : (parseDurationSeconds(grace) ?? 0);
    if (graceSeconds > 30 * 86400) throw new AppError('invalid_input', 'grace period too long', { fields: { grace_period: ['at most 30d'] } });
    this.takeIssuance(actor);

    const key = await fingerprintKey(this.deps.database);
    const current = existing.token.secretFingerprint;
    // The gateway tells the two secrets of a grace period apart by fingerprint: they must differ.
    let fresh = newToken(this.prefix, id);
    while (current !== null && secretFingerprint(key, fresh.secret) === current) fresh = newToken(this.prefix, id);
    const whose = `${existing.owner.realm}/${existing.owner.username}`;
    // On a whole second: a credential's expiry is kept in seconds (JWT `exp`), so the grace ends exactly then.
    const previousUntil = graceSeconds > 0 ? new Date(Math.ceil(Date.now() / 1000 + graceSeconds) * 1000) : null;
    const row = await rotateTokenSecret(
      this.db,
      id,
      { secretHash: await hashSecret(fresh.secret, this.deps.config.tokens.hash), secretFingerprint: secretFingerprint(key, fresh.secret), previousUntil },
      this.audit(actor, 'token.rotate', whose, id, { name: existing.token.name, grace_seconds: graceSeconds, previous_secret_until: previousUntil?.toISOString() ?? null }),
    );
    if (!row) throw new AppError('conflict', 'the token is no longer active and cannot be rotated');
    // Every replica forgets what it remembered of this token's secrets; the grace period's own end needs no message.
    await this.deps.database.notify(TOKENS_CHANNEL, `token:${id}`);
    return createdTokenView.parse({
      token: toView({ token: row, owner: existing.owner }, this.prefix),
      secret: fresh.token,
      warning: 'Copy this token now: it is shown once and cannot be recovered.',
    });
  }

  /** Changes what can be edited after creation (restrictions) of an active token, owner or admin; audited, and every replica drops what it cached. */
  async update(actor: Actor, id: string, body: unknown): Promise<TokenView> {
    const input = updateTokenInput.parse(body ?? {});
    const existing = await this.visible(actor, id);
    // A revoked or expired token is history: what it was limited to stays as it was.
    if (statusOf(existing.token) !== 'active') throw new AppError('conflict', `the token is ${statusOf(existing.token)} and its restrictions cannot be changed`);
    const restrictions = normalizeRestrictions(input.restrictions);
    const whose = `${existing.owner.realm}/${existing.owner.username}`;
    const row = await updateTokenRestrictions(this.db, id, restrictions, this.audit(actor, 'token.update', whose, id, { name: existing.token.name, restrictions }));
    if (!row) throw new AppError('not_found', 'no such token');
    await this.deps.database.notify(TOKENS_CHANNEL, `token:${id}`);
    return toView({ token: row, owner: existing.owner }, this.prefix);
  }

  /**
   * Admins: a token by its id or by its whole value. A value counts only when its secret matches the
   * one stored (or the previous one, in a grace period): only hashes are kept, so the id is looked up and the secret verified.
   */
  async lookup(actor: Actor, query: string): Promise<TokenView & { matched_by: 'id' | 'value' }> {
    if (!actor.isAdmin) throw new AppError('forbidden', 'only admins can look tokens up');
    const q = query.trim();
    const parsed = parseToken(this.prefix, q);
    if (!parsed) return { ...(await this.get(actor, q)), matched_by: 'id' };
    const found = await getTokenWithOwner(this.db, parsed.id);
    const hashes = found ? [found.token.secretHash, ...(found.token.previousSecretHash ? [found.token.previousSecretHash] : [])] : [];
    for (const hash of hashes) if (await verifySecret(hash, parsed.secret)) return { ...toView(found as TokenWithOwner, this.prefix), matched_by: 'value' };
    throw new AppError('not_found', 'no token has this value');
  }

  /** Admins: revokes every active token of a user at once (one audit row per token), on every replica. */
  async revokeAllOf(actor: Actor, userId: string): Promise<{ user: string; revoked: number; tokens: string[] }> {
    if (!actor.isAdmin) throw new AppError('forbidden', 'only admins can revoke the tokens of other users');
    const owner = /^[0-9a-f-]{36}$/i.test(userId) ? await getUserById(this.db, userId) : undefined;
    if (!owner) throw new AppError('not_found', 'no such user');
    const whose = `${owner.realm}/${owner.username}`;
    const rows = await revokeTokensOfOwner(this.db, owner.id, actorName(actor), (row) => this.audit(actor, 'token.revoke', whose, row.id, { name: row.name, bulk: true }));
    if (rows.length > 0) await this.deps.database.notify(TOKENS_CHANNEL, `user:${owner.id}`);
    return { user: whose, revoked: rows.length, tokens: rows.map((r) => r.id) };
  }

  /** What is kept of a new secret: its argon2id hash with the token parameters, and its fingerprint. */
  private async storedSecret(secret: string): Promise<{ secretHash: string; secretFingerprint: number }> {
    const [secretHash, key] = await Promise.all([hashSecret(secret, this.deps.config.tokens.hash), fingerprintKey(this.deps.database)]);
    return { secretHash, secretFingerprint: secretFingerprint(key, secret) };
  }

  /** Counts a new secret for the acting user (whoever the token is for), or refuses before any hashing. */
  private takeIssuance(actor: Actor): void {
    const decision = this.issuance.take(actor.userId);
    if (!decision.allowed) throw issuanceRateLimited(this.deps.config.tokens.creations_per_minute, decision.retryAfterSeconds);
  }

  /** Another user's token looks exactly like a missing one, so ids cannot be probed. */
  private async visible(actor: Actor, id: string): Promise<TokenWithOwner> {
    const found = /^[0-9A-Za-z]{1,64}$/.test(id) ? await getTokenWithOwner(this.db, id) : undefined;
    if (!found || (!actor.isAdmin && found.owner.id !== actor.userId)) throw new AppError('not_found', 'no such token');
    return found;
  }

  private async ownerForAdmin(actor: Actor, ownerId: string) {
    if (!actor.isAdmin) throw new AppError('forbidden', 'only admins can create tokens for other users');
    const owner = await getUserById(this.db, ownerId);
    if (!owner) throw new AppError('invalid_input', 'unknown user', { fields: { user: ['no such user'] } });
    return owner;
  }

  private async ownerRow(userId: string): Promise<UserRow> {
    const row = await getUserById(this.db, userId);
    if (!row) throw new AppError('unauthorized', 'your account is unknown: sign in again');
    return row;
  }

  private expiryOf(expiresIn: string | undefined, expiresAt: string | undefined): Date {
    const { max_lifetime: max, default_lifetime: fallback } = this.deps.config.tokens;
    const now = Date.now();
    const at = expiresAt ? new Date(expiresAt).getTime() : now + (expiresIn ? (parseDurationSeconds(expiresIn) ?? fallback) : fallback) * 1000;
    const field = expiresAt ? 'expires_at' : 'expires_in';
    if (at <= now) throw new AppError('invalid_input', 'expiry in the past', { fields: { [field]: ['must be in the future'] } });
    if (at > now + max * 1000 + 60_000) throw new AppError('invalid_input', 'expiry too far', { fields: { [field]: [`at most ${Math.floor(max / 86400)} days from now (tokens.max_lifetime)`] } });
    return new Date(Math.min(at, now + max * 1000));
  }

  private audit(actor: Actor, action: string, targetUser: string, tokenId: string, details: Record<string, unknown>) {
    return { actor: actorName(actor), action, targetUser, tokenId, clientAddress: actor.clientAddress ?? null, userAgent: actor.userAgent ?? null, details };
  }
}
