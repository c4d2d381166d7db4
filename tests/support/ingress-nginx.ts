import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { answersOn, runProxy } from './proxy-process';
import { freePort } from './ports';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The shipped example; the test runs what ingress-nginx generates from it. */
export const INGRESS_PATH = path.join(ROOT, 'deploy/kubernetes/ingress-nginx.yaml');
const NGINX_BINARY = process.env.NGINX_BINARY ?? '/usr/sbin/nginx';
const PREFIX = 'nginx.ingress.kubernetes.io/';
/** The shipped auth-url's host and port: the app's Service, replaced by the test app's address. */
const SHIPPED_AUTH_ADDRESS = 'auth-o-tron.auth.svc.cluster.local:80';
const SHIPPED_PROXY_SECRET = 'replace-with-server.proxy_secret';

export interface IngressPath {
  path: string;
  pathType: 'Prefix' | 'Exact' | 'ImplementationSpecific';
  backend: { service: { name: string; port: { number: number } } };
}

export interface Ingress {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: { ingressClassName?: string; rules: Array<{ host: string; http: { paths: IngressPath[] } }> };
}

/** The Ingress objects of the shipped example. */
export function readIngresses(text = readFileSync(INGRESS_PATH, 'utf8')): Ingress[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as unknown)
    .filter((value): value is Ingress => typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Ingress');
}

export interface RenderOptions {
  prefix: string;
  port: number;
  /** The app as `host:port`, in place of the auth-url's Service. */
  appAddress: string;
  /** Service name → `host:port` the controller's balancer would pick. */
  services: Record<string, string>;
  proxySecret: string;
  /** The controller's `allow-snippet-annotations` (false by default): without it every snippet is dropped. */
  allowSnippets?: boolean;
  /** Annotations (without the prefix) to leave out, to show what each is for. */
  without?: string[];
}

interface Location {
  ingress: Ingress;
  /** After ingress-nginx normalises a Prefix path (`/api/v1` → `/api/v1/`, plus an Exact `/api/v1`). */
  path: string;
  pathType: string;
  ingressPath: string;
  service: string;
  port: number;
}

/**
 * The nginx.conf that ingress-nginx v1.15.1 (tag controller-v1.15.1, commit 0a5901f3c64f11e92e487799b8da3f00cca37515)
 * generates for these Ingresses with the controller's defaults, from its
 * rootfs/etc/nginx/template/nginx.tmpl, internal/ingress/controller/template/template.go
 * (buildAuthLocation, buildAuthResponseHeaders, buildLocation), internal/ingress/controller/location.go
 * (the extra Exact location of a Prefix path) and internal/ingress/annotations/authreq/main.go
 * (auth-url's Host is the URL's host name). The auth location is reproduced line for line; in the
 * protected location only the Lua hooks (rewrite/header_filter/log_by_lua, the Lua balancer behind
 * `proxy_pass http://upstream_balancer`) are left out, the balancer replaced by the Service's address,
 * and directives for features off by default (OpenTelemetry, ModSecurity, auth cache, auth keepalive,
 * CORS, mirroring, client certificates) are not generated, as the template does not generate them.
 */
