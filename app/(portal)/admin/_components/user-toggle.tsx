'use client';

import type { FormAction } from '@/lib/portal/action-state';
import { ConfirmAction } from '../../_components/confirm-action';

/** Disable or enable a user, after a confirmation; disabling stops their tokens and their portal session at once. */
export function UserToggle({ userId, handle, disabled, action }: { userId: string; handle: string; disabled: boolean; action: FormAction<null> }) {
  return (
    <ConfirmAction
      action={action}
      fields={{ user_id: userId, disabled: String(!disabled) }}
      verb={disabled ? 'Enable' : 'Disable'}
      target={handle}
      variant={disabled ? 'primary' : 'danger'}
      question={
        disabled ? (
          <>Enable {handle}? They can sign in again; their tokens that have not expired or been revoked work again.</>
        ) : (
          <>Disable {handle}? Their portal session ends and every token of theirs stops working at once.</>
        )
      }
    />
  );
}
