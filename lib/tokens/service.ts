import 'server-only';
import type { Database } from '../../db/client';
import type { PageWindow, TokenRow, TokenStatus, TokenWithOwner } from '../../db/tokens';
import { countActiveTokens, getTokenWithOwner, insertToken, listTokens as listTokenRows, revokeToken as revokeTokenRow, rotateToken as rotateTokenRow } from '../../db/tokens';
import { getUserById } from '../../db/users';
import type { Config } from '../config/schema';
import { parseDurationSeconds } from '../config/duration';
import { hashSecret } from '../crypto/secrets';
import { AppError } from '../errors';
import { fingerprintKey, secretFingerprint } from './fingerprint';
import { newToken, newTokenId, parseToken } from './format';
import { TOKENS_CHANNEL } from './channel';
import { capReached, issuanceRateLimited, SlidingWindowLimiter } from './limits';
import { createdTokenView, createTokenInput, rotateTokenInput, tokenView, type CreatedTokenView, type TokenView } from './schemas';

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
  config: Pick<Config, 'tokens' | 'services'>;
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
    const invalid = input.scopes.filter((s) => !this.catalog().has(s));
    if (invalid.length > 0) throw new AppError('invalid_input', 'unknown scopes', { fields: { scopes: invalid.map((s) => `unknown scope "${s}"`) } });
    const expiresAt = this.expiryOf(input.expires_in, input.expires_at);
    const owner = ownerId === actor.userId ? undefined : await this.ownerForAdmin(actor, ownerId);
    const whose = owner ? `${owner.realm}/${owner.username}` : undefined;
    // Cheap refusals first, then the argon2 hash; the insert checks the cap again under the owner's lock.
    const { max_per_user: maxActive } = this.deps.config.tokens;
    const activeNow = await countActiveTokens(this.db, ownerId);
    if (activeNow >= maxActive) throw capReached(activeNow, maxActive, whose);
    this.takeIssuance(actor);

    const id = newTokenId();
    const { token, secret } = newToken(this.prefix, id);
    const result = await insertToken(
      this.db,
      { id, ownerId, name: input.name, description: input.description ?? null, scopes: [...new Set(input.scopes)], ...(await this.storedSecret(secret)), expiresAt, createdBy: actorName(actor) },
      this.audit(actor, owner ? 'token.create_for_user' : 'token.create', whose ?? actorName(actor), id, { name: input.name, scopes: input.scopes, expires_at: expiresAt.toISOString() }),
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

  /** Revoking twice is harmless: the second call reports the token as it is. */
  async revoke(actor: Actor, id: string): Promise<TokenView> {
    const existing = await this.visible(actor, id);
    const target = `${existing.owner.realm}/${existing.owner.username}`;
    const revoked = await revokeTokenRow(this.db, id, actorName(actor), this.audit(actor, 'token.revoke', target, id, { name: existing.token.name }));
    if (revoked) await this.deps.database.notify(TOKENS_CHANNEL, `token:${id}`);
    return toView({ token: revoked ?? existing.token, owner: existing.owner }, this.prefix);
  }

  async rotate(actor: Actor, id: string, body: unknown): Promise<CreatedTokenView> {
    const { grace_period: grace } = rotateTokenInput.parse(body ?? {});
    const existing = await this.visible(actor, id);
    if (statusOf(existing.token) !== 'active') throw new AppError('conflict', `the token is ${statusOf(existing.token)} and cannot be rotated`);
    const graceSeconds = grace === '0' ? 0 : (parseDurationSeconds(grace) ?? 0);
    if (graceSeconds > 30 * 86400) throw new AppError('invalid_input', 'grace period too long', { fields: { grace_period: ['at most 30d'] } });
    this.takeIssuance(actor);

    const newId = newTokenId();
    const { token, secret } = newToken(this.prefix, newId);
    const old = existing.token;
    const whose = `${existing.owner.realm}/${existing.owner.username}`;
    const maxActive = this.deps.config.tokens.max_per_user;
    const result = await rotateTokenRow(
      this.db,
      id,
      {
        id: newId,
        ownerId: old.ownerId,
        name: old.name,
        description: old.description,
        scopes: old.scopes,
        ...(await this.storedSecret(secret)),
        expiresAt: old.expiresAt,
        createdBy: actorName(actor),
        rotatedFrom: id,
      },
      new Date(Date.now() + graceSeconds * 1000),
      this.audit(actor, 'token.rotate', whose, id, { name: old.name, new_token_id: newId, grace_seconds: graceSeconds }),
      maxActive,
    );
    // Only a token that was already replaced can be refused: a second replacement adds a token.
    if (!result.written) throw capReached(result.active, maxActive, existing.owner.id === actor.userId ? undefined : whose);
    const { row } = result;
    await this.deps.database.notify(TOKENS_CHANNEL, `token:${id}`);
    return createdTokenView.parse({ token: toView({ token: row, owner: existing.owner }, this.prefix), secret: token, warning: 'Copy this token now: it is shown once and cannot be recovered.' });
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

  private catalog(): Set<string> {
    return new Set(this.deps.config.services.flatMap((s) => s.scopes.map((scope) => `${s.name}:${scope}`)));
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
