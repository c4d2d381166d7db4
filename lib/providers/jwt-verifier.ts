import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { ASYMMETRIC_ALGORITHMS } from '../config/schema';
import { LRUCache } from 'lru-cache';
import { describeError } from '../errors';
import { credentialKey } from '../crypto/secrets';
import { frozenIdentity } from '../gateway/identity';
import type { MaybePromise } from '../gateway/maybe';
import type { Identity, ProviderOutcome } from '../gateway/types';
import { rolesFromClaims, usernameFromClaims } from '../claims';
import { accept, refuseForm, refuseSecret, unavailable } from '../gateway/outcomes';

export interface JwtVerifierOptions {
  certUri: string;
  realm: string;
  issuer?: string;
  audience?: string | string[];
  algorithms?: string[];
  rolesClaim?: string;
  usernameClaim?: string;
  /** Whose client roles (`resource_access.<client>.roles`) count; none when empty. */
  clientIds?: readonly string[];
  timeoutMs: number;
}

/** The JWT-checking keys every JWT-based provider's config shares. */
export interface JwtCheckConfig {
  realm: string;
  cert_uri?: string;
  issuer?: string;
  audience?: string | string[];
  algorithms?: string[];
  roles_claim?: string;
  username_claim?: string;
}

/**
 * A verifier for a provider's config; `certUri` when the JWKS address comes from elsewhere
 * (discovery). Client roles are read for the configured `audience` (the tokens are checked to be for
 * it), else for `clientId` (the provider's own client), else for no client.
 */
export function verifierFor(config: JwtCheckConfig, timeoutMs: number, certUri = config.cert_uri ?? '', clientId?: string): JwtVerifier {
  const audience = config.audience === undefined ? [] : [config.audience].flat();
  return new JwtVerifier({
    certUri,
    realm: config.realm,
    issuer: config.issuer,
    audience: config.audience,
    algorithms: config.algorithms,
    rolesClaim: config.roles_claim,
    usernameClaim: config.username_claim,
    clientIds: audience.length > 0 ? audience : clientId ? [clientId] : [],
    timeoutMs,
  });
}

const VERIFIED_TTL_MS = 60_000;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** jose's verdicts about a token itself (refuse it); anything else from jose is the JWKS endpoint failing us (503). */
export const TOKEN_ERROR_CODES: ReadonlySet<string> = new Set([
  errors.JWTExpired.code,
  errors.JWTClaimValidationFailed.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JWSInvalid.code,
  errors.JWTInvalid.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
  errors.JWKInvalid.code,
]);

// Claims that describe the token rather than the person; the rest become attributes (auth-o-tron did the same).
const NON_ATTRIBUTE_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'azp',
  'sid',
  'session_state',
  'nonce',
  'at_hash',
  'c_hash',
  'auth_time',
  'acr',
  'amr',
  'typ',
  'scope',
  'realm_access',
  'resource_access',
  'entitlements',
  'allowed-origins',
]);

/** Verifies JWTs against a remote JWKS (asymmetric algorithms only) and maps their claims to an identity. */
export class JwtVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  private readonly verified = new LRUCache<string, Identity>({ max: 20_000, ttl: VERIFIED_TTL_MS });
  readonly certUri: string;

  constructor(private readonly options: JwtVerifierOptions) {
    this.certUri = options.certUri;
    this.jwks = createRemoteJWKSet(new URL(options.certUri), {
      timeoutDuration: options.timeoutMs,
      cooldownDuration: 30_000, // an unknown kid refetches at most once per 30 s
      cacheMaxAge: 600_000,
    });
  }

  /**
   * A compact JWS, from the configured issuer when there is one: the only tokens worth verifying.
   * `key` (the token's cache key) lets a token verified recently skip reading its issuer.
   */
  claims(token: string, key?: () => string): boolean {
    if (!COMPACT_JWS.test(token)) return false;
    if (!this.options.issuer || (key && this.verified.has(key()))) return true;
    // Another issuer's token is refused before any JWKS traffic (and without blaming an outage of ours).
    return unverifiedIssuer(token) === this.options.issuer;
  }

  /** Synchronous for a token verified recently; checked against the JWKS otherwise. */
  verify(token: string, key = credentialKey(token)): MaybePromise<ProviderOutcome> {
    // A signature that verified once verifies again until the token expires: skip the public-key work.
    const known = this.verified.get(key);
    if (known && (known.expiresAt ?? 0) * 1000 > Date.now()) return accept(known);
    if (!this.claims(token)) return refuseForm('not a JWT of this issuer');
    return this.verifyNow(token).then((outcome) => {
      const ttl = outcome.status === 'accepted' ? Math.min(VERIFIED_TTL_MS, (outcome.identity.expiresAt ?? 0) * 1000 - Date.now()) : 0;
      if (outcome.status === 'accepted' && ttl >= 1000) this.verified.set(key, outcome.identity, { ttl });
      return outcome;
    });
  }

  private async verifyNow(token: string): Promise<ProviderOutcome> {
    try {
      const { payload } = await jwtVerify(token, this.jwks, {
        algorithms: this.options.algorithms ?? [...ASYMMETRIC_ALGORITHMS],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: 30,
        requiredClaims: ['exp'],
      });
      const identity = this.identityFrom(payload);
      if (!identity) return refuseSecret(this.options.usernameClaim ? `JWT has no "${this.options.usernameClaim}" claim (username_claim)` : 'JWT has no preferred_username or sub');
      return accept(frozenIdentity(identity));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && TOKEN_ERROR_CODES.has(code)) return refuseSecret(`JWT refused: ${code}`);
      return unavailable(`JWKS ${this.options.certUri} unavailable: ${describeError(error)}`);
    }
  }

  private identityFrom(payload: JWTPayload): Identity | null {
    const username = usernameFromClaims(payload, this.options.usernameClaim);
    if (!username) return null;
    const scope = stringClaim(payload.scope);
    return {
      username,
      realm: this.options.realm,
      roles: rolesFromClaims(payload, this.options) ?? [],
      attributes: attributesFrom(payload),
      upstreamScopes: scope ? scope.split(/\s+/).filter(Boolean) : [],
      expiresAt: payload.exp,
    };
  }
}

function unverifiedIssuer(token: string): unknown {
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function attributesFrom(payload: JWTPayload): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (NON_ATTRIBUTE_CLAIMS.has(key) || value === null || value === undefined) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    attributes[key] = text.replace(/[\u0000-\u001f\u007f]/g, '');
  }
  return attributes;
}
