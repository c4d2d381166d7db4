'use client';

import { useRef } from 'react';
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

/** Expiry presets (only those within tokens.max_lifetime) or a date; picking a date selects "On a date". */
export function ExpiryPicker({ idPrefix, options, chosen = options.defaultValue, date, presetErrors, dateErrors }: Props) {
  const customRef = useRef<HTMLInputElement>(null);
  const ids = { choiceError: `${idPrefix}-expiry-error`, date: `${idPrefix}-expires-at`, dateHint: `${idPrefix}-expires-at-hint`, dateError: `${idPrefix}-expires-at-error` };
  const radioClass = 'h-4 w-4 focus-visible:outline-3 focus-visible:outline-blue-600';
  return (
    <fieldset aria-describedby={describedBy(presetErrors && ids.choiceError)} className="space-y-2">
      <legend className="font-medium">Expires</legend>
      <div className="flex flex-wrap gap-x-5 gap-y-1">
        {options.presets.map((preset) => (
          <label key={preset.value} className="flex items-center gap-2 text-sm">
            <input type="radio" name="expires_in" value={preset.value} defaultChecked={chosen === preset.value} className={radioClass} />
            in {preset.label}
          </label>
        ))}
        <label className="flex items-center gap-2 text-sm">
          <input ref={customRef} type="radio" name="expires_in" value={CUSTOM_EXPIRY} defaultChecked={chosen === CUSTOM_EXPIRY} className={radioClass} />
          on a date
        </label>
      </div>
      <FieldError id={ids.choiceError} errors={presetErrors} />
      <div>
        <label htmlFor={ids.date} className="block text-sm font-medium">
          Expiry date
        </label>
        <input
          id={ids.date}
          type="date"
          name="expires_at"
          min={options.minDate}
          max={options.maxDate}
          defaultValue={date}
          onChange={() => {
            if (customRef.current) customRef.current.checked = true;
          }}
          aria-invalid={dateErrors ? true : undefined}
          aria-describedby={describedBy(ids.dateHint, dateErrors && ids.dateError)}
          className={`${inputClass} max-w-52`}
        />
        <p id={ids.dateHint} className={hintClass}>
          Used with &ldquo;on a date&rdquo;: the token stops at 00:00 UTC that day, {options.maxDate} at the latest.
        </p>
        <FieldError id={ids.dateError} errors={dateErrors} />
      </div>
    </fieldset>
  );
}
