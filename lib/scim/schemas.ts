import { z } from 'zod';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json';

/** Entra ID sends booleans as the strings "True"/"False" unless told otherwise: both are accepted. */
export const scimBoolean = z.union([
  z.boolean(),
  z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(['true', 'false']))
    .transform((s) => s === 'true'),
]);

const NO_CONTROLS = /^[^\u0000-\u001f\u007f]*$/;
const text = (max: number) => z.string().max(max).regex(NO_CONTROLS, 'no control characters');

export const nameSchema = z.object({
  formatted: text(256).optional(),
  givenName: text(128).optional(),
  familyName: text(128).optional(),
  middleName: text(128).optional(),
  honorificPrefix: text(64).optional(),
  honorificSuffix: text(64).optional(),
});

export const emailSchema = z.object({
  value: text(320).min(1),
  type: text(32).optional(),
  primary: scimBoolean.optional(),
  display: text(320).optional(),
});
export type ScimEmail = z.infer<typeof emailSchema>;

/**
 * The attributes of a User this service keeps (RFC 7643 §4.1); the rest of what a client sends
 * (roles, phone numbers, the enterprise extension) is accepted and not stored.
 */
export const userInput = z.object({
  userName: text(256).trim().min(1, 'userName is required'),
  externalId: text(256).nullable().optional(),
  active: scimBoolean.default(true),
  displayName: text(256).nullable().optional(),
  name: nameSchema.nullable().optional(),
  emails: z.array(emailSchema).max(20).nullable().optional(),
});
export type UserInput = z.output<typeof userInput>;

export const patchRequest = z.object({
  schemas: z.array(z.string()).refine((schemas) => schemas.includes(PATCH_OP_SCHEMA), `schemas must contain ${PATCH_OP_SCHEMA}`),
  Operations: z
    .array(
      z.object({
        // "Replace" (Entra ID) and "replace" (Okta) alike.
        op: z
          .string()
          .transform((op) => op.toLowerCase())
          .pipe(z.enum(['add', 'replace', 'remove'])),
        path: z.string().max(512).optional(),
        value: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(100),
});
export type PatchRequest = z.output<typeof patchRequest>;
export type PatchOperation = PatchRequest['Operations'][number];

export const listQuery = z.object({
  filter: z.string().max(1024).optional(),
  startIndex: z.coerce.number().int().optional(),
  count: z.coerce.number().int().optional(),
});

/** Attribute names are case-insensitive in SCIM (RFC 7643 §2.1): renames `key` of `value` to the spelling in `names`. */
export function canonicalKeys(value: unknown, names: readonly string[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [byLower.get(key.toLowerCase()) ?? key, v]));
}

export const USER_ATTRIBUTES = ['schemas', 'id', 'externalId', 'userName', 'active', 'displayName', 'name', 'emails', 'meta'] as const;
export const NAME_ATTRIBUTES = ['formatted', 'givenName', 'familyName', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const;

/** RFC 7643 §5: what this service supports, for clients that ask (PATCH and filters yes; bulk, sort, ETags, password changes no). */
export function serviceProviderConfig(base: string): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: 200 },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'Bearer secret', description: 'The secret whose argon2id hash is scim.token_hash', primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/scim/v2/ServiceProviderConfig` },
  };
}
