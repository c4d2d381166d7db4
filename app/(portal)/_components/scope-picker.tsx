import { describedBy } from '@/lib/portal/action-state';
import { FieldError } from './field-error';
import { hintClass } from './styles';

export interface ServiceScopes {
  name: string;
  /** Only the scopes the user's roles allow. */
  scopes: Array<{ name: string; description?: string }>;
}

/** The scope catalog as checkboxes, one fieldset per service; values are `service:scope`. */
export function ScopePicker({ idPrefix, catalog, selected, errors }: { idPrefix: string; catalog: ServiceScopes[]; selected: string[]; errors?: string[] }) {
  const hintId = `${idPrefix}-scopes-hint`;
  const errorId = `${idPrefix}-scopes-error`;
  return (
    <fieldset aria-describedby={describedBy(hintId, errors && errorId)} data-invalid={errors ? true : undefined} className="space-y-2">
      <legend className="font-medium">Scopes</legend>
      <p id={hintId} className={hintClass}>
        What the token may be used for. Pick only what your script needs.
      </p>
      {catalog.length === 0 && <p className="text-sm">No services are configured, so tokens carry no scopes.</p>}
      <div className="flex flex-wrap gap-3">
        {catalog.map((service) => (
          <fieldset key={service.name} className="min-w-40 rounded border border-slate-300 bg-white px-3 pb-2">
            <legend className="px-1 text-sm font-semibold">{service.name}</legend>
            {service.scopes.map((scope) => {
              const value = `${service.name}:${scope.name}`;
              const descriptionId = `${idPrefix}-scope-${value}-description`;
              return (
                <div key={value} className="py-1">
                  <label className="flex items-center gap-2 text-sm">
                    <input
                      type="checkbox"
                      name="scopes"
                      value={value}
                      defaultChecked={selected.includes(value)}
                      aria-describedby={scope.description ? descriptionId : undefined}
                      className="h-4 w-4 focus-visible:outline-3 focus-visible:outline-blue-600"
                    />
                    <code>{value}</code>
                  </label>
                  {scope.description && (
                    <p id={descriptionId} className="ml-6 text-xs text-slate-700">
                      {scope.description}
                    </p>
                  )}
                </div>
              );
            })}
          </fieldset>
        ))}
      </div>
      <FieldError id={errorId} errors={errors} />
    </fieldset>
  );
}
