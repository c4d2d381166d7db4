// The image cannot always be built where the tests run (no container engine; see
// container-image.test.ts for the real one). Here the Dockerfile is read as data, and the server is
// started the way the image starts it: only the files the runtime stage copies, its ENV, its USER,
// a container's HOSTNAME, the config "mounted" and the data directory as the volume.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@/lib/config/load';
import { SERVER_BUNDLE } from '../../scripts/build-server.mjs';
import { copiesFrom, envOf, execForm, healthcheckOf, instructions, readDockerfile, ROOT, type Stage } from '../support/dockerfile';
import { freePort } from '../support/ports';

const dockerfile = readDockerfile();
const runtime = dockerfile.stages.at(-1)!;
const build = dockerfile.stages.find((s) => s.name === 'build');
const imageEnv = envOf(runtime);
const CONTAINER_HOSTNAME = 'auth-o-tron-7d9f8c6b5-x2x7q';
const ALICE = `Basic ${Buffer.from('alice:pw-alice').toString('base64')}`;

function userOf(stage: Stage): { uid: number; gid: number } {
  const [user = ''] = instructions(stage, 'USER')
    .map((i) => i.args)
    .slice(-1);
  const [uid = '', gid = uid] = user.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function getPath(tree: unknown, keys: string[]): unknown {
  return keys.reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined), tree);
}

describe('the Dockerfile', () => {
  it('builds in a stage of its own with npm ci from the lockfile, then npm run build', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    expect(build, 'a stage named "build"').toBeDefined();
    const steps = build!.instructions.map((i) => `${i.keyword} ${i.args}`);
    const lockfile = steps.findIndex((s) => /^COPY .*package-lock\.json/.test(s));
    const ci = steps.findIndex((s) => /^RUN npm ci\b/.test(s));
    const buildStep = steps.findIndex((s) => /^RUN .*npm run build\b/.test(s));
    expect(lockfile).toBeGreaterThanOrEqual(0);
    expect(ci).toBeGreaterThan(lockfile);
    expect(buildStep).toBeGreaterThan(ci);
    expect(steps.join('\n')).not.toMatch(/npm install\b/);
    // Both stages on the same Node.js image, named by one ARG with a default.
    expect(new Set(dockerfile.stages.map((s) => s.base))).toEqual(new Set(['${NODE_IMAGE}']));
    expect(dockerfile.globalArgs.NODE_IMAGE).toMatch(/^node:20/);
  });

  it('runs `node .next/aot/server.mjs` as PID 1 (exec form, no shell, no npm)', () => {
    expect(instructions(runtime, 'ENTRYPOINT')).toEqual([]);
    const [cmd] = instructions(runtime, 'CMD').slice(-1);
    expect(execForm(cmd!.args)).toEqual(['node', SERVER_BUNDLE]);
  });

  it('runs as a numeric, non-root user (Kubernetes runAsNonRoot can check it)', () => {
    const { uid, gid } = userOf(runtime);
    expect(Number.isInteger(uid) && uid > 0).toBe(true);
    expect(Number.isInteger(gid) && gid > 0).toBe(true);
  });

  it('keeps the data directory on a volume, listens on the exposed port on every interface', () => {
    const volumes = instructions(runtime, 'VOLUME').flatMap((i) => execForm(i.args) ?? i.args.split(/\s+/));
    expect(volumes).toContain('/data');
    expect(imageEnv.AOT_DATABASE__PATH).toBe('/data/pglite');
    expect(imageEnv.AOT_SERVER__HOST).toBe('0.0.0.0');
    expect(instructions(runtime, 'EXPOSE').flatMap((i) => i.args.split(/\s+/))).toContain(imageEnv.AOT_SERVER__PORT);
    // The volume is the uid's: a fresh named volume takes its owner from the image's directory.
    const { uid, gid } = userOf(runtime);
    expect(
      instructions(runtime, 'RUN')
        .map((i) => i.args)
        .join('\n'),
    ).toContain(`chown ${uid}:${gid} /data`);
  });

  it('sets only real config keys (AOT_<SECTION>__<KEY>), which the config loader applies', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'aot-dockerfile-'));
    try {
      const configPath = path.join(dir, 'config.yaml');
      writeFileSync(configPath, 'server: {host: 127.0.0.1, port: 8080}\n');
      // Strict: an AOT_ variable naming no key would otherwise be only a warning.
      const { config, warnings } = loadConfig({ ...imageEnv, AOT_CONFIG_PATH: configPath, HOSTNAME: CONTAINER_HOSTNAME, AOT_SERVER__STRICT_CONFIG: 'true' });
      expect(warnings).toEqual([]);
      const keys = Object.keys(imageEnv).filter((k) => k.startsWith('AOT_') && k !== 'AOT_CONFIG_PATH');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(getPath(config, key.slice(4).toLowerCase().split('__')), key).toEqual(parseYaml(imageEnv[key]!));
      // The image's choices win over the mounted file's: the port is the one EXPOSEd and probed.
      expect(config.server).toMatchObject({ host: '0.0.0.0', port: 3000 });
      expect(
        Object.keys(imageEnv)
          .filter((k) => !k.startsWith('AOT_'))
          .sort(),
      ).toEqual(['NEXT_TELEMETRY_DISABLED', 'NODE_ENV']);
      expect(imageEnv.NODE_ENV).toBe('production');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks its health with node on a path the gateway answers', () => {
    const check = healthcheckOf(runtime);
    expect(check).toBeDefined();
    expect(check!.command[0]).toBe('node'); // slim images have no curl or wget
    expect(check!.command.join(' ')).toContain('/api/health');
    expect(check!.options).toMatchObject({ interval: expect.any(String), timeout: expect.any(String) });
  });

  it('copies from the build stage only what exists after a build, and the build context keeps its sources', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const ignores = (file: string) =>
      ignored.some((pattern) => {
        const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
        return regex.test(file) || regex.test(path.basename(file));
      });
    for (const secret of ['config.yaml', 'node_modules', '.next', 'data', '.git', 'key.pem', '.env.local']) expect(ignores(secret), secret).toBe(true);
    const builtInImage = new Set(['.next', 'node_modules']);
    for (const { sources } of copiesFrom(runtime, 'build')) {
      for (const source of sources) {
        const relative = path.relative('/app', source);
        expect(existsSync(path.join(ROOT, relative)), source).toBe(true);
        if (!builtInImage.has(relative)) expect(ignores(relative), `${relative} is in .dockerignore`).toBe(false);
      }
    }
    // What `next build` needs from the context.
    for (const file of ['package.json', 'package-lock.json', 'app', 'lib', 'db', 'drizzle', 'server.ts', 'scripts', 'next.config.ts', 'tsconfig.json', 'postcss.config.mjs']) {
      expect(ignores(file), file).toBe(false);
    }
  });
});

