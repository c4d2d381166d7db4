'use client';

import { type FormEvent, useActionState, useId, useRef, useState } from 'react';
import { describedBy, idleState, submittedValues, type FormAction, type IssuedSecret } from '@/lib/portal/action-state';
import { RESTRICTION_FIELDS, restrictionField } from '@/lib/portal/restriction-fields';
import type { ExpiryOptions } from '../_lib/expiry';
import { ExpiryPicker } from './expiry-picker';
import { FieldError } from './field-error';
import { FormMessage } from './form-message';
import { RestrictionFields } from './restriction-fields';
import { ScopePicker, type ServiceScopes } from './scope-picker';
import { SecretPanel } from './secret-panel';
import { SubmitButton } from './submit-button';
import { hintClass, inputClass, labelClass } from './styles';
import { useFieldErrors } from './use-field-errors';

export type IssueAction = FormAction<IssuedSecret>;
export interface UserOption {
  id: string;
  label: string;
}

interface Props {
  action: IssueAction;
  catalog: ServiceScopes[];
  expiry: ExpiryOptions;
  /** Admins create tokens for someone: the owner to pick. */
  users?: UserOption[];
}

/** Create a token; on success the secret panel shows above the (emptied) form. */
export function TokenForm({ action, catalog, expiry, users }: Props) {
  const [state, formAction] = useActionState(action, idleState<IssuedSecret>());
  const [hiddenAt, setHiddenAt] = useState<number>();
  const formRef = useRef<HTMLFormElement>(null);
  const id = useId();
  const { errors, markFixed } = useFieldErrors(state, formRef);

  const onInput = (event: FormEvent<HTMLFormElement>) => {
    const target = event.target as HTMLInputElement;
    const names = target.name === 'expires_in' ? ['expires_in', 'expires_at'] : [target.name];
    // A required field counts as fixed once it has something in it; a choice, once it is changed.
    if (target.name === 'name' && target.value.trim() === '') return;
    markFixed(names);
  };
  const value = (name: string) => submittedValues(state, name)?.[0];
  const ids = { user: `${id}-user`, name: `${id}-name`, nameHint: `${id}-name-hint`, description: `${id}-description` };
  const issued = state.status === 'success' && state.at !== hiddenAt ? state : undefined;
  // Collapsed unless the last submission used it, so a refused entry is in view and can take the focus.
  const restricted = RESTRICTION_FIELDS.some(({ kind }) => value(restrictionField(kind))?.trim() || errors(restrictionField(kind)));

  return (
    <div className="space-y-4">
      {issued && <SecretPanel issued={issued.data} onDismiss={() => setHiddenAt(issued.at)} />}
      <form ref={formRef} action={formAction} onInput={onInput} onChange={onInput} noValidate className="space-y-5">
        <FormMessage state={state} showSuccess={false} />
        {users && (
          <div>
            <label htmlFor={ids.user} className={labelClass}>
              User
            </label>
            <select
              id={ids.user}
              name="user_id"
              required
              defaultValue={value('user_id') ?? ''}
              aria-invalid={errors('user_id') || errors('user') ? true : undefined}
              aria-describedby={describedBy((errors('user_id') || errors('user')) && `${ids.user}-error`)}
              className={inputClass}
            >
              <option value="">Choose a user…</option>
              {users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.label}
                </option>
              ))}
            </select>
            <FieldError id={`${ids.user}-error`} errors={errors('user_id') ?? errors('user')} />
          </div>
        )}
        <div>
          <label htmlFor={ids.name} className={labelClass}>
            Name
          </label>
          <input
            id={ids.name}
            name="name"
            required
            maxLength={100}
            autoComplete="off"
            defaultValue={value('name')}
            aria-invalid={errors('name') ? true : undefined}
            aria-describedby={describedBy(ids.nameHint, errors('name') && `${ids.name}-error`)}
            className={inputClass}
          />
          <p id={ids.nameHint} className={hintClass}>
            Say where it is used, e.g. &ldquo;nightly CI&rdquo;.
          </p>
          <FieldError id={`${ids.name}-error`} errors={errors('name')} />
        </div>
        <div>
          <label htmlFor={ids.description} className={labelClass}>
            Description <span className="font-normal text-slate-600">(optional)</span>
          </label>
          <textarea
            id={ids.description}
            name="description"
            rows={2}
            maxLength={500}
            defaultValue={value('description')}
            aria-invalid={errors('description') ? true : undefined}
            aria-describedby={describedBy(errors('description') && `${ids.description}-error`)}
            className={inputClass}
          />
          <FieldError id={`${ids.description}-error`} errors={errors('description')} />
        </div>
        <ScopePicker idPrefix={id} catalog={catalog} selected={submittedValues(state, 'scopes') ?? []} errors={errors('scopes')} />
        <ExpiryPicker
          key={state.status === 'success' ? state.at : 'form'}
          idPrefix={id}
          options={expiry}
          chosen={value('expires_in')}
          date={value('expires_at')}
          presetErrors={errors('expires_in')}
          dateErrors={errors('expires_at')}
        />
        <details key={`restrictions-${state.status === 'success' ? state.at : 'form'}`} open={restricted || undefined} className="rounded border border-slate-300 p-3">
          <summary className="cursor-pointer font-medium">
            Restrictions <span className="font-normal text-slate-600">(optional)</span>
          </summary>
          <div className="mt-3">
            <RestrictionFields idPrefix={id} values={Object.fromEntries(RESTRICTION_FIELDS.map(({ kind }) => [kind, value(restrictionField(kind)) ?? '']))} errors={errors} />
          </div>
        </details>
        <SubmitButton>Create token</SubmitButton>
      </form>
    </div>
  );
}
