// `npm run keys:rotate`: a new signing key becomes active; the previous one stays in the JWKS until
// the tokens it signed have expired. Replicas pick the new key up within a minute.
import { DatabaseInUseError, openDatabase } from '../db/client';
import { rotateSigningKey } from '../db/signing-keys';
import { ConfigError, loadConfig } from '../lib/config/load';
import { generateStoredKey } from '../lib/jwt/keys';
import { KEYS_CHANNEL } from '../lib/runtime';

try {
  const { config } = loadConfig();
  if (config.jwt.secret || config.jwt.keys || config.jwt.private_key || config.jwt.private_key_file) {
    console.error('signing keys come from the config (jwt.secret / jwt.keys); rotate them there');
    process.exit(2);
  }
  const database = await openDatabase(config.database);
  const key = await rotateSigningKey(database.db, await generateStoredKey(config.jwt.algorithm));
  await database.notify(KEYS_CHANNEL, key.kid);
  await database.close();
  console.log(`new signing key ${key.kid} (${key.algorithm}) is active`);
} catch (error) {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) console.error(`config error: ${problem}`);
    process.exit(2);
  }
  if (error instanceof DatabaseInUseError) {
    // The server would never see a key written to its directory by another process: refuse instead.
    console.error(
      [
        `keys:rotate: refused, nothing was changed: ${error.message}.`,
        'A running server keeps its own copy of the embedded database, so a key written now would be lost.',
        'Stop the server, run `npm run keys:rotate`, then start the server again; it signs with the new key.',
        'With PostgreSQL (database.url) the rotation works while servers run.',
        `If pid ${error.owner.pid} is not an auth-o-tron server on this database, remove ${error.lockFile}.`,
      ].join('\n'),
    );
    process.exit(3);
  }
  throw error;
}
