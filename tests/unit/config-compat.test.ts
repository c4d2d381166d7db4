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
        '  - {type: jwt, name: b, realm: s, cert_uri: "https://idp.example/certs", iam_relm: x}',
        'jwt: {iss: x, expiry: 3}',
        'colour: blue',
      ].join('\n'),
    );
    expect(warnings).toEqual(
      expect.arrayContaining([
        'sever: unknown key, ignored (did you mean "server"?)',
        'server.prot: unknown key, ignored (did you mean "server.port"?)',
        'providers.0.users.0.rols: unknown key, ignored (did you mean "providers.0.users.0.roles"?)',
        // The provider's own keys: a jwt provider knows `iam_realm`, a plain one would not.
        'providers.1.iam_relm: unknown key, ignored (did you mean "providers.1.iam_realm"?)',
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

describe('unknown keys that could loosen access: refused (exit 2), with the key probably meant', () => {
  const USERS = 'providers: [{type: plain, name: u, realm: r, users: [{username: a, password: p}]}]\n';

  it('anywhere inside policies, a section auth-o-tron never had: a misspelt match or require is not a match-all or require-nothing rule', () => {
    expect(refused(`${USERS}policies: [{match: {paht: /admin}, require: {roles_anny: [admin]}}]\n`).problems).toEqual([
      'policies.0.match.paht: unknown key, refused: no key inside policies, a section auth-o-tron never had, is ignored (did you mean "policies.0.match.path"?)',
      'policies.0.require.roles_anny: unknown key, refused: no key inside policies, a section auth-o-tron never had, is ignored (did you mean "policies.0.require.roles_any"?)',
    ]);
    expect(refused(`${USERS}policies: [{match: {path: /admin}, require: {dney: true}}]\n`).problems).toEqual([
      'policies.0.require.dney: unknown key, refused: no key inside policies, a section auth-o-tron never had, is ignored (did you mean "policies.0.require.deny"?)',
    ]);
    // Spelled right, the same rule loads.
    expect(load(`${USERS}policies: [{match: {path: /admin}, require: {deny: true}}]\n`).config.policies).toEqual([{ match: { path: '/admin' }, require: { deny: true } }]);
  });

  it('inside the other sections auth-o-tron never had, and inside provider types it never had', () => {
    expect(refused('tokens: {max_per_usr: 5}\n').problems).toEqual([expect.stringMatching(/^tokens\.max_per_usr: unknown key, refused: no key inside tokens, a section auth-o-tron never had/)]);
    expect(refused('portal: {admin_role: [x]}\n').problems).toEqual([expect.stringMatching(/^portal\.admin_role: unknown key, refused: .*\(did you mean "portal\.admin_roles"\?\)$/)]);
    expect(refused('providers: [{type: tokens, name: t, relm: r}]\n').problems).toEqual([
      expect.stringMatching(/^providers\.0\.relm: unknown key, refused: no key inside a tokens provider, a type auth-o-tron never had/),
    ]);
    // (scim.token_hash is then missing too.)
    expect(refused('colour: x\n', { AOT_SCIM__TOKEN: 'x' }).problems[0]).toMatch(/^AOT_SCIM__TOKEN: names no config key \(scim\.token\), refused: no key inside scim/);
  });

  it('anywhere, when the key it looks like decides access: default_policy, issuer, audience, proxy_secret', () => {
    expect(refused(`${USERS}default_polcy: deny\n`).problems).toEqual([
      'default_polcy: unknown key, refused: default_policy decides access, so a key that looks like it is never ignored (did you mean "default_policy"?)',
    ]);
    const jwtProvider = (extra: string) => `providers: [{type: jwt, name: idp, realm: r, cert_uri: "https://idp.example/certs", ${extra}}]\n`;
    expect(refused(jwtProvider('isuer: https://idp.example')).problems).toEqual([
      'providers.0.isuer: unknown key, refused: issuer decides access, so a key that looks like it is never ignored (did you mean "providers.0.issuer"?)',
    ]);
    expect(refused(jwtProvider('audince: my-api')).problems).toEqual([
      'providers.0.audince: unknown key, refused: audience decides access, so a key that looks like it is never ignored (did you mean "providers.0.audience"?)',
    ]);
    expect(refused('server: {proxy_secrte: a-long-random-string-0123}\n').problems).toEqual([
      'server.proxy_secrte: unknown key, refused: proxy_secret decides access, so a key that looks like it is never ignored (did you mean "server.proxy_secret"?)',
    ]);
    expect(refused('colour: x\n', { AOT_SERVER__TRUSTED_PROXIE: '[10.0.0.0/8]' }).problems).toEqual([
      'AOT_SERVER__TRUSTED_PROXIE: names no config key (server.trusted_proxie), refused: trusted_proxies decides access, so a key that looks like it is never ignored (did you mean AOT_SERVER__TRUSTED_PROXIES?)',
    ]);
  });

  it('the other unknown keys and variables stay warnings, refused ones listed beside them', () => {
    const error = refused(`${USERS}default_polcy: deny\ncolour: blue\n`, { AOT_FOO_BAR: '1' });
    expect(error.problems).toHaveLength(1);
    expect(error.warnings).toEqual(['colour: unknown key, ignored', 'AOT_FOO_BAR: names no config key (foo_bar), ignored']);
    expect(load(USERS, { AOT_FOO_BAR: '1' }).warnings).toEqual(['AOT_FOO_BAR: names no config key (foo_bar), ignored']);
  });

  it('AOT_DEFAULT__POLICY: the name is also read unsplit, so the variable meant is suggested (and it is refused: it decides access)', () => {
    expect(refused(USERS, { AOT_DEFAULT__POLICY: 'deny' }).problems).toEqual([
      'AOT_DEFAULT__POLICY: names no config key (default.policy), refused: default_policy decides access, so a key that looks like it is never ignored (did you mean AOT_DEFAULT_POLICY?)',
    ]);
    expect(load(USERS, { AOT_SERVER__SHUTDOWN__TIMEOUT: '5s' }).warnings).toEqual([
      'AOT_SERVER__SHUTDOWN__TIMEOUT: names no config key (server.shutdown.timeout), ignored (did you mean AOT_SERVER__SHUTDOWN_TIMEOUT?)',
    ]);
    expect(load(USERS, { AOT_DEFAULT_POLICY: 'deny' }).config.default_policy).toBe('deny');
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
    expect(load('server: {port: 8080}\nmetrics: {enabled: false, port: 8080}\n').config.metrics).toEqual({ enabled: false, port: 8080, app_port: true });
    expect(load('metrics: {}\n').config.metrics).toEqual({ enabled: true, port: 9090, app_port: true }); // auth-o-tron's defaults
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
    expect(config.metrics).toEqual({ enabled: false, port: 9090, app_port: true });
    expect(warnings).toEqual([expect.stringMatching(/^providers\.2\.name: "Plain provider" is used more than once/), expect.stringMatching(/^jwt\.secret: shorter than 32/)]);
  });

  it.each(['full-example.yml', 'helm-default.yml', 'integration-test.yml', 'metrics.yml', 'nginx-example.yml', 'version1.yml'])('%s loads, no unknown key in it', (name) => {
    expect(loadConfig({ AOT_CONFIG_PATH: fixture(name) }).warnings.filter((w) => w.includes('unknown key'))).toEqual([]);
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
  const check = (file: string, env: Record<string, string> = {}, flags: string[] = []) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/config-check.ts', ...flags, file], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env } });

  it('exits 0 on a clean config', () => {
    const result = check(fixture('version1.yml'));
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('config ok');
  });

  it("exits 0 on auth-o-tron's integration-test config and Helm default, printing their warnings (2 with --warnings-as-errors)", () => {
    for (const [name, warned] of [
      ['integration-test.yml', 'providers.2.name'],
      ['helm-default.yml', 'jwt.iss'],
    ]) {
      const result = check(fixture(name!));
      expect(result.status, `${name}: ${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(/^config ok: .* \(2 warnings\)$/m);
      expect(result.stderr).toContain(`config warning: ${warned}: `);
      expect(check(fixture(name!), {}, ['--warnings-as-errors']).status).toBe(2);
    }
  });

  it('refuses unknown keys and AOT_ variables that name no key, and exits 2', () => {
    const result = check(writeConfig('colour: blue\njwt: {iss: x}\n'), { AOT_JWT__SECERT: 'x' });
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines.sort()).toEqual([
      'config error: AOT_JWT__SECERT: names no config key (jwt.secert), refused (npm run config:check) (did you mean AOT_JWT__SECRET?)',
      'config error: colour: unknown key, refused (npm run config:check)',
    ]);
  });

  it('prints problems and exits 2', () => {
    const result = check(writeConfig('jwt: {exp: soon}\n'));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('config error: jwt.exp: expected a duration');
  });
});
