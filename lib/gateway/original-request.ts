import { decodePath, type DecodedPath } from './paths';
import { ENVOY_CHECK_PREFIX } from './routes';
import type { GatewayRequest } from './types';

/** A path that cannot be matched: undecodable (refused), or not named in a usable form at all (unknown). */
export type OriginalPath = DecodedPath | { ok: false; reason: string; unknown: true };

/** The request a forward-auth check is about, as the proxy that asked describes it. */
export interface OriginalRequest {
  /**
   * Undefined when the proxy names the path but not the method: its check's own method says nothing
   * (nginx's auth sub-request is a GET whatever the client sent), so a rule on methods cannot be judged.
   */
  method: string | undefined;
  /** Lower case, without a port (what rules match); undefined when the proxy names none. */
  host: string | undefined;
  /** Lower case `host[:port]` as named (what same-origin checks compare); undefined with `host`. */
  authority: string | undefined;
  path: OriginalPath;
  /** Which header set named it (DESIGN.md, "Behind every forward-auth proxy"). */
  via: 'nginx' | 'ingress-nginx' | 'forwarded' | 'envoy';
}

export type OriginalPart = 'method' | 'host';

// Envoy's ext_authz HTTP service asks `<path_prefix><original path>` (deploy/envoy/envoy.yaml sets
// `path_prefix: /api/authenticate`): a check at any path under this prefix names its original path.
const ENVOY_PATH_START = ENVOY_CHECK_PREFIX.length - 1;

const UNKNOWN_URL: OriginalPath = { ok: false, reason: 'X-Original-URL is not an absolute http(s) URL with a host', unknown: true };
// scheme://authority, then the path exactly as sent (URL() would re-encode and resolve it for us).
const ABSOLUTE_URL = /^https?:\/\/([^/?#]*)([^?#]*)/i;

/** The header each proxy names a part in, for a refusal that says what is missing. */
const NAMED_IN: Record<OriginalRequest['via'], Record<OriginalPart, string>> = {
  nginx: { method: 'X-Original-Method', host: 'X-Original-Host' },
  'ingress-nginx': { method: 'X-Original-Method', host: 'X-Original-URL' },
  forwarded: { method: 'X-Forwarded-Method', host: 'X-Forwarded-Host' },
  envoy: { method: 'the method', host: 'Host' },
};

/**
 * Reads the original request from the first header set present, in the order of the design's table.
 * The caller decides whether the peer may set these headers at all; undefined when none is present.
 */
export function readOriginalRequest(request: GatewayRequest): OriginalRequest | undefined {
  const uri = request.header('x-original-uri');
  const url = request.header('x-original-url');
  if (uri !== undefined || url !== undefined) {
    const method = nonEmpty(request.header('x-original-method'));
    const fromUrl = url === undefined ? undefined : absoluteUrlParts(url);
    if (uri !== undefined) return withHost(method, request.header('x-original-host') ?? fromUrl?.authority, decodePath(uri), 'nginx');
    if (!fromUrl) return { method, host: undefined, authority: undefined, path: UNKNOWN_URL, via: 'ingress-nginx' };
    return withHost(method, fromUrl.authority, fromUrl.path, 'ingress-nginx');
  }
  const forwardedUri = request.header('x-forwarded-uri');
  if (forwardedUri !== undefined) {
    return withHost(nonEmpty(request.header('x-forwarded-method')), request.header('x-forwarded-host'), decodePath(forwardedUri), 'forwarded');
  }
  // Envoy sends the request's own method and Host; the target as received, since a normalised one
  // could have climbed out of the prefix (`/api/authenticate/../x`) and named another path.
  const target = request.target ?? request.path;
  if (target.startsWith(ENVOY_CHECK_PREFIX)) {
    return withHost(request.method, request.header('host'), decodePath(target.slice(ENVOY_PATH_START)), 'envoy');
  }
  return undefined;
}

/**
 * Whether a check names an original request in headers (every way but Envoy's): such a check is a
 * proxy's sub-request, so even when those headers are not believed its own method is not the client's.
 */
export function namesOriginalInHeaders(request: GatewayRequest): boolean {
  return request.header('x-original-uri') !== undefined || request.header('x-original-url') !== undefined || request.header('x-forwarded-uri') !== undefined;
}

/** The 403 reason when a rule needs a part of the original request that the proxy did not name. */
export function unknownPart(original: OriginalRequest, part: OriginalPart): string {
  return `original request unknown: no ${NAMED_IN[original.via][part]} (${original.via})`;
}

/** The 403 reason when the original path cannot be matched. */
export function pathRefusal(path: Extract<OriginalPath, { ok: false }>): string {
  return 'unknown' in path ? `original request unknown: ${path.reason}` : `original request refused: ${path.reason}`;
}

function withHost(method: string | undefined, named: string | undefined, path: OriginalPath, via: OriginalRequest['via']): OriginalRequest {
  const authority = nonEmpty(named)?.toLowerCase();
  const host = authority?.replace(/:\d*$/, '') || undefined;
  return { method, host, authority: host && authority, path, via };
}

function absoluteUrlParts(url: string): { authority: string; path: DecodedPath } | undefined {
  const match = ABSOLUTE_URL.exec(url.trim());
  const userAndAuthority = match?.[1];
  const authority = userAndAuthority?.slice(userAndAuthority.lastIndexOf('@') + 1);
  if (!match || !authority?.replace(/:\d*$/, '')) return undefined;
  return { authority, path: decodePath(match[2] || '/') };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
