import { existsSync, readFileSync } from 'node:fs';
import { parseDocument, parse as parseYamlScalar } from 'yaml';
import { z } from 'zod';
import { configSchema, type Config } from './schema';
import { demoConfig } from './demo';

export interface LoadedConfig {
  config: Config;
  /** True when no config file exists and the built-in demo config is used. */
  demo: boolean;
  source: string;
  warnings: string[];
}

/** A config that cannot be used; `problems` holds one line per problem, each naming its key path. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;
type Tree = Record<string, unknown>;

export function loadConfig(env: Env = process.env): LoadedConfig {
  const explicitPath = env.AOT_CONFIG_PATH;
  const path = explicitPath ?? './config.yaml';
  const warnings: string[] = [];
  let raw: Tree;
  let demo = false;

  if (existsSync(/*turbopackIgnore: true*/ path)) {
    raw = parseYamlFile(path);
  } else if (explicitPath) {
    throw new ConfigError([`AOT_CONFIG_PATH: file not found: ${explicitPath}`]);
  } else {
    raw = demoConfig();
    demo = true;
  }

  raw = upgradeVersion1(raw);
  applyEnvOverrides(raw, env);
  if (raw.store !== undefined) warnings.push('store: auth-o-tron\'s MongoDB token store is not used; opaque tokens live in the database (see README)');
  if (raw.metrics !== undefined) warnings.push('metrics: the separate metrics port is not supported; the key is ignored');

  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(result.error));
  const secret = result.data.jwt.secret;
  if (secret !== undefined && secret.length < 32) warnings.push('jwt.secret: shorter than 32 characters; prefer asymmetric keys (remove jwt.secret) so backends need no shared secret');
  return { config: result.data, demo, source: demo ? 'built-in demo config' : path, warnings };
}

function parseYamlFile(path: string): Tree {
  const text = readFileSync(/*turbopackIgnore: true*/ path, 'utf8');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => `${path}:${e.linePos?.[0]?.line ?? '?'}:${e.linePos?.[0]?.col ?? '?'}: YAML: ${e.message.split('\n')[0]}`));
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError([`${path}: the top level must be a mapping of keys`]);
  return value as Tree;
}

/** auth-o-tron 1.0.0 wrote `bind_address: host:port`; 2.0.0 has `server: {host, port}`. */
function upgradeVersion1(raw: Tree): Tree {
  const { bind_address: bindAddress, ...rest } = raw;
  if (bindAddress === undefined) return raw;
  const match = typeof bindAddress === 'string' ? /^(.*):(\d+)$/.exec(bindAddress) : null;
  if (!match) throw new ConfigError([`bind_address: expected "host:port", got ${JSON.stringify(bindAddress)}`]);
  const server = (typeof rest.server === 'object' && rest.server !== null ? rest.server : {}) as Tree;
  return { ...rest, server: { host: match[1]?.replace(/^\[|\]$/g, ''), port: Number(match[2]), ...server } };
}

// AOT_ variables that are settings of the process, not config keys.
const NOT_CONFIG_KEYS = new Set(['AOT_CONFIG_PATH', 'AOT_DEMO_IDP_PORT']);

/** `AOT_JWT__EXP=600` sets `jwt.exp`; values are read as YAML scalars so numbers and booleans keep their type. */
function applyEnvOverrides(raw: Tree, env: Env): void {
  const overrides = Object.entries(env).filter(([key]) => key.startsWith('AOT_') && !NOT_CONFIG_KEYS.has(key));
  for (const [key, value] of overrides) {
    if (value === undefined) continue;
    const path = key.slice(4).toLowerCase().split('__');
    setPath(raw, path, parseEnvValue(value));
  }
  const port = env.PORT;
  if (port && env.AOT_SERVER__PORT === undefined) setPath(raw, ['server', 'port'], Number(port));
  const host = env.HOSTNAME;
  if (host && env.AOT_SERVER__HOST === undefined) setPath(raw, ['server', 'host'], host);
  if (env.DATABASE_URL && env.AOT_DATABASE__URL === undefined) setPath(raw, ['database', 'url'], env.DATABASE_URL);
  if (env.DATABASE_LISTEN_URL && env.AOT_DATABASE__LISTEN_URL === undefined) setPath(raw, ['database', 'listen_url'], env.DATABASE_LISTEN_URL);
}

function parseEnvValue(value: string): unknown {
  try {
    return parseYamlScalar(value);
  } catch {
    return value;
  }
}

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  path.forEach((segment, i) => {
    if (i === path.length - 1) {
      node[segment] = value;
      return;
    }
    const next = node[segment];
    if (typeof next !== 'object' || next === null) node[segment] = {};
    node = node[segment] as Tree;
  });
}

function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') return `${path === '(top level)' ? '' : `${path}.`}${issue.keys.join(', ')}: unknown key`;
    return `${path}: ${issue.message}`;
  });
}
