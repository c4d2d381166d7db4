'use client';

import { useActionState, useEffect, useRef, useState } from 'react';
import { idleState, type FormAction } from '@/lib/portal/action-state';
import { SubmitButton } from './submit-button';
import { buttonClass } from './styles';

export type RevokeAction = FormAction<null>;

/**
 * Revoke in two steps: "Revoke" asks, "Yes, revoke" does it. Focus moves to the question's answer
 * and back on Cancel (or Escape), so it works the same by keyboard.
 */
export function ConfirmRevoke({ tokenId, tokenName, action, canRevoke }: { tokenId: string; tokenName: string; action: RevokeAction; canRevoke: boolean }) {
  const [state, formAction] = useActionState(action, idleState<null>());
  const [confirming, setConfirming] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const startRef = useRef<HTMLButtonElement>(null);
  const doneRef = useRef<HTMLParagraphElement>(null);
  const moved = useRef(false);
  const done = state.status === 'success';

  useEffect(() => {
    if (!moved.current) return; // not on first render: only after the person pressed a button here
    (confirming ? confirmRef : startRef).current?.focus();
  }, [confirming]);

  // The buttons disappear with the revoked token: keep the keyboard focus on the outcome.
  useEffect(() => {
    if (done) doneRef.current?.focus();
  }, [done]);

  if (done || !canRevoke) {
    return done ? (
      <p ref={doneRef} tabIndex={-1} role="status" className="text-sm font-medium text-slate-800">
        {state.message}
      </p>
    ) : null;
  }

  const ask = (value: boolean) => {
    moved.current = true;
    setConfirming(value);
  };

  if (!confirming) {
    return (
      <div>
        <button ref={startRef} type="button" onClick={() => ask(true)} className={buttonClass.secondary}>
          Revoke<span className="sr-only"> {tokenName}</span>
        </button>
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
      <input type="hidden" name="id" value={tokenId} />
      <p className="text-sm text-red-950">Revoke &ldquo;{tokenName}&rdquo;? Anything using it stops working at once.</p>
      {state.status === 'error' && (
        <p role="alert" className="text-sm font-medium text-red-800">
          {state.message}
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <SubmitButton ref={confirmRef} variant="danger">
          Yes, revoke<span className="sr-only"> {tokenName}</span>
        </SubmitButton>
        <button type="button" onClick={() => ask(false)} className={buttonClass.secondary}>
          Cancel
        </button>
      </div>
    </form>
  );
}
