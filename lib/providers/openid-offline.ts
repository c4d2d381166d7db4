import { z } from 'zod';
import type { ProviderConfig } from '../config/schema';
import { SingleFlightCache, type Step } from '../http/cache';
import { requestJson } from '../http/client';
import { endpointName, failureStep, joinUrl, msUntilExp, outcomeOf } from '../http/outcome';
import type { Credential, Provider, ProviderContext, ProviderOutcome } from '../gateway/types';
import { verifierFor, type JwtVerifier } from './jwt-verifier';
import { expOf } from './token-generator';

type OfflineConfig = Extract<ProviderConfig, { type: 'openid-offline' }>;

interface Endpoints {
  introspection: string;
  token: string;
  jwksUri: string;
}

const discoverySchema = z.object({
  issuer: z.string(),
  token_endpoint: z.url(),
  introspection_endpoint: z.url(),
  jwks_uri: z.url(),
});
const introspectionSchema = z.object({ active: z.boolean(), scope: z.string().nullish() });
const tokenSchema = z.object({ access_token: z.string().min(1) });

/** auth-o-tron's TTLs: introspection 120 s, refresh grant 10 s. */
export const INTROSPECTION_TTL_MS = 120_000;
export const REFRESH_TTL_MS = 10_000;
const DISCOVERY_TTL_MS = 3_600_000;

/**
 * Offline (refresh) tokens of an OpenID provider: introspection must call the token active with an
 * `offline_access` scope, the refresh grant turns it into an access token, which is checked as a JWT.
 * Endpoints follow Keycloak's layout under `iam_url`, or come from the `issuer`'s discovery document.
 */
export class OpenIdOfflineProvider implements Provider {
  readonly type = 'openid-offline';
  readonly schemes = ['Bearer'] as const;
  readonly name: string;
  readonly realm: string;
  private readonly introspections = new SingleFlightCache<true>({ ttlMs: INTROSPECTION_TTL_MS });
  private readonly exchanges = new SingleFlightCache<string>({ ttlMs: REFRESH_TTL_MS });
  private discovered: { at: number; endpoints: Promise<Step<Endpoints>> } | undefined;
  private verifier: JwtVerifier | undefined;

  constructor(
    private readonly config: OfflineConfig,
    private readonly timeoutMs: number,
  ) {
    this.name = config.name;
    this.realm = config.realm;
  }

  async verify(credential: Credential, context: ProviderContext): Promise<ProviderOutcome> {
    const token = credential.value;
    const endpoints = await this.endpoints();
    if (endpoints.status !== 'ok') return outcomeOf(endpoints);
    const active = await this.introspections.get(credential.key, () => this.introspect(endpoints.value, token), context.signal);
    if (active.status !== 'ok') return outcomeOf(active);
    const exchanged = await this.exchanges.get(credential.key, () => this.refresh(endpoints.value, token), context.signal);
    if (exchanged.status !== 'ok') return outcomeOf(exchanged);
    return this.verifierFor(endpoints.value.jwksUri).verify(exchanged.value); // exp → the identity's expiresAt
  }

  /** Introspection as the confidential client; only an EXACT `offline_access` scope counts (auth-o-tron matched a substring). */
  private async introspect(endpoints: Endpoints, token: string): Promise<Step<true>> {
    const result = await requestJson({
      url: endpoints.introspection,
      method: 'POST',
      headers: { Authorization: basicAuth(this.config.private_client_id, this.config.private_client_secret) },
      body: new URLSearchParams({ token, token_type_hint: 'refresh_token' }),
      schema: introspectionSchema,
      timeoutMs: this.timeoutMs,
    });
    // Our request is always the same, so a 400 is about the token (oidc-provider answers it for JWT
    // access tokens); a 401/403 means our client may not introspect: configuration, not a bad token.
    if (!result.ok) return failureStep(result, endpointName(endpoints.introspection), [400]);
    if (!result.data.active) return { status: 'rejected', reason: 'offline token not active' };
    const scopes = (result.data.scope ?? '').split(/\s+/);
    if (!scopes.includes('offline_access')) return { status: 'rejected', reason: 'token has no offline_access scope' };
    return { status: 'ok', value: true };
  }

  /**
   * The refresh grant as the public client the offline token was issued to (client_id in the form,
   * which is what Keycloak honoured in auth-o-tron's request); when both client ids are the same
   * client, it authenticates with the secret instead.
   */
  private async refresh(endpoints: Endpoints, token: string): Promise<Step<string>> {
    const { public_client_id: publicId, private_client_id: privateId, private_client_secret: secret } = this.config;
    const confidential = publicId === privateId;
    const result = await requestJson({
      url: endpoints.token,
      method: 'POST',
      headers: confidential ? { Authorization: basicAuth(privateId, secret) } : {},
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, ...(confidential ? {} : { client_id: publicId }) }),
      schema: tokenSchema,
      timeoutMs: this.timeoutMs,
    });
    // 400 is invalid_grant (revoked or expired since introspection); 401 invalid_client is our configuration.
    if (!result.ok) return failureStep(result, endpointName(endpoints.token), [400]);
    const accessToken = result.data.access_token;
    return { status: 'ok', value: accessToken, ttlMs: msUntilExp(expOf(accessToken)) };
  }

  private endpoints(): Promise<Step<Endpoints>> {
    const { iam_url: iamUrl, issuer } = this.config;
    if (iamUrl !== undefined) {
      const base = joinUrl(iamUrl, `realms/${encodeURIComponent(this.config.iam_realm ?? this.realm)}/protocol/openid-connect`);
      const token = `${base}/token`;
      return Promise.resolve({ status: 'ok', value: { token, introspection: `${token}/introspect`, jwksUri: this.config.cert_uri ?? `${base}/certs` } });
    }
    const now = Date.now();
    if (!this.discovered || now - this.discovered.at > DISCOVERY_TTL_MS) {
      const pending = this.discover(issuer ?? '');
      this.discovered = { at: now, endpoints: pending };
      // A failed discovery is retried on the next request, never remembered.
      void pending.then((step) => {
        if (step.status !== 'ok' && this.discovered?.endpoints === pending) this.discovered = undefined;
      });
    }
    return this.discovered.endpoints;
  }

  private async discover(issuer: string): Promise<Step<Endpoints>> {
    const url = joinUrl(issuer, '.well-known/openid-configuration');
    const result = await requestJson({ url, schema: discoverySchema, timeoutMs: this.timeoutMs });
    if (!result.ok) return failureStep(result, endpointName(url), []);
    if (result.data.issuer.replace(/\/+$/, '') !== issuer.replace(/\/+$/, '')) {
      return { status: 'unavailable', reason: `${endpointName(url)} names another issuer` };
    }
    const { token_endpoint: token, introspection_endpoint: introspection, jwks_uri: jwksUri } = result.data;
    return { status: 'ok', value: { token, introspection, jwksUri: this.config.cert_uri ?? jwksUri } };
  }

  private verifierFor(jwksUri: string): JwtVerifier {
    if (this.verifier?.certUri !== jwksUri) {
      this.verifier = verifierFor(this.config, this.timeoutMs, jwksUri, this.config.public_client_id);
    }
    return this.verifier;
  }
}

/** RFC 6749 2.3.1: client id and secret are form-encoded before base64. */
function basicAuth(id: string, secret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}
