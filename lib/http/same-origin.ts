// What a Host header may hold: a name or IP literal and an optional port (no user, path or spaces).
const AUTHORITY = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * Whether a browser's `Origin` names the host the request went to, port included: another port is
 * another origin (`http://portal.example.org:8081` is not `portal.example.org`). Default ports are
 * the same as none. The scheme is taken from the Origin, since the host alone does not carry one.
 */
export function originMatchesHost(origin: string, host: string | null | undefined): boolean {
  if (!host || !AUTHORITY.test(host)) return false;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return url.host === new URL(`${url.protocol}//${host}`).host;
  } catch {
    return false;
  }
}
