import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PROXY_SECRET_HEADER } from '@/lib/gateway/check-origin';
import { AUTHENTICATE_PATHS, ENVOY_CHECK_PREFIX } from '@/lib/gateway/routes';
import { readIngresses } from '../support/ingress-nginx';
import { envoyParts, matches, readEnvoy, readTraefik, TRAEFIK_STATIC_PATH } from '../support/proxy-models';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The app's port when `server.port` is not set (server.ts), which every example points at. */
const APP_PORT = 3000;
/** deploy/kubernetes/service.yaml's port, which targets the pods' APP_PORT. */
const SERVICE_PORT = '80';
/**
 * Headers the gateway believes from a trusted proxy only, which a client must never get to it
 * (DESIGN.md, "Behind every forward-auth proxy"). X-Forwarded-Host counts only beside X-Forwarded-Uri,
 * and the portal needs the real one, so routes to the app keep it.
 */
const TRUSTED = ['x-original-uri', 'x-original-url', 'x-original-method', 'x-original-host', 'x-forwarded-uri', 'x-forwarded-method', 'x-ssl-client-cert', PROXY_SECRET_HEADER];
/**
 * The client address headers a proxy must overwrite or remove. X-Forwarded-For every shipped proxy
 * sets itself; X-Real-IP Traefik and ingress-nginx set, so Caddy and Envoy must remove a client's.
 */
const UNSET_ADDRESS = ['x-real-ip'];

