import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { rawRequest, type RawResponse } from './nginx';

/**
 * Traefik and Envoy do not install here. These build, from the shipped config files, exactly the
 * check each proxy sends for a client request, send it to the app, and do with the answer what the
 * proxy does: pass the request on to the backend with the copied headers, or answer the client.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
export const TRAEFIK_DYNAMIC_PATH = path.join(ROOT, 'deploy/traefik/dynamic.yml');
export const TRAEFIK_STATIC_PATH = path.join(ROOT, 'deploy/traefik/traefik.yml');
export const ENVOY_PATH = path.join(ROOT, 'deploy/envoy/envoy.yaml');
/** What the shipped files hold in place of `server.proxy_secret`. */
export const SHIPPED_PROXY_SECRET = 'replace-with-server.proxy_secret';

export interface ClientRequest {
  method: string;
  /** Path and query as the client sent them. */
  target: string;
  host: string;
  headers: Record<string, string>;
  /** The client's address, as the proxy sees it. */
  address: string;
}

export interface Check {
  method: string;
  target: string;
  headers: Record<string, string>;
}

export interface ProxyOutcome {
  /** The check the proxy sent the gateway (none on a route that is not checked). */
  check?: Check;
  /** The gateway's answer to it. */
  answer?: RawResponse;
  /** What the client gets: the backend's answer after a pass, else the proxy's answer. */
  client: { status: number; headers: Record<string, string>; body: string };
  /** The request passed on to the backend, when the check allowed it. */
  forwarded?: Check;
}

export interface Upstreams {
  /** The app, `http://host:port`. */
  appUrl: string;
  /** The backend, `http://host:port`. */
  backendUrl: string;
  proxySecret: string;
}

const lower = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
const single = (headers: RawResponse['headers']): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v]])));

async function passOn(request: Check, host: string, upstreams: Upstreams): Promise<ProxyOutcome['client']> {
  const response = await rawRequest(upstreams.backendUrl, request.target, { method: request.method, headers: { ...request.headers, host } });
  return { status: response.status, headers: single(response.headers), body: response.body };
}

// ------------------------------------------------------------------------------------------------
// Traefik ForwardAuth, v3 (https://doc.traefik.io/traefik/middlewares/http/forwardauth/, and its
// source, pkg/middlewares/auth/forward.go): a GET to `address` carrying the client's headers (only
// `authRequestHeaders` when set, hop-by-hop headers never), then X-Forwarded-For (the client's
// address), -Method, -Proto, -Host (the request's Host) and -Uri (the request URI) set from the
// request itself when trustForwardHeader is false. Go's client adds Host (the address's),
// User-Agent and Accept-Encoding. A 2xx copies `authResponseHeaders` onto the request and the next
// middleware runs; any other answer goes to the client with its headers and body. The headers
// middleware sets `customRequestHeaders`, an empty value removing the header
// (https://doc.traefik.io/traefik/middlewares/http/headers/).

interface TraefikHeadersMiddleware {
  headers: { customRequestHeaders: Record<string, string> };
}
interface TraefikForwardAuth {
  forwardAuth: { address: string; trustForwardHeader?: boolean; authRequestHeaders?: string[]; authResponseHeaders?: string[]; preserveRequestMethod?: boolean };
}
export interface TraefikDynamic {
  http: {
    routers: Record<string, { rule: string; entryPoints: string[]; middlewares?: string[]; service: string }>;
    middlewares: Record<string, TraefikHeadersMiddleware | TraefikForwardAuth>;
    services: Record<string, { loadBalancer: { servers: Array<{ url: string }> } }>;
  };
}

export const readTraefik = (): TraefikDynamic => parse(readFileSync(TRAEFIK_DYNAMIC_PATH, 'utf8')) as TraefikDynamic;

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