export function renderIngressNginx(ingresses: Ingress[], options: RenderOptions): string {
  const annotationsOf = (ingress: Ingress): Record<string, string> => {
    const all: Record<string, string> = {};
    for (const [key, value] of Object.entries(ingress.metadata.annotations ?? {})) {
      if (!key.startsWith(PREFIX)) continue;
      const name = key.slice(PREFIX.length);
      if (options.without?.includes(name)) continue;
      // The controller drops snippet annotations unless allow-snippet-annotations is true (dropSnippetDirectives).
      if (name.endsWith('-snippet') && !options.allowSnippets) continue;
      all[name] = value;
    }
    return all;
  };

  const hosts = new Map<string, { locations: Location[]; serverSnippet?: string }>();
  for (const ingress of ingresses) {
    const annotations = annotationsOf(ingress);
    for (const rule of ingress.spec.rules) {
      const server = hosts.get(rule.host) ?? { locations: [] };
      hosts.set(rule.host, server);
      server.serverSnippet ??= annotations['server-snippet'];
      for (const p of rule.http.paths) {
        const base = { ingress, ingressPath: p.path, service: p.backend.service.name, port: p.backend.service.port.number };
        if (p.pathType === 'Prefix' && p.path !== '/') {
          server.locations.push({ ...base, path: p.path.endsWith('/') ? p.path : `${p.path}/`, pathType: 'Prefix' });
          server.locations.push({ ...base, path: p.path, pathType: 'Exact' });
        } else server.locations.push({ ...base, path: p.path, pathType: p.pathType });
      }
    }
  }

  const servers = [...hosts].map(([host, server]) => {
    const body = server.locations.map((location) => renderLocation(location, annotationsOf(location.ingress), options)).join('\n');
    return `
    ## start server ${host}
    server {
        server_name "${host}" ;
        listen 127.0.0.1:${options.port};
${server.serverSnippet ? indent(server.serverSnippet, 8) : ''}
${body}
    }
    ## end server ${host}`;
  });

  const { prefix } = options;
  return `# Generated by tests/support/ingress-nginx.ts from deploy/kubernetes/ingress-nginx.yaml
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log info;
events { worker_connections 256; }
http {
    access_log ${prefix}/access.log;
    client_body_temp_path ${prefix}/temp/body;
    proxy_temp_path ${prefix}/temp/proxy;
    fastcgi_temp_path ${prefix}/temp/fastcgi;
    uwsgi_temp_path ${prefix}/temp/uwsgi;
    scgi_temp_path ${prefix}/temp/scgi;
    server_tokens off;

    # From the template's http block (generate-request-id: true, no upstream keepalive for Upgrade).
    map $http_x_request_id $req_id {
        default   $http_x_request_id;
        ""        $request_id;
    }
    map $http_upgrade $connection_upgrade {
        default          upgrade;
        ''               close;
    }
${servers.join('\n')}
}
`;
}

