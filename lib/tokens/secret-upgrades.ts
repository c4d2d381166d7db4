import type { Db } from '../../db/client';
import { upgradeTokenSecrets, type SecretUpgrade } from '../../db/tokens';
import type { Logger } from '../log/logger';
import { BatchWriter } from './batch-writer';

const FLUSH_INTERVAL_MS = 1_000;

/**
 * Stored secrets to bring up to date (hash parameters, fingerprint), written in batches: after a
 * deploy, every old token is upgraded on its first use, and that may be thousands a second.
 */
export class SecretUpgrades {
  private readonly writer: BatchWriter<SecretUpgrade>;

  constructor(db: Db, logger: Logger | undefined) {
    // Nothing is lost on a failed write but time: the next successful use tries again.
    this.writer = new BatchWriter(
      (batch) => upgradeTokenSecrets(db, batch),
      FLUSH_INTERVAL_MS,
      (error, rows) => logger?.warn({ err: error, tokens: rows }, 'could not upgrade stored token secrets'),
    );
  }

  add(upgrade: SecretUpgrade): void {
    this.writer.add(upgrade.id, upgrade);
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
