import { z } from 'zod';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Parses `15m`, `72h`, `90d`, `30s` (or a bare number of seconds) into seconds; null when malformed. */
export function parseDurationSeconds(input: string | number): number | null {
  if (typeof input === 'number') return Number.isInteger(input) && input > 0 ? input : null;
  const match = /^\s*(\d{1,9})\s*([smhd])?\s*$/.exec(input);
  if (!match) return null;
  const value = Number(match[1]);
  const unit = (match[2] ?? 's') as keyof typeof UNIT_SECONDS;
  const seconds = value * UNIT_SECONDS[unit];
  return seconds > 0 ? seconds : null;
}

/** A zod field accepting a duration string or seconds, output in seconds. */
export const durationSeconds = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const seconds = parseDurationSeconds(value);
  if (seconds === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 15m, 72h or 90d, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return seconds;
});
