/** RFC 7644 §3.12's `scimType` values this service uses. */
export type ScimType = 'invalidFilter' | 'invalidSyntax' | 'invalidPath' | 'invalidValue' | 'mutability' | 'noTarget' | 'uniqueness' | 'tooMany';

/** An error a SCIM client should see as is (status and scimType); lib/scim/http.ts turns it into SCIM's error schema. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly scimType?: ScimType,
  ) {
    super(message);
    this.name = 'ScimError';
  }
}

/** Works across module instances (the custom server and Next's bundle each load this file). */
export function isScimError(error: unknown): error is ScimError {
  return error instanceof Error && error.name === 'ScimError' && typeof (error as ScimError).status === 'number';
}
