'use client';

import { type ReactNode, useActionState, useEffect, useRef, useState } from 'react';
import { type ActionState, type FormAction, idleState } from '@/lib/portal/action-state';
import { useNotice } from './notice';
import { type ButtonVariant, buttonClass } from './styles';
import { SubmitButton } from './submit-button';

interface Props {
  action: FormAction<null>;
  /** Hidden fields the action reads (`id`, `user_id`, ...). */
  fields: Record<string, string>;
  /** The visible verb ("Revoke", "Disable") and what it applies to, for screen readers ("token ci (aot_AbC…)"). */
  verb: string;
  target: string;
  question: ReactNode;
  variant?: ButtonVariant;
}

/**
 * A change in two steps: the verb asks, "Yes, <verb>" does it. Focus moves to the answer and back
 * on Cancel (or Escape), so it works the same by keyboard. The outcome is announced in the page's
 * NoticeArea when there is one (the row may leave a filtered list), else next to the buttons.
 */
export function ConfirmAction({ action, fields, verb, target, question, variant = 'danger' }: Props) {
  const announce = useNotice();
  // Announced from the action itself: the row (and this component) may be gone once the page refreshes.
  const [state, formAction] = useActionState<ActionState<null>, FormData>(async (previous, formData) => {
    const result = await action(previous, formData);
    if (result.status === 'success') {
      moved.current = false; // the focus goes to the announcement, not back to the first button
      setConfirming(false);
      announce?.(result.message);
    }
    return result;
  }, idleState<null>());
  const [confirming, setConfirming] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const startRef = useRef<HTMLButtonElement>(null);
  const doneRef = useRef<HTMLParagraphElement>(null);
  const moved = useRef(false);
  const doneAt = state.status === 'success' ? state.at : undefined;

  useEffect(() => {
    if (!moved.current) return; // not on first render: only after the person pressed a button here
    (confirming ? confirmRef : startRef).current?.focus();
  }, [confirming]);

  useEffect(() => {
    if (doneAt !== undefined && !announce) doneRef.current?.focus();
  }, [doneAt, announce]);

  const ask = (value: boolean) => {
    moved.current = true;
    setConfirming(value);
  };

  if (!confirming) {
    return (
      <div>
        <button ref={startRef} type="button" onClick={() => ask(true)} className={buttonClass.secondary}>
          {verb}
          <span className="sr-only"> {target}</span>
        </button>
        {state.status === 'success' && !announce && (
          <p ref={doneRef} tabIndex={-1} role="status" className="mt-1 text-sm font-medium text-slate-800">
            {state.message}
          </p>
        )}
      </div>
    );
  }
  return (
    <form
      action={formAction}
      onKeyDown={(event) => {
        if (event.key === 'Escape') ask(false);
      }}
      className="space-y-2 rounded border border-red-300 bg-red-50 p-2"
    >
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <p className="text-sm text-red-950">{question}</p>
      {state.status === 'error' && (
        <p role="alert" className="text-sm font-medium text-red-800">
          {state.message}
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <SubmitButton ref={confirmRef} variant={variant}>
          Yes, {verb.toLowerCase()}
          <span className="sr-only"> {target}</span>
        </SubmitButton>
        <button type="button" onClick={() => ask(false)} className={buttonClass.secondary}>
          Cancel
          <span className="sr-only">
            {' '}
            {verb.toLowerCase()} {target}
          </span>
        </button>
      </div>
    </form>
  );
}
