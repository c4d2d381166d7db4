import { Client } from 'ldapts';
import type { AugmenterConfig } from '../config/schema';
import { SingleFlightCache, type Step } from '../http/cache';
import type { Augmenter, User } from '../gateway/types';
import { escapeFilterValue, rolesFromGroups } from './ldap-roles';

type LdapConfig = Extract<AugmenterConfig, { type: 'ldap' }>;

/** auth-o-tron's TTL for LDAP roles. */
export const LDAP_ROLES_TTL_MS = 120_000;

/**
 * Adds roles from the `memberOf` groups of the user's LDAP entry. One bound connection is kept and
 * reused; every operation has a timeout; lookups are cached per username with single-flight fills.
 * A failure throws, and the gateway logs it and carries on without these roles.
 */
export class LdapAugmenter implements Augmenter {
  readonly type = 'ldap';
  readonly sequential = false;
  readonly static = false;
  readonly name: string;
  readonly realm: string;
  private readonly cache = new SingleFlightCache<string[]>({ ttlMs: LDAP_ROLES_TTL_MS, negativeTtlMs: 0 });
  private session: Promise<Client> | undefined;
  /** The client `session` resolved to, so a broken one can be dropped synchronously. */
  private sessionClient: Client | undefined;
  private closed = false;

  constructor(
    private readonly config: LdapConfig,
    private readonly timeoutMs: number,
  ) {
    this.name = config.name;
    this.realm = config.realm;
  }

  async augment(user: User, context: { signal: AbortSignal }): Promise<void> {
    const step = await this.cache.get(user.username, () => this.lookup(user.username), context.signal);
    if (step.status !== 'ok') throw new Error(`LDAP lookup failed: ${step.reason}`);
    for (const role of step.value) if (!user.roles.includes(role)) user.roles.push(role);
  }

  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    this.sessionClient = undefined;
    await session?.then((client) => client.unbind()).catch(() => undefined);
  }

  private async lookup(username: string): Promise<Step<string[]>> {
    const client = await this.connect();
    try {
      const { searchEntries } = await client.search(this.config.search_base, {
        scope: 'sub',
        filter: `(&(objectClass=person)(cn=${escapeFilterValue(username)}))`,
        attributes: ['memberOf'],
      });
      const groups = searchEntries.flatMap((entry) => values(entry.memberOf));
      return { status: 'ok', value: rolesFromGroups(groups, this.config) };
    } catch (error) {
      this.discard(client); // the connection may be half-dead; the next lookup opens a fresh one
      throw error;
    }
  }

  /** The shared bound connection, opened (once, even under concurrent calls) when missing or no longer bound. */
  private async connect(): Promise<Client> {
    if (this.closed) throw new Error('augmenter closed');
    const current = this.session;
    if (current) {
      const client = await current;
      if (client.isBound) return client;
      // The server closed an idle connection: ldapts would reconnect unauthenticated, so rebind.
      this.discard(client);
    }
    this.session ??= this.open();
    return this.session;
  }

  private open(): Promise<Client> {
    const client = new Client({ url: this.config.uri, timeout: this.timeoutMs, connectTimeout: this.timeoutMs });
    const opening: Promise<Client> = client.bind(this.config.bind_dn, this.config.ldap_password).then(
      () => {
        if (this.session === opening) this.sessionClient = client;
        return client;
      },
      async (error: unknown) => {
        if (this.session === opening) this.session = undefined;
        await client.unbind().catch(() => undefined);
        throw error;
      },
    );
    return opening;
  }

  private discard(client: Client): void {
    if (this.sessionClient === client) {
      this.session = undefined;
      this.sessionClient = undefined;
    }
    client.unbind().catch(() => undefined);
  }
}

function values(attribute: unknown): string[] {
  const list = Array.isArray(attribute) ? attribute : attribute === undefined ? [] : [attribute];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}
