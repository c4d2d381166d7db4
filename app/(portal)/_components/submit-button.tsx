'use client';

import type { ReactNode, Ref } from 'react';
import { useFormStatus } from 'react-dom';
import { buttonClass, type ButtonVariant } from './styles';

/**
 * A submit button that says when its form is busy. `aria-disabled` rather than `disabled`: a
 * disabled button drops keyboard focus to the page, losing the person's place.
 */
export function SubmitButton({ children, variant = 'primary', ref }: { children: ReactNode; variant?: ButtonVariant; ref?: Ref<HTMLButtonElement> }) {
  const { pending } = useFormStatus();
  return (
    <button
      ref={ref}
      type="submit"
      aria-disabled={pending || undefined}
      onClick={(event) => {
        if (pending) event.preventDefault(); // no second submission while the first runs
      }}
      className={buttonClass[variant]}
    >
      {children}
      {pending && <span className="text-xs font-normal">(working…)</span>}
    </button>
  );
}
