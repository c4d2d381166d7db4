import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
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
    createdAt: createdAt(),
    lastSignInAt: timestamp('last_sign_in_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('users_realm_username').on(t.realm, t.username)],
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
    rotatedFrom: text('rotated_from'),
  },
  (t) => [index('tokens_owner').on(t.ownerId)],
);

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
