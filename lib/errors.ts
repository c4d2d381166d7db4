/** The one error type the product raises on purpose; `httpStatus` maps each code to its status in one place. */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_input'
  | 'too_many_requests'
  | 'unavailable';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_input: 422,
  too_many_requests: 429,
  unavailable: 503,
};

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return httpStatus(this.code);
  }

  /** The whole seconds (at least 1) the caller should wait before trying again, when the error names them (`details.retry_after`). */
  get retryAfter(): number | undefined {
    const value = this.details?.retry_after;
    return typeof value === 'number' && Number.isFinite(value) ? Math.max(1, Math.ceil(value)) : undefined;
  }
}

/** A 429 that says when to try again: `retry_after` is in the body and becomes the `Retry-After` header. */
export function tooManyRequests(message: string, retryAfterSeconds: number): AppError {
  return new AppError('too_many_requests', message, { retry_after: Math.max(1, Math.ceil(retryAfterSeconds)) });
}

export function httpStatus(code: ErrorCode): number {
  return STATUS[code];
}

/** Works across module instances (the custom server and Next's bundle each load this file). */
export function isAppError(error: unknown): error is AppError {
  return error instanceof Error && error.name === 'AppError' && typeof (error as AppError).code === 'string';
}

/** A short description of an unknown error for logs (the cause's code when there is one). */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
