import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { JWK } from 'jose';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/** Keys that sign the gateway's JWTs, shared by every replica; retired keys stay published until their tokens expire. */
export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  algorithm: text('algorithm').notNull(),
  privateJwk: jsonb('private_jwk').$type<JWK>().notNull(),
  publicJwk: jsonb('public_jwk').$type<JWK>().notNull(),
  createdAt: createdAt(),
  retiredAt: timestamp('retired_at', { withTimezone: true }),
});

/** Secrets generated once per installation (the portal's session secret). */
export const appSecrets = pgTable('app_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: createdAt(),
});

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    realm: text('realm').notNull(),
    username: text('username').notNull(),
    email: text('email'),
    name: text('name'),
    roles: jsonb('roles').$type<string[]>().notNull().default([]),
    attributes: jsonb('attributes').$type<Record<string, string>>().notNull().default({}),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    // Who disabled the user (lib/users/status.ts): a sign-in may undo what revalidation or a
    // back-channel logout did, never what an admin or SCIM did. Null on rows disabled before it was kept: an admin.
    disabledBy: text('disabled_by').$type<DisabledBy>(),
    createdAt: createdAt(),
    lastSignInAt: timestamp('last_sign_in_at', { withTimezone: true }),
    /** The IdP's `sub` and the `sid` of the latest portal sign-in: what back-channel logout tokens name. */
    idpSubject: text('idp_subject'),
    idpSessionId: text('idp_session_id'),
    /** The `sid` the user ended by signing out of the portal: its logout token is their own doing, not a deprovisioning. */
    signedOutSessionId: text('signed_out_session_id'),
    /** Portal sessions that began before this are over (a back-channel logout ended them). */
    sessionsNotBefore: timestamp('sessions_not_before', { withTimezone: true }),
    /** The IdP's refresh token from the latest sign-in, AES-256-GCM encrypted (lib/crypto/sealed.ts). */
    refreshToken: text('refresh_token'),
    revalidatedAt: timestamp('revalidated_at', { withTimezone: true }),
    /** SCIM: the provisioning client's own id, the name parts, and a DELETE (the row stays: tokens and audit refer to it). */
    externalId: text('external_id'),
    nameParts: jsonb('name_parts').$type<NameParts>(),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('users_realm_username').on(t.realm, t.username), index('users_realm_idp_subject').on(t.realm, t.idpSubject)],
);

export const DISABLED_BY = ['admin', 'scim', 'idp-logout', 'revalidation'] as const;
export type DisabledBy = (typeof DISABLED_BY)[number];

export interface NameParts {
  formatted?: string;
  givenName?: string;
  familyName?: string;
  middleName?: string;
  honorificPrefix?: string;
  honorificSuffix?: string;
}

/** `jti`s of back-channel logout tokens already acted on: a replayed one is refused on every replica. */
export const seenLogoutTokens = pgTable(
  'seen_logout_tokens',
  {
    jti: text('jti').primaryKey(),
    seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('seen_logout_tokens_seen_at').on(t.seenAt)],
);

export const tokens = pgTable(
  'tokens',
  {
    id: text('id').primaryKey(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id),
    name: text('name').notNull(),
    description: text('description'),
    scopes: jsonb('scopes').$type<string[]>().notNull().default([]),
    secretHash: text('secret_hash').notNull(),
    /**
     * 16 bits of a keyed HMAC of the secret (key: app secret `tokens.fingerprint_key`): a wrong secret
     * is refused without argon2. Null on tokens made before it existed; filled on their next use.
     */
    secretFingerprint: integer('secret_fingerprint'),
    createdAt: createdAt(),
    createdBy: text('created_by'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    lastUsedAddress: text('last_used_address'),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedBy: text('revoked_by'),
    /** Rows made by rotations before rotation kept the token (a new row, a new id): the token they replaced. */
    rotatedFrom: text('rotated_from'),
    /** Where, how and from which address the token may be used (lib/tokens/restrictions.ts); `{}`: anywhere. */
    restrictions: jsonb('restrictions').$type<TokenRestrictions>().notNull().default({}),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
    /** The secret before the latest rotation, accepted until `previous_secret_until` (the grace period). */
    previousSecretHash: text('previous_secret_hash'),
    previousSecretFingerprint: integer('previous_secret_fingerprint'),
    previousSecretUntil: timestamp('previous_secret_until', { withTimezone: true }),
  },
  (t) => [
    index('tokens_owner').on(t.ownerId),
    // countActiveTokens: the owner's live tokens, and the anti-join on rotated_from, stay index lookups
    // even when the planner's statistics are stale (a full scan per row took > 60 s at 100k rows).
    index('tokens_owner_live').on(t.ownerId, t.expiresAt).where(sql`${t.revokedAt} is null`),
    // The notifier's expiry-warning scan runs every poll: live tokens in expiry order.
    index('tokens_live_expiry').on(t.expiresAt).where(sql`${t.revokedAt} is null`),
    index('tokens_rotated_from').on(t.rotatedFrom).where(sql`${t.rotatedFrom} is not null`),
  ],
);

/** Stored restrictions of a token: each list, when present, is what the token is limited to. */
export interface TokenRestrictions {
  ips?: string[];
  methods?: string[];
  paths?: string[];
  hosts?: string[];
}

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    targetUser: text('target_user'),
    tokenId: text('token_id'),
    clientAddress: text('client_address'),
    userAgent: text('user_agent'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('audit_log_at').on(t.at)],
);

/** Requests per token and hour (lib/tokens/usage.ts adds to them in batches); rows older than 30 days are pruned. */
export const tokenUsageHours = pgTable(
  'token_usage_hours',
  {
    tokenId: text('token_id').notNull(),
    hour: timestamp('hour', { withTimezone: true }).notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.hour] }), index('token_usage_hours_hour').on(t.hour)],
);

/** The latest client addresses of each token (at most 10 kept per token). */
export const tokenUsageAddresses = pgTable(
  'token_usage_addresses',
  {
    tokenId: text('token_id').notNull(),
    address: text('address').notNull(),
    lastSeen: timestamp('last_seen', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.address] }), index('token_usage_addresses_last_seen').on(t.lastSeen)],
);

export const NOTIFICATION_CHANNELS = ['email', 'webhook'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

/**
 * The outbox of owner notifications (lib/notifications): one row per event and channel, so each is
 * sent once however many replicas run the job; a replica claims due rows with `for update skip locked`.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** What happened, once: `audit:<audit id>` or `expiry:<token id>:<warning seconds>:<expiry epoch>`. */
    eventKey: text('event_key').notNull(),
    channel: text('channel').$type<NotificationChannel>().notNull(),
    event: text('event').notNull(),
    tokenId: text('token_id'),
    /** The e-mail address (channel `email`), taken when the event was queued. */
    recipient: text('recipient'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    /** Set when the last attempt failed: no more tries. */
    failedAt: timestamp('failed_at', { withTimezone: true }),
    lastError: text('last_error'),
  },
  (t) => [uniqueIndex('notifications_event_channel').on(t.eventKey, t.channel), index('notifications_due').on(t.nextAttemptAt)],
);

/** How far a job has read an append-only table (the notifier's position in the audit log). */
export const jobCursors = pgTable('job_cursors', {
  name: text('name').primaryKey(),
  position: bigint('position', { mode: 'number' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
