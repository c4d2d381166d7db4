'use client';

import { useState } from 'react';
import { describedBy } from '@/lib/portal/action-state';
import { CUSTOM_EXPIRY, type ExpiryOptions } from '../_lib/expiry';
import { FieldError } from './field-error';
import { hintClass, inputClass } from './styles';

interface Props {
  idPrefix: string;
  options: ExpiryOptions;
  /** The choice and date submitted last time (after an error), else the defaults. */
  chosen?: string;
  date?: string;
  presetErrors?: string[];
  dateErrors?: string[];
}

/**
 * Expiry presets (only those within tokens.max_lifetime) or "on a date"; the date field shows only
 * with "on a date", and takes ISO dates (yyyy-mm-dd) as its hint says, whatever the browser's locale.
 */
export function ExpiryPicker({ idPrefix, options, chosen = options.defaultValue, date, presetErrors, dateErrors }: Props) {
  const [choice, setChoice] = useState(chosen);
  const ids = { choiceError: `${idPrefix}-expiry-error`, date: `${idPrefix}-expires-at`, dateHint: `${idPrefix}-expires-at-hint`, dateError: `${idPrefix}-expires-at-error` };
  const radioClass = 'h-4 w-4 focus-visible:outline-3 focus-visible:outline-blue-600';
  return (
    <fieldset aria-describedby={describedBy(presetErrors && ids.choiceError)} data-invalid={presetErrors ? true : undefined} className="space-y-2">
      <legend className="font-medium">Expires</legend>
      <div className="flex flex-wrap gap-x-5 gap-y-1">
        {options.presets.map((preset) => (
          <label key={preset.value} className="flex items-center gap-2 text-sm">
            <input type="radio" name="expires_in" value={preset.value} defaultChecked={chosen === preset.value} onChange={() => setChoice(preset.value)} className={radioClass} />
            in {preset.label}
          </label>
        ))}
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="expires_in" value={CUSTOM_EXPIRY} defaultChecked={chosen === CUSTOM_EXPIRY} onChange={() => setChoice(CUSTOM_EXPIRY)} className={radioClass} />
          on a date
        </label>
      </div>
      <FieldError id={ids.choiceError} errors={presetErrors} />
      {choice === CUSTOM_EXPIRY && (
        <div>
          <label htmlFor={ids.date} className="block text-sm font-medium">
            Expiry date
          </label>
          <input
            id={ids.date}
            type="text"
            name="expires_at"
            inputMode="numeric"
            placeholder="yyyy-mm-dd"
            pattern="\d{4}-\d{2}-\d{2}"
            autoComplete="off"
            defaultValue={date}
            aria-invalid={dateErrors ? true : undefined}
            aria-describedby={describedBy(ids.dateHint, dateErrors && ids.dateError)}
            className={`${inputClass} max-w-52`}
          />
          <p id={ids.dateHint} className={hintClass}>
            As yyyy-mm-dd, from {options.minDate} to {options.maxDate}: the token stops at 00:00 UTC that day.
          </p>
          <FieldError id={ids.dateError} errors={dateErrors} />
        </div>
      )}
    </fieldset>
  );
}
