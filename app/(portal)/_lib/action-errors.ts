import 'server-only';
import { unstable_rethrow } from 'next/navigation';
import { isDatabaseUnavailable } from '@/db/unavailable';
import { isAppError } from '@/lib/errors';
import { getRuntime } from '@/lib/runtime';
import type { ActionState, FieldErrors, FormValues } from './action-state';

interface ZodLikeError {
  issues: Array<{ path: PropertyKey[]; message: string }>;
}

// By name, like lib/portal/api.ts: the error may come from another module instance of zod.
function isZodError(error: unknown): error is ZodLikeError {
  return error instanceof Error && error.name.includes('ZodError') && Array.isArray((error as unknown as ZodLikeError).issues);
}

function isFieldMap(value: unknown): value is Record<string, string[]> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => Array.isArray(v) && v.every((s) => typeof s === 'string'));
}

/** The string entries of a submitted form (never files), to show them again after an error. */
export function formValues(formData: FormData): FormValues {
  const values: FormValues = {};
  for (const [name, value] of formData.entries()) {
    // React's own bookkeeping fields ($ACTION_...) are not the user's input.
    if (typeof value === 'string' && !name.startsWith('$')) (values[name] ??= []).push(value);
  }
  return values;
}

export function successState<T>(message: string, data: T): ActionState<T> {
  return { status: 'success', message, data, at: Date.now() };
}

/**
 * The one place a portal form action turns an error into state: invalid fields (zod, or the
 * service's `fields`) next to the fields, other product errors as their message, an unavailable
 * database as a request to try again, anything else logged and shown as a generic message. Next's
 * own control flow (redirect, forbidden) is rethrown.
 */
export async function errorState<T>(error: unknown, values?: FormValues): Promise<ActionState<T>> {
  unstable_rethrow(error);
  if (isZodError(error)) {
    const fieldErrors: FieldErrors = {};
    // Top-level field only: `scopes.3` is reported on the scopes group.
    for (const issue of error.issues) (fieldErrors[String(issue.path[0] ?? '_form')] ??= []).push(issue.message);
    return { status: 'error', code: 'invalid_input', message: 'Some fields need your attention.', fieldErrors, values };
  }
  if (isAppError(error)) {
    const fields = error.details?.fields;
    const fieldErrors = isFieldMap(fields) ? fields : {};
    const message = Object.keys(fieldErrors).length > 0 ? 'Some fields need your attention.' : sentence(error.message);
    return { status: 'error', code: error.code, message, fieldErrors, values };
  }
  if (isDatabaseUnavailable(error)) {
    return { status: 'error', code: 'unavailable', message: 'The database is unavailable right now. Please try again in a moment.', fieldErrors: {}, values };
  }
  (await getRuntime()).logger.error({ err: error }, 'portal action failed');
  return { status: 'error', code: 'internal', message: 'Something went wrong; it has been logged. Please try again.', fieldErrors: {}, values };
}

function sentence(message: string): string {
  const capitalised = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}
