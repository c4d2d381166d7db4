// The real image, built with podman from the Dockerfile and run as a container. Opt-in (it takes
// minutes and needs root, podman, runc and debootstrap): `npm run test:container`.
// Docker Hub is not reachable here, so the base is made locally: Debian from debootstrap plus this
// machine's Node.js, laid out like node:20-bookworm-slim, and passed as the NODE_IMAGE build arg.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_BUNDLE } from '../../scripts/build-server.mjs';
import { ROOT } from '../support/dockerfile';
import { createPostgresDatabase, type TestDatabase } from '../support/postgres';
import { freePort } from '../support/ports';

const ENABLED = process.env.AOT_CONTAINER_TEST === '1';
const MIRROR = process.env.AOT_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const BASE = `localhost/aot-test-node:${process.version}`;
const MINUTES = 60_000;
const ALICE = `Basic ${Buffer.from('alice:pw-alice').toString('base64')}`;

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = () => [...(process.getuid?.() === 0 ? [] : ['root']), ...['podman', 'debootstrap'].filter((t) => !has(t))];

function run(command: string, args: string[], options: { input?: string; timeoutMs?: number; allowFailure?: boolean } = {}): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { encoding: 'utf8', input: options.input, timeout: options.timeoutMs ?? 2 * MINUTES, maxBuffer: 64 << 20 });
  if (!options.allowFailure && result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result;
}
const podman = (args: string[], options?: Parameters<typeof run>[2]) => run('podman', args, options);

// This machine's podman quirks, harmless elsewhere: crun refuses hybrid cgroups (runc copes), and
// the default rlimits are above what the sandbox allows.
const RUNTIME = has('runc') ? ['--runtime', 'runc'] : [];
const LIMITS = ['--ulimit', 'nofile=16384:16384', '--ulimit', 'nproc=16384:16384'];

/** Debian bookworm (debootstrap) + this Node.js under /usr/local, user `node` (1000). Kept between runs. */
function ensureBase(): void {
  if (podman(['image', 'exists', BASE], { allowFailure: true }).status === 0) return;
  const work = mkdtempSync(path.join(tmpdir(), 'aot-base-'));
  try {
    const rootfs = path.join(work, 'rootfs');
    run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, MIRROR], { timeoutMs: 15 * MINUTES });
    rmSync(path.join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    rmSync(path.join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
    const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 1 << 30 });
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
    const imported = spawnSync('podman', ['import', '-', 'localhost/aot-test-debian:bookworm'], { input: tar.stdout, encoding: 'utf8', timeout: 5 * MINUTES });
    if (imported.status !== 0) throw new Error(`podman import failed: ${imported.stderr}`);

    const context = path.join(work, 'node');
    mkdirSync(context);
    copyFileSync(realpathSync(process.execPath), path.join(context, 'node'));
    const npmRoot = run('npm', ['root', '-g']).stdout.trim();
    cpSync(path.join(npmRoot, 'npm'), path.join(context, 'npm'), { recursive: true });
    // The npm registry may be reached through a TLS proxy that only this machine's trust store knows.
    const caBundle = '/etc/ssl/certs/ca-certificates.crt';
    const trust = existsSync(caBundle);
    if (trust) copyFileSync(caBundle, path.join(context, 'ca-certificates.crt'));
    writeFileSync(
      path.join(context, 'Containerfile'),
      [
        'FROM localhost/aot-test-debian:bookworm',
        'COPY node /usr/local/bin/node',
        'COPY npm /usr/local/lib/node_modules/npm',
        ...(trust ? ['COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt', `ENV NODE_EXTRA_CA_CERTS=${caBundle}`] : []),
        'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\',
        ' && groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node',
        'CMD ["node"]',
        '',
      ].join('\n'),
    );
    podman(['build', '--isolation', 'chroot', '-t', BASE, context], { timeoutMs: 10 * MINUTES });
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}

const IMAGE = `localhost/auth-o-tron:test-${process.pid}`;
let built = false;
/** The Dockerfile built once for every describe below; removed with its build stage at the end. */
function ensureImage(): string {
  expect(missing(), 'needs root, podman and debootstrap').toEqual([]);
  if (built) return IMAGE;
  ensureBase();
  podman(['build', '--format', 'docker', '--isolation', 'chroot', '--build-arg', `NODE_IMAGE=${BASE}`, '-t', IMAGE, ROOT], { timeoutMs: 20 * MINUTES });
  built = true;
  return IMAGE;
}
afterAll(() => {
  if (!built) return;
  podman(['rmi', '-f', IMAGE], { allowFailure: true });
  podman(['image', 'prune', '-f'], { allowFailure: true }); // the build stage (over a GB); the base stays
});

