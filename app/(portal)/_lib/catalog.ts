import 'server-only';
import type { Config } from '@/lib/config/schema';
import type { ServiceScopes } from '../_components/scope-picker';

/** The scope catalog as the forms show it (plain data, safe to hand to client components). */
export function catalogOf(config: Pick<Config, 'services'>): ServiceScopes[] {
  return config.services.map((s) => ({ name: s.name, scopes: [...s.scopes] }));
}
