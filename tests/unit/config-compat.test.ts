import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@/lib/config/load';
import { closestMatch, editDistance } from '@/lib/config/suggest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const fixture = (name: string) => path.resolve(import.meta.dirname, '../fixtures/auth-o-tron', name);

function writeConfig(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'aot-compat-')), 'config.yaml');
  writeFileSync(file, text);
  return file;
}

const load = (text: string, env: Record<string, string> = {}) => loadConfig({ AOT_CONFIG_PATH: writeConfig(text), ...env });

function refused(text: string, env: Record<string, string> = {}): ConfigError {
  try {
    load(text, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('config was accepted');
}

describe('did-you-mean', () => {
  it('counts a swap of neighbours as one edit, and suggests only what is close', () => {
    expect(editDistance('prot', 'port')).toBe(1);
    expect(editDistance('secert', 'secret')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closestMatch('sever', ['server', 'services'])).toBe('server');
    expect(closestMatch('PORT', ['host', 'port'])).toBe('port');
    expect(closestMatch('colour', ['server', 'jwt', 'providers'])).toBeUndefined();
  });
});

describe('unknown keys and AOT_ variables that name no key: a warning each, and the config loads', () => {
  it('names each key with its path and the key probably meant, at every depth', () => {
    const { config, warnings } = load(
      [
        'sever: {port: 1}',
        'server: {prot: 8080}',
        'providers:',
        '  - {type: plain, name: a, realm: r, users: [{username: u, password: p, rols: [x]}]}',
        '  - {type: jwt, name: b, realm: s, cert_uri: "https://idp.example/certs", isuer: https://idp.example}',
        'jwt: {iss: x, expiry: 3}',
        'colour: blue',
      ].join('\n'),
    );
    expect(warnings).toEqual(
      expect.arrayContaining([
        'sever: unknown key, ignored (did you mean "server"?)',
        'server.prot: unknown key, ignored (did you mean "server.port"?)',
        'providers.0.users.0.rols: unknown key, ignored (did you mean "providers.0.users.0.roles"?)',
        // The provider's own keys: a jwt provider knows `issuer`, a plain one would not.
        'providers.1.isuer: unknown key, ignored (did you mean "providers.1.issuer"?)',
        'jwt.expiry: unknown key, ignored',
        'colour: unknown key, ignored',
      ]),
    );
    expect(config.providers[0]).toMatchObject({ users: [{ username: 'u', roles: [] }] });
    expect(config.server.port).toBeUndefined();
  });

  it('names an AOT_ variable by its name, with the variable probably meant', () => {
    const { config, warnings } = load('jwt: {iss: x}\n', { AOT_JWT__SECERT: 'a-secret-of-more-than-thirty-two-chars', AOT_PLATFORM_REGION: 'eu-west', AOT_JWT__EXP: '60' });
    expect(warnings).toEqual(
      expect.arrayContaining(['AOT_JWT__SECERT: names no config key (jwt.secert), ignored (did you mean AOT_JWT__SECRET?)', 'AOT_PLATFORM_REGION: names no config key (platform_region), ignored']),
    );
    expect(warnings).toHaveLength(2);
    expect(config.jwt).toMatchObject({ iss: 'x', exp: 60 });
    expect(config.jwt.secret).toBeUndefined();
  });

  it('server.strict_config (in the file or as a variable) makes them errors', () => {
    expect(refused('server: {strict_config: true}\ncolour: blue\n').problems).toEqual(['colour: unknown key, refused (server.strict_config)']);
    expect(refused('colour: blue\n', { AOT_SERVER__STRICT_CONFIG: 'true', AOT_FOO: '1' }).problems).toEqual([
      'colour: unknown key, refused (server.strict_config)',
      'AOT_FOO: names no config key (foo), refused (server.strict_config)',
    ]);
    expect(load('server: {strict_config: true}\n').warnings).toEqual([]);
  });
});

describe('what auth-o-tron accepts, accepted with a warning', () => {
  it('duplicate provider names: later ones get a suffix, so logs, metrics and /providers say which', () => {
    const { config, warnings } = load(
      'providers:\n  - {type: plain, name: a, realm: r, users: []}\n  - {type: plain, name: a, realm: s, users: []}\n  - {type: plain, name: "a#2", realm: t, users: []}\n  - {type: plain, name: a, realm: u, users: []}\n',
    );
    expect(config.providers.map((p) => [p.name, p.realm])).toEqual([
      ['a', 'r'],
      ['a#3', 's'],
      ['a#2', 't'],
      ['a#4', 'u'],
    ]);
    expect(warnings).toEqual([
      'providers.1.name: "a" is used more than once; accepted as auth-o-tron does, and called "a#3" in logs, metrics, /providers and issued tokens',
      'providers.3.name: "a" is used more than once; accepted as auth-o-tron does, and called "a#4" in logs, metrics, /providers and issued tokens',
    ]);
  });

  it('an empty jwt.iss is kept (tokens carry iss ""), an empty secret or aud counts as unset', () => {
    const { config, warnings } = load('jwt: {iss: "", secret: "", aud: ""}\n');
    expect(config.jwt).toMatchObject({ iss: '', secret: '', aud: '' });
    expect(warnings.map((w) => w.split(':')[0])).toEqual(['jwt.iss', 'jwt.aud', 'jwt.secret']);
  });

  it('metrics must not share the app port', () => {
    expect(refused('server: {port: 8080}\nmetrics: {enabled: true, port: 8080}\n').problems).toEqual(['metrics.port: must differ from server.port (both are 8080)']);
    expect(load('server: {port: 8080}\nmetrics: {enabled: false, port: 8080}\n').config.metrics).toEqual({ enabled: false, port: 8080 });
    expect(load('metrics: {}\n').config.metrics).toEqual({ enabled: true, port: 9090 }); // auth-o-tron's defaults
  });
});

describe("auth-o-tron's own files", () => {
  it('its integration-test config loads: the shared provider name is told apart', () => {
    const { config, warnings } = loadConfig({ AOT_CONFIG_PATH: fixture('integration-test.yml') });
    expect(config.providers.map((p) => [p.type, p.name, p.realm])).toEqual([
      ['ecmwf-api', 'API key provider', 'ecmwf'],
      ['plain', 'Plain provider', 'ecmwf'],
      ['plain', 'Plain provider#2', 'other'],
    ]);
    expect(config.metrics).toEqual({ enabled: false, port: 9090 });
    expect(warnings).toEqual([expect.stringMatching(/^providers\.2\.name: "Plain provider" is used more than once/), expect.stringMatching(/^jwt\.secret: shorter than 32/)]);
  });

  it("its Helm chart's rendered default config loads: empty iss and secret, the metrics listener on 9090", () => {
    const { config, warnings } = loadConfig({ AOT_CONFIG_PATH: fixture('helm-default.yml') });
    expect(config).toMatchObject({ server: { host: '0.0.0.0', port: 8080 }, metrics: { enabled: true, port: 9090 }, jwt: { iss: '', secret: '', exp: 3600 }, providers: [] });
    expect(warnings.map((w) => w.split(':')[0])).toEqual(['jwt.iss', 'jwt.secret']);
    // The chart's extraEnv supplies the secret.
    const withSecret = loadConfig({ AOT_CONFIG_PATH: fixture('helm-default.yml'), AOT_JWT__SECRET: 'a-secret-from-a-kubernetes-secret-ref' });
    expect(withSecret.config.jwt.secret).toBe('a-secret-from-a-kubernetes-secret-ref');
    expect(withSecret.warnings.map((w) => w.split(':')[0])).toEqual(['jwt.iss']);
  });
});

describe('npm run config:check', () => {
  const check = (file: string, env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/config-check.ts', file], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env } });

  it('exits 0 on a clean config', () => {
    const result = check(fixture('version1.yml'));
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('config ok');
  });

  it('prints every warning and exits 2, unknown keys and AOT_ variables included', () => {
    const result = check(writeConfig('colour: blue\njwt: {iss: x}\n'), { AOT_JWT__SECERT: 'x' });
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining(['config warning: colour: unknown key, ignored', 'config warning: AOT_JWT__SECERT: names no config key (jwt.secert), ignored (did you mean AOT_JWT__SECRET?)']),
    );
    expect(lines).toHaveLength(2);
  });

  it('prints problems and exits 2', () => {
    const result = check(writeConfig('jwt: {exp: soon}\n'));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('config error: jwt.exp: expected a duration');
  });
});
