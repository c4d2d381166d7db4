// Expiry choices for the token forms, from `tokens.max_lifetime` / `default_lifetime` (seconds).

const DAY = 86_400;
export const PRESET_DAYS = [7, 30, 90, 365] as const;
export const CUSTOM_EXPIRY = 'custom';

export interface ExpiryOptions {
  presets: Array<{ value: string; label: string }>;
  /** The preset checked at first, or `custom` when no preset fits. */
  defaultValue: string;
  /** Bounds of the custom date (`YYYY-MM-DD`, UTC): tomorrow, and the last day within max_lifetime. */
  minDate: string;
  maxDate: string;
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function expiryOptions(tokens: { max_lifetime: number; default_lifetime: number }, now = Date.now()): ExpiryOptions {
  const days = PRESET_DAYS.filter((d) => d * DAY <= tokens.max_lifetime);
  const fallback = days.filter((d) => d * DAY <= tokens.default_lifetime).at(-1);
  return {
    presets: days.map((d) => ({ value: `${d}d`, label: `${d} days` })),
    defaultValue: fallback ? `${fallback}d` : CUSTOM_EXPIRY,
    minDate: isoDate(now + DAY * 1000),
    maxDate: isoDate(now + tokens.max_lifetime * 1000),
  };
}

/** A custom date means "expires at 00:00 UTC that day". */
export function expiresAtOf(date: string): string {
  return `${date}T00:00:00Z`;
}
