import type { z } from 'zod';

/** The parts of zod's internal definitions the walk below reads. */
interface WalkedDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

function defOf(schema: z.ZodType): WalkedDef {
  return schema._zod.def as unknown as WalkedDef;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schemas that can describe `value`, wrappers removed and union options narrowed by their `type` field. */
function resolved(schema: z.ZodType, value: unknown): z.ZodType[] {
  const def = defOf(schema);
  if (WRAPPERS.has(def.type) && def.innerType) return resolved(def.innerType, value);
  if (def.type === 'pipe' && def.in && def.out) return resolved(defOf(def.in).type === 'transform' ? def.out : def.in, value);
  if (def.type === 'union' && def.options) {
    // Providers and augmenters: the option whose `type` literal accepts the value's `type`.
    const fitting = def.options.filter((option) => {
      const typeField = defOf(option).shape?.type;
      return typeField !== undefined && isRecord(value) && typeField.safeParse(value.type).success;
    });
    return (fitting.length > 0 ? fitting : def.options).flatMap((option) => resolved(option, value));
  }
  return [schema];
}

/** The keys the schema knows for the object at `path` of `root` (empty when none is an object there). */
export function knownKeysAt(schema: z.ZodType, root: unknown, path: readonly PropertyKey[]): string[] {
  let schemas = resolved(schema, root);
  let value: unknown = root;
  for (const segment of path) {
    value = isRecord(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[segment] : undefined;
    schemas = schemas.flatMap((candidate) => {
      const def = defOf(candidate);
      const child = def.type === 'object' ? def.shape?.[String(segment)] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
      return child ? resolved(child, value) : [];
    });
  }
  return [...new Set(schemas.flatMap((candidate) => Object.keys(defOf(candidate).shape ?? {})))];
}

/**
 * Where an unknown key is refused rather than ignored. auth-o-tron ignored unknown keys and
 * platforms set `AOT_` variables nobody chose, so a key is only ignored where that cannot loosen
 * access: never inside a section auth-o-tron never had (no file of its has one there, and most of
 * them decide access), and never when the key it most resembles decides access.
 */
const AUTH_O_TRON_SECTIONS = new Set(['version', 'server', 'providers', 'augmenters', 'jwt', 'services', 'include_legacy_headers', 'logging', 'auth', 'store', 'metrics']);
const NEW_PROVIDER_TYPES = new Set(['x509', 'tokens']);
/** Keys whose absence lets more requests, more callers or more identities through. */
export const ACCESS_KEYS = new Set(['policies', 'default_policy', 'trusted_proxies', 'proxy_secret', 'issuer', 'audience', 'algorithms', 'username_claim', 'strict_config', 'app_port']);

/** Why an unknown key at `path` of `root`, probably meaning `meant`, is refused; undefined when it is only ignored. */
export function refusalOf(root: unknown, path: readonly PropertyKey[], meant: string | undefined): string | undefined {
  const [section, index] = path;
  if (section !== undefined && !AUTH_O_TRON_SECTIONS.has(String(section))) return `refused: no key inside ${String(section)}, a section auth-o-tron never had, is ignored`;
  if (section === 'providers' && index !== undefined) {
    const provider = (root as Record<string, unknown[]>).providers?.[index as number];
    const type = isRecord(provider) ? provider.type : undefined;
    if (typeof type === 'string' && NEW_PROVIDER_TYPES.has(type)) return `refused: no key inside a ${type} provider, a type auth-o-tron never had, is ignored`;
  }
  if (meant !== undefined && ACCESS_KEYS.has(meant)) return `refused: ${meant} decides access, so a key that looks like it is never ignored`;
  return undefined;
}