function renderLocation(location: Location, annotations: Record<string, string>, options: RenderOptions): string {
  const nginxPath = location.pathType === 'Exact' ? `= "${location.path}"` : `"${location.path}"`;
  const upstream = `${location.ingress.metadata.namespace}-${location.service}-${location.port}`;
  const backend = options.services[location.service];
  if (!backend) throw new Error(`no address for the Service ${location.service}`);
  const lines: string[] = [];
  const authUrl = annotations['auth-url']?.replace(SHIPPED_AUTH_ADDRESS, options.appAddress);
  const authPath = authUrl ? `/_external-auth-${Buffer.from(location.path).toString('base64url')}-${location.pathType}` : undefined;

  if (authUrl && authPath) {
    const method = annotations['auth-method'];
    const snippet = annotations['auth-snippet']?.replaceAll(SHIPPED_PROXY_SECRET, options.proxySecret);
    lines.push(
      `location = ${authPath} {`,
      '    internal;',
      '    access_log off;',
      `    set $proxy_upstream_name "${upstream}";`,
      '    proxy_intercept_errors      off;',
      '    proxy_pass_request_body     off;',
      '    proxy_set_header            Content-Length          "";',
      '    proxy_set_header            X-Forwarded-Proto       "";',
      '    proxy_set_header            X-Request-ID            $req_id;',
      ...(method
        ? [
            `    proxy_method                ${method};`,
            '    proxy_set_header            X-Original-URI          $request_uri;',
            '    proxy_set_header            X-Scheme                $pass_access_scheme;',
          ]
        : []),
      `    proxy_set_header            Host                    ${new URL(authUrl).hostname};`,
      '    proxy_set_header            X-Original-URL          $scheme://$http_host$request_uri;',
      '    proxy_set_header            X-Original-Method       $request_method;',
      '    proxy_set_header            X-Sent-From             "nginx-ingress-controller";',
      '    proxy_set_header            X-Real-IP               $remote_addr;',
      '    proxy_set_header            X-Forwarded-For        $remote_addr;',
      '    proxy_set_header            X-Auth-Request-Redirect $request_uri;',
      '    proxy_buffering                         off;',
      '    proxy_buffer_size                       4k;',
      '    proxy_buffers                           4 4k;',
      '    proxy_request_buffering                 on;',
      '    proxy_ssl_server_name       on;',
      '    proxy_pass_request_headers  on;',
      '    client_max_body_size        1m;',
      ...(snippet ? [indent(snippet, 4)] : []),
      '    proxy_http_version 1.1;',
      `    set $target ${JSON.stringify(authUrl)};`,
      '    proxy_pass $target;',
      '}',
    );
  }

  const responseHeaders = (annotations['auth-response-headers'] ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  lines.push(
    `location ${nginxPath} {`,
    `    set $namespace      "${location.ingress.metadata.namespace}";`,
    `    set $ingress_name   "${location.ingress.metadata.name}";`,
    `    set $service_name   "${location.service}";`,
    `    set $service_port   "${location.port}";`,
    `    set $location_path  "${location.ingressPath}";`,
    '    port_in_redirect off;',
    '    set $balancer_ewma_score -1;',
    `    set $proxy_upstream_name "${upstream}";`,
    '    set $proxy_host          $proxy_upstream_name;',
    '    set $pass_access_scheme  $scheme;',
    '    set $pass_server_port    $server_port;',
    '    set $best_http_host      $http_host;',
    '    set $pass_port           $pass_server_port;',
    '    set $proxy_alternative_upstream_name "";',
    ...(authPath
      ? [
          '    # this location requires authentication',
          `    auth_request        ${authPath};`,
          '    auth_request_set    $auth_cookie $upstream_http_set_cookie;',
          '    add_header          Set-Cookie $auth_cookie;',
          ...responseHeaders.flatMap((header, i) => [
            `    auth_request_set $authHeader${i} $upstream_http_${header.toLowerCase().replaceAll('-', '_')};`,
            `    proxy_set_header '${header}' $authHeader${i};`,
          ]),
        ]
      : []),
    '    client_max_body_size                    1m;',
    '    proxy_set_header Host                   $best_http_host;',
    '    proxy_set_header                        Upgrade           $http_upgrade;',
    '    proxy_set_header                        Connection        $connection_upgrade;',
    '    proxy_set_header X-Request-ID           $req_id;',
    '    proxy_set_header X-Real-IP              $remote_addr;',
    '    proxy_set_header X-Forwarded-For        $remote_addr;',
    '    proxy_set_header X-Forwarded-Host       $best_http_host;',
    '    proxy_set_header X-Forwarded-Port       $pass_port;',
    '    proxy_set_header X-Forwarded-Proto      $pass_access_scheme;',
    '    proxy_set_header X-Forwarded-Scheme     $pass_access_scheme;',
    '    proxy_set_header X-Scheme               $pass_access_scheme;',
    '    proxy_set_header X-Original-Forwarded-For  $http_x_forwarded_for;',
    '    proxy_set_header X-Original-Forwarded-Host $http_x_forwarded_host;',
    '    proxy_set_header Proxy                  "";',
    '    proxy_connect_timeout                   5s;',
    '    proxy_send_timeout                      60s;',
    '    proxy_read_timeout                      60s;',
    '    proxy_buffering                         off;',
    '    proxy_buffer_size                       4k;',
    '    proxy_buffers                           4 4k;',
    '    proxy_max_temp_file_size                1024m;',
    '    proxy_request_buffering                 on;',
    '    proxy_http_version                      1.1;',
    '    proxy_cookie_domain                     off;',
    '    proxy_cookie_path                       off;',
    '    proxy_next_upstream                     error timeout;',
    '    proxy_next_upstream_timeout             0;',
    '    proxy_next_upstream_tries               3;',
    ...(annotations['configuration-snippet'] ? [indent(annotations['configuration-snippet'], 4)] : []),
    `    proxy_pass http://${backend};`,
    '    proxy_redirect                          off;',
    '}',
  );
  return indent(lines.join('\n'), 8);
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => (line ? pad + line : line))
    .join('\n');
}

export interface RunningIngressNginx {
  url: string;
  config: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** Real nginx with the generated config, in the foreground, in a temporary prefix directory. */
export async function startIngressNginx(options: Omit<RenderOptions, 'prefix' | 'port'>, ingresses = readIngresses()): Promise<RunningIngressNginx> {
  const prefix = mkdtempSync(path.join(tmpdir(), 'aot-ingress-'));
  chmodSync(prefix, 0o755); // root's nginx runs its workers as nobody: they must reach the temp paths
  mkdirSync(path.join(prefix, 'temp'));
  const port = await freePort();
  const config = renderIngressNginx(ingresses, { ...options, prefix, port });
  const configPath = path.join(prefix, 'nginx.conf');
  writeFileSync(configPath, config);
  const nginx = await runProxy('nginx', NGINX_BINARY, ['-c', configPath, '-p', prefix, '-g', 'daemon off;'], {
    dir: prefix,
    answering: () => answersOn(port, { path: '/api/health', host: 'auth.example.org' }, (res) => res.statusCode === 200),
  });
  return { url: `http://127.0.0.1:${port}`, config, errorLog: nginx.log, stop: nginx.stop };
}
