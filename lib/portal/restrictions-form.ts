import { AppError } from '../errors';
import { RESTRICTION_KINDS, type RestrictionKind, type RestrictionsInput, restrictionsInput } from '../tokens/restrictions';
import { restrictionField } from './restriction-fields';

// The four restriction fields of the create and edit forms, one mechanism for both: a textarea per
// kind named `restrictions.<kind>`, entries one a line or comma separated, empty = no restriction.

/** Entries of one field: split on new lines and on commas outside braces (`/v1/{a,b}/**` is one glob). */
export function splitEntries(text: string): string[] {
  const entries: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '{') depth++;
    if (char === '}') depth = Math.max(0, depth - 1);
    if (char === '\n' || char === '\r' || (char === ',' && depth === 0)) {
      entries.push(current);
      current = '';
      depth = char === ',' ? depth : 0;
    } else current += char;
  }
  entries.push(current);
  return entries.map((e) => e.trim()).filter((e) => e !== '');
}

/** A stored list as the field shows it: one entry a line. */
export function entriesText(entries: string[] | undefined): string {
  return (entries ?? []).join('\n');
}

/**
 * The restrictions a form asks for (`{}`: none), validated by the token service's own schema so the
 * refusal names the entry and sits on its field (`restrictions.ips`), not on the form as a whole.
 */
export function restrictionsFromForm(formData: FormData): RestrictionsInput {
  const lists: Partial<Record<RestrictionKind, string[]>> = {};
  for (const kind of RESTRICTION_KINDS) {
    const value = formData.get(restrictionField(kind));
    const entries = typeof value === 'string' ? splitEntries(value) : [];
    if (entries.length > 0) lists[kind] = entries;
  }
  const parsed = restrictionsInput.safeParse(lists);
  if (parsed.success) return parsed.data;
  const fields: Record<string, string[]> = {};
  for (const issue of parsed.error.issues) {
    const [kind, index] = issue.path;
    const entry = typeof kind === 'string' && typeof index === 'number' ? lists[kind as RestrictionKind]?.[index] : undefined;
    (fields[typeof kind === 'string' ? restrictionField(kind as RestrictionKind) : 'restrictions'] ??= []).push(entry === undefined ? issue.message : `“${entry}”: ${issue.message}`);
  }
  throw new AppError('invalid_input', 'invalid restrictions', { fields });
}
