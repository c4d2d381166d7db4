// `npm run config:check [--warnings-as-errors] [file]`: loads the config as the server would (file,
// AOT_ variables, PORT, HOSTNAME, DATABASE_URL) and exits 2 on any problem or unknown key (which the
// server itself only warns about, for auth-o-tron's sake): the strict check for CI. Other warnings
// (a duplicate provider name, an empty jwt.iss: what auth-o-tron accepted) are printed and exit 0,
// unless --warnings-as-errors.
import { ConfigError, loadConfig } from '../lib/config/load';

const args = process.argv.slice(2);
const warningsAsErrors = args.includes('--warnings-as-errors');
const file = args.find((arg) => !arg.startsWith('--'));
const env = file ? { ...process.env, AOT_CONFIG_PATH: file } : process.env;
try {
  const { source, warnings, demo } = loadConfig(env, { strictBy: 'npm run config:check' });
  if (demo) {
    console.error('config error: no config file (./config.yaml or AOT_CONFIG_PATH): the server would run the demo');
    process.exit(2);
  }
  for (const warning of warnings) console.error(`config warning: ${warning}`);
  if (warningsAsErrors && warnings.length > 0) process.exit(2);
  console.log(`config ok: ${source}${warnings.length > 0 ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  for (const problem of error.problems) console.error(`config error: ${problem}`);
  for (const warning of error.warnings) console.error(`config warning: ${warning}`);
  process.exit(2);
}