export async function throughTraefik(router: string, client: ClientRequest, upstreams: Upstreams, config = readTraefik()): Promise<ProxyOutcome> {
  const route = config.http.routers[router];
  if (!route) throw new Error(`no router ${router}`);
  let headers = lower(client.headers);
  let outcome: Pick<ProxyOutcome, 'check' | 'answer'> = {};
  for (const name of route.middlewares ?? []) {
    const middleware = config.http.middlewares[name];
    if (!middleware) throw new Error(`no middleware ${name}`);
    if ('headers' in middleware) {
      headers = { ...headers };
      for (const [field, value] of Object.entries(middleware.headers.customRequestHeaders)) {
        if (value === '') delete headers[field.toLowerCase()];
        else headers[field.toLowerCase()] = value.replaceAll(SHIPPED_PROXY_SECRET, upstreams.proxySecret);
      }
      continue;
    }
    const auth = middleware.forwardAuth;
    const address = new URL(auth.address);
    const allowed = auth.authRequestHeaders?.map((h) => h.toLowerCase());
    const copied = Object.fromEntries(Object.entries(headers).filter(([field]) => !HOP_BY_HOP.includes(field) && field !== 'host' && (!allowed?.length || allowed.includes(field))));
    const check: Check = {
      method: auth.preserveRequestMethod ? client.method : 'GET',
      target: `${address.pathname}${address.search}`,
      headers: {
        ...copied,
        'x-forwarded-for': client.address,
        'x-forwarded-method': client.method,
        'x-forwarded-proto': 'http',
        'x-forwarded-host': client.host,
        'x-forwarded-uri': client.target,
        host: address.host,
        'user-agent': copied['user-agent'] ?? 'Go-http-client/1.1',
        'accept-encoding': 'gzip',
      },
    };
    const answer = await rawRequest(upstreams.appUrl.replace(/\/$/, ''), check.target, { method: check.method, headers: check.headers });
    outcome = { check, answer };
    if (answer.status < 200 || answer.status >= 300) {
      const passed = Object.fromEntries(Object.entries(single(answer.headers)).filter(([field]) => !HOP_BY_HOP.includes(field)));
      return { ...outcome, client: { status: answer.status, headers: passed, body: answer.body } };
    }
    for (const field of auth.authResponseHeaders ?? []) {
      const key = field.toLowerCase();
      delete headers[key];
      const value = answer.headers[key];
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  const forwarded: Check = { method: client.method, target: client.target, headers };
  const backend = route.service === 'backend' ? upstreams.backendUrl : upstreams.appUrl;
  const response = await passOn(forwarded, client.host, { ...upstreams, backendUrl: backend });
  return { ...outcome, client: response, forwarded };
}

// ------------------------------------------------------------------------------------------------
// Envoy ext_authz, HTTP service (v3 API: envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto
// in envoyproxy/data-plane-api, and source/extensions/filters/common/ext_authz/ext_authz_http_impl.cc):
// the check has the request's own method, `:authority` (Host) and `:path` with `path_prefix` put in
// front, `Content-Length: 0`, the client headers that match `allowed_headers` (Authorization always),
// then `authorization_request.headers_to_add`, which replace a client's header of the same name.
// With use_remote_address the connection manager has appended the client's address to
// X-Forwarded-For before the filter runs. A 200 copies `allowed_upstream_headers` onto the request;
// a 5xx is an error (the client gets `status_on_error`, no headers, no body); any other status goes
// to the client with its body and the `allowed_client_headers` (WWW-Authenticate and Location always).

interface StringMatcher {
  exact?: string;
  prefix?: string;
  ignore_case?: boolean;
}
export interface EnvoyExtAuthz {
  http_service: {
    server_uri: { uri: string; cluster: string; timeout: string };
    path_prefix: string;
    authorization_request?: { headers_to_add?: Array<{ key: string; value: string }> };
    authorization_response: { allowed_upstream_headers: { patterns: StringMatcher[] }; allowed_client_headers: { patterns: StringMatcher[] } };
  };
  allowed_headers?: { patterns: StringMatcher[] };
  failure_mode_allow?: boolean;
  status_on_error?: { code: string };
}
export interface EnvoyVirtualHost {
  name: string;
  domains: string[];
  routes: Array<{ match: { prefix: string }; route: { cluster: string } }>;
  request_headers_to_remove?: string[];
  typed_per_filter_config?: Record<string, { disabled?: boolean }>;
}
export interface EnvoyBootstrap {
  static_resources: {
    listeners: Array<{
      filter_chains: Array<{
        filters: Array<{
          name: string;
          typed_config: {
            use_remote_address?: boolean;
            normalize_path?: boolean;
            route_config: { virtual_hosts: EnvoyVirtualHost[] };
            http_filters: Array<{ name: string; typed_config: EnvoyExtAuthz | Record<string, unknown> }>;
          };
        }>;
      }>;
    }>;
    clusters: Array<{ name: string; load_assignment: { endpoints: Array<{ lb_endpoints: Array<{ endpoint: { address: { socket_address: { address: string; port_value: number } } } }> }> } }>;
  };
}

export const readEnvoy = (): EnvoyBootstrap => parse(readFileSync(ENVOY_PATH, 'utf8')) as EnvoyBootstrap;

export function envoyParts(config = readEnvoy()) {
  const manager = config.static_resources.listeners[0]?.filter_chains[0]?.filters.find((f) => f.name === 'envoy.filters.network.http_connection_manager')?.typed_config;
  const extAuthz = manager?.http_filters.find((f) => f.name === 'envoy.filters.http.ext_authz')?.typed_config as EnvoyExtAuthz | undefined;
  if (!manager || !extAuthz) throw new Error('envoy.yaml: no connection manager with ext_authz');
  return { manager, extAuthz, virtualHosts: manager.route_config.virtual_hosts, clusters: config.static_resources.clusters };
}

export const matches = (patterns: StringMatcher[], field: string) =>
  patterns.some((p) => {
    const value = p.ignore_case ? field.toLowerCase() : field;
    const want = (s: string) => (p.ignore_case ? s.toLowerCase() : s);
    return (p.exact !== undefined && value === want(p.exact)) || (p.prefix !== undefined && value.startsWith(want(p.prefix)));
  });

const STATUS_CODES: Record<string, number> = { Forbidden: 403, ServiceUnavailable: 503, Unauthorized: 401 };

export async function throughEnvoy(client: ClientRequest, upstreams: Upstreams, config = readEnvoy()): Promise<ProxyOutcome> {
  const { manager, extAuthz, virtualHosts } = envoyParts(config);
  const vhost = virtualHosts.find((v) => v.domains.includes(client.host));
  if (!vhost) return { client: { status: 404, headers: {}, body: '' }, forwarded: { method: client.method, target: client.target, headers: {} } };
  let headers = lower(client.headers);
  if (manager.use_remote_address) headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${client.address}` : client.address;
  for (const field of vhost.request_headers_to_remove ?? []) delete headers[field.toLowerCase()];
  const cluster = vhost.routes[0]?.route.cluster;
  if (vhost.typed_per_filter_config?.['envoy.filters.http.ext_authz']?.disabled) {
    const forwarded = { method: client.method, target: client.target, headers };
    return { client: await passOn(forwarded, client.host, { ...upstreams, backendUrl: cluster === 'backend' ? upstreams.backendUrl : upstreams.appUrl }), forwarded };
  }

  const service = extAuthz.http_service;
  const allowed = [...(extAuthz.allowed_headers?.patterns ?? []), { exact: 'authorization', ignore_case: true }];
  const check: Check = {
    method: client.method,
    target: `${service.path_prefix}${client.target}`,
    headers: {
      'content-length': '0',
      host: client.host,
      ...Object.fromEntries(Object.entries(headers).filter(([field]) => field !== 'host' && field !== 'content-length' && matches(allowed, field))),
    },
  };
  for (const { key, value } of service.authorization_request?.headers_to_add ?? []) check.headers[key.toLowerCase()] = value.replaceAll(SHIPPED_PROXY_SECRET, upstreams.proxySecret);
  const answer = await rawRequest(upstreams.appUrl, check.target, { method: check.method, headers: check.headers });
  const outcome = { check, answer };
  const answered = single(answer.headers);
  if (answer.status >= 500) {
    return { ...outcome, client: { status: STATUS_CODES[extAuthz.status_on_error?.code ?? 'Forbidden'] ?? 403, headers: {}, body: '' } };
  }
  if (answer.status !== 200) {
    const toClient = [...service.authorization_response.allowed_client_headers.patterns, { exact: 'www-authenticate', ignore_case: true }, { exact: 'location', ignore_case: true }];
    return { ...outcome, client: { status: answer.status, headers: Object.fromEntries(Object.entries(answered).filter(([field]) => matches(toClient, field))), body: answer.body } };
  }
  headers = { ...headers };
  for (const [field, value] of Object.entries(answered)) if (matches(service.authorization_response.allowed_upstream_headers.patterns, field)) headers[field] = value;
  const forwarded = { method: client.method, target: client.target, headers };
  return { ...outcome, client: await passOn(forwarded, client.host, upstreams), forwarded };
}
