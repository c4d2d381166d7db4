// How the benchmark turns rounds of wrk into one number: paired rounds, medians, pooled p99.
import type { WrkResult } from './wrk';

/** `count` runs of `measured`, each right beside a run of `reference`, the order alternating so a steady drift favours neither. */
export async function pairedRounds<R, M>(count: number, reference: () => Promise<R>, measured: () => Promise<M>): Promise<Array<{ reference: R; measured: M }>> {
  const pairs: Array<{ reference: R; measured: M }> = [];
  for (let round = 0; round < count; round++) pairs.push(await pairedRound(round, reference, measured));
  return pairs;
}

/** Round `round` of a pairing: the reference first in even rounds, second in odd ones. */
export async function pairedRound<R, M>(round: number, reference: () => Promise<R>, measured: () => Promise<M>): Promise<{ reference: R; measured: M }> {
  const before = round % 2 === 0 ? await reference() : undefined;
  const measuredRun = await measured();
  return { reference: before ?? (await reference()), measured: measuredRun };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function answeredIn(run: WrkResult): number {
  return Object.values(run.statuses).reduce((a, b) => a + b, 0);
}

/**
 * The p99 of several runs taken together: the latency above which 1 % of all their requests lie,
 * each run's share read off its tail (linear between the percentiles wrk reported).
 */
export function pooledP99(runs: WrkResult[]): number {
  const counted = runs.map((run) => ({ tail: run.tail, requests: answeredIn(run) }));
  const total = counted.reduce((sum, run) => sum + run.requests, 0);
  /** Share of a run's requests slower than `ms`. */
  const slowerShare = (tail: Array<[number, number]>, ms: number) => {
    const [firstP, firstMs] = tail[0] ?? [100, 0];
    if (ms < firstMs) return (100 - firstP) / 100; // more than the tail holds: at least this
    for (let i = 1; i < tail.length; i++) {
      const [p0, ms0] = tail[i - 1] ?? [0, 0];
      const [p1, ms1] = tail[i] ?? [0, 0];
      if (ms < ms1) return (100 - (ms1 === ms0 ? p1 : p0 + ((p1 - p0) * (ms - ms0)) / (ms1 - ms0))) / 100;
    }
    return 0;
  };
  const slower = (ms: number) => counted.reduce((sum, run) => sum + run.requests * slowerShare(run.tail, ms), 0);
  const candidates = [...new Set(counted.flatMap((run) => run.tail.map(([, ms]) => ms)))].sort((a, b) => a - b);
  return candidates.find((ms) => slower(ms) <= total * 0.01) ?? Math.max(...runs.map((r) => r.p99));
}

/** Rounds of one scenario as one result: mean req/s, median p50, their pooled p99, everything counted. */
export function combined(rounds: WrkResult[]): WrkResult {
  const statuses: Record<string, number> = {};
  for (const round of rounds) for (const [code, n] of Object.entries(round.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
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
