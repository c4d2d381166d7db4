// `npm run bench`: the production app behind real nginx under wrk, next to its baselines measured in
// the same run (nginx auth_request to a bare Node server, and to a trivial Next.js route). Prints one
// table and writes bench/results/latest.json. `npm run bench -- --quick` for a short smoke run.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import argon2 from 'argon2';
import pg from 'pg';
import { TOKEN_HASH_DEFAULTS } from '../lib/config/schema';
import { hashSecret, type HashParams } from '../lib/crypto/secrets';
import { decodeFingerprintKey, FINGERPRINT_KEY_NAME, secretFingerprint } from '../lib/tokens/fingerprint';
import { formatToken, newTokenId } from '../lib/tokens/format';
import { startApp, stopProcess, type RunningApp } from '../tests/support/app';
import { startTestIssuer } from '../tests/support/jwks-server';
import { freePort } from '../tests/support/ports';
import { createPostgresDatabase } from '../tests/support/postgres';

const ROOT = path.resolve(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick');
/** `--hot`: only the baselines and the cached-check scenarios (for profiling the hot path). */
const HOT_ONLY = process.argv.includes('--hot');
/**
 * `--replicas=N`: N app processes (and N bare baselines) behind nginx's upstream, as a multi-core
 * machine would run them (deploy/nginx: one `server` line per replica). Default 1.
 */
const REPLICAS = Number(process.argv.find((a) => a.startsWith('--replicas='))?.slice('--replicas='.length) ?? 1);
/** `--only=<regex>`: of the cached-check scenarios and the flood, only those whose name matches (baselines always run). */
const ONLY = ((arg) => (arg ? new RegExp(arg.slice('--only='.length), 'i') : undefined))(process.argv.find((a) => a.startsWith('--only=')));
const DURATION = QUICK ? 3 : 10;
/**
 * Each cached-check scenario runs in ROUNDS short rounds, each paired with a bare-Node round right
 * beside it (the order alternating, so a steady drift favours neither), and its "× bare Node" is the
 * median of the pairs' ratios: on a shared VM the machine's speed drifts by ±30 % within a minute,
 * more than the differences measured, and one pair of long runs only measures the drift.
 */
const ROUNDS = QUICK ? 2 : 15;
const ROUND_SECONDS = 1;
/** Before its rounds, each scenario runs this long unmeasured (only its answers are checked): the first requests of a new kind of credential meet cold code. */
const WARMUP_SECONDS = 1;
/** Rounds of the direct (no nginx) server-CPU comparison. */
const DIRECT_ROUNDS = QUICK ? 1 : 4;
/** Rounds of valid users alone and under a flood. */
const FLOOD_ROUNDS = QUICK ? 1 : 5;
const FLOOD_ROUND_SECONDS = QUICK ? 2 : 4;
const MIXED_DURATION = QUICK ? 10 : 60;
const CONNECTIONS = 50;
/** Cold checks wait for the database and argon2, not the CPU alone: enough connections to keep both busy. */
const COLD_CONNECTIONS = 32;
const SEEDED_TOKENS = QUICK ? 10_000 : 100_000;
const SECRET = 'B'.repeat(36); // every seeded token shares one secret (and so one hash): cheap to seed, still one argon2 per cold request

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  socketErrors: number;
  /** [percentile, ms] from p90 to the maximum, for pooling the p99 of several runs. */
  tail: Array<[number, number]>;
  /** CPU time the measured server spent per answered request (user + system), µs. */
  serverCpuUs?: number;
  /** Share of the machine's CPU left idle during the run: near 0 means the cores were the limit. */
  idle?: number;
}

interface Row {
  scenario: string;
  expect: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  rssMb: number;
  cpuUsPerRequest: number;
  idlePercent: number;
  /** The median of the paired rounds' ratios to bare Node when the scenario ran in rounds, else against the first baseline. */
  vsBare: number;
  /** The lowest and highest of those paired ratios. */
  vsBareRange?: [number, number];
  /** p99 against bare Node's: of all the rounds' requests together when the scenario ran in rounds. */
  p99VsBare: number;
  vsBareAtStart: number;
  vsNext: number;
  statuses: Record<string, number>;
}

const work = mkdtempSync(path.join(tmpdir(), 'aot-bench-'));
const cleanups: Array<() => Promise<void> | void> = [];

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

/** User + system CPU of a process so far, in µs (fields 14 and 15 of /proc/<pid>/stat). */
function processCpuUs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Idle and total jiffies of the whole machine (first line of /proc/stat). */
function machineTicks(): { idle: number; total: number } {
  const values = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return { idle: (values[3] ?? 0) + (values[4] ?? 0), total: values.reduce((a, b) => a + b, 0) };
}

