import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '@/db/pglite-lock';
import { runAppExpectingExit, startApp, type RunningApp } from '../support/app';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ALICE = `Basic ${Buffer.from('alice:pw-alice').toString('base64')}`;
const config = {
  providers: [{ type: 'plain', name: 'users', realm: 'local', users: [{ username: 'alice', password: 'pw-alice' }] }],
  jwt: { iss: 'rotate-test', exp: 60 },
};

async function issuedKid(app: RunningApp): Promise<string> {
  const response = await fetch(`${app.url}/api/authenticate`, { headers: { Authorization: ALICE } });
  expect(response.status).toBe(200);
  const token = response.headers.get('authorization')!.slice(7);
  await jwtVerify(token, createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)), { issuer: 'rotate-test' });
  return decodeProtectedHeader(token).kid!;
}

async function publishedKids(app: RunningApp): Promise<string[]> {
  const { keys } = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
  return keys.map((k) => k.kid);
}

describe('npm run keys:rotate on the embedded database (PGlite)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aot-rotate-pglite-'));
  const dataDir = path.join(dir, 'pglite');
  const configPath = path.join(dir, 'config.yaml');
  writeFileSync(configPath, stringify(config));
  const apps: RunningApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // The documented command, as an operator types it.
  const rotate = () =>
    spawnSync('npm', ['run', '--silent', 'keys:rotate'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', AOT_CONFIG_PATH: configPath, AOT_DATABASE__PATH: dataDir },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('is refused while the server runs, says what to do, and changes nothing', async () => {
    const app = await startApp({ config, pglitePath: dataDir });
    apps.push(app);
    const kid = await issuedKid(app);
    expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(true);

    const refused = rotate();
    expect(refused.status, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stdout).not.toContain('is active');
    expect(refused.stderr).toContain('refused, nothing was changed');
    expect(refused.stderr).toContain(`pid ${app.pid}`);
    expect(refused.stderr).toContain('Stop the server, run `npm run keys:rotate`, then start the server again');
    expect(refused.stderr).toContain('PostgreSQL (database.url)');

    // The server was not disturbed: same key, same JWKS, and it still holds the directory.
    expect(await issuedKid(app)).toBe(kid);
    expect(await publishedKids(app)).toEqual([kid]);
    expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(true);
  });

  it('refuses a second server on the same directory too', async () => {
    const { code, output } = await runAppExpectingExit(stringify(config), { AOT_DATABASE__PATH: dataDir });
    expect(code).toBe(1);
    expect(output).toContain(`is in use by another process (pid ${apps[0]!.pid}`);
  });

  it('works once the server has stopped; the restarted server signs with the new key and still publishes the old', async () => {
    const running = apps.pop()!;
    const oldKid = await issuedKid(running);
    await running.stop();
    expect(existsSync(path.join(dataDir, LOCK_FILE)), 'a clean stop releases the directory').toBe(false);

    const rotation = rotate();
    expect(rotation.status, rotation.stdout + rotation.stderr).toBe(0);
    const newKid = /new signing key (\S+) /.exec(rotation.stdout)?.[1];
    expect(newKid).toBeDefined();
    expect(newKid).not.toBe(oldKid);
    expect(existsSync(path.join(dataDir, LOCK_FILE)), 'the script releases it too').toBe(false);

    const restarted = await startApp({ config, pglitePath: dataDir });
    apps.push(restarted);
    expect(await issuedKid(restarted)).toBe(newKid);
    expect(await publishedKids(restarted)).toEqual(expect.arrayContaining([oldKid, newKid]));
  });

  it('is not blocked by the record of a server that died without releasing it', async () => {
    await apps.pop()!.stop();
    // A pid that no longer runs: the server was killed (SIGKILL, OOM, power cut).
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify({ pid: dead, host: 'old-container' }));
    const rotation = rotate();
    expect(rotation.status, rotation.stdout + rotation.stderr).toBe(0);
  });
});
