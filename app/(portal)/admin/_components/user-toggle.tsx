'use client';

import { useActionState } from 'react';
import { idleState, type FormAction } from '@/lib/portal/action-state';

import { SubmitButton } from '../../_components/submit-button';

/** Disable or enable a user; disabling stops their tokens and their portal session at once. */
export function UserToggle({ userId, username, disabled, action }: { userId: string; username: string; disabled: boolean; action: FormAction<null> }) {
  const [state, formAction] = useActionState(action, idleState<null>());
  return (
    <form action={formAction}>
      <input type="hidden" name="user_id" value={userId} />
      <input type="hidden" name="disabled" value={String(!disabled)} />
      <SubmitButton variant={disabled ? 'secondary' : 'danger'}>
        {disabled ? 'Enable' : 'Disable'}
        <span className="sr-only"> {username}</span>
      </SubmitButton>
      {state.status === 'error' && (
        <p role="alert" className="mt-1 text-sm text-red-800">
          {state.message}
        </p>
      )}
    </form>
  );
}
