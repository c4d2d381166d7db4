'use client';

import { useActionState, useId, useRef, useState } from 'react';
import { GRACE_CHOICES, idleState, type IssuedSecret } from '@/lib/portal/action-state';
import { FormMessage } from './form-message';
import { SecretPanel } from './secret-panel';
import { SubmitButton } from './submit-button';
import type { IssueAction } from './token-form';
import { buttonClass } from './styles';

interface Props {
  tokenId: string;
  tokenName: string;
  /** Tells tokens of one name apart for screen readers ("token ci (aot_AbC…)"). */
  label: string;
  action: IssueAction;
  /** Only active tokens can be rotated; the dialog stays mounted anyway so a new secret is not lost when the row changes. */
  canRotate: boolean;
}

/** A modal dialog (native <dialog>: focus trapped, Escape closes) to pick the grace period and see the new secret once. */
export function RotateDialog({ tokenId, tokenName, label, action, canRotate }: Props) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  // A new generation on close forgets the form state, and with it the secret.
  const [generation, setGeneration] = useState(0);
  return (
    <>
      {canRotate && (
        <button type="button" onClick={() => dialogRef.current?.showModal()} className={buttonClass.secondary}>
          Rotate<span className="sr-only"> {label}</span>
        </button>
      )}
      <dialog
        ref={dialogRef}
        aria-label={`Rotate ${tokenName}`}
        onClose={() => setGeneration((g) => g + 1)}
        className="m-auto w-[calc(100%-2rem)] max-w-lg rounded-lg border border-slate-400 bg-white p-5 text-slate-900 shadow-xl backdrop:bg-slate-900/50"
      >
        <RotateForm key={generation} tokenId={tokenId} tokenName={tokenName} action={action} close={() => dialogRef.current?.close()} />
      </dialog>
    </>
  );
}

function RotateForm({ tokenId, tokenName, action, close }: Omit<Props, 'canRotate' | 'label'> & { close: () => void }) {
  const [state, formAction] = useActionState(action, idleState<IssuedSecret>());
  const id = useId();
  if (state.status === 'success') {
    return (
      <div className="space-y-4">
        <SecretPanel issued={state.data} />
        <button type="button" onClick={close} className={buttonClass.secondary}>
          Close
        </button>
      </div>
    );
  }
  return (
    <form action={formAction} className="space-y-4">
      <h2 id={`${id}-title`} className="text-lg font-bold">
        Rotate &ldquo;{tokenName}&rdquo;
      </h2>
      <p className="text-sm text-slate-700">The token gets a new secret and keeps everything else: its id, name, scopes, restrictions, expiry and history.</p>
      <input type="hidden" name="id" value={tokenId} />
      <fieldset className="space-y-1">
        <legend className="font-medium">When should the old secret stop working?</legend>
        {GRACE_CHOICES.map((choice, index) => (
          <label key={choice.value} className="flex items-center gap-2 text-sm">
            <input type="radio" name="grace_period" value={choice.value} defaultChecked={index === 0} className="h-4 w-4 focus-visible:outline-3 focus-visible:outline-blue-600" />
            {choice.label}
          </label>
        ))}
      </fieldset>
      <FormMessage state={state} />
      <div className="flex flex-wrap gap-2">
        <SubmitButton>Rotate token</SubmitButton>
        <button type="button" onClick={close} className={buttonClass.secondary}>
          Cancel
        </button>
      </div>
    </form>
  );
}
