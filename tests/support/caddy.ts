import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { answersOn, runProxy } from './proxy-process';
import { freePort } from './ports';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The shipped example; the test runs it, so what we document is what we test. */
export const CADDYFILE_PATH = path.join(ROOT, 'deploy/caddy/Caddyfile');
const CADDY_BINARY = process.env.CADDY_BINARY ?? '/usr/bin/caddy';

export interface CaddyOptions {
  /** Auth-O-Tron as `host:port`. */
  appAddress: string;
  /** The protected backend as `host:port`. */
  backendAddress: string;
  /** `server.proxy_secret`, given to Caddy as the example says (`AOT_PROXY_SECRET`). */
  proxySecret: string;
}

export interface RunningCaddy {
  url: string;
  port: number;
  config: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * The example with only its addresses and ports changed. Each rewrite must match exactly, so editing
 * one of these lines in the example fails the test loudly instead of silently testing something else.
 */
export function renderCaddyfile(example: string, options: CaddyOptions & { port: number; adminPort: number }): string {
  let config = example;
  const rewrite = (pattern: RegExp, replacement: (indent: string) => string, expected = 1) => {
    const global = new RegExp(pattern.source, 'gm');
    const count = config.match(global)?.length ?? 0;
    if (count !== expected) throw new Error(`Caddyfile example: expected ${expected} match(es) of ${pattern}, found ${count}`);
    config = config.replace(global, (_, indent: string) => replacement(indent));
  };
  // Everything on loopback: the admin API and (default_bind) the site's listener.
  rewrite(/^(\s*)admin localhost:2019(?=\s)/, (indent) => `${indent}admin 127.0.0.1:${options.adminPort}\n${indent}default_bind 127.0.0.1`);
  // The same hosts over plain HTTP on a free port (the tests send their Host header).
  rewrite(/^()api\.example\.org, internal\.example\.org \{/, () => `http://api.example.org:${options.port}, http://internal.example.org:${options.port} {`);
  rewrite(/^(\s*)forward_auth 127\.0\.0\.1:3000 \{/, (indent) => `${indent}forward_auth ${options.appAddress} {`);
  rewrite(/^(\s*)reverse_proxy 127\.0\.0\.1:3000 \{/, (indent) => `${indent}reverse_proxy ${options.appAddress} {`);
  rewrite(/^(\s*)reverse_proxy 127\.0\.0\.1:8080(?=\s)/, (indent) => `${indent}reverse_proxy ${options.backendAddress}`);
  return config;
}

/** Runs Debian's caddy in the foreground with the example, its state in a temporary directory (never as a service). */
export async function startCaddy(options: CaddyOptions): Promise<RunningCaddy> {
  const example = readFileSync(CADDYFILE_PATH, 'utf8');
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(example, options);
    } catch (error) {
      // A port picked by the OS can be taken again before Caddy binds it.
      if (attempt >= 3 || !(error instanceof Error) || !error.message.includes('address already in use')) throw error;
    }
  }
}

async function startOnce(example: string, options: CaddyOptions): Promise<RunningCaddy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aot-caddy-'));
  const [port, adminPort] = [await freePort(), await freePort()];
  const config = renderCaddyfile(example, { ...options, port, adminPort });
  const file = path.join(dir, 'Caddyfile');
  writeFileSync(file, config);
  const caddy = await runProxy('caddy', CADDY_BINARY, ['run', '--config', file, '--adapter', 'caddyfile'], {
    dir,
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, AOT_PROXY_SECRET: options.proxySecret },
    // The app's health through Caddy's app route.
    answering: () => answersOn(port, { path: '/api/health', host: 'api.example.org' }, (res) => res.statusCode === 200),
    timeoutMs: 15_000,
  });
  return { url: `http://127.0.0.1:${port}`, port, config, log: caddy.log, stop: caddy.stop };
}
