import type { Db } from '../../db/client';
import { upgradeTokenSecrets, type SecretUpgrade } from '../../db/tokens';
import type { Logger } from '../log/logger';

const FLUSH_INTERVAL_MS = 1_000;

/**
 * Collects stored secrets to bring up to date (hash parameters, fingerprint) and writes them in
 * batches off the request path: after a deploy, every old token is upgraded on its first use.
 */
export class SecretUpgrades {
  private pending = new Map<string, SecretUpgrade>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger | undefined,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  add(upgrade: SecretUpgrade): void {
    this.pending.set(upgrade.id, upgrade);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await upgradeTokenSecrets(this.db, batch);
    } catch (error) {
      // Nothing lost but time: the next successful use tries again.
      this.logger?.warn({ err: error, tokens: batch.length }, 'could not upgrade stored token secrets');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
