import type { Config } from '../config/schema';

/** One scope of the `services` catalog, written `service:scope`. */
export interface ScopeEntry {
  service: string;
  name: string;
  description?: string;
  /** Only users with one of these roles may hold it; absent: anyone. */
  rolesAny?: readonly string[];
}

/**
 * The `services` catalog with its role caps (DESIGN.md "Scopes capped by roles"): which scopes a
 * user may pick, and which of a token's scopes its owner's current roles still allow.
 */
export class ScopeCatalog {
  private readonly entries = new Map<string, ScopeEntry>();

  constructor(services: Config['services']) {
    for (const service of services) {
      for (const scope of service.scopes) {
        this.entries.set(`${service.name}:${scope.name}`, { service: service.name, name: scope.name, description: scope.description, rolesAny: scope.roles_any });
      }
    }
  }

  /** Some scope is capped by roles: otherwise nothing needs capping at all. */
  get capped(): boolean {
    for (const entry of this.entries.values()) if (entry.rolesAny) return true;
    return false;
  }

  has(scope: string): boolean {
    return this.entries.has(scope);
  }

  list(): ScopeEntry[] {
    return [...this.entries.values()];
  }

  /** Every scope as `service → names` (what a directly authenticated user is capped from). */
  grouped(): Record<string, string[]> {
    const grouped: Record<string, string[]> = {};
    for (const entry of this.entries.values()) (grouped[entry.service] ??= []).push(entry.name);
    return grouped;
  }

  allows(scope: string, roles: readonly string[]): boolean {
    const rolesAny = this.entries.get(scope)?.rolesAny;
    return !rolesAny || rolesAny.some((role) => roles.includes(role));
  }

  /** The scopes (`service:scope`) these roles do not allow. */
  refused(scopes: readonly string[], roles: readonly string[]): string[] {
    return scopes.filter((scope) => !this.allows(scope, roles));
  }

  /** `scopes` without those the roles no longer allow; scopes outside the catalog (upstream ones) are kept. */
  cap(scopes: Record<string, string[]>, roles: readonly string[]): Record<string, string[]> {
    const capped: Record<string, string[]> = {};
    for (const [service, names] of Object.entries(scopes)) {
      const kept = names.filter((name) => this.allows(`${service}:${name}`, roles));
      if (kept.length > 0 || names.length === 0) capped[service] = kept;
    }
    return capped;
  }
}
