import { getUserById, listDisabledUsers } from '../../db/users';
import { MISSED_MESSAGES, type Database } from '../../db/client';
import type { Logger } from '../log/logger';
import { TOKENS_CHANNEL } from '../tokens/channel';

const RESYNC_MS = 30_000;

/**
 * The users disabled in the portal (by an admin, and later SCIM or the IdP), held in memory so every
 * check can refuse them synchronously, whichever provider vouched for them. Kept current on every
 * replica by the `user:<id>` notifications the disabling sends, and re-read in full after a missed
 * notification and periodically.
 */
export class DisabledUsers {
  private readonly byId = new Map<string, string>();
  private readonly names = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.reload();
    await this.database.listen(TOKENS_CHANNEL, (payload) => {
      if (payload === MISSED_MESSAGES) return void this.reload().catch((error: unknown) => this.failed(error));
      const [kind, id] = payload.split(':');
      if (kind === 'user' && id) this.refresh(id).catch((error: unknown) => this.failed(error));
    });
    this.timer = setInterval(() => this.reload().catch((error: unknown) => this.failed(error)), RESYNC_MS);
    this.timer.unref();
  }

  isDisabled(realm: string, username: string): boolean {
    return this.names.size > 0 && this.names.has(nameOf(realm, username));
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async reload(): Promise<void> {
    const rows = await listDisabledUsers(this.database.db);
    this.byId.clear();
    this.names.clear();
    for (const row of rows) this.add(row.id, row.realm, row.username);
  }

  private async refresh(id: string): Promise<void> {
    const row = await getUserById(this.database.db, id);
    const previous = this.byId.get(id);
    if (previous !== undefined) {
      this.names.delete(previous);
      this.byId.delete(id);
    }
    if (row?.disabledAt) this.add(row.id, row.realm, row.username);
  }

  private add(id: string, realm: string, username: string): void {
    const name = nameOf(realm, username);
    this.byId.set(id, name);
    this.names.add(name);
  }

  private failed(error: unknown): void {
    this.logger.error({ err: error }, 'could not read disabled users; will retry');
  }
}

/** In any letter case: SCIM's userName is case-insensitive, so disabling "Alice" stops alice too (refusing more, never less). */
function nameOf(realm: string, username: string): string {
  return `${realm}\u0000${username.toLowerCase()}`;
}
