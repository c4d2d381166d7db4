import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { answersOn, runProxy } from './proxy-process';
import { freePort } from './ports';

export { freePort };

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The shipped example; tests run it, so what we document is what we test. */
export const EXAMPLE_CONFIG_PATH = path.join(ROOT, 'deploy/nginx/nginx.conf');
const NGINX_BINARY = process.env.NGINX_BINARY ?? '/usr/sbin/nginx';

export interface NginxTlsOptions {
  certFile: string;
  keyFile: string;
  /** CA bundle client certificates are verified against (`ssl_verify_client optional`). */
  clientCaFile: string;
}

export interface NginxOptions {
  /** Auth-O-Tron replicas as `host:port`; more than one tests load balancing and failover. */
  appAddresses: string[];
  /** The protected backend as `host:port`. */
  backendAddress: string;
  /** Adds the example's TLS listener (client certificates optional) on a second free port. */
  tls?: NginxTlsOptions;
  /** Directives added to the server block, e.g. test-only locations. */
  extraServerConfig?: string;
  /** What the auth locations send as X-Aot-Proxy-Secret (the app's `server.proxy_secret`). */
  proxySecret?: string;
}

/** The proxy secret test nginx instances send unless told otherwise; apps that need one configure it. */
export const TEST_PROXY_SECRET = 'test-proxy-secret-0123456789';

export interface RenderOptions extends NginxOptions {
  prefix: string;
  port: number;
  tlsPort?: number;
}

