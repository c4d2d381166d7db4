// Pure helpers of the LDAP augmenter: filter escaping and auth-o-tron's memberOf → roles rules.

/** RFC 4515 escaping of a value inside a search filter: `*`, `(`, `)`, `\` and NUL cannot change the filter. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\u0000]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export type DnComponent = [key: string, value: string];

/**
 * Splits a DN (or a DN fragment such as `OU=TeamA,OU=TeamB`) into trimmed key/value pairs, honouring
 * backslash escapes (auth-o-tron split on every comma). Parts without a key or value are skipped.
 */
export function parseDn(dn: string): DnComponent[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i += 1) {
    const c = dn[i];
    if (c === '\\' && i + 1 < dn.length) {
      current += c + dn[i + 1];
      i += 1;
    } else if (c === ',' || c === ';') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  const components: DnComponent[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = unescapeDnValue(part.slice(eq + 1).trim());
    if (key && value) components.push([key, value]);
  }
  return components;
}

/** `\,` → `,` and `\2C` → `,` (RFC 4514), so roles read as people wrote them. */
function unescapeDnValue(value: string): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < value.length; i += 1) {
    const c = value[i] ?? '';
    const hex = value.slice(i + 1, i + 3);
    if (c === '\\' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c === '\\' && i + 1 < value.length) {
      bytes.push(...encoder.encode(value[i + 1]));
      i += 1;
    } else {
      bytes.push(...encoder.encode(c));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Matches a DN fragment against a group DN (as written root→leaf or in DN order) and returns the
 * path of values from the matched ancestor down to the group's CN, e.g. `/TeamA/TeamB/Role`.
 * The fragment's components must be contiguous in the DN.
 */
function hierarchicalRole(group: DnComponent[], fragment: DnComponent[]): string | undefined {
  for (const attrs of [fragment, [...fragment].reverse()]) {
    const len = attrs.length;
    if (len === 0 || len > group.length) continue;
    for (let start = 0; start + len <= group.length; start += 1) {
      const matches = attrs.every(([k, v], i) => {
        const [gk, gv] = group[start + i] ?? ['', ''];
        return same(gk, k) && same(gv, v);
      });
      if (matches) {
        return `/${group
          .slice(0, start + len)
          .map(([, v]) => v)
          .reverse()
          .join('/')}`;
      }
    }
  }
  return undefined;
}

export interface RoleRules {
  /** DN fragments → hierarchical roles. */
  filters?: string[];
  /** Substring a group DN must contain to count (its CN becomes the role). */
  filter?: string;
}

/**
 * auth-o-tron's rules: with `filters`, one hierarchical role per matching fragment; else with
 * `filter`, the CN of groups whose DN contains it; else the CN of every group. The CN attribute is
 * matched case-insensitively (OpenLDAP's memberof writes `cn=`, auth-o-tron only recognised `CN=`).
 */
export function rolesFromGroups(groupDns: string[], rules: RoleRules): string[] {
  const fragments = rules.filters?.map(parseDn);
  const roles: string[] = [];
  for (const dn of groupDns) {
    const group = parseDn(dn);
    const cn = group.find(([k]) => k.toLowerCase() === 'cn')?.[1];
    if (cn === undefined) continue;
    if (fragments) {
      for (const fragment of fragments) {
        const role = hierarchicalRole(group, fragment);
        if (role) roles.push(role);
      }
    } else if (rules.filter === undefined || dn.includes(rules.filter)) {
      roles.push(cn);
    }
  }
  return [...new Set(roles)];
}
