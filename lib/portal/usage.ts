// The token page's view of usage: 720 hourly bars are unreadable, so days for the month and hours for the last two days.

export interface Bucket {
  hour: string;
  count: number;
}

/** Hourly counts (oldest first) summed per UTC day, as `yyyy-mm-dd`, oldest first. */
export function dailyTotals(hours: Bucket[]): Bucket[] {
  const days = new Map<string, number>();
  for (const h of hours) days.set(h.hour.slice(0, 10), (days.get(h.hour.slice(0, 10)) ?? 0) + h.count);
  return [...days].map(([hour, count]) => ({ hour, count }));
}

export const RECENT_HOURS = 48;

export function totalOf(buckets: Bucket[]): number {
  return buckets.reduce((sum, b) => sum + b.count, 0);
}
