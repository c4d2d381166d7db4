import 'server-only';
import type { ScopeEntry } from '@/lib/tokens/scope-catalog';
import type { ServiceScopes } from '../_components/scope-picker';

/** Scopes as the forms offer them, grouped by service (plain data, safe to hand to client components). */
export function catalogOf(entries: readonly ScopeEntry[]): ServiceScopes[] {
  const services = new Map<string, ServiceScopes>();
  for (const entry of entries) {
    let service = services.get(entry.service);
    if (!service) services.set(entry.service, (service = { name: entry.service, scopes: [] }));
    service.scopes.push(entry.description === undefined ? { name: entry.name } : { name: entry.name, description: entry.description });
  }
  return [...services.values()];
}

/** `service:scope` → its description, for pages that show a token's scopes. */
export function scopeDescriptions(catalog: ServiceScopes[]): Map<string, string | undefined> {
  return new Map(catalog.flatMap((service) => service.scopes.map((scope) => [`${service.name}:${scope.name}`, scope.description] as const)));
}
