import type { ActionState } from '@/lib/portal/action-state';

/** The outcome of a form action in words: an alert for errors, a polite status for success. */
export function FormMessage<T>({ state, showSuccess = true }: { state: ActionState<T>; showSuccess?: boolean }) {
  if (state.status === 'error') {
    return (
      <p role="alert" className="rounded border border-red-300 bg-red-50 p-2 text-sm font-medium text-red-900">
        <span aria-hidden="true">⚠ </span>
        {state.message}
      </p>
    );
  }
  return (
    <p role="status" className="text-sm text-green-800">
      {state.status === 'success' && showSuccess ? state.message : ''}
    </p>
  );
}
