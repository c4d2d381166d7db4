import { describe, expect, it } from 'vitest';
import { isScimError } from '@/lib/scim/errors';
import { parseUserFilter } from '@/lib/scim/filter';
import { applyPatch, type UserDocument } from '@/lib/scim/patch';
import { patchRequest, userInput, type PatchOperation } from '@/lib/scim/schemas';

const user = (): UserDocument => ({
  userName: 'ada',
  externalId: null,
  active: true,
  displayName: 'Ada L',
  name: { givenName: 'Ada' },
  emails: [{ value: 'ada@example.org', type: 'work', primary: true }],
});
const ops = (operations: unknown[]): PatchOperation[] => patchRequest.parse({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations }).Operations;
const patched = (operations: unknown[]) => userInput.parse(applyPatch(user(), ops(operations)));
const scimTypeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return isScimError(error) ? `${error.status} ${error.scimType}` : 'another error';
  }
  return 'no error';
};

describe('SCIM PATCH', () => {
  it('replaces active with a path or without one, as Entra ID and Okta send it', () => {
    expect(patched([{ op: 'replace', path: 'active', value: false }]).active).toBe(false);
    expect(patched([{ op: 'replace', value: { active: false } }]).active).toBe(false);
    expect(patched([{ op: 'Replace', path: 'active', value: 'False' }]).active).toBe(false); // Entra ID's string booleans
    expect(patched([{ op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:active', value: false }]).active).toBe(false);
    expect(patched([{ op: 'replace', value: { 'urn:ietf:params:scim:schemas:core:2.0:User': { active: false } } }]).active).toBe(false);
    expect(patched([{ op: 'replace', path: 'ACTIVE', value: false }]).active).toBe(false); // attribute names are case-insensitive
  });

  it('applies operations in order', () => {
    expect(
      patched([
        { op: 'replace', path: 'active', value: false },
        { op: 'replace', path: 'active', value: true },
      ]).active,
    ).toBe(true);
  });

  it('changes names and e-mail addresses the ways provisioning clients do', () => {
    const result = patched([
      { op: 'replace', path: 'name.familyName', value: 'Lovelace' },
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'ada.l@example.org' },
      { op: 'add', value: { displayName: 'Ada Lovelace', 'name.givenName': 'Augusta' } },
    ]);
    expect(result).toMatchObject({ displayName: 'Ada Lovelace', name: { givenName: 'Augusta', familyName: 'Lovelace' }, emails: [{ value: 'ada.l@example.org', type: 'work' }] });
    // No work address yet: replacing one adds it.
    const added = userInput.parse(applyPatch({ ...user(), emails: [] }, ops([{ op: 'replace', path: 'emails[type eq "work"].value', value: 'new@example.org' }])));
    expect(added.emails).toEqual([{ type: 'work', value: 'new@example.org' }]);
    expect(patched([{ op: 'remove', path: 'emails[type eq "work"]' }]).emails).toEqual([]);
    expect(patched([{ op: 'remove', path: 'externalId' }]).externalId).toBeNull();
    expect(patched([{ op: 'replace', path: 'name', value: { familyName: 'L' } }]).name).toEqual({ givenName: 'Ada', familyName: 'L' }); // sub-attributes not named stay
  });

  it('accepts the core attributes it does not keep and the enterprise extension, and refuses unknown or read-only ones', () => {
    expect(
      patched([
        { op: 'replace', path: 'title', value: 'Countess' },
        { op: 'add', path: 'phoneNumbers[type eq "work"].value', value: '1' },
        { op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Maths' },
      ]),
    ).toEqual(userInput.parse(user()));
    expect(scimTypeOf(() => applyPatch(user(), ops([{ op: 'replace', path: 'favouriteColour', value: 'red' }])))).toBe('400 invalidPath');
    expect(scimTypeOf(() => applyPatch(user(), ops([{ op: 'replace', path: 'id', value: 'x' }])))).toBe('400 mutability');
    expect(scimTypeOf(() => applyPatch(user(), ops([{ op: 'remove', path: 'userName' }])))).toBe('400 mutability');
    expect(scimTypeOf(() => applyPatch(user(), ops([{ op: 'remove' }])))).toBe('400 noTarget');
    expect(scimTypeOf(() => applyPatch(user(), ops([{ op: 'replace', value: false }])))).toBe('400 invalidValue');
    expect(scimTypeOf(() => applyPatch(user(), ops([{ op: 'replace', path: 'emails[type eq "work"', value: 'x' }])))).toBe('400 invalidPath');
    expect(scimTypeOf(() => applyPatch(user(), ops([{ op: 'replace', path: 'active[type eq "x"]', value: 'x' }])))).toBe('400 invalidPath');
  });

  it('leaves the document it was given unchanged', () => {
    const document = user();
    applyPatch(
      document,
      ops([
        { op: 'replace', path: 'name.givenName', value: 'X' },
        { op: 'replace', path: 'active', value: false },
      ]),
    );
    expect(document).toEqual(user());
  });

  it('refuses a PatchOp without its schema, without operations or with another op', () => {
    expect(patchRequest.safeParse({ Operations: [{ op: 'replace', path: 'active', value: false }] }).success).toBe(false);
    expect(patchRequest.safeParse({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] }).success).toBe(false);
    expect(patchRequest.safeParse({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'move', path: 'active' }] }).success).toBe(false);
  });

  it('validates the result: a value of the wrong type is refused', () => {
    expect(userInput.safeParse(applyPatch(user(), ops([{ op: 'replace', path: 'active', value: 'maybe' }]))).success).toBe(false);
    expect(userInput.safeParse(applyPatch(user(), ops([{ op: 'replace', path: 'userName', value: 'a\nb' }]))).success).toBe(false);
  });
});

describe('SCIM filters', () => {
  it('reads userName and externalId equality, with escapes, in any case', () => {
    expect(parseUserFilter('userName eq "ada"')).toEqual({ username: 'ada' });
    expect(parseUserFilter('USERNAME EQ "a \\"quoted\\" name"')).toEqual({ username: 'a "quoted" name' });
    expect(parseUserFilter('externalId eq "00u1"')).toEqual({ externalId: '00u1' });
    expect(parseUserFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ada"')).toEqual({ username: 'ada' });
    expect(parseUserFilter(undefined)).toEqual({});
    expect(parseUserFilter('  ')).toEqual({});
  });

  it('refuses every other filter with invalidFilter', () => {
    for (const filter of ['userName co "a"', 'userName eq ada', 'emails.value eq "a@b"', 'userName eq "a" and active eq true', 'userName eq "a" or userName eq "b"', 'userName eq "unterminated']) {
      expect(
        scimTypeOf(() => parseUserFilter(filter)),
        filter,
      ).toBe('400 invalidFilter');
    }
  });
});
