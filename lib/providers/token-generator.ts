import { decodeJwt } from 'jose';
import { z } from 'zod';
import type { ProviderConfig } from '../config/schema';
import { SingleFlightCache, type Step } from '../http/cache';
import { requestJson } from '../http/client';
import { endpointName, failureStep, joinUrl, msUntilExp, outcomeOf } from '../http/outcome';
import type { Credential, Provider, ProviderContext, ProviderOutcome } from '../gateway/types';
import { verifierFor, type JwtVerifier } from './jwt-verifier';

type TokenGeneratorConfig = Extract<ProviderConfig, { type: 'ecmwf-token-generator' }>;

const validation = z.object({ active: z.boolean().optional() });
const refreshed = z.object({ access_token: z.string().min(1) });

/** auth-o-tron's TTL for both calls (access tokens live 300 s). */
export const TOKEN_GENERATOR_TTL_MS = 240_000;

/**
 * Refresh tokens of ECMWF's token generator: `/validate-token` must call the token active, then
 * `/admin/refresh-access-token` exchanges it for an access token, which is checked as a JWT.
 */
export class TokenGeneratorProvider implements Provider {
  readonly type = 'ecmwf-token-generator';
  readonly schemes = ['Bearer'] as const;
  readonly name: string;
  readonly realm: string;
  private readonly verifier: JwtVerifier;
  // One entry per refresh token holds the access token: validation and exchange are cached together.
  private readonly cache = new SingleFlightCache<string>({ ttlMs: TOKEN_GENERATOR_TTL_MS });

  constructor(
    private readonly config: TokenGeneratorConfig,
    private readonly timeoutMs: number,
  ) {
    this.name = config.name;
    this.realm = config.realm;
    this.verifier = verifierFor(config, timeoutMs, config.cert_uri, config.client_id);
  }

  async verify(credential: Credential, context: ProviderContext): Promise<ProviderOutcome> {
    const step = await this.cache.get(credential.key, () => this.exchange(credential.value), context.signal);
    if (step.status !== 'ok') return outcomeOf(step);
    return this.verifier.verify(step.value); // its exp becomes the identity's expiresAt
  }

  private async exchange(token: string): Promise<Step<string>> {
    const validateUrl = joinUrl(this.config.token_generator_url, 'validate-token');
    const valid = await requestJson({
      url: validateUrl,
      method: 'POST',
      body: { token, client_id: this.config.client_id },
      schema: validation,
      timeoutMs: this.timeoutMs,
    });
    if (!valid.ok) return failureStep(valid, endpointName(validateUrl), [401, 403]);
    if (valid.data.active !== true) return { status: 'rejected', reason: 'token generator: token not active' };

    const refreshUrl = joinUrl(this.config.token_generator_url, 'admin/refresh-access-token');
    const exchanged = await requestJson({
      url: refreshUrl,
      method: 'POST',
      body: { client_id: this.config.client_id, client_secret: this.config.client_secret, refresh_token: token },
      schema: refreshed,
      timeoutMs: this.timeoutMs,
    });
    // 400/401/403 here: the generator refuses this refresh token (revoked between the two calls).
    if (!exchanged.ok) return failureStep(exchanged, endpointName(refreshUrl), [400, 401, 403]);
    const accessToken = exchanged.data.access_token;
    return { status: 'ok', value: accessToken, ttlMs: msUntilExp(expOf(accessToken)) };
  }
}

/** The unverified exp of a JWT, only to keep a cache entry from outliving it (verification happens later). */
export function expOf(token: string): number | undefined {
  try {
    return decodeJwt(token).exp;
  } catch {
    return undefined;
  }
}
