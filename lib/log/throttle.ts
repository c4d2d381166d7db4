/**
 * At most one line per key and window: an outage or a flood repeats the same warning thousands of
 * times a second, which costs CPU and buries everything else. Reports how many were held back.
 */
export class LogThrottle {
  private readonly windows = new Map<string, { until: number; suppressed: number }>();

  constructor(private readonly windowMs = 10_000) {}

  /** `undefined`: stay quiet; a number: log now, mentioning that many suppressed since the last line. */
  admit(key: string, now = Date.now()): number | undefined {
    const window = this.windows.get(key);
    if (window && now < window.until) {
      window.suppressed += 1;
      return undefined;
    }
    if (this.windows.size > 1000) this.windows.clear();
    this.windows.set(key, { until: now + this.windowMs, suppressed: 0 });
    return window?.suppressed ?? 0;
  }
}
