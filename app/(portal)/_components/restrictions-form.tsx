'use client';

import { useActionState, useId, useRef } from 'react';
import { type FormAction, idleState, submittedValues } from '@/lib/portal/action-state';
import { RESTRICTION_FIELDS, restrictionField } from '@/lib/portal/restriction-fields';
import type { RestrictionKind } from '@/lib/tokens/restrictions';
import { FormMessage } from './form-message';
import { RestrictionFields } from './restriction-fields';
import { SubmitButton } from './submit-button';
import { useFieldErrors } from './use-field-errors';

interface Props {
  tokenId: string;
  /** The stored lists, one entry a line. */
  current: Partial<Record<RestrictionKind, string>>;
  action: FormAction<null>;
}

/** Edit a token's restrictions; the whole set is saved at once, and a refused entry is shown on its field. */
export function RestrictionsForm({ tokenId, current, action }: Props) {
  const [state, formAction] = useActionState(action, idleState<null>());
  const formRef = useRef<HTMLFormElement>(null);
  const id = useId();
  const { errors, markFixed } = useFieldErrors(state, formRef);
  // After an error the text as typed; otherwise what is stored (a success re-renders with the saved lists).
  const values = Object.fromEntries(RESTRICTION_FIELDS.map(({ kind }) => [kind, submittedValues(state, restrictionField(kind))?.[0] ?? current[kind] ?? '']));

  return (
    <form ref={formRef} action={formAction} onInput={(event) => markFixed([(event.target as HTMLTextAreaElement).name])} noValidate aria-labelledby={`${id}-title`} className="space-y-4">
      <h3 id={`${id}-title`} className="font-semibold">
        Edit restrictions
      </h3>
      <input type="hidden" name="id" value={tokenId} />
      <RestrictionFields key={state.status === 'success' ? state.at : 'edit'} idPrefix={id} values={values} errors={errors} />
      <FormMessage state={state} />
      <SubmitButton>Save restrictions</SubmitButton>
    </form>
  );
}
