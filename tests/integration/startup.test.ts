import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runAppExpectingExit, startApp } from '../support/app';
import { createPostgresDatabase } from '../support/postgres';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ALICE = `Basic ${Buffer.from('alice:pw-alice').toString('base64')}`;
const baseConfig = {
  providers: [{ type: 'plain', name: 'users', realm: 'local', users: [{ username: 'alice', password: 'pw-alice' }] }],
  jwt: { iss: 'startup-test', exp: 60 },
};

async function issuedKid(url: string): Promise<string> {
  const response = await fetch(`${url}/api/authenticate`, { headers: { Authorization: ALICE } });
  expect(response.status).toBe(200);
  const token = response.headers.get('authorization')!.slice(7);
  await jwtVerify(token, createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`)), { issuer: 'startup-test' });
  return decodeProtectedHeader(token).kid!;
}

async function publishedKids(url: string): Promise<string[]> {
  const { keys } = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
  return keys.map((k) => k.kid);
}

describe('a bad config stops the process with exit code 2', () => {
  it('prints one line per problem, each naming the key path', async () => {
    const { code, output } = await runAppExpectingExit('jwt: {exp: never}\nproviders: [{type: plain, name: x, realm: y}]\ncolour: blue\n');
    expect(code).toBe(2);
    const lines = output.trim().split('\n');
    expect(lines).toEqual(expect.arrayContaining(['config error: jwt.exp: expected a duration like 30s, 15m, 72h or 90d, got "never"', 'config warning: colour: unknown key, ignored']));
    expect(lines.some((l) => l.startsWith('config error: providers.0.users: '))).toBe(true);
  });

  it('refuses an unknown key whose loss would loosen access (a misspelt policy), beside the ones it only warns about', async () => {
    const { code, output } = await runAppExpectingExit('policies: [{match: {paht: /admin}, require: {deny: true}}]\ncolour: blue\n');
    expect(code).toBe(2);
    const lines = output.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'config error: policies.0.match.paht: unknown key, refused: no key inside policies, a section auth-o-tron never had, is ignored (did you mean "policies.0.match.path"?)',
        'config warning: colour: unknown key, ignored',
      ]),
    );
  });

  it('refuses malformed YAML the same way', async () => {
    const { code, output } = await runAppExpectingExit('providers: [unclosed\n');
    expect(code).toBe(2);
    expect(output).toMatch(/config error: .*config\.yaml:\d+:\d+: YAML:/);
  });
});

describe('signing keys', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('are generated once and kept across restarts (PGlite)', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aot-keys-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env = { AOT_DATABASE__PATH: dataDir };
    const first = await startApp({ config: baseConfig, env });
    const kid = await issuedKid(first.url);
    await first.stop();
    const second = await startApp({ config: baseConfig, env });
    cleanups.push(() => second.stop());
    expect(await issuedKid(second.url)).toBe(kid);
  });

  it('are shared by replicas on one Postgres, and rotation keeps the old key published', async () => {
    const database = await createPostgresDatabase();
    cleanups.push(() => database.drop());
    const [a, b] = await Promise.all([startApp({ config: baseConfig, databaseUrl: database.url }), startApp({ config: baseConfig, databaseUrl: database.url })]);
    cleanups.push(
      () => a.stop(),
      () => b.stop(),
    );
    const kid = await issuedKid(a.url);
    expect(await issuedKid(b.url)).toBe(kid);

    const dir = mkdtempSync(path.join(tmpdir(), 'aot-rotate-'));
    writeFileSync(path.join(dir, 'config.yaml'), stringify(baseConfig));
    const rotation = spawnSync(process.execPath, ['--import', 'tsx', '--import', './scripts/server-only-hook.mjs', 'scripts/rotate-keys.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', AOT_CONFIG_PATH: path.join(dir, 'config.yaml'), DATABASE_URL: database.url },
      encoding: 'utf8',
    });
    rmSync(dir, { recursive: true, force: true });
    expect(rotation.status, rotation.stderr).toBe(0);

    // Every replica hears the rotation (LISTEN/NOTIFY) and signs with the new key; the old one stays published.
    await expect.poll(() => issuedKid(b.url), { timeout: 5000 }).not.toBe(kid);
    const newKid = await issuedKid(a.url);
    expect(newKid).not.toBe(kid);
    expect(await publishedKids(a.url)).toEqual(expect.arrayContaining([kid, newKid]));
  });

  it("can come from the config as a PEM key (EdDSA), or be auth-o-tron's HS256 secret", async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const pemApp = await startApp({ config: { ...baseConfig, jwt: { ...baseConfig.jwt, keys: [{ kid: 'configured-1', private_key: pem }] } } });
    cleanups.push(() => pemApp.stop());
    expect(await issuedKid(pemApp.url)).toBe('configured-1');
    expect(JSON.stringify(await (await fetch(`${pemApp.url}/.well-known/jwks.json`)).json())).not.toContain('"d"');

    const hsApp = await startApp({ config: { ...baseConfig, jwt: { ...baseConfig.jwt, secret: 'a-shared-secret-for-backends-123456' } } });
    cleanups.push(() => hsApp.stop());
    const response = await fetch(`${hsApp.url}/api/authenticate`, { headers: { Authorization: ALICE } });
    const token = response.headers.get('authorization')!.slice(7);
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode('a-shared-secret-for-backends-123456'));
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.sub).toBe('local-alice');
    expect(await publishedKids(hsApp.url)).toEqual([]);
  });
});
