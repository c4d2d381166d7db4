import 'server-only';
import { refresh } from 'next/cache';
import type { z } from 'zod';
import type { Runtime } from '../runtime';
import type { Actor } from '../tokens/service';
import type { FormAction } from './action-state';
import { requireAdmin } from './admin';
import { errorState, formValues } from './form-errors';
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
      return errorState(error, options.keepValues ? formValues(formData) : undefined, formData.keys());
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