describe("the server started as the image starts it (the runtime stage's files, ENV and USER)", () => {
  const work = mkdtempSync(path.join(tmpdir(), 'aot-image-'));
  const appDir = path.join(work, 'app');
  const volume = path.join(work, 'data');
  const home = path.join(work, 'home');
  const configPath = path.join(work, 'config', 'config.yaml');
  // As root (CI), the server runs as the image's uid over root-owned files: the app directory is
  // read-only to it, as in the image. Otherwise it runs as whoever runs the tests.
  const asImageUser = process.getuid?.() === 0 ? userOf(runtime) : undefined;
  let port = 0;
  let env: NodeJS.ProcessEnv = { NODE_ENV: 'production' };
  let server: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    chmodSync(work, 0o755);
    // /app: exactly what the runtime stage copies (`npm prune --omit=dev` is not repeated here).
    for (const { sources, dest } of copiesFrom(runtime, 'build')) {
      const target = path.resolve(appDir, dest);
      for (const source of sources) {
        const relative = path.relative('/app', source);
        const into = dest.endsWith('/') || sources.length > 1 ? path.join(target, path.basename(relative)) : target;
        mkdirSync(path.dirname(into), { recursive: true });
        if (relative === 'node_modules') symlinkSync(path.join(ROOT, 'node_modules'), into);
        else cpSync(path.join(ROOT, relative), into, { recursive: true, filter: (file) => !/[/\\]\.next[/\\](cache|dev)([/\\]|$)/.test(file) });
      }
    }
    mkdirSync(volume);
    mkdirSync(home);
    mkdirSync(path.dirname(configPath));
    writeFileSync(
      configPath,
      stringify({ server: { port: 8080 }, providers: [{ type: 'plain', name: 'users', realm: 'local', users: [{ username: 'alice', password: 'pw-alice' }] }], jwt: { iss: 'image-test', exp: 60 } }),
    );
    chmodSync(path.dirname(configPath), 0o755);
    if (asImageUser) {
      chownSync(volume, asImageUser.uid, asImageUser.gid);
      chownSync(home, asImageUser.uid, asImageUser.gid);
    }
    port = await freePort();
    env = {
      NODE_ENV: 'production', // the image's own value follows
      PATH: process.env.PATH,
      HOME: home,
      ...imageEnv,
      HOSTNAME: CONTAINER_HOSTNAME, // every container runtime sets it to the container's name
      AOT_CONFIG_PATH: configPath, // the mounted ConfigMap
      AOT_DATABASE__PATH: path.join(volume, path.relative('/data', imageEnv.AOT_DATABASE__PATH!)),
      AOT_SERVER__PORT: String(port), // the image's 3000 may be taken here
    };
    const [command, ...args] = execForm(instructions(runtime, 'CMD').at(-1)!.args)!;
    expect(command).toBe('node');
    const child = spawn(process.execPath, args, { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'], ...asImageUser });
    server = child;
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + 60_000;
    while (!output.includes('"auth-o-tron listening"')) {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`the server did not start in 60 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  afterAll(() => {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  const healthcheck = () => {
    const { command } = healthcheckOf(runtime)!;
    return spawnSync(process.execPath, command.slice(1), { env, encoding: 'utf8', timeout: 10_000, ...asImageUser }).status;
  };

  it("listens on every interface despite the container's HOSTNAME, and answers", async () => {
    const listening = JSON.parse(output.split('\n').find((l) => l.includes('"auth-o-tron listening"'))!) as { host: string; port: number; database: string };
    expect(listening).toMatchObject({ host: '0.0.0.0', port, database: 'pglite' });
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/api/ready`)).status).toBe(200);
    const check = await fetch(`http://127.0.0.1:${port}/api/authenticate`, { headers: { Authorization: ALICE } });
    expect(check.status).toBe(200);
    // The portal (Next) loads from the copied files alone.
    expect((await fetch(`http://127.0.0.1:${port}/signin`)).status).toBe(200);
    expect(existsSync(env.AOT_DATABASE__PATH!), 'the database is on the volume').toBe(true);
  });

  it.runIf(process.getuid?.() === 0)('runs as the image user, who cannot write to the app directory', () => {
    const { uid } = userOf(runtime);
    const status = readFileSync(`/proc/${server!.pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s`, 'm'));
    const write = spawnSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(path.join(appDir, 'probe'))}, '')`], { ...asImageUser, encoding: 'utf8' });
    expect(write.status).not.toBe(0);
    expect(write.stderr).toContain('EACCES');
  });

  it('passes its own HEALTHCHECK', () => {
    expect(healthcheck()).toBe(0);
  });

  it('has what `npm run keys:rotate` needs, which refuses while the server holds the volume', () => {
    const rotation = spawnSync('npm', ['run', '--silent', 'keys:rotate'], { cwd: appDir, env, encoding: 'utf8', timeout: 60_000, ...asImageUser });
    expect(rotation.status, rotation.stdout + rotation.stderr).toBe(3);
    expect(rotation.stderr).toContain(`pid ${server!.pid}`);
  });

  it('stops on SIGTERM with exit code 0, within server.shutdown_timeout (default 10 s)', async () => {
    const started = Date.now();
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => server!.once('exit', (code, signal) => resolve({ code, signal })));
    server!.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(output).toContain('"signal":"SIGTERM"');
    expect(output).toContain('"msg":"stopped"');
    expect(healthcheck(), 'the HEALTHCHECK fails once the server is gone').toBe(1);
  });

  it('then the rotation works on the same volume', () => {
    const rotation = spawnSync('npm', ['run', '--silent', 'keys:rotate'], { cwd: appDir, env, encoding: 'utf8', timeout: 60_000, ...asImageUser });
    expect(rotation.status, rotation.stdout + rotation.stderr).toBe(0);
    expect(rotation.stdout).toMatch(/new signing key \S+ \(ES256\) is active/);
  });
});
