import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Database } from '../../db/client';
import { createRealmUser, getRealmUser, isUsernameTakenByAnother, listRealmUsers, type UserPatch, type UserRow } from '../../db/users';
import { credentialKey, verifySecret } from '../crypto/secrets';
import { auditEntry, combinePlans, disablePlan, enablePlan, type AuditContext, type UserStatus } from '../users/status';
import { ScimError } from './errors';
import { parseUserFilter } from './filter';
import { applyPatch, type UserDocument } from './patch';
import { canonicalKeys, LIST_RESPONSE_SCHEMA, listQuery, NAME_ATTRIBUTES, patchRequest, USER_ATTRIBUTES, USER_SCHEMA, userInput, type UserInput } from './schemas';

const DEFAULT_COUNT = 100;
export const MAX_COUNT = 200;
const ACCEPTED_TTL_MS = 5 * 60_000;
const REFUSED_TTL_MS = 30_000;

/** A SCIM User resource (RFC 7643 §4.1) as this service answers it. */
export interface ScimUser {
  schemas: string[];
  id: string;
  externalId?: string;
  userName: string;
  active: boolean;
  displayName?: string;
  name?: Record<string, string>;
  emails: Array<{ value: string; type: string; primary: boolean }>;
  meta: { resourceType: 'User'; created: string; location: string };
}

export interface ScimServiceOptions {
  database: Database;
  users: UserStatus;
  /** The portal's realm: the only users SCIM sees or makes. */
  realm: string;
  tokenHash: string;
}

const ACTOR = 'scim';

/** Parses a SCIM User body (attribute names in any case) into what is stored. */
function parseUser(body: unknown): UserInput {
  const top = canonicalKeys(body, USER_ATTRIBUTES);
  const withName = typeof top === 'object' && top !== null && 'name' in top ? { ...top, name: canonicalKeys((top as { name: unknown }).name, NAME_ATTRIBUTES) } : top;
  return userInput.parse(withName);
}

/** The columns a SCIM User sets; `active` is decided separately (who disabled the user matters). */
function columnsOf(input: UserInput): UserPatch {
  const primary = input.emails?.find((e) => e.primary === true) ?? input.emails?.[0];
  const parts = input.name ?? undefined;
  const joined = [parts?.givenName, parts?.familyName].filter(Boolean).join(' ');
  const nameParts = parts && Object.values(parts).some((v) => v !== undefined) ? parts : null;
  return {
    username: input.userName,
    externalId: input.externalId ?? null,
    email: primary?.value ?? null,
    name: input.displayName ?? parts?.formatted ?? (joined || null),
    nameParts,
  };
}

/** The stored user as a SCIM document, the starting point of a PATCH. */
function documentOf(row: UserRow): UserDocument {
  return {
    userName: row.username,
    externalId: row.externalId,
    active: row.disabledAt === null,
    displayName: row.name,
    name: row.nameParts ?? null,
    emails: row.email ? [{ value: row.email, type: 'work', primary: true }] : [],
  };
}

/** SCIM's userName is caseExact: false (RFC 7643 §4.1.1). */
function sameUserName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function changedColumns(row: UserRow, columns: UserPatch): UserPatch {
  const changed: UserPatch = {};
  for (const [key, value] of Object.entries(columns) as Array<[keyof UserPatch, unknown]>) {
    if (JSON.stringify(row[key as keyof UserRow] ?? null) !== JSON.stringify(value ?? null)) Object.assign(changed, { [key]: value });
  }
  return changed;
}

/**
 * SCIM 2.0 Users (RFC 7644) for the portal's realm: what an IdP's provisioning (Entra ID, Okta)
 * uses to create, update, deactivate and delete people. Deactivating suspends every credential of
 * the user on every replica (tokens come back on `active: true`); DELETE also revokes their tokens.
 */
export class ScimService {
  private readonly verdicts = new LRUCache<string, Promise<boolean>>({ max: 1000 });

  constructor(private readonly options: ScimServiceOptions) {}

  /**
   * Whether `secret` is the configured bearer. An argon2 verification once per secret and a few
   * minutes (keyed by a keyed hash of it, never the secret), so each call does not cost one.
   */
  authorize(secret: string): Promise<boolean> {
    const key = credentialKey(secret);
    let verdict = this.verdicts.get(key);
    if (!verdict) {
      verdict = verifySecret(this.options.tokenHash, secret);
      this.verdicts.set(key, verdict, { ttl: REFUSED_TTL_MS });
      verdict.then(
        (ok) => ok && this.verdicts.set(key, verdict as Promise<boolean>, { ttl: ACCEPTED_TTL_MS }),
        () => this.verdicts.delete(key),
      );
    }
    return verdict;
  }

