import { z } from 'zod';
import { parseDurationSeconds } from '../config/duration';
import { restrictionsInput } from './restrictions';

/** Body of "create a token" (portal form and JSON API). Expiry as `expires_in` or `expires_at`, not both. */
export const createTokenInput = z
  .strictObject({
    name: z.string().trim().min(1, 'a name is required').max(100, 'at most 100 characters'),
    description: z.string().trim().max(500, 'at most 500 characters').optional(),
    scopes: z.array(z.string()).max(100).default([]),
    expires_in: z
      .string()
      .refine((v) => parseDurationSeconds(v) !== null, 'expected a duration like 15m, 72h or 30d')
      .optional(),
    expires_at: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date and time, e.g. 2027-01-31T00:00:00Z' }).optional(),
    restrictions: restrictionsInput.optional(),
  })
  .refine((v) => !(v.expires_in && v.expires_at), { message: 'give expires_in or expires_at, not both', path: ['expires_at'] });
export type CreateTokenInput = z.input<typeof createTokenInput>;

export const rotateTokenInput = z.strictObject({
  /** How long the old secret keeps working; 0 stops it at once. */
  grace_period: z
    .string()
    .refine((v) => v === '0' || parseDurationSeconds(v) !== null, 'expected 0 or a duration like 15m, 24h or 7d')
    .default('0'),
});

/** `PATCH /api/tokens/<id>`: what may change after creation. `restrictions` replaces them all (`{}` lifts them). */
export const updateTokenInput = z.strictObject({ restrictions: restrictionsInput });

export const tokenStatus = z.enum(['active', 'expired', 'revoked']);

/** The only shape a token leaves the server in: never the hash, never the secret (except once at creation). */
export const tokenView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  scopes: z.array(z.string()),
  status: tokenStatus,
  owner: z.object({ realm: z.string(), username: z.string() }),
  created_at: z.string(),
  created_by: z.string().nullable(),
  expires_at: z.string(),
  last_used_at: z.string().nullable(),
  last_used_address: z.string().nullable(),
  revoked_at: z.string().nullable(),
  revoked_by: z.string().nullable(),
  /** Only on tokens made by a rotation before rotation kept the token's id. */
  rotated_from: z.string().nullable(),
  rotated_at: z.string().nullable(),
  /** While a rotation's grace period lasts: when the previous secret stops working. */
  previous_secret_expires_at: z.string().nullable(),
  restrictions: z.object({ ips: z.array(z.string()).optional(), methods: z.array(z.string()).optional(), paths: z.array(z.string()).optional(), hosts: z.array(z.string()).optional() }),
  /** First characters of the token, to recognise it in lists. */
  display: z.string(),
});
export type TokenView = z.infer<typeof tokenView>;

export const createdTokenView = z.object({ token: tokenView, secret: z.string(), warning: z.string() });
export type CreatedTokenView = z.infer<typeof createdTokenView>;

/** `GET /api/tokens/<id>/usage`: requests per hour (every hour of the period, oldest first) and the latest client addresses. */
export const tokenUsageView = z.object({
  token_id: z.string(),
  hours: z.array(z.object({ hour: z.string(), count: z.number().int().nonnegative() })),
  addresses: z.array(z.object({ address: z.string(), last_seen: z.string() })),
});
export type TokenUsageView = z.infer<typeof tokenUsageView>;

export const usageQuery = z.strictObject({
  since: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date and time, e.g. 2027-01-31T00:00:00Z' }).optional(),
});