interface WrkOptions {
  /** Sent as X-Original-URI, as nginx does, when wrk calls a server directly. */
  originalUri?: string;
  threads?: number;
}

/** Runs wrk; `serverPids` are the processes whose CPU per request is reported (summed). */
async function wrk(url: string, headers: string[], seconds: number, connections = CONNECTIONS, serverPids: number[] = [], options: WrkOptions = {}): Promise<WrkResult> {
  const serverCpu = () => serverPids.reduce((sum, pid) => sum + processCpuUs(pid), 0);
  const cpuBefore = serverCpu();
  const ticksBefore = machineTicks();
  const result = await runWrk(url, headers, seconds, connections, options);
  const ticksAfter = machineTicks();
  const answered = Object.values(result.statuses).reduce((a, b) => a + b, 0);
  return {
    ...result,
    serverCpuUs: serverPids.length > 0 && answered > 0 ? (serverCpu() - cpuBefore) / answered : undefined,
    idle: (ticksAfter.idle - ticksBefore.idle) / Math.max(1, ticksAfter.total - ticksBefore.total),
  };
}

function runWrk(url: string, headers: string[], seconds: number, connections: number, options: WrkOptions): Promise<WrkResult> {
  const file = path.join(work, `headers-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, `${headers.join('\n')}\n`);
  return new Promise((resolve, reject) => {
    const env = { ...process.env, HEADERS_FILE: file, ...(options.originalUri ? { ORIGINAL_URI: options.originalUri } : {}) };
    const child = spawn('wrk', [`-t${options.threads ?? 2}`, `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', path.join(ROOT, 'bench/wrk-headers.lua'), url], { env });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk failed:\n${out}`));
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
      const statuses = JSON.parse(/STATUSES (\{.*\})/.exec(out)?.[1] ?? '{}') as Record<string, number>;
      const latency = JSON.parse(/LATENCY (\{.*\})/.exec(out)?.[1] ?? '{}') as { p50: number; p99: number };
      const tail = JSON.parse(/TAIL (\[.*\])/.exec(out)?.[1] ?? '[]') as Array<[number, number]>;
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
      resolve({ rps, p50: latency.p50, p99: latency.p99, statuses, socketErrors, tail });
    });
  });
}

function rssMb(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}

async function startBare(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench/bare-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout?.once('data', (c: Buffer) => resolve((JSON.parse(c.toString()) as { port: number }).port)));
  return { port, child };
}

async function startBenchNginx(appPorts: number[], barePorts: number[], nextPort: number): Promise<{ url: string }> {
  const prefix = path.join(work, 'nginx');
  mkdirSync(path.join(prefix, 'www'), { recursive: true });
  mkdirSync(path.join(prefix, 'temp'), { recursive: true });
  writeFileSync(path.join(prefix, 'www/ok.json'), '{"ok":true}\n');
  // nginx workers started by root run as nobody: they must be able to read the static file.
  for (const dir of [work, prefix, path.join(prefix, 'www')]) chmodSync(dir, 0o755);
  const port = await freePort();
  const authLocation = (name: string, upstream: string, uri: string) => `
    location = /_auth_${name} {
      internal;
      proxy_pass http://${upstream}${uri};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
    location /${name}/ {
      auth_request /_auth_${name};
      auth_request_set $auth_jwt $upstream_http_authorization;
      add_header X-Has-Jwt $auth_jwt;
      try_files /ok.json =404;
    }`;
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${prefix}/temp/${t};`).join('\n  ');
  const config = `
worker_processes ${availableParallelism()};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${temp}
  upstream app { ${appPorts.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 128; }
  upstream bare { ${barePorts.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 128; }
  upstream framework { server 127.0.0.1:${nextPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port} reuseport;
    root ${prefix}/www;
    ${authLocation('gateway', 'app', '/api/authenticate')}
    ${authLocation('next', 'framework', '/api/ping')}
    ${authLocation('bare', 'bare', '/')}
    ${authLocation('bare_body', 'bare', '/with-body')}
    ${authLocation('bare_jwt', 'bare', '/with-jwt')}
  }
}`;
  writeFileSync(path.join(prefix, 'nginx.conf'), config);
  const child = spawn('/usr/sbin/nginx', ['-c', path.join(prefix, 'nginx.conf'), '-p', prefix, '-g', 'daemon off;'], { stdio: 'inherit' });
  cleanups.push(() => stopProcess(child));
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/bare/x`).then(
        () => true,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `http://127.0.0.1:${port}` };
}

