/** Socket errors: the server could not be reached, or dropped the connection. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * SQLSTATEs of a server shutting down (57P01 admin, 57P02 crash), starting up or in recovery
 * (57P03), or out of connection slots (53300). Class 08 (connection exceptions, pgbouncer's own
 * errors among them) is matched by prefix.
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Errors pg, pg-pool and PGlite raise without a code (whole messages: a query's text could contain the words). */
const MESSAGES = [
  /^timeout exceeded when trying to connect$/,
  /^Connection terminated( unexpectedly| due to connection timeout)?$/,
  /^Client (has encountered a connection error|was closed) and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
  /^PGlite is closed$/,
];
// drizzle wraps the driver's error once, a pool timeout wraps the socket's; deeper is not an outage.
const MAX_DEPTH = 4;

/**
 * Whether an error means the database could not be used at all (down, restarting, unreachable, out
 * of connections, closed), as opposed to a query that failed: the caller should get 503 and retry.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return unavailable(error, 0);
}

function unavailable(error: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH || typeof error !== 'object' || error === null) return false;
  const { code, message, cause, errors } = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  if (typeof message === 'string' && MESSAGES.some((known) => known.test(message))) return true;
  // Node reports a refused connection to every address of a host as an AggregateError.
  if (Array.isArray(errors) && errors.some((inner: unknown) => unavailable(inner, depth + 1))) return true;
  return cause !== undefined && unavailable(cause, depth + 1);
}
