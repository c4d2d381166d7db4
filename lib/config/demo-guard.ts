import { getOrCreateAppSecret, hasAppSecret } from '../../db/app-secrets';
import type { Database } from '../../db/client';
import { hasUserWithEmail } from '../../db/users';
import { DEMO_ACCOUNTS } from '../demo-idp/users';
import { DEMO_REALM } from './demo';
import { ConfigError } from './load';

const DEMO_MARK = 'installation.demo';

/**
 * The demo's users have published passwords and anyone may have its tokens: a database the demo
 * wrote is marked, and a configured installation refuses to start on it rather than keep trusting them.
 * A demo from before the mark (it kept its data in ./data/pglite, where a configured installation
 * does) is known by its users as the demo IdP signs them in: their example.org addresses are no real
 * person's. Demo users seen only through Basic leave nothing a real `alice` of realm `local` would not.
 */
export async function guardDemoDatabase(database: Database, demo: boolean, where: string): Promise<void> {
  if (demo) {
    await getOrCreateAppSecret(database.db, DEMO_MARK, () => new Date().toISOString());
    return;
  }
  if ((await hasAppSecret(database.db, DEMO_MARK)) || (await hasUserWithEmail(database.db, DEMO_REALM, DEMO_ACCOUNTS))) {
    throw new ConfigError([
      `database: ${where} holds the demo's data (its users' passwords are published and its signing key and tokens are not yours);` +
        ` delete or move it (for the embedded database: rm -rf ${where}), or point database.url / database.path elsewhere, then start again`,
    ]);
  }
}
