import 'server-only';
import { z } from 'zod';
import type { Database } from '../../db/client';
import { revokeToken } from '../../db/tokens';
import { AppError } from '../errors';
import type { Gateway } from '../gateway/gateway';
import type { User } from '../gateway/types';
import type { TokensProvider } from '../providers/tokens';
import { TOKENS_CHANNEL } from './channel';

/** Who acts in the audit log when a token is revoked by presenting it (RFC 7009). */
export const TOKEN_HOLDER = 'token-holder';
export const MAX_REVOKED_AT_ONCE = 1000;

/** `POST /api/revoke`: one token (`token`, form or JSON, RFC 7009) or up to 1,000 (`tokens`, JSON). */
export const revokeOneInput = z.strictObject({ token: z.string().max(1000), token_type_hint: z.string().max(100).optional() });
export const revokeManyInput = z.strictObject({ tokens: z.array(z.string().max(1000)).min(1).max(MAX_REVOKED_AT_ONCE, `at most ${MAX_REVOKED_AT_ONCE} tokens a request`) });

/** The presented values, each once; the body's shape decides which form it is, so errors name its fields. */
function presentedTokens(body: unknown): string[] {
  const many = typeof body === 'object' && body !== null && 'tokens' in body;
  return [...new Set(many ? revokeManyInput.parse(body).tokens : [revokeOneInput.parse(body).token])];
}

/** `POST /api/introspect` (RFC 7662). */
export const introspectInput = z.strictObject({ token: z.string().max(1000), token_type_hint: z.string().max(100).optional() });

export const activeIntrospection = z.object({
  active: z.literal(true),
  token_type: z.literal('opaque'),
  sub: z.string(),
  username: z.string(),
  realm: z.string(),
  scope: z.string(),
  exp: z.number().int(),
  iat: z.number().int(),
  roles: z.array(z.string()),
});
export type Introspection = z.infer<typeof activeIntrospection> | { active: false };
const INACTIVE: Introspection = Object.freeze({ active: false });

export interface TokenHoldersDeps {
  database: Database;
  gateway: Gateway;
  /** The `tokens` provider, when one is configured: it checks every presented secret. */
  provider: TokensProvider | undefined;
  introspectRoles: readonly string[];
}

export interface HolderContext {
  clientAddress?: string;
  userAgent?: string;
}

// Presented tokens are checked a few at a time: each may cost an argon2 verification (bounded by the lanes).
const CONCURRENCY = 8;

/**
 * What a token's value alone allows: revoking it (whoever holds a leaked token can end it), and
 * introspection for services that are not behind the proxy. Every value is checked exactly as the
 * gateway checks it (TokensProvider.holderOf): a token id alone, or a wrong secret, does nothing.
 */
export class TokenHolders {
  constructor(private readonly deps: TokenHoldersDeps) {}

  /** Revokes each presented token that is valid (a suspended owner's too); says nothing about which were (never an oracle). */
  async revoke(body: unknown, context: HolderContext): Promise<void> {
    const presented = presentedTokens(body);
    const { provider } = this.deps;
    if (!provider) return;
    for (let i = 0; i < presented.length; i += CONCURRENCY) {
      await Promise.all(presented.slice(i, i + CONCURRENCY).map((token) => this.revokeOne(provider, token, context)));
    }
  }

  private async revokeOne(provider: TokensProvider, token: string, context: HolderContext): Promise<void> {
    await this.revokeHeld(provider, token, { actor: TOKEN_HOLDER, details: { via: 'rfc7009' }, ...context });
  }

  /**
   * Revokes the token whose whole value is `token`, checked exactly as the gateway checks it (a
   * previous secret still in its grace period, a suspended owner's token count too). The token's id
   * and owner when the value was a real token (revoked now, or meanwhile by a concurrent request).
   */
  async revokeByValue(token: string, audit: HolderContext & { actor: string; details: Record<string, unknown> }): Promise<{ tokenId: string; targetUser: string } | undefined> {
    const { provider } = this.deps;
    return provider ? this.revokeHeld(provider, token, audit) : undefined;
  }

  private async revokeHeld(provider: TokensProvider, token: string, audit: HolderContext & { actor: string; details: Record<string, unknown> }) {
    const held = await provider.holderOf(token, audit.clientAddress);
    if (held.status === 'unavailable') throw new AppError('unavailable', 'the token store could not answer; try again');
    if (held.status !== 'valid') return undefined;
    const { username, realm } = held.identity;
    const targetUser = `${realm}/${username}`;
    const revoked = await revokeToken(this.deps.database.db, held.tokenId, audit.actor, {
      actor: audit.actor,
      action: 'token.revoke',
      targetUser,
      tokenId: held.tokenId,
      clientAddress: audit.clientAddress ?? null,
      userAgent: audit.userAgent ?? null,
      details: audit.details,
    });
    if (revoked) await this.deps.database.notify(TOKENS_CHANNEL, `token:${held.tokenId}`);
    return { tokenId: held.tokenId, targetUser };
  }

  /** Whether `caller` (authenticated by the gateway) may introspect: a role in `tokens.introspect_roles`. */
  mayIntrospect(caller: User): boolean {
    return caller.roles.some((role) => this.deps.introspectRoles.includes(role));
  }

  /** RFC 7662: the token's owner as the gateway would pass them on; anything not active is exactly `{active: false}`. */
  async introspect(body: unknown, context: HolderContext): Promise<Introspection> {
    const { token } = introspectInput.parse(body);
    const { provider, gateway } = this.deps;
    if (!provider) return INACTIVE;
    const held = await provider.holderOf(token, context.clientAddress);
    if (held.status === 'unavailable') throw new AppError('unavailable', 'the token store could not answer; try again');
    if (held.status !== 'valid' || held.suspended) return INACTIVE;
    // Restrictions are checked against the request a proxy names; an introspecting service names none,
    // so a restricted token is not active to it (fail closed) rather than active everywhere.
    if (held.identity.restrictions) return INACTIVE;
    const result = await gateway.complete(provider, held.identity);
    if (result.kind !== 'authenticated' || gateway.isDisabled(result.user)) return INACTIVE;
    const { user } = result;
    return activeIntrospection.parse({
      active: true,
      token_type: 'opaque',
      sub: `${user.realm}-${user.username}`,
      username: user.username,
      realm: user.realm,
      scope: Object.entries(user.scopes)
        .flatMap(([service, names]) => names.map((name) => `${service}:${name}`))
        .join(' '),
      exp: held.identity.expiresAt,
      iat: held.issuedAt,
      roles: user.roles,
    });
  }
}
