import { describedBy } from '@/lib/portal/action-state';
import { RESTRICTION_FIELDS, restrictionField } from '@/lib/portal/restriction-fields';
import type { RestrictionKind } from '@/lib/tokens/restrictions';
import { FieldError } from './field-error';
import { hintClass, inputClass, labelClass } from './styles';

interface Props {
  idPrefix: string;
  /** The text each field starts with (one entry a line). */
  values: Partial<Record<RestrictionKind, string>>;
  errors: (name: string) => string[] | undefined;
}

/** The four restriction lists of the create and edit forms; the action reads them with `restrictionsFromForm`. */
export function RestrictionFields({ idPrefix, values, errors }: Props) {
  return (
    <div className="space-y-4">
      <p className={hintClass}>One entry a line or comma separated. A field left empty does not restrict; a request must match every field that is filled.</p>
      {RESTRICTION_FIELDS.map(({ kind, label, hint }) => {
        const name = restrictionField(kind);
        const id = `${idPrefix}-restrict-${kind}`;
        const fieldErrors = errors(name);
        return (
          <div key={kind}>
            <label htmlFor={id} className={labelClass}>
              {label}
            </label>
            <textarea
              id={id}
              name={name}
              rows={2}
              spellCheck={false}
              autoComplete="off"
              defaultValue={values[kind] ?? ''}
              aria-invalid={fieldErrors ? true : undefined}
              aria-describedby={describedBy(`${id}-hint`, fieldErrors && `${id}-error`)}
              className={`${inputClass} font-mono text-sm`}
            />
            <p id={`${id}-hint`} className={hintClass}>
              {hint}
            </p>
            <FieldError id={`${id}-error`} errors={fieldErrors} />
          </div>
        );
      })}
    </div>
  );
}
