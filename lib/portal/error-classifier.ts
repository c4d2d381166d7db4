import { isDatabaseUnavailable } from '../../db/unavailable';
import { type AppError, type ErrorCode, describeError, isAppError } from '../errors';
import { LogThrottle } from '../log/throttle';

/**
 * What an error thrown by a portal handler means for the caller, decided once for the JSON API
 * (`apiRoute`) and the server actions (`formAction`); each only renders it (JSON, or form state).
 */
export type ErrorVerdict =
  /** zod, or an `AppError` naming fields: `fields` by dotted path (`scopes.3`). */
  | { kind: 'fields'; code: 'invalid_input'; status: 422; message: string; fields: Record<string, string[]>; details?: Record<string, unknown> }
  /** A product error raised on purpose: its message is for the caller. */
  | { kind: 'product'; code: ErrorCode; status: number; message: string; error: AppError }
  /** The database could not be used at all: try again. */
  | { kind: 'unavailable'; code: 'unavailable'; status: 503; message: string; retryAfter: number }
  /** Anything else: logged, shown as a generic message. */
  | { kind: 'internal'; code: 'internal'; status: 500; message: string };

interface ZodLikeError {
  issues: Array<{ path: PropertyKey[]; message: string }>;
}

// By name: the error may come from another module instance of zod (custom server and Next's bundle).
export function isZodError(error: unknown): error is ZodLikeError {
  return error instanceof Error && error.name.includes('ZodError') && Array.isArray((error as unknown as ZodLikeError).issues);
}

function isFieldMap(value: unknown): value is Record<string, string[]> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => Array.isArray(v) && v.every((s) => typeof s === 'string'));
}

// An outage fails every request: one warning per window, with the count held back.
const unavailableLog = new LogThrottle();

interface Logger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** Classifies `error` and logs what needs logging (an outage, throttled; an unexpected error, always). */
export function classifyError(error: unknown, logger: Logger, where: string): ErrorVerdict {
  if (isDatabaseUnavailable(error)) {
    const suppressed = unavailableLog.admit('database');
    if (suppressed !== undefined) logger.warn({ reason: describeError(error), suppressed }, `${where}: database unavailable, answering 503`);
    return { kind: 'unavailable', code: 'unavailable', status: 503, message: 'the database is unavailable; try again shortly', retryAfter: 5 };
  }
  if (isZodError(error)) {
    const fields: Record<string, string[]> = {};
    for (const issue of error.issues) (fields[issue.path.map(String).join('.') || '_'] ??= []).push(issue.message);
    return { kind: 'fields', code: 'invalid_input', status: 422, message: 'the request has invalid fields', fields };
  }
  if (isAppError(error)) {
    const fields = error.details?.fields;
    if (error.code === 'invalid_input' && isFieldMap(fields) && Object.keys(fields).length > 0) {
      return { kind: 'fields', code: 'invalid_input', status: 422, message: error.message, fields, details: error.details };
    }
    return { kind: 'product', code: error.code, status: error.status, message: error.message, error };
  }
  logger.error({ err: error }, `${where} failed`);
  return { kind: 'internal', code: 'internal', status: 500, message: 'something went wrong; it has been logged' };
}
