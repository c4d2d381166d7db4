import { existsSync, readFileSync } from 'node:fs';
import { parseDocument, parse as parseYamlScalar } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema';
import { demoConfig } from './demo';
import { closestMatch } from './suggest';
import { knownKeysAt, refusalOf } from './unknown-keys';

export interface LoadedConfig {
  config: Config;
  /** True when no config file exists and the built-in demo config is used. */
  demo: boolean;
  source: string;
  warnings: string[];
}

export interface LoadOptions {
  /** Refuse every unknown key, naming this as the reason (as `server.strict_config: true` does). */
  strictBy?: string;
}

/**
 * A config that cannot be used; `problems` holds one line per problem, each naming its key path, and
 * `warnings` what was found besides (unknown keys often explain a problem: `sever:` leaves `server` unset).
 */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    readonly warnings: string[] = [],
  ) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;
type Tree = Record<string, unknown>;

export function loadConfig(env: Env = process.env, options: LoadOptions = {}): LoadedConfig {
  const explicitPath = env.AOT_CONFIG_PATH;
  const path = explicitPath ?? './config.yaml';
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
  const fromFile = structuredClone(raw);
  const overrides = applyEnvOverrides(raw, env);
  const { result, unknown } = parseDroppingUnknownKeys(raw);
  const strict = options.strictBy ?? (result.success && result.data.server.strict_config ? 'server.strict_config' : undefined);
  const described = unknown.flatMap((key) => describeUnknownKey(key, raw, fromFile, overrides, strict));
  const refused = described.filter((line) => line.refused).map((line) => line.text);
  const unknownKeys = described.filter((line) => !line.refused).map((line) => line.text);
  if (!result.success) throw new ConfigError([...refused, ...formatIssues(result.error)], unknownKeys);
  if (refused.length > 0) throw new ConfigError(refused, unknownKeys);

  const warnings = [...unknownKeys];
  const config = normalise(result.data, warnings);
  return { config, demo, source: demo ? 'built-in demo config' : path, warnings };
}

/**
 * auth-o-tron's files as it read them, made unambiguous here: duplicate names get a suffix, empty
 * strings it accepted are explained, and the token store's provider is added when the store is on.
 */
function normalise(parsed: Config, warnings: string[]): Config {
  const config: Config = { ...parsed, providers: uniqueNames(parsed.providers, 'providers', warnings), augmenters: uniqueNames(parsed.augmenters, 'augmenters', warnings) };
  const { jwt, store } = config;
  if (jwt.iss === '') warnings.push('jwt.iss: empty; issued tokens carry iss "" (as auth-o-tron\'s did), so backends cannot tell them from another issuer\'s: set one');
  if (jwt.aud === '') warnings.push('jwt.aud: empty; treated as unset, no aud is emitted');
  if (jwt.secret === '')
    warnings.push(
      'jwt.secret: empty; treated as unset (a key of no bytes would let anyone sign): tokens are signed with asymmetric keys published at /.well-known/jwks.json; set AOT_JWT__SECRET for HS256',
    );
  else if (jwt.secret !== undefined && jwt.secret.length < 32) warnings.push('jwt.secret: shorter than 32 characters; prefer asymmetric keys (remove jwt.secret) so backends need no shared secret');
  if (store?.type !== undefined || store?.uri !== undefined || store?.database !== undefined) {
    warnings.push(`store: the MongoDB settings are not used; ${store.enabled ? "tokens made at /token live in this product's database" : 'opaque tokens live in the database (see README)'}`);
  }
  // auth-o-tron's store was itself a Bearer provider named token-store: tokens made at /token must work.
  if (store?.enabled && !config.providers.some((p) => p.type === 'tokens')) config.providers = [...config.providers, { type: 'tokens', name: 'token-store' }];
  return config;
}

/** Second and later uses of a name become `name#2`, `name#3`: logs, metrics, /providers and JWTs then say which one. */
function uniqueNames<T extends { name: string }>(items: T[], section: string, warnings: string[]): T[] {
  const seen = new Map<string, number>();
  const taken = new Set(items.map((item) => item.name));
  return items.map((item, i) => {
    const count = (seen.get(item.name) ?? 0) + 1;
    seen.set(item.name, count);
    if (count === 1) return item;
    let suffix = count;
    while (taken.has(`${item.name}#${suffix}`)) suffix++;
    const name = `${item.name}#${suffix}`;
    taken.add(name);
    const where = section === 'providers' ? 'logs, metrics, /providers and issued tokens' : 'logs, metrics and /augmenters';
    warnings.push(`${section}.${i}.name: "${item.name}" is used more than once; accepted as auth-o-tron does, and called "${name}" in ${where}`);
    return { ...item, name };
  });
}

interface UnknownKey {
  /** The object holding the key. */
  path: PropertyKey[];
  key: string;
  /** Keys the schema knows there. */
  known: string[];
}

type ParseResult = ReturnType<typeof configSchema.safeParse>;

