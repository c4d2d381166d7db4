import { constantTimeEqual } from '../crypto/secrets';
import { originMatchesHost } from '../http/same-origin';
import type { ClientAddressResolver } from './client-address';
import { namesOriginalInHeaders, readOriginalRequest, type OriginalRequest } from './original-request';
import type { GatewayRequest, RequestOrigin } from './types';

/** The header the proxy's auth location sets to `server.proxy_secret` (and every other location clears). */
export const PROXY_SECRET_HEADER = 'x-aot-proxy-secret';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const NO_HEADERS = () => undefined;
const UNKNOWN_SUBJECT = { method: undefined, authority: undefined };

/**
 * What one check may believe about where it came from (DESIGN.md, "Behind every forward-auth proxy"):
 * worked out on demand, since most checks need none of it.
 * - Forwarded client addresses and original-request headers count only from `server.trusted_proxies`,
 *   and, when `server.proxy_secret` is set, only with that secret.
 * - A forwarded client certificate counts only with the secret: a trusted proxy forwards whatever a
 *   client sends to its other locations, and a certificate is public.
 */
export class CheckOrigin implements RequestOrigin {
  private believed: boolean | undefined;
  private proven: boolean | undefined;
  private originalRequest: OriginalRequest | null | undefined;
  private address: { value: string | undefined } | undefined;

  constructor(
    private readonly request: GatewayRequest,
    private readonly addresses: ClientAddressResolver,
    private readonly proxySecret: string | undefined,
  ) {}

  /** Forwarded addresses count as the original request does: from a trusted proxy, with the secret when one is set. */
  clientAddress(): string | undefined {
    this.address ??= { value: this.addresses.resolve(this.request.remoteAddress, this.believesProxyHeaders() ? (name) => this.request.header(name) : NO_HEADERS) };
    return this.address.value;
  }

  fromAuthProxy(): boolean {
    if (this.proven === undefined) {
      const sent = this.request.header(PROXY_SECRET_HEADER);
      this.proven = this.proxySecret !== undefined && sent !== undefined && this.addresses.isTrusted(this.request.remoteAddress) && constantTimeEqual(sent, this.proxySecret);
    }
    return this.proven;
  }

  /** The original request the proxy names; undefined when it names none or may not name one. */
  original(): OriginalRequest | undefined {
    if (this.originalRequest === undefined) this.originalRequest = (this.believesProxyHeaders() && readOriginalRequest(this.request)) || null;
    return this.originalRequest ?? undefined;
  }

  /**
   * A portal session cookie is a browser's ambient credential: for a request that changes something,
   * or whose method is unknown, it counts only when the browser says the request comes from the same
   * origin (CSRF).
   */
  allowsSession(): boolean {
    const { method, authority } = this.subject();
    if (method !== undefined && SAFE_METHODS.has(method.toUpperCase())) return true;
    const site = this.request.header('sec-fetch-site');
    if (site !== undefined) return site === 'same-origin';
    const origin = this.request.header('origin');
    return origin !== undefined && originMatchesHost(origin, authority);
  }

  /**
   * The method and host the session would act for: the original request's when believed; unknown for
   * a sub-request whose original is not believed; otherwise the check's own (it is the request).
   */
  private subject(): { method: string | undefined; authority: string | undefined } {
    const original = this.original();
    if (original) return original;
    if (namesOriginalInHeaders(this.request)) return UNKNOWN_SUBJECT;
    return { method: this.request.method, authority: this.request.header('host') };
  }

  private believesProxyHeaders(): boolean {
    this.believed ??= this.addresses.isTrusted(this.request.remoteAddress) && (this.proxySecret === undefined || this.fromAuthProxy());
    return this.believed;
  }
}
