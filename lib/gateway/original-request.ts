import { decodePath, type DecodedPath } from './paths';
import { ENVOY_CHECK_PREFIX } from './routes';
import type { GatewayRequest } from './types';

/** The request a forward-auth check is about, as the proxy that asked describes it. */
export interface OriginalRequest {
  method: string;
  /** Lower case, without a port; undefined when the proxy names none. */
  host?: string;
  path: DecodedPath;
  /** Which header set named it (DESIGN.md, "Behind every forward-auth proxy"). */
  via: 'nginx' | 'ingress-nginx' | 'forwarded' | 'envoy';
}

// Envoy's ext_authz HTTP service asks `<path_prefix><original path>` (deploy/envoy/envoy.yaml sets
// `path_prefix: /api/authenticate`): a check at any path under this prefix names its original path.
export { ENVOY_CHECK_PREFIX };
const ENVOY_PATH_START = ENVOY_CHECK_PREFIX.length - 1;

const UNKNOWN_URL: DecodedPath = { ok: false, reason: 'X-Original-URL is not an absolute http(s) URL with a host' };
// scheme://authority, then the path exactly as sent (URL() would re-encode and resolve it for us).
const ABSOLUTE_URL = /^https?:\/\/([^/?#]*)([^?#]*)/i;

/**
 * Reads the original request from the first header set present, in the order of the design's table.
 * The caller decides whether the peer may set these headers at all; undefined when none is present.
 */
export function readOriginalRequest(request: GatewayRequest): OriginalRequest | undefined {
  const uri = request.header('x-original-uri');
  const url = request.header('x-original-url');
  if (uri !== undefined || url !== undefined) {
    const method = request.header('x-original-method') ?? request.method;
    const fromUrl = url === undefined ? undefined : absoluteUrlParts(url);
    if (uri !== undefined) return { method, host: hostOf(request.header('x-original-host') ?? fromUrl?.host), path: decodePath(uri), via: 'nginx' };
    if (!fromUrl) return { method, path: UNKNOWN_URL, via: 'ingress-nginx' };
    return { method, host: fromUrl.host, path: fromUrl.path, via: 'ingress-nginx' };
  }
  const forwardedUri = request.header('x-forwarded-uri');
  if (forwardedUri !== undefined) {
    return { method: request.header('x-forwarded-method') ?? request.method, host: hostOf(request.header('x-forwarded-host')), path: decodePath(forwardedUri), via: 'forwarded' };
  }
  // Envoy sends the request's own method and Host; the target as received, since a normalised one
  // could have climbed out of the prefix (`/api/authenticate/../x`) and named another path.
  const target = request.target ?? request.path;
  if (target.startsWith(ENVOY_CHECK_PREFIX)) {
    return { method: request.method, host: hostOf(request.header('host')), path: decodePath(target.slice(ENVOY_PATH_START)), via: 'envoy' };
  }
  return undefined;
}

function absoluteUrlParts(url: string): { host: string; path: DecodedPath } | undefined {
  const match = ABSOLUTE_URL.exec(url.trim());
  const authority = match?.[1];
  const host = hostOf(authority?.slice(authority.lastIndexOf('@') + 1));
  if (!match || !host) return undefined;
  return { host, path: decodePath(match[2] || '/') };
}

/** `Api.Example.org:443` → `api.example.org`; `[::1]:80` → `[::1]`; empty → undefined. */
function hostOf(value: string | undefined): string | undefined {
  const host = value?.trim().toLowerCase().replace(/:\d*$/, '');
  return host ? host : undefined;
}
