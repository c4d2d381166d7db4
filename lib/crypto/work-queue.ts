import { LRUCache } from 'lru-cache';
import { AppError } from '../errors';

interface Waiter {
  start(): void;
  refuse(error: AppError): void;
}

/**
 * Bounds CPU-heavy work (argon2): at most `concurrency` run at once, at most `maxQueued` wait; beyond
 * that callers get an `unavailable` error (→ 503 with Retry-After) instead of piling up latency and memory.
 *
 * Waiting tasks belong to a *share* (the client address). The next task is the oldest of the share
 * served least recently (never, for a newcomer), and when the line is full a newcomer takes the place
 * of the last task of the longest share. So one client flooding the queue delays itself: anyone else
 * waits for the tasks already running and one turn of each other waiting client, never for the flood.
 */
export class WorkQueue {
  private running = 0;
  private waiting = 0;
  /** Waiting tasks by share, in the order the shares started waiting. */
  private readonly shares = new Map<string, Waiter[]>();
  /** When each share was last served (a counter), remembered a while so leaving and coming back gains nothing. */
  private readonly lastServed = new LRUCache<string, number>({ max: 10_000 });
  private served = 0;
  private budget: number;
  private budgetAt = Date.now();
  private timer: NodeJS.Timeout | undefined;

  /** `perSecond`: optionally, at most this many tasks start per second (a token bucket of that size). */
  constructor(
    private readonly concurrency: number,
    private readonly maxQueued: number,
    private readonly perSecond = Number.POSITIVE_INFINITY,
  ) {
    this.budget = perSecond;
  }

  /** Runs `task` now if there is room, else after its turn; `share` is whose turn it waits for. */
  run<T>(task: () => Promise<T>, share = ''): Promise<T> {
    // The common case starts at once, in the caller's turn of the event loop.
    if (this.waiting === 0 && this.running < this.concurrency && this.takeFromBudget()) {
      this.lastServed.set(share, (this.served += 1));
      return this.execute(task);
    }
    return new Promise<T>((resolve, reject) => {
      const refusal = this.enqueue(share, { start: () => void this.execute(task).then(resolve, reject), refuse: reject });
      if (refusal) reject(refusal);
      else this.dispatch();
    });
  }

  private async execute<T>(task: () => Promise<T>): Promise<T> {
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.dispatch();
    }
  }

  /** Adds a waiter, making room by refusing the longest share's newest task if needed; an error when there is none to make. */
  private enqueue(share: string, waiter: Waiter): AppError | undefined {
    const own = this.shares.get(share);
    if (this.waiting >= this.maxQueued) {
      let longest: [string, Waiter[]] | undefined;
      for (const entry of this.shares) if (!longest || entry[1].length > longest[1].length) longest = entry;
      if (!longest || longest[1].length <= (own?.length ?? 0)) return new AppError('unavailable', 'too many verifications waiting');
      const [name, line] = longest;
      line.pop()?.refuse(new AppError('unavailable', 'too many verifications waiting'));
      this.waiting -= 1;
      if (line.length === 0) this.shares.delete(name);
    }
    if (own) own.push(waiter);
    else this.shares.set(share, [waiter]);
    this.waiting += 1;
    return undefined;
  }

  /** The share served least recently; among those never served, the first to start waiting. */
  private nextShare(): string | undefined {
    let next: string | undefined;
    let nextServed = Number.POSITIVE_INFINITY;
    for (const share of this.shares.keys()) {
      const served = this.lastServed.get(share) ?? 0;
      if (served < nextServed) [next, nextServed] = [share, served];
    }
    return next;
  }

  /** Starts waiting tasks while there is a free slot and budget; one timer waits for the next budget. */
  private dispatch(): void {
    while (this.waiting > 0 && this.running < this.concurrency) {
      if (!this.takeFromBudget()) return this.wakeForBudget();
      const share = this.nextShare();
      if (share === undefined) return;
      const line = this.shares.get(share) ?? [];
      const waiter = line.shift();
      if (line.length === 0) this.shares.delete(share);
      this.lastServed.set(share, (this.served += 1));
      if (!waiter) continue;
      this.waiting -= 1;
      waiter.start();
    }
  }

  private wakeForBudget(): void {
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.dispatch();
      },
      Math.ceil(((1 - this.budget) * 1000) / this.perSecond),
    );
  }

  private takeFromBudget(): boolean {
    if (this.perSecond === Number.POSITIVE_INFINITY) return true;
    const now = Date.now();
    this.budget = Math.min(this.perSecond, this.budget + ((now - this.budgetAt) / 1000) * this.perSecond);
    this.budgetAt = now;
    if (this.budget < 1) return false;
    this.budget -= 1;
    return true;
  }
}
