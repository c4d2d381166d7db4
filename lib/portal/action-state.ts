// What a portal form action returns. Shared by server actions and client forms (types and pure
// helpers only): errors come back as state to show next to the fields, never as thrown exceptions.

export type FieldErrors = Partial<Record<string, string[]>>;
/** What was submitted, so a form that failed validation can show it again. */
export type FormValues = Partial<Record<string, string[]>>;

export type ActionState<T> =
  | { status: 'idle' }
  | { status: 'error'; code: string; message: string; fieldErrors: FieldErrors; values?: FormValues }
  /** `at` differs on every success, so a client can tell two successes apart (reveal again, refocus). */
  | { status: 'success'; message: string; data: T; at: number };

export function idleState<T>(): ActionState<T> {
  return { status: 'idle' };
}

export function fieldErrorsOf<T>(state: ActionState<T>, name: string): string[] | undefined {
  return state.status === 'error' ? state.fieldErrors[name] : undefined;
}

/** The submitted value(s) of a field after an error; undefined otherwise (the form then shows its defaults). */
export function submittedValues<T>(state: ActionState<T>, name: string): string[] | undefined {
  return state.status === 'error' ? state.values?.[name] : undefined;
}

/** An aria-describedby value from the ids that apply (hint, error); undefined when none. */
export function describedBy(...ids: Array<string | false | undefined>): string | undefined {
  const present = ids.filter((id): id is string => typeof id === 'string' && id !== '');
  return present.length > 0 ? present.join(' ') : undefined;
}

/** A token secret that was just issued (created or rotated): shown once, kept only in the page's memory. */
export interface IssuedSecret {
  tokenId: string;
  name: string;
  secret: string;
  /** Said beside the secret, e.g. that another working token has the same name. */
  warning?: string;
}

/** When the old secret of a rotated token stops working (values for `grace_period`). */
export const GRACE_CHOICES = [
  { value: '0', label: 'Now' },
  { value: '1h', label: 'After 1 hour' },
  { value: '24h', label: 'After 24 hours' },
] as const;

/** The shape of every portal form action (`useActionState`). */
export type FormAction<T> = (state: ActionState<T>, formData: FormData) => Promise<ActionState<T>>;
