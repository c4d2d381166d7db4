import { z } from 'zod';
import { frozenIdentity } from '../gateway/identity';
import { andThen, type MaybePromise } from '../gateway/maybe';
import type { ProviderConfig } from '../config/schema';
import { SingleFlightCache, type Step } from '../http/cache';
import { requestJson } from '../http/client';
import { endpointName, failureStep, outcomeOf } from '../http/outcome';
import type { Credential, Identity, Provider, ProviderContext, ProviderOutcome } from '../gateway/types';
import { accept } from '../gateway/outcomes';

type EfasApiConfig = Extract<ProviderConfig, { type: 'efas-api' }>;

const userDetails = z.object({
  username: z.string().min(1),
  roles: z.array(z.string()).nullish(),
  email: z.string().nullish(),
});

export const EFAS_API_TTL_MS = 60_000;

/** EFAS API keys, checked with `GET {uri}?token=<key>` answering `{username, roles?, email?}`. */
export class EfasApiProvider implements Provider {
  readonly type = 'efas-api';
  readonly schemes = ['Bearer'] as const;
  readonly name: string;
  /** The configured realm, for the identity AND for realm selection (auth-o-tron reported a hard-coded "efas"). */
  readonly realm: string;
  private readonly cache = new SingleFlightCache<Identity>({ ttlMs: EFAS_API_TTL_MS });

  constructor(
    private readonly config: EfasApiConfig,
    private readonly timeoutMs: number,
  ) {
    this.name = config.name;
    this.realm = config.realm;
  }

  verify(credential: Credential, context: ProviderContext): MaybePromise<ProviderOutcome> {
    return andThen(
      this.cache.get(credential.key, () => this.lookup(credential.value), context.signal),
      (step) => (step.status === 'ok' ? accept(step.value) : outcomeOf(step)),
    );
  }

  private async lookup(token: string): Promise<Step<Identity>> {
    const url = new URL(this.config.uri);
    url.searchParams.set('token', token);
    const result = await requestJson({ url: url.toString(), schema: userDetails, timeoutMs: this.timeoutMs });
    if (!result.ok) return failureStep(result, endpointName(this.config.uri), [401, 403]);
    const { username, roles, email } = result.data;
    return { status: 'ok', value: frozenIdentity({ username, realm: this.realm, roles: [...new Set(roles ?? [])], attributes: email ? { email } : {} }) };
  }
}
