import { AppError } from '../errors';

interface Waiter {
  start(): void;
  refuse(error: AppError): void;
}

/**
 * Bounds CPU-heavy work (argon2): at most `concurrency` run at once, at most `maxQueued` wait; beyond
 * that callers get an `unavailable` error (→ 503 with Retry-After) instead of piling up latency and memory.
 *
 * Waiting tasks belong to a *share* (the client address): shares take turns, and when the line is full
 * a newcomer takes the place of the last task of the longest share. So one client flooding the queue
 * delays itself: anyone else waits behind at most one task per other client, never behind the flood.
 */
export class WorkQueue {
  private running = 0;
  private waiting = 0;
  /** Waiting tasks by share; a Map keeps insertion order, and a share served goes to the back (round robin). */
  private readonly shares = new Map<string, Waiter[]>();
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
    if (this.waiting === 0 && this.running < this.concurrency && this.takeFromBudget()) return this.execute(task);
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
      let longest: Waiter[] | undefined;
      for (const line of this.shares.values()) if (!longest || line.length > longest.length) longest = line;
      if (!longest || longest.length <= (own?.length ?? 0)) return new AppError('unavailable', 'too many verifications waiting');
      longest.pop()?.refuse(new AppError('unavailable', 'too many verifications waiting'));
      this.waiting -= 1;
    }
    if (own) own.push(waiter);
    else this.shares.set(share, [waiter]);
    this.waiting += 1;
    return undefined;
  }

  /** Starts waiting tasks while there is a free slot and budget; one timer waits for the next budget. */
  private dispatch(): void {
    while (this.waiting > 0 && this.running < this.concurrency) {
      if (!this.takeFromBudget()) return this.wakeForBudget();
      const next = this.shares.entries().next().value;
      if (!next) return;
      const [share, line] = next;
      const waiter = line.shift();
      this.shares.delete(share);
      if (line.length > 0) this.shares.set(share, line); // to the back of the turn order
      if (!waiter) continue;
      this.waiting -= 1;
      waiter.start();
    }
  }

  private wakeForBudget(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dispatch();
    }, Math.ceil(((1 - this.budget) * 1000) / this.perSecond));
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