/**
 * Parses with every unknown key removed (auth-o-tron ignored them), returning what was removed. A
 * removal can reveal more (a provider's keys are only checked once its `type` fits), hence the rounds.
 */
function parseDroppingUnknownKeys(raw: Tree): { result: ParseResult; unknown: UnknownKey[] } {
  const unknown: UnknownKey[] = [];
  for (let round = 0; ; round++) {
    const result = configSchema.safeParse(raw);
    const unrecognized = result.success ? [] : result.error.issues.filter((issue) => issue.code === 'unrecognized_keys');
    if (unrecognized.length === 0 || round === 10) return { result, unknown };
    for (const issue of unrecognized) {
      const known = knownKeysAt(configSchema, raw, issue.path);
      const holder = valueAt(raw, issue.path);
      for (const key of issue.keys) {
        unknown.push({ path: issue.path, key, known });
        if (typeof holder === 'object' && holder !== null) delete (holder as Tree)[key];
      }
    }
  }
}

interface UnknownKeyLine {
  text: string;
  refused: boolean;
}

/**
 * One line per unknown key and per `AOT_` variable that set it: where it came from and what was
 * probably meant, ignored or refused (see `refusalOf`; strictness refuses them all).
 */
function describeUnknownKey({ path, key, known }: UnknownKey, root: Tree, fromFile: Tree, overrides: EnvOverride[], strict: string | undefined): UnknownKeyLine[] {
  const full = [...path.map(String), key];
  const fate = (meant: string | undefined) => {
    const refusal = refusalOf(root, path, meant) ?? (strict ? `refused (${strict})` : undefined);
    return { fate: refusal ?? 'ignored', refused: refusal !== undefined };
  };
  const lines: UnknownKeyLine[] = [];
  const meant = closestMatch(key, known);
  if (valueAt(fromFile, full) !== undefined || !overrides.some((override) => startsWith(override.path, full))) {
    const { fate: said, refused } = fate(meant);
    lines.push({ text: `${full.join('.')}: unknown key, ${said}${meant ? ` (did you mean "${[...path.map(String), meant].join('.')}"?)` : ''}`, refused });
  }
  for (const override of overrides) {
    if (!startsWith(override.path, full)) continue;
    const suggestion = envSuggestion(override.path, path.length, known);
    const { fate: said, refused } = fate(suggestion?.[path.length]);
    lines.push({ text: `${override.variable}: names no config key (${override.path.join('.')}), ${said}${suggestion ? ` (did you mean ${envName(suggestion)}?)` : ''}`, refused });
  }
  return lines;
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((segment, i) => path[i] === segment);
}

/**
 * The variable probably meant: `__` separates levels, so `AOT_DEFAULT__POLICY` reads as
 * `default.policy`; the segments from `depth` on are also tried joined by `_` (`default_policy`),
 * longest first, before the single segment alone.
 */
function envSuggestion(path: readonly string[], depth: number, known: string[]): string[] | undefined {
  for (let end = path.length; end > depth; end--) {
    const meant = closestMatch(path.slice(depth, end).join('_'), known);
    if (meant) return [...path.slice(0, depth), meant, ...path.slice(end)];
  }
  return undefined;
}

function envName(path: string[]): string {
  return `AOT_${path.map((segment) => segment.toUpperCase()).join('__')}`;
}

function valueAt(tree: unknown, path: readonly PropertyKey[]): unknown {
  let node = tree;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
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

interface EnvOverride {
  variable: string;
  path: string[];
}

/**
 * `AOT_JWT__EXP=600` sets `jwt.exp`; values are read as YAML scalars so numbers and booleans keep
 * their type. Returns what was set, so a variable that names no key can be reported by its name.
 */
function applyEnvOverrides(raw: Tree, env: Env): EnvOverride[] {
  const applied: EnvOverride[] = [];
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith('AOT_') || NOT_CONFIG_KEYS.has(variable) || value === undefined) continue;
    const path = variable.slice(4).toLowerCase().split('__');
    setPath(raw, path, parseEnvValue(value));
    applied.push({ variable, path });
  }
  const port = env.PORT;
  if (port && env.AOT_SERVER__PORT === undefined) setPath(raw, ['server', 'port'], Number(port));
  // Containers always set HOSTNAME (to the container's name), so it only fills a host nobody chose.
  const host = env.HOSTNAME;
  if (host && hostOf(raw) === undefined) setPath(raw, ['server', 'host'], host);
  if (env.DATABASE_URL && env.AOT_DATABASE__URL === undefined) setPath(raw, ['database', 'url'], env.DATABASE_URL);
  if (env.DATABASE_LISTEN_URL && env.AOT_DATABASE__LISTEN_URL === undefined) setPath(raw, ['database', 'listen_url'], env.DATABASE_LISTEN_URL);
  return applied;
}

function hostOf(raw: Tree): unknown {
  const server = raw.server;
  return typeof server === 'object' && server !== null ? (server as Tree).host : undefined;
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
