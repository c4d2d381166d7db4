import 'server-only';
import { refresh } from 'next/cache';
import { unstable_rethrow } from 'next/navigation';
import type { z } from 'zod';
import { getRuntime, type Runtime } from '../runtime';
import type { Actor } from '../tokens/service';
import type { ActionState, FieldErrors, FormAction, FormValues } from './action-state';
import { requireAdmin } from './admin';
import { classifyError } from './error-classifier';
import { requireSessionActor } from './session-actor';

export interface FormContext<I> {
  actor: Actor;
  runtime: Runtime;
  /** The form's fields as parsed by `schema` (the raw FormData when there is none). */
  input: I;
  formData: FormData;
}

interface FormOptions<S extends z.ZodType | undefined> {
  /** Parses the form's fields: each name gives its first value, or all values when named in `arrays`. */
  schema?: S;
  arrays?: string[];
  admin?: boolean;
  /** Show the submitted values again after an error (forms people type into). */
  keepValues?: boolean;
}

type Input<S> = S extends z.ZodType ? z.output<S> : undefined;

/**
 * Wraps a server action as `apiRoute` wraps a route handler: the signed-in actor (server actions
 * are public endpoints; Next checks their Origin), the admin check, the form parsed with zod, a
 * page refresh on success, and the one classification of errors rendered as form state.
 */
export function formAction<T, S extends z.ZodType | undefined = undefined>(options: FormOptions<S>, handler: (context: FormContext<Input<S>>) => Promise<{ message: string; data: T }>): FormAction<T> {
  return async (_previous, formData) => {
    try {
      const { actor, runtime } = await requireSessionActor();
      if (options.admin) requireAdmin(actor);
      const input = (options.schema ? options.schema.parse(formFields(formData, options.arrays ?? [])) : undefined) as Input<S>;
      const { message, data } = await handler({ actor, runtime, input, formData });
      refresh();
      return { status: 'success', message, data, at: Date.now() };
    } catch (error) {
      return errorState(error, options.keepValues ? formValues(formData) : undefined);
    }
  };
}

/** The form's fields as a plain object for zod (React's own `$ACTION_…` fields left out). */
export function formFields(formData: FormData, arrays: string[]): Record<string, string | string[] | undefined> {
  const fields: Record<string, string | string[] | undefined> = {};
  for (const name of new Set(formData.keys())) {
    if (name.startsWith('$')) continue;
    const values = formData.getAll(name).filter((v): v is string => typeof v === 'string');
    fields[name] = arrays.includes(name) ? values : values[0];
  }
  for (const name of arrays) fields[name] ??= [];
  return fields;
}

/** The string entries of a submitted form (never files), to show them again after an error. */
export function formValues(formData: FormData): FormValues {
  const values: FormValues = {};
  for (const [name, value] of formData.entries()) {
    if (typeof value === 'string' && !name.startsWith('$')) (values[name] ??= []).push(value);
  }
  return values;
}

/**
 * The classification rendered as form state: invalid fields next to the fields (top-level name:
 * `scopes.3` is shown on the scopes group), product errors as their message, an outage as a
 * request to try again, anything else as a generic message. Next's control flow is rethrown.
 */
export async function errorState<T>(error: unknown, values?: FormValues): Promise<ActionState<T>> {
  unstable_rethrow(error);
  const verdict = classifyError(error, (await getRuntime()).logger, 'portal action');
  switch (verdict.kind) {
    case 'fields': {
      const fieldErrors: FieldErrors = {};
      for (const [path, messages] of Object.entries(verdict.fields)) (fieldErrors[path.split('.')[0] || '_form'] ??= []).push(...messages);
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
