import { ScimError } from './errors';
import { canonicalKeys, ENTERPRISE_USER_SCHEMA, NAME_ATTRIBUTES, USER_SCHEMA, type PatchOperation } from './schemas';

/** A user's writable attributes as a plain SCIM document, before validation. */
export type UserDocument = Record<string, unknown>;

const STORED = ['userName', 'externalId', 'active', 'displayName', 'name', 'emails'] as const;
const READ_ONLY = ['id', 'meta', 'schemas'];
/**
 * RFC 7643 §4.1 attributes that are accepted and not stored. Entra ID's default mapping sends
 * several (title, preferredLanguage, phoneNumbers, addresses): refusing them would stop provisioning.
 */
const DROPPED = [
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
  'password',
  'phoneNumbers',
  'ims',
  'photos',
  'addresses',
  'groups',
  'entitlements',
  'roles',
  'x509Certificates',
];
const MULTI_VALUED = new Set(['emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'groups', 'entitlements', 'roles', 'x509Certificates']);
const EMAIL_ATTRIBUTES = ['value', 'type', 'primary', 'display'];
const canonical = new Map([...STORED, ...READ_ONLY, ...DROPPED].map((name) => [name.toLowerCase(), name]));

interface Target {
  attribute: string;
  filter?: { attribute: string; value: string | boolean };
  sub?: string;
}

// attr, optionally [subAttr eq "value"|true|false], optionally .subAttr (RFC 7644 §3.5.2's path, the parts clients send).
const PATH = /^([A-Za-z][\w$-]*)(?:\[\s*([A-Za-z][\w$-]*)\s+eq\s+("(?:[^"\\]|\\.)*"|true|false)\s*\])?(?:\.([A-Za-z][\w$-]*))?$/i;

/** Parses a PATCH path; null for the enterprise extension (accepted, not stored). */
function parsePath(raw: string): Target | null {
  let path = raw.trim();
  if (path.toLowerCase().startsWith(ENTERPRISE_USER_SCHEMA.toLowerCase())) return null;
  if (path.toLowerCase().startsWith(`${USER_SCHEMA.toLowerCase()}:`)) path = path.slice(USER_SCHEMA.length + 1);
  const match = PATH.exec(path);
  if (!match) throw new ScimError(400, `unsupported path: ${raw.slice(0, 100)}`, 'invalidPath');
  const [, attributeName = '', filterAttribute, filterValue, subName] = match;
  const attribute = canonical.get(attributeName.toLowerCase());
  if (!attribute) throw new ScimError(400, `no such attribute: ${attributeName}`, 'invalidPath');
  if (READ_ONLY.includes(attribute)) throw new ScimError(400, `${attribute} cannot be changed`, 'mutability');
  const subNames = attribute === 'name' ? NAME_ATTRIBUTES : attribute === 'emails' ? EMAIL_ATTRIBUTES : undefined;
  const canonicalSub = (name: string) => subNames?.find((n) => n.toLowerCase() === name.toLowerCase()) ?? (subNames ? undefined : name);
  const sub = subName === undefined ? undefined : canonicalSub(subName);
  if (subName !== undefined && sub === undefined) throw new ScimError(400, `no such attribute: ${attribute}.${subName}`, 'invalidPath');
  if (filterAttribute === undefined || filterValue === undefined) return { attribute, sub };
  if (!MULTI_VALUED.has(attribute)) throw new ScimError(400, `${attribute} is not multi-valued`, 'invalidPath');
  const filter = { attribute: canonicalSub(filterAttribute) ?? filterAttribute, value: filterValue.startsWith('"') ? (JSON.parse(filterValue) as string) : filterValue === 'true' };
  return { attribute, filter, sub };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const matches = (entry: unknown, filter: NonNullable<Target['filter']>) => {
  if (!isObject(entry)) return false;
  const actual = entry[filter.attribute];
  return typeof filter.value === 'string' && typeof actual === 'string' ? actual.toLowerCase() === filter.value.toLowerCase() : String(actual).toLowerCase() === String(filter.value);
};

function applyToMultiValued(document: UserDocument, target: Target, op: PatchOperation['op'], value: unknown): void {
  const entries = Array.isArray(document[target.attribute]) ? [...(document[target.attribute] as unknown[])] : [];
  const selected = (entry: unknown) => (target.filter ? matches(entry, target.filter) : true);
  if (op === 'remove') {
    document[target.attribute] = target.sub === undefined ? entries.filter((e) => !selected(e)) : entries.map((e) => (selected(e) && isObject(e) ? omit(e, target.sub as string) : e));
    return;
  }
  if (target.sub === undefined && target.filter === undefined) {
    const values = Array.isArray(value) ? value : [value];
    document[target.attribute] = op === 'add' ? [...entries, ...values] : values;
    return;
  }
  const change = (entry: Record<string, unknown>) => (target.sub === undefined ? { ...entry, ...(isObject(value) ? value : {}) } : { ...entry, [target.sub]: value });
  let touched = false;
  const next = entries.map((entry) => {
    if (!selected(entry) || !isObject(entry)) return entry;
    touched = true;
    return change(entry);
  });
  // Entra ID replaces `emails[type eq "work"].value` on a user that has no work address yet: that adds it.
  if (!touched) next.push(change(target.filter ? { [target.filter.attribute]: target.filter.value } : {}));
  document[target.attribute] = next;
}

function omit(object: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _removed, ...rest } = object;
  return rest;
}

function applyAt(document: UserDocument, target: Target, op: PatchOperation['op'], value: unknown): void {
  if (DROPPED.includes(target.attribute)) return;
  if (target.attribute === 'emails') return applyToMultiValued(document, target, op, value);
  if (op === 'remove' && (target.attribute === 'userName' || target.attribute === 'active')) throw new ScimError(400, `${target.attribute} cannot be removed`, 'mutability');
  if (target.attribute === 'name') {
    const current = isObject(document.name) ? document.name : {};
    if (target.sub !== undefined) document.name = op === 'remove' ? omit(current, target.sub) : { ...current, [target.sub]: value };
    else if (op === 'remove') document.name = null;
    // A complex value replaces the sub-attributes it names and leaves the others (RFC 7644 §3.5.2.3).
    else document.name = { ...current, ...(isObject(value) ? (canonicalKeys(value, NAME_ATTRIBUTES) as Record<string, unknown>) : {}) };
    return;
  }
  if (target.sub !== undefined) throw new ScimError(400, `${target.attribute} has no sub-attributes`, 'invalidPath');
  document[target.attribute] = op === 'remove' ? null : value;
}

/** Applies a PatchOp's operations in order to a copy of `document` (validated by the caller afterwards). */
export function applyPatch(document: UserDocument, operations: readonly PatchOperation[]): UserDocument {
  const next: UserDocument = structuredClone(document);
  for (const { op, path, value } of operations) {
    if (path !== undefined && path.trim() !== '') {
      const target = parsePath(path);
      if (target) applyAt(next, target, op, value);
      continue;
    }
    // No path: the value is an object of attributes (`{"active": false}`, as Entra ID and Okta send).
    if (op === 'remove') throw new ScimError(400, 'remove needs a path', 'noTarget');
    if (!isObject(value)) throw new ScimError(400, 'an operation without a path needs an object value', 'invalidValue');
    for (const [key, item] of Object.entries(value)) {
      if (key.toLowerCase() === USER_SCHEMA.toLowerCase() && isObject(item)) {
        for (const [inner, innerValue] of Object.entries(item)) {
          const target = parsePath(inner);
          if (target) applyAt(next, target, op, innerValue);
        }
        continue;
      }
      const target = parsePath(key);
      if (target) applyAt(next, target, op, item);
    }
  }
  return next;
}
