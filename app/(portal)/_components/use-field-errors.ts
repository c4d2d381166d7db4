'use client';

import { type RefObject, useEffect, useState } from 'react';
import { type ActionState, fieldErrorsOf } from '@/lib/portal/action-state';

/**
 * The field errors of a form's last submission, each gone once its field is corrected
 * (`markFixed`), and after a refused submission the focus on the first field to fix, not on the
 * submit button.
 */
export function useFieldErrors<T>(state: ActionState<T>, formRef: RefObject<HTMLFormElement | null>) {
  const [fixed, setFixed] = useState<{ of: ActionState<T>; names: Set<string> }>({ of: state, names: new Set() });
  const fixedNames = fixed.of === state ? fixed.names : new Set<string>();

  useEffect(() => {
    if (state.status !== 'error') return;
    const first = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], fieldset[data-invalid] input');
    first?.focus();
  }, [state, formRef]);

  return {
    errors: (name: string) => (fixedNames.has(name) ? undefined : fieldErrorsOf(state, name)),
    markFixed: (names: string[]) => setFixed({ of: state, names: new Set([...fixedNames, ...names]) }),
  };
}