/** Raw argon2id verifications per second on this machine with the token parameters, all cores busy. */
async function argon2Rate(seconds: number, params: HashParams): Promise<number> {
  const hash = await hashSecret(SECRET, params);
  let done = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: availableParallelism() }, async () => {
      while (Date.now() < until) {
        await argon2.verify(hash, SECRET);
        done += 1;
      }
    }),
  );
  return done / seconds;
}

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, ['scripts/ensure-build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');

  const database = await createPostgresDatabase();
  cleanups.push(() => database.drop());
  const idp = await startTestIssuer();
  cleanups.push(() => idp.close());
  const config = {
    providers: [
      { type: 'plain', name: 'users', realm: 'local', users: [{ username: 'alice', password_hash: await hashSecret('alice-pw'), roles: ['user'] }] },
      { type: 'jwt', name: 'idp', realm: 'idp', cert_uri: idp.jwksUri, issuer: idp.issuer },
      { type: 'tokens', name: 'tokens' },
    ],
    services: [{ name: 'polytope', scopes: ['read', 'write'] }],
    portal: { realm: 'local' },
    policies: [{ match: { path: '/gateway/admin/**' }, require: { roles_any: ['admin'] } }],
    jwt: { iss: 'bench', aud: 'backend', exp: 300 },
    tokens: { cache_ttl: '30s' },
  };
  // BENCH_APP_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the measured app.
  const app = await startApp({ config, databaseUrl: database.url, nodeArgs: process.env.BENCH_APP_NODE_ARGS?.split(' ').filter(Boolean) });
  cleanups.push(() => app.stop());

  // Seed users and tokens straight into Postgres, as the portal writes them (token hash parameters and
  // the fingerprint under this installation's key): one owner, SEEDED_TOKENS tokens sharing one hash.
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const hash = await hashSecret(SECRET, TOKEN_HASH_DEFAULTS);
  const storedKey = await client.query<{ value: string }>('select value from app_secrets where name = $1', [FINGERPRINT_KEY_NAME]);
  const fingerprint = secretFingerprint(decodeFingerprintKey(storedKey.rows[0]?.value ?? ''), SECRET);
  const { rows } = await client.query<{ id: string }>(
    `insert into users (realm, username, roles) values ('local', 'alice', '["user"]') on conflict (realm, username) do update set roles = excluded.roles returning id`,
  );
  const ownerId = rows[0]?.id;
  await client.query(
    `insert into tokens (id, owner_id, name, scopes, secret_hash, secret_fingerprint, expires_at)
     select 'b' || lpad(g::text, 15, '0'), $1, 'bench ' || g, '["polytope:read"]', $2, $4, now() + interval '30 days' from generate_series(1, $3) g`,
    [ownerId, hash, SEEDED_TOKENS, fingerprint],
  );
  await client.end();
  const seeded = (n: number) => `Bearer ${formatToken('aot', `b${String(n).padStart(15, '0')}`, SECRET)}`;

  const bares = await Promise.all(Array.from({ length: REPLICAS }, () => startBare()));
  for (const bare of bares) cleanups.push(() => stopProcess(bare.child));
  const replicas = await Promise.all(Array.from({ length: REPLICAS - 1 }, () => startApp({ config, databaseUrl: database.url })));
  for (const replica of replicas) cleanups.push(() => replica.stop());
  const appPids = [app, ...replicas].map((a) => a.pid);
  const appRssMb = () => appPids.reduce((sum, pid) => sum + rssMb(pid), 0);
  // The framework baseline runs in its own instance, so the app measured below keeps its own memory.
  const frameworkApp = await startApp({ config, databaseUrl: database.url });
  const nginx = await startBenchNginx(
    [app, ...replicas].map((a) => a.port),
    bares.map((b) => b.port),
    frameworkApp.port,
  );

  const basic = `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`;
  const jwts = await Promise.all(Array.from({ length: 20 }, (_, i) => idp.sign({ sub: `user-${i}`, preferred_username: `user-${i}` }, { expiresIn: '2h' })).map(async (t) => `Bearer ${await t}`));
  const garbage = Array.from({ length: 100 }, (_, i) => `Bearer aot_${newTokenId()}_${'x'.repeat(36)}${String(i).padStart(6, '0')}`);
  // A guessing attack: distinct wrong secrets against 20 known token ids, each guess a new one.
  const wrongSecret = Array.from({ length: 20_000 }, (_, i) => `Bearer ${formatToken('aot', `b${String((i % 20) + 1).padStart(15, '0')}`, `W${String(i).padStart(35, '0')}`)}`);
  // Distinct tokens for the cold run, read by one wrk thread so that none repeats (checked below).
  const cold = Array.from({ length: SEEDED_TOKENS - 2000 }, (_, i) => seeded(2000 + i));

  console.log(`\nmeasuring raw argon2id rate…`);
  const argon2PerSecond = await argon2Rate(QUICK ? 2 : 5, TOKEN_HASH_DEFAULTS);
  console.log(`raw argon2id verifications/s with the token parameters: ${Math.round(argon2PerSecond)}`);

  const rows_: Row[] = [];
  let bareResult: WrkResult | undefined;
  let nextResult: WrkResult | undefined;
  const record = (scenario: string, expect: number, result: WrkResult, paired?: { ratios: number[]; bare: WrkResult }) => {
    const errors = result.socketErrors + Object.entries(result.statuses).reduce((sum, [code, n]) => (Number(code) === expect ? sum : sum + n), 0);
    const row: Row = {
      scenario,
      expect,
      rps: Math.round(result.rps),
      p50: result.p50,
      p99: result.p99,
      errors,
      rssMb: appRssMb(),
      cpuUsPerRequest: Math.round(result.serverCpuUs ?? 0),
      idlePercent: Math.round((result.idle ?? 0) * 100),
      vsBare: paired ? median(paired.ratios) : result.rps / (bareResult ?? result).rps,
      vsBareRange: paired ? [Math.min(...paired.ratios), Math.max(...paired.ratios)] : undefined,
      p99VsBare: result.p99 / (paired?.bare ?? bareResult ?? result).p99,
      vsBareAtStart: result.rps / (bareResult ?? result).rps,
      vsNext: nextResult ? result.rps / nextResult.rps : 1,
      statuses: result.statuses,
    };
    rows_.push(row);
    console.log(
      `${scenario.padEnd(44)} ${String(row.rps).padStart(7)} req/s  p50 ${row.p50.toFixed(1)} ms  p99 ${row.p99.toFixed(1)} ms  errors ${errors}  server CPU ${row.cpuUsPerRequest} µs/req  idle ${row.idlePercent} % ${JSON.stringify(result.statuses)}`,
    );
    return result;
  };

  // Both apps load what they need on first use (the portal lazily): warm them up before measuring.
  for (let i = 0; i < 20; i++) await Promise.all([fetch(`${nginx.url}/next/x`), fetch(`${nginx.url}/gateway/x`, { headers: { Authorization: basic } })]);
  console.log(`running scenarios (${DURATION} s each, ${CONNECTIONS} connections)…`);
  bareResult = record(
    'baseline: nginx → bare Node 200',
    200,
    await wrk(
      `${nginx.url}/bare/x`,
      ['-'],
      DURATION,
      CONNECTIONS,
      bares.map((b) => b.child.pid ?? 0),
    ),
  );
  record(
    'bare Node 200 with a JSON body (no upstream keepalive)',
    200,
    await wrk(
      `${nginx.url}/bare_body/x`,
      ['-'],
      DURATION,
      CONNECTIONS,
      bares.map((b) => b.child.pid ?? 0),
    ),
  );
  record(
    'bare Node 200 with a JWT-sized Authorization',
    200,
    await wrk(
      `${nginx.url}/bare_jwt/x`,
      ['-'],
      DURATION,
      CONNECTIONS,
      bares.map((b) => b.child.pid ?? 0),
    ),
  );
  nextResult = record('baseline: nginx → Next.js route', 200, await wrk(`${nginx.url}/next/x`, ['-'], DURATION, CONNECTIONS, [frameworkApp.pid]));
  await frameworkApp.stop();
  const scenario = async (name: string, expect: number, url: string, headers: string[], connections = CONNECTIONS) => {
    if (ONLY && !ONLY.test(name)) return undefined;
    const warmup = await wrk(url, headers, WARMUP_SECONDS, connections);
    // Bare Node gets the very same requests (credentials and all), so only the answer differs.
    const pairs = await pairedRounds(
      ROUNDS,
      () => wrk(`${nginx.url}/bare/x`, headers, ROUND_SECONDS, connections),
      () => wrk(url, headers, ROUND_SECONDS, connections, appPids),
    );
    const rounds = pairs.map((p) => p.measured);
    const ratios = pairs.map((p) => p.measured.rps / p.reference.rps);
    pairs.forEach(({ reference, measured }, i) =>
      console.log(
        `  round ${i + 1}: ${Math.round(measured.rps)} req/s (p99 ${measured.p99.toFixed(1)} ms) beside bare ${Math.round(reference.rps)} (p99 ${reference.p99.toFixed(1)} ms): × ${ratios[i]!.toFixed(2)}`,
      ),
    );
    const result = combined(rounds);
    // Answers during the warm-up count too: an error there is still an error.
    for (const [code, n] of Object.entries(warmup.statuses)) result.statuses[code] = (result.statuses[code] ?? 0) + n;
    result.socketErrors += warmup.socketErrors;
    return record(name, expect, result, { ratios, bare: combined(pairs.map((p) => p.reference)) });
  };
  const coldScenario = async (name: string, url: string, headers: string[], connections: number) => {
    if (ONLY && !ONLY.test(name)) return undefined;
    const result = await wrk(url, headers, DURATION, connections, appPids, { threads: 1 });
    const answered = Object.values(result.statuses).reduce((a, b) => a + b, 0);
    if (answered > headers.length) console.warn(`  ${name}: ${answered} requests for ${headers.length} tokens: some were not cold`);
    return record(name, 200, result);
  };
  // The noise floor: bare Node against itself, paired the same way.
  await scenario('control: bare Node beside bare Node', 200, `${nginx.url}/bare/x`, ['-']);
  await scenario('opaque token, warm cache', 200, `${nginx.url}/gateway/x`, [seeded(1)]);
  const coldResult = await coldScenario('opaque token, cold (each request a new token)', `${nginx.url}/gateway/x`, cold, COLD_CONNECTIONS);
  await scenario('Basic plain user (cached)', 200, `${nginx.url}/gateway/x`, [basic]);
  await scenario('IdP JWT via JWKS', 200, `${nginx.url}/gateway/x`, jwts);
  await scenario('garbage token (bad checksum) → 401', 401, `${nginx.url}/gateway/x`, garbage);
  await scenario('policy denies → 403', 403, `${nginx.url}/gateway/admin/x`, [basic]);
  // The server's own CPU per check, without nginx: wrk straight at the app and at bare Node (same requests, rounds interleaved).
  const direct: Record<string, { app: number; bare: number }> = {};
  const directCases: Array<[string, string[], string]> = [
    ['opaque token', [seeded(1)], '/x'],
    ['Basic', [basic], '/x'],
    ['IdP JWT', jwts, '/x'],
    ['garbage 401', garbage, '/x'],
    ['policy 403', [basic], '/gateway/admin/x'],
  ];
  const directSamples = new Map<string, { app: number[]; bare: number[] }>();
  for (let round = 0; round < DIRECT_ROUNDS; round++) {
    for (const [name, headers, originalUri] of directCases) {
      if (ONLY && !ONLY.test(name)) continue;
      const samples = directSamples.get(name) ?? { app: [], bare: [] };
      directSamples.set(name, samples);
      const options = { originalUri, threads: 1 };
      samples.bare.push((await wrk(`http://127.0.0.1:${bares[0]!.port}/`, headers, ROUND_SECONDS * 2, 20, [bares[0]!.child.pid ?? 0], options)).serverCpuUs ?? 0);
      samples.app.push((await wrk(`${app.url}/api/authenticate`, headers, ROUND_SECONDS * 2, 20, [app.pid], options)).serverCpuUs ?? 0);
    }
  }
  for (const [name, samples] of directSamples) direct[name] = { app: median(samples.app), bare: median(samples.bare) };
  const directNote = `server CPU per check with wrk straight at the server (no nginx; median of ${DIRECT_ROUNDS} rounds of ${ROUND_SECONDS * 2} s, each beside bare Node given the same requests): ${Object.entries(
    direct,
  )
    .map(([name, { app, bare }]) => `${name} ${app.toFixed(1)} µs (bare ${bare.toFixed(1)})`)
    .join(', ')}`;
  console.log(directNote);
  const pairedNote = `a cached check runs ${WARMUP_SECONDS} s unmeasured, then ${ROUNDS} rounds of ${ROUND_SECONDS} s, each beside ${ROUND_SECONDS} s of bare Node (the order alternating); "× bare Node" is the median of the rounds' ratios (lowest–highest in brackets), req/s their mean, p99 that of all the rounds' requests together, and "p99 × bare" against that of the bare rounds; bare Node gets the same requests (credentials and all); the other rows are against the bare-Node baseline at the start`;
  if (HOT_ONLY || (ONLY && !ONLY.test('flood'))) return void console.log(`\n${tableOf(rows_)}\n\n${pairedNote}\n${directNote}`);

  // Flood: valid users alone, then the same load beside garbage and wrong-secret tokens.
  // Warm valid users (ids 1 and 2 are also under attack: their owners must still get through).
  const validMix = [seeded(1), seeded(2), seeded(50), basic, ...jwts.slice(0, 3)];
  // Paired rounds again (alone, then under a flood, the order alternating): one long run of each only measures the drift.
  const alone = () => wrk(`${nginx.url}/gateway/x`, validMix, FLOOD_ROUND_SECONDS, 25);
  const underFlood = () => Promise.all([wrk(`${nginx.url}/gateway/x`, validMix, FLOOD_ROUND_SECONDS, 25), wrk(`${nginx.url}/gateway/x`, [...garbage, ...wrongSecret], FLOOD_ROUND_SECONDS, 25)]);
  await wrk(`${nginx.url}/gateway/x`, validMix, WARMUP_SECONDS, 25); // first uses of the valid tokens verify them: not part of either side
  const floodPairs = await pairedRounds(FLOOD_ROUNDS, alone, underFlood);
  const floodRatios = floodPairs.map(({ reference, measured: [valid] }) => valid.rps / reference.rps);
  floodPairs.forEach(({ reference, measured: [valid] }, i) =>
    console.log(`  flood round ${i + 1}: valid users ${Math.round(valid.rps)} req/s under the flood, ${Math.round(reference.rps)} alone: × ${floodRatios[i]!.toFixed(2)}`),
  );
  const validAlone = combined(floodPairs.map((p) => p.reference));
  const validUnderFlood = combined(floodPairs.map((p) => p.measured[0]));
  const flood = combined(floodPairs.map((p) => p.measured[1]));
  record('valid users alone (25 connections)', 200, validAlone);
  record('valid users during a garbage flood', 200, validUnderFlood);
  record('the flood itself (garbage + guessed secrets)', 401, { ...flood, statuses: Object.fromEntries(Object.entries(flood.statuses).filter(([code]) => code !== '500')) });
  const floodSlowdown = { rps: median(floodRatios), range: [Math.min(...floodRatios), Math.max(...floodRatios)], p99: validUnderFlood.p99 / validAlone.p99 };
  const floodNote = `valid users during a flood of garbage and guessed secrets (${FLOOD_ROUNDS} rounds of ${FLOOD_ROUND_SECONDS} s under the flood, each beside ${FLOOD_ROUND_SECONDS} s alone): median ${(floodSlowdown.rps * 100).toFixed(0)} % of their requests/s alone (${floodSlowdown.range.map((r) => `${(r * 100).toFixed(0)}`).join('–')} %), p99 × ${floodSlowdown.p99.toFixed(2)}`;
  if (ONLY) return void console.log(`\n${tableOf(rows_)}\n\n${floodNote}`);

  // Mixed load over the 100,000-token database; RSS sampled throughout.
  const mixed = [...Array.from({ length: 50 }, (_, i) => seeded(100 + (i % 200))), ...Array.from({ length: 20 }, () => basic), ...jwts.slice(0, 15), ...garbage.slice(0, 15)];
  // Requests the gateway shed (503: argon2 queue full, or an upstream down), which nginx reports as 500.
  const shedByGateway = async () => {
    let shed = 0;
    for (const instance of [app, ...replicas]) {
      const text = await (await fetch(`${instance.url}/api/metrics`)).text();
      for (const match of text.matchAll(/^auth_requests_total\{result="unavailable"[^}]*\} (\d+)$/gm)) shed += Number(match[1]);
    }
    return shed;
  };
  const shedBeforeMixed = await shedByGateway();
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(appRssMb()), 5000);
  const mixedResult = await wrk(`${nginx.url}/gateway/x`, mixed, MIXED_DURATION, CONNECTIONS, appPids);
  clearInterval(sampler);
  const mixedShed = (await shedByGateway()) - shedBeforeMixed;
  const mixedRow = record(`mixed load, ${SEEDED_TOKENS.toLocaleString('en')} tokens in Postgres (${MIXED_DURATION} s)`, 200, {
    ...mixedResult,
    statuses: Object.fromEntries(Object.entries(mixedResult.statuses).filter(([code]) => code !== '401')),
  });

  // Revocation latency across two replicas on the same Postgres.
  // No failure delay here: the probe measures when the refusal starts, not how long a refusal waits.
  const replica = await startApp({ config, databaseUrl: database.url, env: { AOT_AUTH__FAILURE_DELAY_MS: '0' } });
  cleanups.push(() => replica.stop());
  const admin = `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`;
  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const created = (await (
      await fetch(`${app.url}/api/tokens`, { method: 'POST', headers: { Authorization: admin, 'Content-Type': 'application/json' }, body: '{"name":"revocation probe"}' })
    ).json()) as { token: { id: string }; secret: string };
    const probe = () => fetch(`${replica.url}/api/authenticate`, { headers: { Authorization: `Bearer ${created.secret}` } }).then((r) => r.status);
    if ((await probe()) !== 200) throw new Error('replica did not accept the new token');
    await fetch(`${app.url}/api/tokens/${created.token.id}`, { method: 'DELETE', headers: { Authorization: admin } });
    const started = performance.now();
    while ((await probe()) !== 401) if (performance.now() - started > 5000) break;
    latencies.push(performance.now() - started);
  }

  const bareRps = bareResult.rps;
  const summary = {
    ranAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      nginx: execFileSync('/usr/sbin/nginx', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) || 'nginx',
    },
    settings: { durationSeconds: DURATION, mixedDurationSeconds: MIXED_DURATION, connections: CONNECTIONS, seededTokens: SEEDED_TOKENS, replicas: REPLICAS },
    argon2VerificationsPerSecond: Math.round(argon2PerSecond),
    coldTokensVsArgon2: (coldResult?.rps ?? 0) / argon2PerSecond,
    floodSlowdown,
    floodNote,
    rssDuringMixedMb: { first: samples[0] ?? 0, last: samples.at(-1) ?? 0, max: Math.max(0, ...samples), samples },
    revocationLatencyMs: latencies.map((l) => Math.round(l)),
    mixedShedByGateway: mixedShed,
    pairedNote,
    directNote,
    serverCpuDirectUs: direct,
    rows: rows_,
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(summary, null, 2)}\n`);

  const table = tableOf(rows_);
  console.log(`\n${table}\n`);
  console.log(summary.pairedNote);
  console.log(summary.directNote);
  console.log(`raw argon2id verifications/s (token parameters): ${summary.argon2VerificationsPerSecond}; cold tokens reach ${(summary.coldTokensVsArgon2 * 100).toFixed(0)} % of it`);
  console.log(summary.floodNote);
  console.log(`answers the gateway shed with 503 during the mixed load: ${summary.mixedShedByGateway}`);
  console.log(`server RSS during the mixed load: first ${summary.rssDuringMixedMb.first} MB, last ${summary.rssDuringMixedMb.last} MB, max ${summary.rssDuringMixedMb.max} MB`);
  console.log(`revocation seen by the other replica after: ${summary.revocationLatencyMs.join(', ')} ms`);
  console.log(`p99 of the mixed load vs bare Node: × ${(mixedRow.p99 / (bareResult.p99 || 1)).toFixed(2)}; bare Node req/s ${Math.round(bareRps)}`);
  console.log('wrote bench/results/latest.json');
  if (!QUICK) updateReadme(table, summary);
}

/** `count` runs of `measured`, each right beside a run of `reference`, the order alternating so a steady drift favours neither. */
async function pairedRounds<R, M>(count: number, reference: () => Promise<R>, measured: () => Promise<M>): Promise<Array<{ reference: R; measured: M }>> {
  const pairs: Array<{ reference: R; measured: M }> = [];
  for (let round = 0; round < count; round++) {
    const before = round % 2 === 0 ? await reference() : undefined;
    const measuredRun = await measured();
    pairs.push({ reference: before ?? (await reference()), measured: measuredRun });
  }
  return pairs;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * The p99 of several runs taken together: the latency above which 1 % of all their requests lie,
 * each run's share read off its tail (linear between the percentiles wrk reported).
 */
function pooledP99(runs: WrkResult[]): number {
  const counted = runs.map((run) => ({ tail: run.tail, requests: Object.values(run.statuses).reduce((a, b) => a + b, 0) }));
  const total = counted.reduce((sum, run) => sum + run.requests, 0);
  /** Share of a run's requests slower than `ms`. */
  const slowerShare = (tail: Array<[number, number]>, ms: number) => {
    const [firstP, firstMs] = tail[0] ?? [100, 0];
    if (ms < firstMs) return (100 - firstP) / 100; // more than the tail holds: at least this
    for (let i = 1; i < tail.length; i++) {
      const [p0, ms0] = tail[i - 1]!;
      const [p1, ms1] = tail[i]!;
      if (ms < ms1) return (100 - (ms1 === ms0 ? p1 : p0 + ((p1 - p0) * (ms - ms0)) / (ms1 - ms0))) / 100;
    }
    return 0;
  };
  const slower = (ms: number) => counted.reduce((sum, run) => sum + run.requests * slowerShare(run.tail, ms), 0);
  const candidates = [...new Set(counted.flatMap((run) => run.tail.map(([, ms]) => ms)))].sort((a, b) => a - b);
  return candidates.find((ms) => slower(ms) <= total * 0.01) ?? Math.max(...runs.map((r) => r.p99));
}

/** Rounds of one scenario as one result: mean req/s, median p50, their pooled p99, everything counted. */
function combined(rounds: WrkResult[]): WrkResult {
  const statuses: Record<string, number> = {};
  for (const round of rounds) for (const [code, n] of Object.entries(round.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
  const answeredIn = (round: WrkResult) => Object.values(round.statuses).reduce((a, b) => a + b, 0);
  const answered = rounds.reduce((sum, r) => sum + answeredIn(r), 0);
  const weighted = (pick: (r: WrkResult) => number | undefined) => rounds.reduce((sum, r) => sum + (pick(r) ?? 0) * answeredIn(r), 0) / Math.max(1, answered);
  return {
    rps: rounds.reduce((sum, r) => sum + r.rps, 0) / rounds.length,
    p50: median(rounds.map((r) => r.p50)),
    p99: pooledP99(rounds),
    statuses,
    socketErrors: rounds.reduce((sum, r) => sum + r.socketErrors, 0),
    tail: [],
    serverCpuUs: weighted((r) => r.serverCpuUs),
    idle: rounds.reduce((sum, r) => sum + (r.idle ?? 0), 0) / rounds.length,
  };
}

function tableOf(rows: Row[]): string {
  return [
    '| scenario | req/s | p50 ms | p99 ms | errors | RSS MB | server CPU µs/req | idle % | × bare Node | p99 × bare | × Next route |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.rps} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} | ${r.rssMb} | ${r.cpuUsPerRequest || '–'} | ${r.idlePercent} | ${r.vsBare.toFixed(2)}${r.vsBareRange ? ` (${r.vsBareRange.map((v) => v.toFixed(2)).join('–')})` : ''} | ${r.p99VsBare.toFixed(2)} | ${r.vsNext.toFixed(2)} |`,
    ),
  ].join('\n');
}

