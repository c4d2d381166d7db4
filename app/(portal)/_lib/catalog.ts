import 'server-only';
import type { Config } from '@/lib/config/schema';
import type { ServiceScopes } from '../_components/scope-picker';

// Scope descriptions come from the config where it gives them (a scope written `{name, description}`);
// read loosely so a catalog of plain strings and one with descriptions both work.
type ScopeEntry = string | { name: string; description?: string };

/** The scope catalog as the forms show it (plain data, safe to hand to client components). */
export function catalogOf(config: Pick<Config, 'services'>): ServiceScopes[] {
  return config.services.map((s) => {
    const service = s as { name: string; description?: string; scopes: readonly ScopeEntry[] };
    return {
      name: service.name,
      description: service.description,
      scopes: service.scopes.map((entry) => (typeof entry === 'string' ? { name: entry } : { name: entry.name, description: entry.description })),
    };
  });
}

/** `service:scope` → its description, for pages that show a token's scopes. */
export function scopeDescriptions(catalog: ServiceScopes[]): Map<string, string | undefined> {
  return new Map(catalog.flatMap((service) => service.scopes.map((scope) => [`${service.name}:${scope.name}`, scope.description] as const)));
}
