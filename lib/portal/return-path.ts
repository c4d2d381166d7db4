/** Where to go after signing in: only a path on this site, so the parameter cannot become an open redirect. */
export function safeReturnPath(value: unknown, fallback = '/tokens'): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return fallback;
  return value;
}
