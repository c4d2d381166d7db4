// `npm run bench`: the production app behind real nginx under wrk, next to its baselines measured in
// the same run (nginx auth_request to a bare Node server, to a canned socket answer and to a trivial
// Next.js route). What runs is data (bench/scenarios.ts); wrk, the statistics, nginx and the report
// are modules beside this file. Writes bench/results/<time>.md and .json, and latest.md / latest.json
// (the README links latest.md). `npm run bench -- --quick` for a short smoke run.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
import { createPostgresDatabase } from '../tests/support/postgres';
import { startBenchNginx } from './nginx';
import { type Baselines, logRow, type Row, rowOf, tableOf, writeResults } from './report';
import { BASELINES, COLD, type Credentials, DIRECT, FLOOD, LOCATIONS, MIXED, PAIRED, type Server } from './scenarios';
import { combined, median, pairedRound, pairedRounds } from './stats';
import { rssMb, type WrkOptions, type WrkResult, wrk as runWrk } from './wrk';

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
/** `--token-memory=KiB`: argon2id memory of the token hashes (tokens.hash.memory_kib) seeded and configured, to measure a choice. */
const TOKEN_HASH: HashParams = ((arg) => ({ ...TOKEN_HASH_DEFAULTS, ...(arg ? { memory_kib: Number(arg.slice('--token-memory='.length)) } : {}) }))(
  process.argv.find((a) => a.startsWith('--token-memory=')),
);
const DURATION = QUICK ? 3 : 10;
/**
 * Each cached-check scenario runs in ROUNDS short rounds, each paired with a bare-Node round right
 * beside it (the order alternating, so a steady drift favours neither), and its "× bare Node" is the
 * median of the pairs' ratios: on a shared VM the machine's speed drifts by ±30 % within a minute,
 * more than the differences measured, and one pair of long runs only measures the drift. The
 * scenarios' rounds are interleaved, so a slow minute is shared by all of them.
 */
const ROUNDS = QUICK ? 2 : 15;
const ROUND_SECONDS = 1;
/** Before its rounds, each scenario runs this long unmeasured (only its answers are checked): the first requests of a new kind of credential meet cold code. */
const WARMUP_SECONDS = 1;
/** Rounds of the direct (no nginx) server-CPU comparison. */
const DIRECT_ROUNDS = QUICK ? 1 : 3;
/** Rounds of valid users alone and under a flood. */
const FLOOD_ROUNDS = QUICK ? 1 : 5;
const FLOOD_ROUND_SECONDS = QUICK ? 2 : 4;
const MIXED_DURATION = QUICK ? 10 : 60;
const CONNECTIONS = 50;
/** Cold checks wait for the database and argon2, not the CPU alone: enough connections to keep both busy. */
const COLD_CONNECTIONS = 32;
const SEEDED_TOKENS = QUICK ? 10_000 : 100_000;
const SECRET = 'B'.repeat(36); // every seeded token shares one secret (and so one hash): cheap to seed, still one argon2 per cold request

const work = mkdtempSync(path.join(tmpdir(), 'aot-bench-'));
const cleanups: Array<() => Promise<void> | void> = [];
const wrk = (url: string, headers: string[], seconds: number, connections = CONNECTIONS, serverPids: number[] = [], options: WrkOptions = {}) =>
  runWrk(work, url, headers, seconds, connections, serverPids, options);

