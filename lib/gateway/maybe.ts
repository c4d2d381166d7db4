/**
 * The synchronous-answer protocol: a value now, or later. Cached checks answer now (no promise, no
 * timer, no turn of the event loop); anything that waits returns a promise. Every branch on which of
 * the two it is lives in this module.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Whether the value is still to come. */
export function isPending<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
}

/** `next(value)` at once when the value is here, when it arrives when it is a promise. */
export function andThen<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return isPending(value) ? value.then(next) : next(value);
}

/** `run()`, with a throw or a rejection turned into `fallback(error)`, answered as soon as `run` answers. */
export function recover<T>(run: () => MaybePromise<T>, fallback: (error: unknown) => T): MaybePromise<T> {
  try {
    const value = run();
    return isPending(value) ? value.catch(fallback) : value;
  } catch (error) {
    return fallback(error);
  }
}

/** Only a value still to come gets `wrap` (a deadline, say): timers are not free at thousands of checks a second. */
export function whenPending<T, U>(value: MaybePromise<T>, wrap: (pending: Promise<T>) => Promise<U>): MaybePromise<T | U> {
  return isPending(value) ? wrap(value) : value;
}
