// The benchmark's results: one table, the notes beside it, written to bench/results/ (the README links
// bench/results/latest.md; the script never edits the README).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { median } from './stats';
import type { WrkResult } from './wrk';

export interface Row {
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
  /** Against the canned socket answer (the floor of any Node process): `vsBare` over the canned row's. */
  vsCanned?: number;
  /** p99 against bare Node's: of all the rounds' requests together when the scenario ran in rounds. */
  p99VsBare: number;
  vsBareAtStart: number;
  vsNext: number;
  statuses: Record<string, number>;
}

export interface Baselines {
  bare?: WrkResult;
  next?: WrkResult;
  /** The canned answer's median ratio to bare Node. */
  cannedVsBare?: number;
}

/** A row of the table for `result`; `paired` when it ran in rounds beside bare Node. */
export function rowOf(scenario: string, expect: number, result: WrkResult, baselines: Baselines, rssMb: number, paired?: { ratios: number[]; bare: WrkResult }): Row {
  const errors = result.socketErrors + Object.entries(result.statuses).reduce((sum, [code, n]) => (Number(code) === expect ? sum : sum + n), 0);
  const bare = baselines.bare ?? result;
  const vsBare = paired ? median(paired.ratios) : result.rps / bare.rps;
  return {
    scenario,
    expect,
    rps: Math.round(result.rps),
    p50: result.p50,
    p99: result.p99,
    errors,
    rssMb,
    cpuUsPerRequest: Math.round(result.serverCpuUs ?? 0),
    idlePercent: Math.round((result.idle ?? 0) * 100),
    vsBare,
    vsBareRange: paired ? [Math.min(...paired.ratios), Math.max(...paired.ratios)] : undefined,
    vsCanned: paired && baselines.cannedVsBare ? vsBare / baselines.cannedVsBare : undefined,
    p99VsBare: result.p99 / (paired?.bare ?? bare).p99,
    vsBareAtStart: result.rps / bare.rps,
    vsNext: baselines.next ? result.rps / baselines.next.rps : 1,
    statuses: result.statuses,
  };
}

export function logRow(row: Row): void {
  console.log(
    `${row.scenario.padEnd(52)} ${String(row.rps).padStart(7)} req/s  p50 ${row.p50.toFixed(1)} ms  p99 ${row.p99.toFixed(1)} ms  errors ${row.errors}  server CPU ${row.cpuUsPerRequest} µs/req  idle ${row.idlePercent} % ${JSON.stringify(row.statuses)}`,
  );
}

export function tableOf(rows: Row[]): string {
  return [
    '| scenario | req/s | p50 ms | p99 ms | errors | RSS MB | server CPU µs/req | idle % | × bare Node | × canned | p99 × bare | × Next route |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.rps} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} | ${r.rssMb} | ${r.cpuUsPerRequest || '–'} | ${r.idlePercent} | ${r.vsBare.toFixed(2)}${r.vsBareRange ? ` (${r.vsBareRange.map((v) => v.toFixed(2)).join('–')})` : ''} | ${r.vsCanned === undefined ? '–' : r.vsCanned.toFixed(2)} | ${r.p99VsBare.toFixed(2)} | ${r.vsNext.toFixed(2)} |`,
    ),
  ].join('\n');
}

export interface Summary {
  ranAt: string;
  machine: { cpus: number; model: string; memoryGb: number; node: string; nginx: string };
  settings: Record<string, number | boolean>;
  /** One line each, under the table. */
  notes: string[];
  rows: Row[];
  [more: string]: unknown;
}

/**
 * Writes the run as `bench/results/<time>.md` and `.json`, and copies them to `latest.md` and
 * `latest.json`, the stable names the README links to.
 */
export function writeResults(root: string, summary: Summary): string {
  const dir = path.join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const stamp = summary.ranAt.slice(0, 16).replace(':', '-');
  const { machine, settings } = summary;
  const markdown = [
    `# Benchmark: ${summary.ranAt.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `${machine.cpus} × ${machine.model}, ${machine.memoryGb} GB, Node ${machine.node}, ${machine.nginx.trim()}; settings ${JSON.stringify(settings)} (wrk and nginx share the machine). Written by \`npm run bench\` (bench/run.ts); the README explains the method.`,
    '',
    tableOf(summary.rows),
    '',
    ...summary.notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
  const json = `${JSON.stringify(summary, null, 2)}\n`;
  writeFileSync(path.join(dir, `${stamp}.md`), markdown);
  writeFileSync(path.join(dir, `${stamp}.json`), json);
  copyFileSync(path.join(dir, `${stamp}.md`), path.join(dir, 'latest.md'));
  copyFileSync(path.join(dir, `${stamp}.json`), path.join(dir, 'latest.json'));
  return path.join('bench/results', `${stamp}.md`);
}
