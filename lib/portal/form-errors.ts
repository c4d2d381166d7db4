import 'server-only';
import { unstable_rethrow } from 'next/navigation';
import { getRuntime } from '../runtime';
import type { ActionState, FieldErrors, FormValues } from './action-state';
import { classifyError } from './error-classifier';

// Form state from errors, apart from formAction so it loads without next-auth (unit tests).

/** The string entries of a submitted form (never files), to show them again after an error. */
export function formValues(formData: FormData): FormValues {
  const values: FormValues = {};
  for (const [name, value] of formData.entries()) {
    if (typeof value === 'string' && !name.startsWith('$')) (values[name] ??= []).push(value);
  }
  return values;
}

/**
 * The form field that shows the error of `path`: the longest of the form's field names that is the
 * path or starts it (`restrictions.ips.0` on the field `restrictions.ips`), else the top-level name
 * (`scopes.3` on the scopes group).
 */
export function fieldOf(path: string, fieldNames: Iterable<string> = []): string {
  let best: string | undefined;
  for (const name of fieldNames) {
    if ((path === name || path.startsWith(`${name}.`)) && name.length > (best?.length ?? 0)) best = name;
  }
  return best ?? (path.split('.')[0] || '_form');
}

/**
 * The classification rendered as form state: invalid fields next to the fields that hold them (see
 * `fieldOf`), product errors as their message, an outage as a request to try again, anything else
 * as a generic message. Next's control flow is rethrown.
 */
export async function errorState<T>(error: unknown, values?: FormValues, fieldNames?: Iterable<string>): Promise<ActionState<T>> {
  unstable_rethrow(error);
  const verdict = classifyError(error, (await getRuntime()).logger, 'portal action');
  switch (verdict.kind) {
    case 'fields': {
      const fieldErrors: FieldErrors = {};
      const names = [...(fieldNames ?? [])];
      for (const [path, messages] of Object.entries(verdict.fields)) (fieldErrors[fieldOf(path, names)] ??= []).push(...messages);
      return { status: 'error', code: verdict.code, message: 'Some fields need your attention.', fieldErrors, values };
    }
    case 'product':
      return { status: 'error', code: verdict.code, message: sentence(verdict.message), fieldErrors: {}, values };
    case 'unavailable':
      return { status: 'error', code: verdict.code, message: 'The database is unavailable right now. Please try again in a moment.', fieldErrors: {}, values };
    case 'internal':
      return { status: 'error', code: verdict.code, message: 'Something went wrong; it has been logged. Please try again.', fieldErrors: {}, values };
  }
}

function sentence(message: string): string {
  const capitalised = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}