/** The `proxy_set_header` lines of an nginx snippet, by lower-case header name. */
function proxySetHeaders(snippet: string | undefined): Map<string, string> {
  const set = new Map<string, string>();
  for (const match of (snippet ?? '').matchAll(/^\s*proxy_set_header\s+(\S+)\s+("[^"]*"|\S+);/gm)) set.set((match[1] ?? '').toLowerCase(), (match[2] ?? '').replace(/^"|"$/g, ''));
  return set;
}

describe('deploy/envoy/envoy.yaml', () => {
  const { manager, extAuthz, virtualHosts, clusters } = envoyParts(readEnvoy());
  const service = extAuthz.http_service;

  it('asks the gateway at /api/authenticate + the original path, which the app answers as a check', () => {
    expect(service.path_prefix).toBe('/api/authenticate');
    expect(`${service.path_prefix}/`).toBe(ENVOY_CHECK_PREFIX);
    expect(existsSync(path.join(ROOT, 'app/api/[...gateway]/route.ts'))).toBe(true); // next start/dev too: the gateway's catch-all
    const cluster = clusters.find((c) => c.name === service.server_uri.cluster);
    expect(cluster?.load_assignment.endpoints[0]?.lb_endpoints[0]?.endpoint.address.socket_address.port_value).toBe(APP_PORT);
    expect(new URL(service.server_uri.uri).port).toBe(String(APP_PORT));
    expect(manager.normalize_path).toBe(true);
    expect(manager.use_remote_address).toBe(true);
  });

  it('sends only harmless client headers, and the proxy secret of its own', () => {
    const allowed = extAuthz.allowed_headers?.patterns ?? [];
    for (const header of [...TRUSTED, 'cookie', 'x-forwarded-host']) expect(matches(allowed, header), header).toBe(false);
    expect(matches(allowed, 'x-auth-realm')).toBe(true);
    expect(service.authorization_request?.headers_to_add?.map((h) => h.key.toLowerCase())).toEqual([PROXY_SECRET_HEADER]);
  });

  it("passes the JWT upstream and the answer's headers to the client; 5xx as 503, never letting a request through", () => {
    const { allowed_upstream_headers: upstream, allowed_client_headers: client } = service.authorization_response;
    expect(matches(upstream.patterns, 'authorization')).toBe(true);
    expect(upstream.patterns).toHaveLength(1);
    for (const header of ['www-authenticate', 'x-auth-denied', 'retry-after']) expect(matches(client.patterns, header), header).toBe(true);
    expect(extAuthz.status_on_error?.code).toBe('ServiceUnavailable');
    expect(extAuthz.failure_mode_allow).toBe(false);
  });

  it('on the route to the app, checks nothing and removes every trusted header', () => {
    const app = virtualHosts.find((v) => v.routes.some((r) => r.route.cluster === service.server_uri.cluster));
    expect(app?.typed_per_filter_config?.['envoy.filters.http.ext_authz']?.disabled).toBe(true);
    expect(new Set(app?.request_headers_to_remove)).toEqual(new Set([...TRUSTED, ...UNSET_ADDRESS]));
    expect(manager.use_remote_address).toBe(true); // X-Forwarded-For ends with the address Envoy saw
    const api = virtualHosts.find((v) => v.routes.some((r) => r.route.cluster === 'backend'));
    expect(api?.typed_per_filter_config).toBeUndefined();
  });
});

describe('deploy/traefik', () => {
  const { http } = readTraefik();
  const headersOf = (name: string) => {
    const middleware = http.middlewares[name];
    return middleware && 'headers' in middleware ? middleware.headers.customRequestHeaders : undefined;
  };
  const forwardAuth = Object.values(http.middlewares).flatMap((m) => ('forwardAuth' in m ? [m.forwardAuth] : []));

  it("asks the gateway's check path, from X-Forwarded-* it sets itself, and copies back the JWT", () => {
    expect(forwardAuth).toHaveLength(1);
    const [auth] = forwardAuth;
    const address = new URL(auth?.address ?? '');
    expect(AUTHENTICATE_PATHS.has(address.pathname)).toBe(true);
    expect(address.port).toBe(String(APP_PORT));
    expect(auth?.trustForwardHeader).toBe(false);
    expect(auth?.authResponseHeaders).toEqual(['Authorization']);
    const copied = (auth?.authRequestHeaders ?? []).map((h) => h.toLowerCase());
    expect(copied).toEqual(expect.arrayContaining(['authorization', 'x-auth-realm', PROXY_SECRET_HEADER]));
    for (const header of [...TRUSTED.filter((h) => h !== PROXY_SECRET_HEADER), 'cookie']) expect(copied, header).not.toContain(header);
  });

  it("removes the client's trusted headers on every router, and the secret is there only for the check", () => {
    const cleared = Object.entries(headersOf('aot-clear-trusted-headers') ?? {})
      .filter(([, v]) => v === '')
      .map(([k]) => k.toLowerCase());
    expect(new Set(cleared)).toEqual(new Set(TRUSTED));
    for (const [name, router] of Object.entries(http.routers)) expect(router.middlewares?.[0], name).toBe('aot-clear-trusted-headers');
    expect(http.routers.api?.middlewares).toEqual(['aot-clear-trusted-headers', 'aot-proxy-secret', 'aot-check', 'aot-drop-proxy-secret']);
    expect(headersOf('aot-proxy-secret')).toEqual({ 'X-Aot-Proxy-Secret': 'replace-with-server.proxy_secret' });
    expect(headersOf('aot-drop-proxy-secret')).toEqual({ 'X-Aot-Proxy-Secret': '' });
  });

  it('routes to services on the right ports, from the entry point and file the static config names', () => {
    expect(http.services['auth-o-tron']?.loadBalancer.servers.map((s) => new URL(s.url).port)).toEqual([String(APP_PORT)]);
    expect(http.routers['auth-o-tron']?.service).toBe('auth-o-tron');
    expect(http.routers.api?.service).toBe('backend');
    const staticConfig = parse(readFileSync(TRAEFIK_STATIC_PATH, 'utf8')) as { entryPoints: Record<string, unknown>; providers: { file: { filename: string } } };
    expect(path.basename(staticConfig.providers.file.filename)).toBe('dynamic.yml');
    for (const router of Object.values(http.routers)) for (const entryPoint of router.entryPoints) expect(Object.keys(staticConfig.entryPoints)).toContain(entryPoint);
  });
});

describe('deploy/kubernetes/ingress-nginx.yaml', () => {
  const ingresses = readIngresses();
  const annotations = (name: string) => {
    const found = ingresses.find((i) => i.metadata.name === name)?.metadata.annotations ?? {};
    return (key: string) => found[`nginx.ingress.kubernetes.io/${key}`];
  };

  it("the API Ingress asks the gateway's check path with auth-method, and copies back the JWT", () => {
    const api = annotations('api');
    const url = new URL(api('auth-url') ?? '');
    expect(AUTHENTICATE_PATHS.has(url.pathname)).toBe(true);
    expect(url.port || '80').toBe(SERVICE_PORT); // the Service's port (deploy/kubernetes/service.yaml), which targets the app's
    expect(api('auth-method')).toBe('GET'); // ingress-nginx sets X-Original-URI only with it
    expect(
      api('auth-response-headers')
        ?.split(',')
        .map((h) => h.trim()),
    ).toEqual(['Authorization']);
  });

  it('its auth-snippet sends the proxy secret and clears the trusted headers ingress-nginx does not set', () => {
    const set = proxySetHeaders(annotations('api')('auth-snippet'));
    expect(set.get(PROXY_SECRET_HEADER)).toBe('replace-with-server.proxy_secret');
    // ingress-nginx itself sets X-Original-URL, -Method and (auth-method) -URI in the auth location.
    for (const header of TRUSTED.filter((h) => !['x-original-uri', 'x-original-url', 'x-original-method', PROXY_SECRET_HEADER].includes(h))) expect(set.get(header), header).toBe('');
    expect(set.get('cookie')).toBe('');
    expect(annotations('api')('configuration-snippet')).toMatch(/error_page 500 = @aot_unavailable;/);
    expect(annotations('api')('server-snippet')).toMatch(/location @aot_unavailable \{[^}]*return 503/);
  });

  it("the app's own Ingress clears every trusted header and has no auth-url", () => {
    const app = annotations('auth-o-tron');
    expect(app('auth-url')).toBeUndefined();
    const set = proxySetHeaders(app('configuration-snippet'));
    expect(new Set(set.keys())).toEqual(new Set(TRUSTED));
    expect([...set.values()].every((v) => v === '')).toBe(true);
    const backend = ingresses.find((i) => i.metadata.name === 'auth-o-tron')?.spec.rules[0]?.http.paths[0]?.backend.service;
    expect(String(backend?.port.number)).toBe(SERVICE_PORT);
  });
});

describe('deploy/caddy/Caddyfile', () => {
  const caddyfile = readFileSync(path.join(ROOT, 'deploy/caddy/Caddyfile'), 'utf8');
  const block = (opening: RegExp) => {
    const start = caddyfile.search(opening);
    return caddyfile.slice(start, caddyfile.indexOf('\n\t\t}', start));
  };

  it("forward_auth asks the gateway's check path, overwrites or removes every trusted header, and copies back the JWT", () => {
    const check = block(/forward_auth 127\.0\.0\.1:3000 \{/);
    expect(AUTHENTICATE_PATHS.has(/uri (\S+)/.exec(check)?.[1] ?? '')).toBe(true);
    const touched = [...check.matchAll(/header_up -?(\S+)/g)].map((m) => (m[1] ?? '').toLowerCase());
    expect(touched).toEqual(expect.arrayContaining([...TRUSTED, ...UNSET_ADDRESS, 'x-forwarded-host']));
    expect(check).toMatch(/header_up X-Aot-Proxy-Secret \{\$AOT_PROXY_SECRET\}/);
    expect(check).toMatch(/copy_headers Authorization/);
  });

  it('the route to the app removes every trusted header', () => {
    const app = block(/reverse_proxy 127\.0\.0\.1:3000 \{/);
    expect(new Set([...app.matchAll(/header_up -(\S+)/g)].map((m) => (m[1] ?? '').toLowerCase()))).toEqual(new Set([...TRUSTED, ...UNSET_ADDRESS]));
  });
});
