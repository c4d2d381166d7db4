import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeFilterValue, parseDn, rolesFromGroups } from '@/lib/augmenters/ldap-roles';

describe('escapeFilterValue (RFC 4515)', () => {
  it('escapes the characters that could change a filter', () => {
    expect(escapeFilterValue('*)(uid=*')).toBe('\\2a\\29\\28uid=\\2a');
    expect(escapeFilterValue('a\\b\u0000')).toBe('a\\5cb\\00');
    expect(escapeFilterValue('jörg.müller')).toBe('jörg.müller');
  });

  it('never leaves a bare special character, whatever the input', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const escaped = escapeFilterValue(s);
        expect(escaped.replace(/\\[0-9a-f]{2}/g, '')).not.toMatch(/[*()\\\u0000]/);
      }),
    );
  });
});

describe('parseDn', () => {
  it('splits on unescaped commas and unescapes values', () => {
    expect(parseDn('CN=Smith\\, John,OU=People, DC=example')).toEqual([
      ['CN', 'Smith, John'],
      ['OU', 'People'],
      ['DC', 'example'],
    ]);
    expect(parseDn('cn=caf\\C3\\A9')).toEqual([['cn', 'café']]);
    expect(parseDn('garbage')).toEqual([]);
  });
});

// auth-o-tron's own test cases for the role rules, plus lowercase DNs as OpenLDAP writes them.
describe('rolesFromGroups', () => {
  const dn = 'CN=SomeRole,OU=TeamB,OU=TeamA,DC=example,DC=com';

  it('without filter: every CN', () => {
    expect(rolesFromGroups([dn, 'cn=other,ou=groups,dc=example,dc=com', 'OU=NoCn,DC=x'], {})).toEqual(['SomeRole', 'other']);
  });

  it('with filter: the CN of groups whose DN contains it', () => {
    expect(rolesFromGroups(['CN=SomeRole,OU=TeamA,DC=example,DC=com'], { filter: 'TeamA' })).toEqual(['SomeRole']);
    expect(rolesFromGroups(['CN=SomeRole,OU=TeamC,DC=example,DC=com'], { filter: 'TeamA' })).toEqual([]);
  });

  it('with filters: hierarchical paths from each matching fragment', () => {
    expect(rolesFromGroups([dn], { filters: ['OU=TeamA', 'OU=TeamB'] })).toEqual(['/TeamA/TeamB/SomeRole', '/TeamB/SomeRole']);
    expect(rolesFromGroups([dn], { filters: ['OU=TeamA,OU=TeamB'] })).toEqual(['/TeamA/TeamB/SomeRole']);
    expect(rolesFromGroups([dn], { filters: ['OU=TeamB,OU=TeamA'] })).toEqual(['/TeamA/TeamB/SomeRole']);
    expect(rolesFromGroups(['CN=SomeRole,OU=TeamC,OU=TeamB,OU=TeamA,DC=example,DC=com'], { filters: ['OU=TeamA,OU=TeamC'] })).toEqual([]);
    expect(rolesFromGroups(['CN=SomeRole,OU=TeamC,DC=example,DC=com'], { filters: ['OU=TeamA'] })).toEqual([]);
  });

  it('matches keys and values case-insensitively (OpenLDAP memberof writes cn=/ou=)', () => {
    expect(rolesFromGroups(['cn=forecasters,ou=TeamB,ou=TeamA,ou=groups,dc=example,dc=org'], { filters: ['OU=teama'] })).toEqual(['/TeamA/TeamB/forecasters']);
  });

  it('filters take precedence over filter, and duplicates are dropped', () => {
    expect(rolesFromGroups([dn, dn], { filters: ['OU=TeamB'], filter: 'nothing' })).toEqual(['/TeamB/SomeRole']);
  });
});
