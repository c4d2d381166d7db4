import type { RealmUserFilter } from '../../db/users';
import { ScimError } from './errors';

// `attribute eq "value"`: what Entra ID and Okta send to find a user before creating one (RFC 7644 §3.4.2.2).
const EQUALS = /^\s*(?:urn:ietf:params:scim:schemas:core:2\.0:User:)?([A-Za-z][\w.]*)\s+eq\s+("(?:[^"\\]|\\.)*")\s*$/i;

/** The supported filters: `userName eq "…"` (case-insensitive, as userName is) and `externalId eq "…"`; anything else is 400 invalidFilter. */
export function parseUserFilter(filter: string | undefined): RealmUserFilter {
  if (filter === undefined || filter.trim() === '') return {};
  const match = EQUALS.exec(filter);
  if (!match) throw new ScimError(400, 'only filters of the form userName eq "…" or externalId eq "…" are supported', 'invalidFilter');
  const [, attribute = '', quoted = '""'] = match;
  let value: string;
  try {
    value = JSON.parse(quoted) as string;
  } catch {
    throw new ScimError(400, 'the filter value is not a valid string', 'invalidFilter');
  }
  switch (attribute.toLowerCase()) {
    case 'username':
      return { username: value };
    case 'externalid':
      return { externalId: value };
    default:
      throw new ScimError(400, `filtering on ${attribute} is not supported (userName, externalId)`, 'invalidFilter');
  }
}
