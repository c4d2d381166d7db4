import { z } from 'zod';
import { frozenIdentity } from '../gateway/identity';
import { andThen, type MaybePromise } from '../gateway/maybe';
import type { ProviderConfig } from '../config/schema';
import { SingleFlightCache, type Step } from '../http/cache';
import { requestJson } from '../http/client';
import { endpointName, failureStep, joinUrl, outcomeOf } from '../http/outcome';
import type { Credential, Identity, Provider, ProviderContext, ProviderOutcome } from '../gateway/types';
import { accept } from '../gateway/outcomes';

type EcmwfApiConfig = Extract<ProviderConfig, { type: 'ecmwf-api' }>;

const whoAmI = z.object({ uid: z.string().min(1), email: z.string().nullish() });

/** auth-o-tron's TTL for who-am-i answers. */
export const ECMWF_API_TTL_MS = 60_000;

/** ECMWF API keys, checked with `GET {uri}/who-am-i?token=<key>`; 401/403 mean "not a valid key". */
export class EcmwfApiProvider implements Provider {
  readonly type = 'ecmwf-api';
  readonly schemes = ['Bearer'] as const;
  readonly name: string;
  readonly realm: string;
  private readonly endpoint: string;
  private readonly cache = new SingleFlightCache<Identity>({ ttlMs: ECMWF_API_TTL_MS });

  constructor(
    config: EcmwfApiConfig,
    private readonly timeoutMs: number,
  ) {
    this.name = config.name;
    this.realm = config.realm;
    this.endpoint = joinUrl(config.uri, 'who-am-i');
  }

  verify(credential: Credential, context: ProviderContext): MaybePromise<ProviderOutcome> {
    return andThen(
      this.cache.get(credential.key, () => this.whoAmI(credential.value), context.signal),
      (step) => (step.status === 'ok' ? accept(step.value) : outcomeOf(step)),
    );
  }

  private async whoAmI(token: string): Promise<Step<Identity>> {
    const url = new URL(this.endpoint);
    url.searchParams.set('token', token); // encoded (auth-o-tron pasted the key into the URL as is)
    const result = await requestJson({ url: url.toString(), schema: whoAmI, timeoutMs: this.timeoutMs });
    if (!result.ok) return failureStep(result, endpointName(this.endpoint), [401, 403]);
    const { uid, email } = result.data;
    // The key itself is never an attribute (auth-o-tron once copied it into the JWT as `ecmwf-apikey`).
    const attributes: Record<string, string> = email ? { email, 'ecmwf-email': email } : {};
    return { status: 'ok', value: frozenIdentity({ username: uid, realm: this.realm, roles: [], attributes }) };
  }
}
