// `npm run config:check [file]`: loads the config as the server would (file, AOT_ variables, PORT,
// HOSTNAME, DATABASE_URL), prints every problem and warning, and exits 2 if there is any (unknown
// keys included): the strict check for CI, while the server itself starts despite warnings.
import { ConfigError, loadConfig } from '../lib/config/load';

const file = process.argv[2];
const env = file ? { ...process.env, AOT_CONFIG_PATH: file } : process.env;
try {
  const { source, warnings, demo } = loadConfig(env);
  if (demo) {
    console.error('config error: no config file (./config.yaml or AOT_CONFIG_PATH): the server would run the demo');
    process.exit(2);
  }
  for (const warning of warnings) console.error(`config warning: ${warning}`);
  if (warnings.length > 0) process.exit(2);
  console.log(`config ok: ${source}`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  for (const problem of error.problems) console.error(`config error: ${problem}`);
  for (const warning of error.warnings) console.error(`config warning: ${warning}`);
  process.exit(2);
}