  async list(query: Record<string, string | undefined>, base: string): Promise<Record<string, unknown>> {
    const parsed = listQuery.safeParse(query);
    if (!parsed.success) throw new ScimError(400, 'startIndex and count must be integers', 'invalidValue');
    const filter = parseUserFilter(parsed.data.filter);
    // RFC 7644 §3.4.2.4: a startIndex below 1 means 1, a negative count means 0.
    const startIndex = Math.max(1, parsed.data.startIndex ?? 1);
    const count = Math.min(MAX_COUNT, Math.max(0, parsed.data.count ?? DEFAULT_COUNT));
    const { rows, total } = await listRealmUsers(this.options.database.db, this.options.realm, filter, startIndex - 1, count);
    return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: total, startIndex, itemsPerPage: rows.length, Resources: rows.map((row) => this.view(row, base)) };
  }

  async get(id: string, base: string): Promise<ScimUser> {
    return this.view(await this.find(id), base);
  }

  async create(body: unknown, base: string, context: Omit<AuditContext, 'actor'>): Promise<ScimUser> {
    const input = parseUser(body);
    const created = await createRealmUser(
      this.options.database.db,
      { realm: this.options.realm, ...columnsOf(input), username: input.userName, disabledAt: input.active ? null : new Date(), disabledBy: input.active ? null : 'scim', refreshToken: null },
      {
        actor: ACTOR,
        action: 'user.create',
        targetUser: `${this.options.realm}/${input.userName}`,
        clientAddress: context.clientAddress ?? null,
        userAgent: context.userAgent ?? null,
        details: { active: input.active },
      },
    );
    if ('conflict' in created) throw new ScimError(409, `a user named ${input.userName} exists`, 'uniqueness');
    // An inactive user (perhaps a Basic user of this realm, or one brought back) is refused everywhere from now on.
    await this.options.users.announce(created.row.id);
    return this.view(created.row, base);
  }

  /** PUT: every attribute this service keeps takes the body's value (absent ones are cleared). */
  async replace(id: string, body: unknown, base: string, context: Omit<AuditContext, 'actor'>): Promise<ScimUser> {
    const input = parseUser(body);
    return this.save(id, () => input, base, context);
  }

  async patch(id: string, body: unknown, base: string, context: Omit<AuditContext, 'actor'>): Promise<ScimUser> {
    const request = patchRequest.parse(canonicalKeys(body, ['schemas', 'Operations']));
    return this.save(id, (row) => parseUser(applyPatch(documentOf(row), request.Operations)), base, context);
  }

  /**
   * DELETE: the user is disabled and marked deleted (SCIM answers 404 for them from then on) and
   * their tokens are revoked; the row stays, as tokens and the audit log refer to it. A later POST
   * of the same userName brings the user back, without the old tokens.
   */
  async delete(id: string, context: Omit<AuditContext, 'actor'>): Promise<void> {
    await this.find(id);
    const audit = { actor: ACTOR, ...context };
    const result = await this.options.users.update(id, (row) => {
      if (row.deletedAt) return null;
      const deletion = { set: { deletedAt: new Date(), refreshToken: null }, audit: [auditEntry(row, 'user.delete', audit, {})], revokeTokensBy: ACTOR };
      return combinePlans(disablePlan(row, 'scim', audit), deletion);
    });
    if (!result) throw new ScimError(404, 'no such user');
  }

  private async save(id: string, next: (row: UserRow) => UserInput, base: string, context: Omit<AuditContext, 'actor'>): Promise<ScimUser> {
    const current = await this.find(id);
    const wanted = next(current).userName;
    if (!sameUserName(wanted, current.username) && (await isUsernameTakenByAnother(this.options.database.db, this.options.realm, wanted, id))) {
      throw new ScimError(409, 'another user has that userName', 'uniqueness');
    }
    const audit = { actor: ACTOR, ...context };
    let result;
    try {
      result = await this.options.users.update(id, (row) => {
        if (row.deletedAt) throw new ScimError(404, 'no such user');
        const input = next(row);
        // Another letter case is the same userName: the name the rest of the product knows stays.
        const columns = changedColumns(row, { ...columnsOf(input), ...(sameUserName(input.userName, row.username) ? { username: row.username } : {}) });
        const attributes = Object.keys(columns).length > 0 ? { set: columns, audit: [auditEntry(row, 'user.update', audit, { attributes: Object.keys(columns) })] } : null;
        // An admin's disabling is not SCIM's to undo: the user then stays inactive (and is shown so).
        const status = input.active ? enablePlan(row, 'scim', audit) : disablePlan(row, 'scim', audit);
        return combinePlans(attributes, status);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ScimError(409, 'another user has that userName', 'uniqueness');
      throw error;
    }
    if (!result) throw new ScimError(404, 'no such user');
    return this.view(result.row, base);
  }

  private async find(id: string): Promise<UserRow> {
    const row = z.uuid().safeParse(id).success ? await getRealmUser(this.options.database.db, this.options.realm, id) : undefined;
    if (!row) throw new ScimError(404, 'no such user');
    return row;
  }

  private view(row: UserRow, base: string): ScimUser {
    const name = Object.fromEntries(Object.entries(row.nameParts ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
    return {
      schemas: [USER_SCHEMA],
      id: row.id,
      ...(row.externalId ? { externalId: row.externalId } : {}),
      userName: row.username,
      active: row.disabledAt === null,
      ...(row.name ? { displayName: row.name } : {}),
      ...(Object.keys(name).length > 0 ? { name } : {}),
      emails: row.email ? [{ value: row.email, type: 'work', primary: true }] : [],
      meta: { resourceType: 'User', created: row.createdAt.toISOString(), location: `${base}/scim/v2/Users/${row.id}` },
    };
  }
}

/** Postgres' unique_violation (a rename onto a taken userName); drizzle wraps the driver's error as `cause`. */
function isUniqueViolation(error: unknown): boolean {
  const codeOf = (e: unknown) => (typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined);
  return codeOf(error) === '23505' || codeOf((error as { cause?: unknown } | null)?.cause) === '23505';
}
