/** A value now, or later. Cached checks answer now: no promise, no timer, no turn of the event loop. */
export type MaybePromise<T> = T | Promise<T>;

/** `next(value)` at once when the value is here, when it arrives when it is a promise. */
export function andThen<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
