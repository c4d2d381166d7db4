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
