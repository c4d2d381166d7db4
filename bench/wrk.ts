// wrk runs and what the benchmark reads off the machine while they run (server CPU, idle share, RSS).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  socketErrors: number;
  /** [percentile, ms] from p90 to the maximum, for pooling the p99 of several runs. */
  tail: Array<[number, number]>;
  /** CPU time the measured server spent per answered request (user + system), µs. */
  serverCpuUs?: number;
  /** CPU µs per request of each `WrkOptions.otherCpu` group. */
  otherCpuUs?: Record<string, number>;
  /** Share of the machine's CPU left idle during the run: near 0 means the cores were the limit. */
  idle?: number;
}

export interface WrkOptions {
  /** Sent as X-Original-URI, as nginx does, when wrk calls a server directly. */
  originalUri?: string;
  threads?: number;
  /** Other processes whose CPU per request is reported too (`WrkResult.otherCpuUs`), listed at the start and again at the end (Postgres backends come and go). */
  otherCpu?: Record<string, () => Promise<number[]>>;
}

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ
const ROOT = path.resolve(import.meta.dirname, '..');

/** A process and its children (a cluster's workers), so their CPU and memory count as one server's. */
function processTree(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...children.flatMap(processTree)];
  } catch {
    return [pid];
  }
}

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

/** Resident memory of the processes (and their children), MB. */
export function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids.flatMap(processTree)) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return Math.round(kb / 1024);
}

/**
 * Runs wrk against `url`, each request with one of `headers` in turn (bench/wrk-headers.lua);
 * `serverPids` are the processes (with their children) whose CPU per request is reported, summed.
 */
export async function wrk(work: string, url: string, headers: string[], seconds: number, connections: number, serverPids: number[] = [], options: WrkOptions = {}): Promise<WrkResult> {
  const serverCpu = () => serverPids.flatMap(processTree).reduce((sum, pid) => sum + processCpuUs(pid), 0);
  const cpuOf = (pids: number[]) => pids.flatMap(processTree).reduce((sum, pid) => sum + processCpuUs(pid), 0);
  const others = await Promise.all(Object.entries(options.otherCpu ?? {}).map(async ([name, list]) => ({ name, list, pids: await list() })));
  const othersBefore = others.map((o) => cpuOf(o.pids));
  const cpuBefore = serverCpu();
  const ticksBefore = machineTicks();
  const result = await runWrk(work, url, headers, seconds, connections, options);
  const ticksAfter = machineTicks();
  const answered = Object.values(result.statuses).reduce((a, b) => a + b, 0);
  const otherCpuUs: Record<string, number> = {};
  for (const [i, other] of others.entries()) {
    // A process that started during the run counts whole; one that ended is lost (its share is small).
    const pids = [...new Set([...other.pids, ...(await other.list())])];
    otherCpuUs[other.name] = answered > 0 ? (cpuOf(pids) - (othersBefore[i] ?? 0)) / answered : 0;
  }
  return {
    ...result,
    ...(others.length > 0 ? { otherCpuUs } : {}),
    serverCpuUs: serverPids.length > 0 && answered > 0 ? (serverCpu() - cpuBefore) / answered : undefined,
    idle: (ticksAfter.idle - ticksBefore.idle) / Math.max(1, ticksAfter.total - ticksBefore.total),
  };
}

function runWrk(work: string, url: string, headers: string[], seconds: number, connections: number, options: WrkOptions): Promise<WrkResult> {
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