/** The README shows the latest full run, with the machine it ran on. */
function updateReadme(
  table: string,
  summary: {
    pairedNote: string;
    directNote: string;
    mixedShedByGateway: number;
    ranAt: string;
    machine: { cpus: number; model: string; memoryGb: number; node: string };
    argon2VerificationsPerSecond: number;
    coldTokensVsArgon2: number;
    floodNote: string;
    rssDuringMixedMb: { first: number; last: number; max: number };
    revocationLatencyMs: number[];
  },
): void {
  const readmePath = path.join(ROOT, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const { machine } = summary;
  const block = [
    '<!-- bench:start -->',
    `Latest run: ${summary.ranAt.slice(0, 16).replace('T', ' ')} UTC on ${machine.cpus} × ${machine.model}, ${machine.memoryGb} GB, Node ${machine.node}; ${DURATION} s per baseline, ${CONNECTIONS} connections, ${REPLICAS} app process(es) and as many bare baselines (wrk and nginx share the machine).`,
    '',
    table,
    '',
    `- ${summary.pairedNote}`,
    `- ${summary.directNote}`,
    `- raw argon2id verifications/s with the token parameters (tokens.hash) on this machine: ${summary.argon2VerificationsPerSecond}; cold tokens reach ${(summary.coldTokensVsArgon2 * 100).toFixed(0)} % of that`,
    `- ${summary.floodNote}`,
    `- answers the gateway shed with 503 + Retry-After during the mixed load (nginx shows them as 500): ${summary.mixedShedByGateway}`,
    `- server RSS during the ${MIXED_DURATION} s mixed load: ${summary.rssDuringMixedMb.first} MB at the start, ${summary.rssDuringMixedMb.last} MB at the end, ${summary.rssDuringMixedMb.max} MB at most`,
    `- a revocation seen by the other replica after ${summary.revocationLatencyMs.join(', ')} ms`,
    '<!-- bench:end -->',
  ].join('\n');
  writeFileSync(readmePath, readme.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, block));
  console.log('updated the table in README.md');
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });
