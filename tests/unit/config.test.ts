import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@/lib/config/load';

const fixture = (name: string) => path.resolve(import.meta.dirname, '../fixtures/auth-o-tron', name);

function writeConfig(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'aot-config-')), 'config.yaml');
  writeFileSync(file, text);
  return file;
}

function refusal(text: string, env: Record<string, string> = {}): ConfigError {
  try {
    loadConfig({ AOT_CONFIG_PATH: writeConfig(text), ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('config was accepted');
}

const problemsOf = (text: string, env: Record<string, string> = {}): string[] => refusal(text, env).problems;

describe('auth-o-tron config files load unchanged', () => {
  it('loads the nginx example (2.0.0) with a short HS256 secret, with a warning', () => {
    const { config, warnings } = loadConfig({ AOT_CONFIG_PATH: fixture('nginx-example.yml') });
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(config.providers.map((p) => [p.type, p.name, p.realm])).toEqual([
      ['plain', 'plain-provider', 'localrealm'],
      ['ecmwf-api', 'ECMWF API Provider', 'ecmwf'],
    ]);
    expect(config.jwt).toMatchObject({ exp: 3600, iss: 'authotron-test', aud: 'authotron-test', secret: 'some-secret-key' });
    expect(config.auth.timeout_in_ms).toBe(3000);
    expect(warnings.join('\n')).toContain('jwt.secret');
  });

  it('loads the documented full example: the store on (our tokens, its MongoDB settings unused, with a warning) and the metrics listener', () => {
    const { config, warnings } = loadConfig({ AOT_CONFIG_PATH: fixture('full-example.yml') });
    expect(config.augmenters[0]).toMatchObject({ type: 'plain_advanced', augment: { roles: ['superuser'], attributes: { department: 'engineering' } } });
    expect(config.logging).toMatchObject({ level: 'info', format: 'json', service_name: 'auth-o-tron' });
    expect(config.services).toEqual([{ name: 'polytope', scopes: [{ name: 'read' }, { name: 'write' }] }]); // plain scope names, read as the object form
    expect(warnings.some((w) => w.startsWith('store: the MongoDB settings are not used'))).toBe(true);
    expect(config.store?.enabled).toBe(true);
    // auth-o-tron's store was a Bearer provider named token-store: tokens made at /token authenticate.
    expect(config.providers.at(-1)).toEqual({ type: 'tokens', name: 'token-store' });
    expect(config.metrics).toEqual({ enabled: true, port: 9090, app_port: true });
  });

  it('converts version 1.0.0 bind_address to server.host/port', () => {
    const { config } = loadConfig({ AOT_CONFIG_PATH: fixture('version1.yml') });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8081 });
    expect(config.logging.level).toBe('info');
  });
});

describe('environment overrides', () => {
  it('AOT_<SECTION>__<KEY> overrides the file, with YAML scalar types', () => {
    const { config } = loadConfig({ AOT_CONFIG_PATH: fixture('nginx-example.yml'), AOT_JWT__EXP: '600', AOT_JWT__ISS: 'from-env', AOT_INCLUDE_LEGACY_HEADERS: 'true' });
    expect(config.jwt.exp).toBe(600);
    expect(config.jwt.iss).toBe('from-env');
    expect(config.include_legacy_headers).toBe(true);
  });

  it('honours PORT and DATABASE_URL, below the AOT_ variables', () => {
    const { config } = loadConfig({ AOT_CONFIG_PATH: fixture('nginx-example.yml'), PORT: '9999', DATABASE_URL: 'postgres://x/y' });
    expect(config.server.port).toBe(9999);
    expect(config.database.url).toBe('postgres://x/y');
    expect(loadConfig({ AOT_CONFIG_PATH: fixture('nginx-example.yml'), PORT: '9999', AOT_SERVER__PORT: '7777' }).config.server.port).toBe(7777);
  });

  describe('HOSTNAME (a container always sets it to its own name) fills server.host only when nothing else set it', () => {
    const HOSTNAME = 'auth-o-tron-7d9f8c6b5-x2x7q';

    it('is used when neither the file nor AOT_SERVER__HOST sets a host', () => {
      expect(loadConfig({ AOT_CONFIG_PATH: writeConfig('server: {port: 8080}\n'), HOSTNAME }).config.server.host).toBe(HOSTNAME);
      expect(loadConfig({ AOT_CONFIG_PATH: writeConfig('jwt: {exp: 60}\n'), HOSTNAME }).config.server.host).toBe(HOSTNAME);
    });

    it("never overrides the file's server.host", () => {
      expect(loadConfig({ AOT_CONFIG_PATH: fixture('nginx-example.yml'), HOSTNAME }).config.server.host).toBe('0.0.0.0');
    });

    it("never overrides auth-o-tron 1.0.0's bind_address", () => {
      expect(loadConfig({ AOT_CONFIG_PATH: fixture('version1.yml'), HOSTNAME }).config.server.host).toBe('127.0.0.1');
    });

    it('never overrides AOT_SERVER__HOST, with or without a host in the file', () => {
      expect(loadConfig({ AOT_CONFIG_PATH: fixture('nginx-example.yml'), HOSTNAME, AOT_SERVER__HOST: '10.1.2.3' }).config.server.host).toBe('10.1.2.3');
      expect(loadConfig({ AOT_CONFIG_PATH: writeConfig('server: {port: 8080}\n'), HOSTNAME, AOT_SERVER__HOST: '0.0.0.0' }).config.server.host).toBe('0.0.0.0');
    });

    it("keeps the demo on this machine (its host is set): the demo's published passwords stay off the network", () => {
      const cwd = process.cwd();
      process.chdir(mkdtempSync(path.join(tmpdir(), 'aot-no-config-')));
      try {
        const loaded = loadConfig({ HOSTNAME });
        expect(loaded.demo).toBe(true);
        expect(loaded.config.server.host).toBe('127.0.0.1');
      } finally {
        process.chdir(cwd);
      }
    });
  });

  it('accepts durations written 15m, 72h, 90d', () => {
    const { config } = loadConfig({ AOT_CONFIG_PATH: writeConfig('tokens: {max_lifetime: 90d, default_lifetime: 72h, cache_ttl: 15m}\njwt: {exp: 10m}\n') });
    expect(config.tokens).toMatchObject({ max_lifetime: 90 * 86400, default_lifetime: 72 * 3600, cache_ttl: 900 });
    expect(config.jwt.exp).toBe(600);
  });

  it('reads database.listen_url from the file or DATABASE_LISTEN_URL (below AOT_DATABASE__LISTEN_URL), and only beside database.url', () => {
    const withUrl = writeConfig('database: {url: postgres://pooler/aot, listen_url: postgres://direct/aot}\n');
    expect(loadConfig({ AOT_CONFIG_PATH: withUrl }).config.database).toMatchObject({ url: 'postgres://pooler/aot', listen_url: 'postgres://direct/aot' });
    const env = { AOT_CONFIG_PATH: fixture('nginx-example.yml'), DATABASE_URL: 'postgres://pooler/aot', DATABASE_LISTEN_URL: 'postgres://session/aot' };
    expect(loadConfig(env).config.database.listen_url).toBe('postgres://session/aot');
    expect(loadConfig({ ...env, AOT_DATABASE__LISTEN_URL: 'postgres://other/aot' }).config.database.listen_url).toBe('postgres://other/aot');
    expect(problemsOf('database: {listen_url: postgres://direct/aot}\n')).toEqual(['database.listen_url: needs database.url (the embedded database has no separate listener)']);
  });
});

describe('bad configs are refused with one line per problem naming the key', () => {
  it('reports malformed YAML with its position', () => {
    const [problem] = problemsOf('providers:\n  - type: plain\n    name: [unclosed\n');
    expect(problem).toMatch(/config\.yaml:\d+:\d+: YAML:/);
  });

  it('reports wrong types and missing fields, each with its path, and the unknown keys beside them', () => {
    const { problems, warnings } = refusal(
      [
        'sever: {port: 1}',
        'jwt: {exp: soon}',
        'auth: {timeout_in_ms: -5}',
        'providers:',
        '  - {type: plain, name: a, realm: r, users: [{username: u}]}',
        '  - {type: jwt, name: b, realm: r, cert_uri: not-a-url, algorithms: [HS256]}',
        '  - {type: carrier-pigeon, name: c, realm: r}',
        'default_policy: maybe',
      ].join('\n'),
    );
    const text = problems.join('\n');
    expect(warnings).toEqual(['sever: unknown key, ignored (did you mean "server"?)']);
    expect(text).toMatch(/^jwt\.exp: expected a duration/m);
    expect(text).toMatch(/^auth\.timeout_in_ms: /m);
    expect(text).toMatch(/^providers\.0\.users\.0: set exactly one of password_hash or password/m);
    expect(text).toMatch(/^providers\.1\.cert_uri: /m);
    expect(text).toMatch(/^providers\.1\.algorithms\.0: /m);
    expect(text).toMatch(/^providers\.2\.type: /m);
    expect(text).toMatch(/^default_policy: /m);
    for (const line of problems) expect(line).not.toContain('\n');
  });

  it('refuses policy scopes that are not in the services catalog', () => {
    expect(problemsOf('services: [{name: polytope, scopes: [read]}]\npolicies:\n  - {match: {path: /x/**}, require: {scopes: [polytope:write]}}\n')).toEqual([
      'policies.0.require.scopes.0: scope "polytope:write" is not in the services catalog',
    ]);
  });

  it('refuses a trusted proxy that is not an address or CIDR range, instead of trusting something else or nothing', () => {
    for (const bad of ['10.0.0.0/abc', '10.0.0.0/33', 'localhost', '10.0.0.1/8/1', '::1/129']) {
      expect(problemsOf(`server: {trusted_proxies: ["127.0.0.1", "${bad}"]}\n`)).toEqual(['server.trusted_proxies.1: expected an IP address or CIDR range, e.g. 192.0.2.0/24 or 2001:db8::/32']);
    }
    expect(loadConfig({ AOT_CONFIG_PATH: writeConfig('server: {trusted_proxies: [" 10.0.0.0/8", "::1", "192.0.2.7"]}\n') }).config.server.trusted_proxies).toEqual(['10.0.0.0/8', '::1', '192.0.2.7']);
  });

  it('refuses an x509 provider without server.proxy_secret (a forwarded certificate must prove where it came from), and a short secret', () => {
    const x509 = 'providers:\n  - {type: x509, name: certs, realm: c, ca: "-----BEGIN CERTIFICATE-----"}\n';
    expect(problemsOf(x509).some((p) => p.startsWith('server.proxy_secret: required by the x509 provider "certs"'))).toBe(true);
    expect(problemsOf(`server: {proxy_secret: short}\n`)).toEqual(['server.proxy_secret: at least 16 characters']);
    expect(loadConfig({ AOT_CONFIG_PATH: writeConfig(x509), AOT_SERVER__PROXY_SECRET: 'a-long-enough-proxy-secret' }).config.server.proxy_secret).toBe('a-long-enough-proxy-secret');
  });

  it('checks the deprovisioning keys: scim.token_hash, portal.revalidate_every and portal.encryption_key', () => {
    const { config } = loadConfig({
      AOT_CONFIG_PATH: writeConfig('portal: {revalidate_every: 1h, encryption_key: "0123456789abcdef0123456789abcdef"}\nscim: {token_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"}\n'),
    });
    expect(config.portal?.revalidate_every).toBe(3600);
    expect(config.scim?.token_hash).toMatch(/^\$argon2id\$/);
    expect(problemsOf('scim: {token_hash: plain-secret}\nportal: {revalidate_every: often, encryption_key: short}\n')).toEqual([
      'portal.revalidate_every: expected a duration like 30s, 15m, 72h or 90d, got "often"',
      'portal.encryption_key: at least 32 characters',
      'scim.token_hash: must be an argon2id PHC string ($argon2id$...)',
    ]);
    expect(problemsOf('scim: {}\n')).toEqual(['scim.token_hash: Invalid input: expected string, received undefined']);
  });

  it('refuses a missing explicit config file', () => {
    expect(() => loadConfig({ AOT_CONFIG_PATH: '/nonexistent/config.yaml' })).toThrow(ConfigError);
  });

  it('refuses a top level that is not a mapping', () => {
    expect(problemsOf('- just\n- a list\n')[0]).toContain('top level must be a mapping');
  });
});