export interface RunningNginx {
  url: string;
  port: number;
  /** `https://127.0.0.1:<port>` when `tls` was given. */
  tlsUrl?: string;
  tlsPort?: number;
  /** The rendered config, for debugging a failing test. */
  config: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * Turns the example into a config for a test: only addresses, ports, file paths and worker
 * settings change. Each rewrite must match exactly, so editing one of these lines in the example
 * fails the test loudly instead of silently testing something else.
 */
export function renderNginxConfig(example: string, options: RenderOptions): string {
  const { prefix } = options;
  let config = example;
  // Replacements are functions so nginx's own `$variables` in them are never read as `$1`-style references.
  const rewrite = (pattern: RegExp, replacement: (match: string, indent: string, rest: string) => string, expected = 1) => {
    const count = config.match(new RegExp(pattern.source, 'gm'))?.length ?? 0;
    if (count !== expected) throw new Error(`nginx example: expected ${expected} match(es) of ${pattern}, found ${count}`);
    config = config.replace(new RegExp(pattern.source, 'gm'), replacement);
  };

  // Workers of a non-root nginx run as the caller anyway; nginx warns about `user` then.
  rewrite(/^user www-data;.*$/, () => (isRoot() ? 'user www-data;' : '# user: not root, workers run as the caller'));
  rewrite(/^worker_processes auto;.*$/, () => 'worker_processes 1;');
  rewrite(/^pid \/run\/nginx\.pid;.*$/, () => `pid ${prefix}/nginx.pid;`);
  rewrite(/^error_log \/var\/log\/nginx\/error\.log warn;.*$/, () => `error_log ${prefix}/error.log info;`);
  rewrite(/^(\s*)access_log \/var\/log\/nginx\/access\.log;.*$/, (_, indent) => `${indent}access_log ${prefix}/access.log;`);
  rewrite(/\/var\/lib\/nginx\//, () => `${prefix}/temp/`, 5);
  rewrite(/^(\s*)server 127\.0\.0\.1:3000( max_fails=\S+ fail_timeout=\S+;).*$/, (_, indent, limits) => options.appAddresses.map((address) => `${indent}server ${address}${limits}`).join('\n'));
  rewrite(/^(\s*)server 127\.0\.0\.1:8080;.*$/, (_, indent) => `${indent}server ${options.backendAddress};`);
  rewrite(/^(\s*)listen 80;.*$/, (_, indent) => `${indent}listen 127.0.0.1:${options.port};`);
  rewrite(
    /^(\s*)proxy_set_header X-Aot-Proxy-Secret "replace-with-server\.proxy_secret";.*$/,
    (_, indent) => `${indent}proxy_set_header X-Aot-Proxy-Secret "${options.proxySecret ?? TEST_PROXY_SECRET}";`,
    2,
  );

  const { tls, tlsPort } = options;
  if (tls && tlsPort !== undefined) {
    rewrite(/^(\s*)# listen 443 ssl;.*$/, (_, indent) => `${indent}listen 127.0.0.1:${tlsPort} ssl;`);
    rewrite(/^(\s*)# ssl_certificate +\S+;.*$/, (_, indent) => `${indent}ssl_certificate ${tls.certFile};`);
    rewrite(/^(\s*)# ssl_certificate_key +\S+;.*$/, (_, indent) => `${indent}ssl_certificate_key ${tls.keyFile};`);
    rewrite(/^(\s*)# ssl_client_certificate +\S+;.*$/, (_, indent) => `${indent}ssl_client_certificate ${tls.clientCaFile};`);
    rewrite(/^(\s*)# (ssl_verify_client optional;.*)$/, (_, indent, rest) => `${indent}${rest}`);
    rewrite(/^(\s*)# (ssl_verify_depth \d+;.*)$/, (_, indent, rest) => `${indent}${rest}`);
  }
  const extra = options.extraServerConfig;
  if (extra) rewrite(/^(\s*server_name _;.*)$/, (line) => `${line}\n${extra}`);
  return config;
}

/** Starts real nginx in the foreground with the example config, in a temporary prefix directory. */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const example = readFileSync(EXAMPLE_CONFIG_PATH, 'utf8');
  // A port picked by the OS can be taken again before nginx binds it: retry a few times.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(example, options);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error) || !error.message.includes('Address already in use')) throw error;
    }
  }
}

async function startOnce(example: string, options: NginxOptions): Promise<RunningNginx> {
  const prefix = mkdtempSync(path.join(tmpdir(), 'aot-nginx-'));
  // Root's nginx runs its workers as www-data: they must reach the temp paths inside the prefix.
  chmodSync(prefix, 0o755);
  mkdirSync(path.join(prefix, 'temp'));
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  const config = renderNginxConfig(example, { ...options, prefix, port, tlsPort });
  const configPath = path.join(prefix, 'nginx.conf');
  writeFileSync(configPath, config);

  // nginx itself answers 404 at the internal `/_auth` location once its workers run.
  const nginx = await runProxy('nginx', NGINX_BINARY, ['-c', configPath, '-p', prefix, '-g', 'daemon off;'], {
    dir: prefix,
    answering: () => answersOn(port, { path: '/_auth' }, (res) => res.headers.server === 'nginx'),
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    ...(tlsPort !== undefined ? { tlsUrl: `https://127.0.0.1:${tlsPort}`, tlsPort } : {}),
    config,
    errorLog: nginx.log,
    stop: nginx.stop, // SIGTERM: the master stops its workers and exits
  };
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names and values in wire order, to see duplicates Node would merge. */
  rawHeaders: string[];
  body: string;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** For `https:` URLs: the CA to trust and an optional client certificate (PEM text). */
  tls?: { ca: string; cert?: string; key?: string };
}

/**
 * One HTTP(S) request with the path sent exactly as written: `fetch` would resolve `/a/../b`,
 * hiding what a hostile client can send.
 */
export function rawRequest(baseUrl: string, rawPath: string, init: RawRequest = {}): Promise<RawResponse> {
  const { protocol, hostname, port } = new URL(baseUrl);
  const options = { host: hostname, port, path: rawPath, method: init.method ?? 'GET', headers: init.headers, agent: false as const };
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    };
    const req = protocol === 'https:' ? httpsRequest({ ...options, ...init.tls }, onResponse) : request(options, onResponse);
    req.on('error', reject);
    req.end(init.body);
  });
}
