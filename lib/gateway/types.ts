import type { MaybePromise } from './maybe';
import type { OriginalPart, OriginalRequest } from './original-request';

/**
 * Authentication schemes a credential can carry. `Other` is an unknown scheme no provider accepts.
 * `ClientCert` never comes from `Authorization`: it is the TLS client certificate a trusted proxy forwards.
 */
export type Scheme = 'Basic' | 'Bearer' | 'ClientCert' | 'Session' | 'Other';

/** One credential of a request (made by `presented` in ./credentials); what is derived from it is worked out once, on first use. */
export interface Credential {
  readonly scheme: Scheme;
  readonly value: string;
  /** Basic only: the decoded `user:password`; null when malformed or not Basic. */
  readonly basic: BasicCredential | null;
  /** The keyed hash of `value` that caches are keyed by (never the secret). */
  readonly key: string;
}

export interface BasicCredential {
  username: string;
  password: string;
}

/** What a provider vouches for; augmenters and the gateway complete it into a `User`. */
export interface Identity {
  username: string;
  realm: string;
  roles: string[];
  attributes: Record<string, string>;
  /** Scopes the credential is limited to; undefined means every scope of the catalog. */
  scopes?: Record<string, string[]>;
  /** Extra scopes reported by an upstream credential (auth-o-tron put them under the provider name). */
  upstreamScopes?: string[];
  /** Epoch seconds after which the credential itself is no longer valid. */
  expiresAt?: number;
  tokenId?: string;
  /** The credential's own limits (our tokens' restrictions), checked at every use. */
  restrictions?: UsageRestrictions;
}

/** Limits a credential carries on where it may be used; synchronous, so cached checks stay so. */
export interface UsageRestrictions {
  /**
   * The restriction the request falls outside of (`ips`, `methods`, `paths`, `hosts`), the part of
   * the original request a restriction needs and the proxy did not name, or undefined.
   */
  refusal(clientAddress: string | undefined, original: OriginalRequest | undefined): string | UnknownPart | undefined;
  /** For callers that ask who they are (whoami, introspection) and name no request: only `ips` applies. */
  identityRefusal(clientAddress: string | undefined): string | undefined;
}

/** A restriction needs this part of the original request, which the proxy did not name. */
export interface UnknownPart {
  unknown: OriginalPart;
}

/** Built with the helpers of `./outcomes` (accept, refuseForm, refuseSecret, unavailable), so no flag is left out. */
export type ProviderOutcome =
  | { status: 'accepted'; identity: Identity }
  /**
   * `offline`: refused on its form alone (not our format, bad checksum, malformed), before any secret
   * was checked: answered at once. Otherwise a checked secret was refused: answered after the failure delay.
   */
  | { status: 'rejected'; reason: string; offline: boolean }
  | { status: 'unavailable'; reason: string };

export interface ProviderContext {
  signal: AbortSignal;
  /** The client's address, worked out on demand (most checks never need it). */
  clientAddress?: () => string | undefined;
}

/** Where a request came from; worked out only when something asks. */
export interface RequestOrigin {
  /** The client's address (forwarded headers count only from trusted proxies). */
  clientAddress(): string | undefined;
  /** Proven to come from the proxy's auth location (`server.proxy_secret`), so its `X-SSL-Client-Cert` is believed. */
  fromAuthProxy(): boolean;
  /** A portal session cookie may act for this request (a safe method, or the same origin). */
  allowsSession(): boolean;
}

export interface Provider {
  readonly name: string;
  readonly type: string;
  /** The realm this provider's users belong to; `undefined` for providers whose users span realms. */
  readonly realm: string | undefined;
  readonly schemes: readonly Scheme[];
  /**
   * Whether the credential could be one of this provider's by its form alone (a JWT of its issuer,
   * the shape of our tokens…): cheap and synchronous. Unclaimed credentials are never verified, so
   * garbage costs no attempt; absent means every credential of `schemes` is claimed. Providers are
   * asked in config order, and one that accepts synchronously ends the check.
   */
  claims?(credential: Credential): boolean;
  /**
   * Checks a claimed credential: synchronously when the answer is in memory (no deadline needed),
   * else a promise. The identity returned is never modified by the gateway, so a provider may hand
   * out the same (cached) object for every request of one credential.
   */
  verify(credential: Credential, context: ProviderContext): MaybePromise<ProviderOutcome>;
  /** Connects what the provider needs (listeners, pools) before the first request. */
  start?(): Promise<void>;
  close?(): Promise<void>;
}

export interface AuthMethod {
  method: string;
  provider: string;
  token_id?: string;
}

export interface User {
  username: string;
  realm: string;
  roles: string[];
  attributes: Record<string, string>;
  scopes: Record<string, string[]>;
  expiresAt?: number;
  auth: AuthMethod;
  restrictions?: UsageRestrictions;
}

export interface Augmenter {
  readonly name: string;
  readonly type: string;
  readonly realm: string;
  /** Runs after the parallel ones so it can match roles they added (auth-o-tron's plain_advanced). */
  readonly sequential: boolean;
  /**
   * Reads nothing but the user and its own config (plain, plain_advanced): `augment` answers at once
   * and the same identity always ends as the same user, so a realm with only such augmenters keeps
   * the synchronous path and its answers stay cached by the provider's identity.
   */
  readonly static: boolean;
  augment(user: User, context: { signal: AbortSignal }): MaybePromise<void>;
  close?(): Promise<void>;
}

/** The HTTP request as the gateway sees it, independent of Node's or Next's request objects. */
export interface GatewayRequest {
  method: string;
  /** The path routed on (normalised when the target needed it), without the query. */
  path: string;
  /**
   * The request target exactly as received (path and query), when the server has it; absent, `path`
   * stands for it. Envoy's ext_authz names the original request in it, so it is read before any normalising.
   */
  target?: string;
  header(name: string): string | undefined;
  remoteAddress?: string;
}

export interface GatewayResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  /** `headers` as checked HTTP/1.1 lines, when they were prepared once for many answers (lib/gateway/answers.ts). */
  headerLines?: string;
  body: string;
}