describe.runIf(ENABLED)('the container image (podman)', () => {
  const id = `aot-test-${process.pid}`;
  const image = IMAGE;
  const volume = `${id}-data`;
  let work = '';
  let configFile = '';
  let port = 0;
  let url = '';

  const runCommand = [...RUNTIME, 'run', ...LIMITS];
  const mounts = () => ['-v', `${volume}:/data`, '-v', `${configFile}:/config/config.yaml:ro`];
  const exitCode = () => Number(podman(['inspect', id, '--format', '{{.State.ExitCode}}']).stdout.trim());
  const waitHealthy = async () => {
    const deadline = Date.now() + 2 * MINUTES;
    while (Date.now() < deadline) {
      if (
        (await fetch(`${url}/api/health`).then(
          (r) => r.status,
          () => 0,
        )) === 200
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the container did not answer:\n${podman(['logs', id], { allowFailure: true }).stderr}`);
  };
  const kid = async () => {
    const response = await fetch(`${url}/api/authenticate`, { headers: { Authorization: ALICE } });
    expect(response.status).toBe(200);
    return decodeProtectedHeader(response.headers.get('authorization')!.slice(7)).kid;
  };

  beforeAll(async () => {
    ensureImage();
    work = mkdtempSync(path.join(tmpdir(), 'aot-container-'));
    configFile = path.join(work, 'config.yaml');
    chmodSync(work, 0o755);
    writeFileSync(
      configFile,
      stringify({
        server: { port: 8080 },
        providers: [{ type: 'plain', name: 'users', realm: 'local', users: [{ username: 'alice', password: 'pw-alice' }] }],
        jwt: { iss: 'container-test', exp: 60 },
      }),
    );
    chmodSync(configFile, 0o644);
    podman(['volume', 'create', volume]);
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
  }, 40 * MINUTES);

  afterAll(() => {
    podman(['rm', '-f', '-t', '0', id], { allowFailure: true });
    podman(['volume', 'rm', '-f', volume], { allowFailure: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('is configured as the Dockerfile says: non-root, port 3000, /data volume, node as the command', () => {
    const [inspected] = JSON.parse(podman(['image', 'inspect', image]).stdout) as Array<{
      Config: { User: string; Cmd: string[]; Entrypoint: string[] | null; ExposedPorts: Record<string, unknown>; Volumes: Record<string, unknown> };
      Healthcheck?: { Test: string[] };
    }>;
    const config = inspected!.Config;
    expect(config.User).toBe('1000:1000');
    expect(config.Cmd).toEqual(['node', SERVER_BUNDLE]);
    expect(config.Entrypoint ?? []).toEqual([]);
    expect(Object.keys(config.ExposedPorts)).toEqual(['3000/tcp']);
    expect(Object.keys(config.Volumes)).toEqual(['/data']);
    expect(inspected!.Healthcheck?.Test.slice(0, 2)).toEqual(['CMD', 'node']); // kept by --format docker only
  });

  it("starts as uid 1000 with node as PID 1, on a read-only root, ignoring the container's HOSTNAME", async () => {
    podman([...runCommand, '-d', '--name', id, '--hostname', 'auth-o-tron-7d9f8c6b5-x2x7q', '--read-only', '--tmpfs', '/tmp', '-p', `127.0.0.1:${port}:3000`, ...mounts(), image]);
    await waitHealthy();
    expect(podman(['exec', id, 'id', '-u']).stdout.trim()).toBe('1000');
    expect(podman(['exec', id, 'cat', '/proc/1/cmdline']).stdout.split('\0').filter(Boolean)).toEqual(['node', SERVER_BUNDLE]);
    expect(podman(['exec', id, 'sh', '-c', 'echo $HOSTNAME']).stdout.trim()).toBe('auth-o-tron-7d9f8c6b5-x2x7q');
    const listening = podman(['logs', id])
      .stdout.split('\n')
      .find((l) => l.includes('"auth-o-tron listening"'));
    expect(JSON.parse(listening!)).toMatchObject({ host: '0.0.0.0', port: 3000, config: '/config/config.yaml', database: 'pglite' });
    expect(podman(['exec', id, 'sh', '-c', 'touch /app/probe'], { allowFailure: true }).status).not.toBe(0);
  });

  it('answers the gateway, the portal and its own HEALTHCHECK; sleep is there for a preStop hook', async () => {
    expect(await kid()).toBeDefined();
    expect((await fetch(`${url}/api/ready`)).status).toBe(200);
    expect((await fetch(`${url}/signin`)).status).toBe(200);
    expect(podman(['healthcheck', 'run', id], { allowFailure: true }).status).toBe(0);
    expect(podman(['exec', id, 'sleep', '0']).status).toBe(0);
  });

  it('refuses `npm run keys:rotate` while the server holds the volume', () => {
    const rotation = podman(['exec', id, 'npm', 'run', '--silent', 'keys:rotate'], { allowFailure: true });
    expect(rotation.status, rotation.stdout + rotation.stderr).toBe(3);
    expect(rotation.stderr).toContain('in use by another process (pid 1');
  });

  it('stops on SIGTERM (podman stop) with exit code 0, well before the kill', () => {
    const started = Date.now();
    podman(['stop', '-t', '30', id]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(exitCode()).toBe(0);
    const logs = podman(['logs', id]).stdout;
    expect(logs).toContain('"signal":"SIGTERM"');
    expect(logs).toContain('"msg":"stopped"');
  });

  it('rotates the signing key from a one-off container on the stopped volume; the restarted server signs with it', async () => {
    expect(
      await fetch(`${url}/api/health`).then(
        () => 'up',
        () => 'down',
      ),
    ).toBe('down');
    const rotation = podman([...runCommand, '--rm', ...mounts(), image, 'npm', 'run', '--silent', 'keys:rotate'], { allowFailure: true });
    expect(rotation.status, rotation.stdout + rotation.stderr).toBe(0);
    const newKid = /new signing key (\S+) /.exec(rotation.stdout)?.[1];
    podman(['start', id]);
    await waitHealthy();
    expect(await kid()).toBe(newKid);
  });

  it('restarts after being killed (SIGKILL leaves its lock behind; PID 1 again takes it over)', async () => {
    podman(['kill', '--signal', 'KILL', id]);
    podman(['wait', id], { allowFailure: true });
    const left = podman([...runCommand, '--rm', ...mounts(), image, 'cat', '/data/pglite/auth-o-tron.pid']).stdout;
    expect(JSON.parse(left)).toMatchObject({ pid: 1 });
    podman(['start', id]);
    await waitHealthy();
    expect(await kid()).toBeDefined();
    podman(['stop', '-t', '30', id]);
    expect(exitCode()).toBe(0);
  });
});

describe.runIf(ENABLED)('the container image on PostgreSQL, as in Kubernetes (read-only root, DATABASE_URL)', () => {
  const id = `aot-test-pg-${process.pid}`;
  let work = '';
  let database: TestDatabase | undefined;
  let url = '';

  beforeAll(async () => {
    const image = ensureImage();
    work = mkdtempSync(path.join(tmpdir(), 'aot-container-pg-'));
    const configFile = path.join(work, 'config.yaml');
    chmodSync(work, 0o755);
    writeFileSync(
      configFile,
      stringify({ providers: [{ type: 'plain', name: 'users', realm: 'local', users: [{ username: 'alice', password: 'pw-alice' }] }], jwt: { iss: 'container-test', exp: 60 } }),
    );
    chmodSync(configFile, 0o644);
    database = await createPostgresDatabase();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // The host's network: the test's Postgres listens on the host's loopback.
    podman([
      ...RUNTIME,
      'run',
      ...LIMITS,
      '-d',
      '--name',
      id,
      '--network',
      'host',
      '--read-only',
      '--tmpfs',
      '/tmp',
      '-e',
      `DATABASE_URL=${database.url}`,
      '-e',
      `AOT_SERVER__PORT=${port}`,
      '-v',
      `${configFile}:/config/config.yaml:ro`,
      image,
    ]);
  }, 40 * MINUTES);

  afterAll(async () => {
    podman(['rm', '-f', '-v', '-t', '0', id], { allowFailure: true });
    await database?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const kid = async () => {
    const response = await fetch(`${url}/api/authenticate`, { headers: { Authorization: ALICE } });
    expect(response.status).toBe(200);
    return decodeProtectedHeader(response.headers.get('authorization')!.slice(7)).kid;
  };

  it('answers, and `npm run keys:rotate` in the running container switches the key at once', async () => {
    await expect
      .poll(
        () =>
          fetch(`${url}/api/ready`).then(
            (r) => r.status,
            () => 0,
          ),
        { timeout: 2 * MINUTES, interval: 250 },
      )
      .toBe(200);
    const before = await kid();
    const rotation = podman(['exec', id, 'npm', 'run', '--silent', 'keys:rotate'], { allowFailure: true });
    expect(rotation.status, rotation.stdout + rotation.stderr).toBe(0);
    await expect.poll(kid, { timeout: 5000 }).not.toBe(before);
    podman(['stop', '-t', '30', id]);
    expect(Number(podman(['inspect', id, '--format', '{{.State.ExitCode}}']).stdout.trim())).toBe(0);
  });
});

describe.skipIf(ENABLED)('the container image (podman)', () => {
  it.skip(`is built and run only by \`npm run test:container\` (needs ${['root', 'podman', 'debootstrap'].join(', ')})`, () => undefined);
});
