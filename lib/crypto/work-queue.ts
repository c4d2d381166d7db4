import { AppError } from '../errors';

/**
 * Bounds CPU-heavy work (argon2): at most `concurrency` run at once, at most `maxQueued` wait; beyond
 * that callers get an `unavailable` error (→ 503 with Retry-After) instead of piling up latency and memory.
 */
export class WorkQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private budget: number;
  private rateWaiting = 0;
  private budgetAt = Date.now();

  /** `perSecond`: optionally, at most this many tasks start per second (a token bucket of that size). */
  constructor(
    private readonly concurrency: number,
    private readonly maxQueued: number,
    private readonly perSecond = Number.POSITIVE_INFINITY,
  ) {
    this.budget = perSecond;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    // Over the rate, a caller waits for the next slot (costing a timer, and slowing a flood that
    // waits for its answers) while the line is short; beyond it, it is refused.
    while (!this.takeFromBudget()) {
      if (this.rateWaiting >= this.maxQueued) throw new AppError('unavailable', 'too many verifications this second');
      this.rateWaiting += 1;
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(1000 / this.perSecond)));
      this.rateWaiting -= 1;
    }
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueued) throw new AppError('unavailable', 'too many verifications in progress');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // hand the slot over directly
      else this.running -= 1;
    }
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