/** A baseline server (bench/bare-server.mjs or bench/canned-server.mjs): prints its port. */
async function startBaseline(file: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', file)], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => stopProcess(child));
  const port = await new Promise<number>((resolve) => child.stdout?.once('data', (c: Buffer) => resolve((JSON.parse(c.toString()) as { port: number }).port)));
  return { port, child };
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

/** Seeds SEEDED_TOKENS tokens straight into Postgres, as the portal writes them (token hash parameters, fingerprint under this installation's key), all sharing one hash. */
async function seedTokens(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const hash = await hashSecret(SECRET, TOKEN_HASH);
    const storedKey = await client.query<{ value: string }>('select value from app_secrets where name = $1', [FINGERPRINT_KEY_NAME]);
    const fingerprint = secretFingerprint(decodeFingerprintKey(storedKey.rows[0]?.value ?? ''), SECRET);
    const { rows } = await client.query<{ id: string }>(
      `insert into users (realm, username, roles) values ('local', 'alice', '["user"]') on conflict (realm, username) do update set roles = excluded.roles returning id`,
    );
    await client.query(
      `insert into tokens (id, owner_id, name, scopes, secret_hash, secret_fingerprint, expires_at)
       select 'b' || lpad(g::text, 15, '0'), $1, 'bench ' || g, '["polytope:read"]', $2, $4, now() + interval '30 days' from generate_series(1, $3) g`,
      [rows[0]?.id, hash, SEEDED_TOKENS, fingerprint],
    );
  } finally {
    await client.end();
  }
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
      {
        type: 'plain',
        name: 'users',
        realm: 'local',
        users: [
          { username: 'alice', password_hash: await hashSecret('alice-pw'), roles: ['user'] },
          // The revocation probe's owner: alice holds the 100,000 seeded tokens, and creating one more counts them all.
          { username: 'bob', password_hash: await hashSecret('bob-pw'), roles: ['user'] },
        ],
      },
      { type: 'jwt', name: 'idp', realm: 'idp', cert_uri: idp.jwksUri, issuer: idp.issuer },
      { type: 'tokens', name: 'tokens' },
    ],
    services: [{ name: 'polytope', scopes: ['read', 'write'] }],
    portal: { realm: 'local' },
    policies: [{ match: { path: '/*/admin/**' }, require: { roles_any: ['admin'] } }],
    jwt: { iss: 'bench', aud: 'backend', exp: 300 },
    tokens: { cache_ttl: '30s', hash: TOKEN_HASH },
  };
  const start = async (options: Parameters<typeof startApp>[0]): Promise<RunningApp> => {
    const started = await startApp(options);
    cleanups.push(() => started.stop());
    return started;
  };
  // BENCH_APP_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the measured app.
  const app = await start({ config, databaseUrl: database.url, nodeArgs: process.env.BENCH_APP_NODE_ARGS?.split(' ').filter(Boolean) });
  await seedTokens(database.url);
  const seeded = (n: number) => `Bearer ${formatToken('aot', `b${String(n).padStart(15, '0')}`, SECRET)}`;

  const bares = await Promise.all(Array.from({ length: REPLICAS }, () => startBaseline('bare-server.mjs')));
  const canned = await startBaseline('canned-server.mjs');
  const replicas = await Promise.all(Array.from({ length: REPLICAS - 1 }, () => start({ config, databaseUrl: database.url })));
  const appPids = [app, ...replicas].map((a) => a.pid);
  // Issue 13's row: the product with `server.workers: 2` (one primary, two workers sharing the port).
  const workers = await start({ config: { ...config, server: { workers: 2 } }, databaseUrl: database.url });
  // The framework baseline runs in its own instance, so the app measured keeps its own memory.
  const frameworkApp = await start({ config, databaseUrl: database.url });
  const pids: Record<Server, number[]> = {
    app: appPids,
    workers: [workers.pid],
    bare: bares.map((b) => b.child.pid ?? 0),
    canned: [canned.child.pid ?? 0],
    framework: [frameworkApp.pid],
  };
  const nginx = await startBenchNginx(
    work,
    { app: [app, ...replicas].map((a) => a.port), workers: [workers.port], bare: bares.map((b) => b.port), canned: [canned.port], framework: [frameworkApp.port] },
    [...LOCATIONS],
  );
  cleanups.push(() => stopProcess(nginx.child));

  const cold = Array.from({ length: SEEDED_TOKENS - 2000 }, (_, i) => seeded(2000 + i));
  const credentials: Credentials = {
    seeded,
    basic: `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`,
    jwts: await Promise.all(Array.from({ length: 20 }, (_, i) => idp.sign({ sub: `user-${i}`, preferred_username: `user-${i}` }, { expiresIn: '2h' })).map(async (t) => `Bearer ${await t}`)),
    garbage: Array.from({ length: 100 }, (_, i) => `Bearer aot_${newTokenId()}_${'x'.repeat(36)}${String(i).padStart(6, '0')}`),
    // A guessing attack: distinct wrong secrets against 20 known token ids, each guess a new one.
    wrongSecret: Array.from({ length: 20_000 }, (_, i) => `Bearer ${formatToken('aot', `b${String((i % 20) + 1).padStart(15, '0')}`, `W${String(i).padStart(35, '0')}`)}`),
    cold,
  };

  console.log('\nmeasuring raw argon2id rate…');
  const argon2PerSecond = await argon2Rate(QUICK ? 2 : 5, TOKEN_HASH);
  console.log(`raw argon2id verifications/s with the token parameters: ${Math.round(argon2PerSecond)}`);

  const rows: Row[] = [];
  const baselines: Baselines = {};
  const rss = () => rssMb(appPids);
  const record = (name: string, expect: number, result: WrkResult, paired?: { ratios: number[]; bare: WrkResult }) => {
    const row = rowOf(name, expect, result, baselines, rss(), paired);
    rows.push(row);
    logRow(row);
    return row;
  };
  const url = (location: string, sub = '/x') => `${nginx.url}/${location}${sub}`;

  // Every app loads what it needs on first use (the portal lazily): warm them up before measuring.
  for (let i = 0; i < 20; i++) {
    await Promise.all([fetch(url('next')), ...['gateway', 'workers'].map((l) => fetch(url(l), { headers: { Authorization: credentials.basic } }))]);
  }
  console.log(`running scenarios (${DURATION} s each, ${CONNECTIONS} connections)…`);
  for (const baseline of BASELINES) {
    const result = await wrk(url(baseline.location), ['-'], DURATION, CONNECTIONS, pids[baseline.server]);
    if (baseline.role) baselines[baseline.role] = result;
    record(baseline.name, 200, result);
  }
  await frameworkApp.stop();

  const reference = (headers: string[], connections: number) => wrk(url('bare_jwt'), headers, ROUND_SECONDS, connections);
  // The rounds of every cached-check scenario are interleaved (round 1 of each, then round 2, …): the
  // machine's drift over the minutes this takes then falls on every scenario alike, not on whichever ran when it was slow.
  const selected = PAIRED.filter((scenario) => !ONLY || ONLY.test(scenario.name) || scenario.canned);
  const runs = selected.map((scenario) => ({
    scenario,
    target: url(scenario.location, scenario.path),
    headers: scenario.headers(credentials),
    warmup: undefined as WrkResult | undefined,
    pairs: [] as Array<{ reference: WrkResult; measured: WrkResult }>,
  }));
  for (const run of runs) run.warmup = await wrk(run.target, run.headers, WARMUP_SECONDS, CONNECTIONS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const run of runs) {
      // Bare Node gets the very same requests (credentials and all), so only the answer differs.
      run.pairs.push(
        await pairedRound(
          round,
          () => reference(run.headers, CONNECTIONS),
          () => wrk(run.target, run.headers, ROUND_SECONDS, CONNECTIONS, pids[run.scenario.server]),
        ),
      );
    }
  }
  for (const { scenario, warmup, pairs } of runs) {
    const ratios = pairs.map((p) => p.measured.rps / p.reference.rps);
    console.log(`${scenario.name}: ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
    const result = combined(pairs.map((p) => p.measured));
    // Answers during the warm-up count too: an error there is still an error.
    for (const [code, n] of Object.entries(warmup?.statuses ?? {})) result.statuses[code] = (result.statuses[code] ?? 0) + n;
    result.socketErrors += warmup?.socketErrors ?? 0;
    const row = record(scenario.name, scenario.expect, result, { ratios, bare: combined(pairs.map((p) => p.reference)) });
    if (scenario.canned) baselines.cannedVsBare = row.vsBare;
  }

  // Cold tokens: each scenario its own share of the seeded tokens, read by one wrk thread so none repeats.
  const coldShare = Math.floor(cold.length / COLD.length);
  const coldRows: Record<string, Row> = {};
  // Where a cold token's CPU goes besides the app: the database's backends and nginx (wrk is the rest of the machine).
  const backends = async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).rows.map((r) => r.pid);
    } finally {
      await client.end();
    }
  };
  const coldCpu = { postgres: backends, nginx: async () => [nginx.child.pid ?? 0] };
  const coldCpuUs: Record<string, Record<string, number>> = {};
  for (const [i, scenario] of COLD.entries()) {
    if (ONLY && !ONLY.test(scenario.name)) continue;
    const tokens = cold.slice(i * coldShare, (i + 1) * coldShare);
    const result = await wrk(url(scenario.location), tokens, DURATION, COLD_CONNECTIONS, pids[scenario.server], { threads: 1, otherCpu: coldCpu });
    coldCpuUs[scenario.name] = { app: result.serverCpuUs ?? 0, ...result.otherCpuUs };
    const answered = Object.values(result.statuses).reduce((a, b) => a + b, 0);
    if (answered > tokens.length) console.warn(`  ${scenario.name}: ${answered} requests for ${tokens.length} tokens: some were not cold`);
    coldRows[scenario.name] = record(scenario.name, 200, result);
  }

  // The server's own CPU per check, without nginx: wrk straight at the app and at bare Node (same requests, rounds interleaved).
  const directSamples = new Map<string, { app: number[]; bare: number[] }>();
  for (let round = 0; round < DIRECT_ROUNDS; round++) {
    for (const { name, headers, originalUri } of DIRECT) {
      if (ONLY && !ONLY.test(name)) continue;
      const samples = directSamples.get(name) ?? { app: [], bare: [] };
      directSamples.set(name, samples);
      const options = { originalUri, threads: 1 };
      const sent = headers(credentials);
      const bare = bares[0];
      if (!bare) throw new Error('no bare baseline');
      samples.bare.push((await wrk(`http://127.0.0.1:${bare.port}/with-jwt`, sent, ROUND_SECONDS * 2, 20, pids.bare.slice(0, 1), options)).serverCpuUs ?? 0);
      samples.app.push((await wrk(`${app.url}/api/authenticate`, sent, ROUND_SECONDS * 2, 20, [app.pid], options)).serverCpuUs ?? 0);
    }
  }
  const direct = Object.fromEntries([...directSamples].map(([name, s]) => [name, { app: median(s.app), bare: median(s.bare) }]));
  const directNote = `server CPU per check with wrk straight at the server (no nginx; median of ${DIRECT_ROUNDS} rounds of ${ROUND_SECONDS * 2} s, each beside bare Node given the same requests): ${Object.entries(
    direct,
  )
    .map(([name, { app: a, bare: b }]) => `${name} ${a.toFixed(1)} µs (bare ${b.toFixed(1)})`)
    .join(', ')}`;
  const pairedNote = `a cached check runs ${WARMUP_SECONDS} s unmeasured, then ${ROUNDS} rounds of ${ROUND_SECONDS} s (round 1 of every scenario, then round 2, …), each beside ${ROUND_SECONDS} s of bare Node answering 200 with a JWT-sized Authorization and no body (the order alternating); "× bare Node" is the median of the rounds' ratios (lowest–highest in brackets), "× canned" that divided by the canned socket answer's, req/s their mean, p99 that of all the rounds' requests together, and "p99 × bare" against that of the bare rounds; bare Node gets the same requests (credentials and all); the other rows are against the JWT-sized bare-Node baseline at the start`;
  const coldRate = coldRows[COLD[0]?.name ?? '']?.rps ?? 0;
  const coldNote = `raw argon2id verifications/s with the token parameters (tokens.hash), all cores: ${Math.round(argon2PerSecond)}; cold tokens through nginx: ${Object.values(coldRows)
    .map((r) => `${r.rps}/s (${r.scenario})`)
    .join(', ')}, ${((coldRate / argon2PerSecond) * 100).toFixed(0)} % of the raw rate`;
  const coldCpuNote = `CPU per cold token: ${Object.entries(coldCpuUs)
    .map(
      ([name, parts]) =>
        `${name}: ${Object.entries(parts)
          .map(([who, us]) => `${who} ${Math.round(us)} µs`)
          .join(', ')}`,
    )
    .join('; ')}`;
  const notes = [pairedNote, directNote, coldNote, coldCpuNote];
  const settings = { durationSeconds: DURATION, mixedDurationSeconds: MIXED_DURATION, connections: CONNECTIONS, seededTokens: SEEDED_TOKENS, replicas: REPLICAS, quick: QUICK };
  const summaryBase = () => ({
    ranAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      nginx: execFileSync('/usr/sbin/nginx', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) || 'nginx',
    },
    settings,
    notes,
    rows,
    argon2VerificationsPerSecond: Math.round(argon2PerSecond),
    coldTokensVsArgon2: coldRate / argon2PerSecond,
    coldCpuUs,
    tokenHash: TOKEN_HASH,
    serverCpuDirectUs: direct,
  });
  const finish = (extra: Record<string, unknown> = {}) => {
    console.log(`\n${tableOf(rows)}\n\n${notes.join('\n')}`);
    if (QUICK || ONLY || HOT_ONLY) return console.log('(a partial run: bench/results/ left as it was)');
    console.log(`wrote ${writeResults(ROOT, { ...summaryBase(), ...extra })} and bench/results/latest.md`);
  };
  if (HOT_ONLY || (ONLY && !ONLY.test('flood'))) return finish();

  // Flood: valid users alone, then the same load beside garbage and wrong-secret tokens, in paired rounds.
  const validMix = FLOOD.valid(credentials);
  const alone = () => wrk(url('gateway'), validMix, FLOOD_ROUND_SECONDS, 25);
  const underFlood = () => Promise.all([wrk(url('gateway'), validMix, FLOOD_ROUND_SECONDS, 25), wrk(url('gateway'), FLOOD.attack(credentials), FLOOD_ROUND_SECONDS, 25)]);
  await wrk(url('gateway'), validMix, WARMUP_SECONDS, 25); // first uses of the valid tokens verify them: not part of either side
  const floodPairs = await pairedRounds(FLOOD_ROUNDS, alone, underFlood);
  const floodRatios = floodPairs.map(({ reference, measured: [valid] }) => valid.rps / reference.rps);
  floodPairs.forEach(({ reference, measured: [valid] }, i) =>
    console.log(`  flood round ${i + 1}: valid users ${Math.round(valid.rps)} req/s under the flood, ${Math.round(reference.rps)} alone: × ${floodRatios[i]?.toFixed(2)}`),
  );
  const validAlone = combined(floodPairs.map((p) => p.reference));
  const validUnderFlood = combined(floodPairs.map((p) => p.measured[0]));
  const flood = combined(floodPairs.map((p) => p.measured[1]));
  record('valid users alone (25 connections)', 200, validAlone);
  record('valid users during a garbage flood', 200, validUnderFlood);
  record('the flood itself (garbage + guessed secrets)', 401, { ...flood, statuses: Object.fromEntries(Object.entries(flood.statuses).filter(([code]) => code !== '500')) });
  const floodSlowdown = { rps: median(floodRatios), range: [Math.min(...floodRatios), Math.max(...floodRatios)], p99: validUnderFlood.p99 / validAlone.p99 };
  notes.push(
    `valid users during a flood of garbage and guessed secrets with valid checksums (${FLOOD_ROUNDS} rounds of ${FLOOD_ROUND_SECONDS} s under the flood, each beside ${FLOOD_ROUND_SECONDS} s alone): median ${(floodSlowdown.rps * 100).toFixed(0)} % of their requests/s alone (${floodSlowdown.range.map((r) => `${(r * 100).toFixed(0)}`).join('–')} %), p99 × ${floodSlowdown.p99.toFixed(2)}`,
  );
  if (ONLY) return finish({ floodSlowdown });

  // Mixed load over the seeded database; RSS sampled throughout. Requests the gateway shed (503:
  // argon2 queue full, or an upstream down), which nginx reports as 500, are counted from its metrics.
  const shedByGateway = async () => {
    let shed = 0;
    for (const instance of [app, ...replicas]) {
      const text = await (await fetch(`${instance.url}/api/metrics`)).text();
      for (const match of text.matchAll(/^auth_requests_total\{result="unavailable"[^}]*\} (\d+)$/gm)) shed += Number(match[1]);
    }
    return shed;
  };
  const shedBefore = await shedByGateway();
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rss()), 5000);
  const mixedResult = await wrk(url('gateway'), MIXED(credentials), MIXED_DURATION, CONNECTIONS, appPids);
  clearInterval(sampler);
  const mixedShed = (await shedByGateway()) - shedBefore;
  const mixedRow = record(`mixed load, ${SEEDED_TOKENS.toLocaleString('en')} tokens in Postgres (${MIXED_DURATION} s)`, 200, {
    ...mixedResult,
    statuses: Object.fromEntries(Object.entries(mixedResult.statuses).filter(([code]) => code !== '401')),
  });
  const rssDuringMixedMb = { first: samples[0] ?? 0, last: samples.at(-1) ?? 0, max: Math.max(0, ...samples), samples };
  notes.push(`answers the gateway shed with 503 + Retry-After during the mixed load (nginx shows them as 500): ${mixedShed}`);
  notes.push(`server RSS during the ${MIXED_DURATION} s mixed load: ${rssDuringMixedMb.first} MB at the start, ${rssDuringMixedMb.last} MB at the end, ${rssDuringMixedMb.max} MB at most`);
  notes.push(`p99 of the mixed load vs bare Node: × ${(mixedRow.p99 / (baselines.bare?.p99 || 1)).toFixed(2)}`);

  // Revocation latency across two replicas on the same Postgres. No failure delay here: the probe
  // measures when the refusal starts, not how long a refusal waits.
  await workers.stop();
  const replica = await start({ config, databaseUrl: database.url, env: { AOT_AUTH__FAILURE_DELAY_MS: '0' } });
  const latencies: number[] = [];
  const bob = `Basic ${Buffer.from('bob:bob-pw').toString('base64')}`;
  try {
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${app.url}/api/tokens`, {
        method: 'POST',
        headers: { Authorization: bob, 'Content-Type': 'application/json' },
        body: '{"name":"revocation probe"}',
        signal: AbortSignal.timeout(10_000),
      });
      const created = (await response.json()) as { token: { id: string }; secret: string };
      // As nginx asks: with policies configured, a check that does not name its original request is refused (403).
      const probe = () =>
        fetch(`${replica.url}/api/authenticate`, { headers: { Authorization: `Bearer ${created.secret}`, 'X-Original-URI': '/x' }, signal: AbortSignal.timeout(10_000) }).then((r) => r.status);
      if ((await probe()) !== 200) throw new Error('replica did not accept the new token');
      await fetch(`${app.url}/api/tokens/${created.token.id}`, { method: 'DELETE', headers: { Authorization: bob }, signal: AbortSignal.timeout(10_000) });
      const begun = performance.now();
      while ((await probe()) !== 401) if (performance.now() - begun > 5000) break;
      latencies.push(performance.now() - begun);
    }
  } catch (error) {
    // The rows measured so far are still written.
    notes.push(`the revocation probe failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (latencies.length > 0) notes.push(`a revocation seen by the other replica after ${latencies.map((l) => Math.round(l)).join(', ')} ms`);
  finish({ floodSlowdown, rssDuringMixedMb, revocationLatencyMs: latencies.map((l) => Math.round(l)), mixedShedByGateway: mixedShed });
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
