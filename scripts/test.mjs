// `npm test`: build the production app, then unit + integration tests (vitest), then the browser suite
// (Playwright). Prints one plain summary line per runner, which CI reads.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';

const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
const run = (args) => spawnSync(process.execPath, args, { stdio: 'inherit', env }).status ?? 1;
const extraArgs = process.argv.slice(2);
mkdirSync('test-results', { recursive: true });

if (run(['scripts/ensure-build.mjs']) !== 0) process.exit(1);

const vitestStatus = run(['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json', ...extraArgs]);
let failed = vitestStatus !== 0;
if (existsSync('test-results/vitest.json')) {
  const report = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
  // A file that fails to load counts no failed test, only a failed suite: report it too.
  const brokenFiles = report.testResults.filter((file) => file.status === 'failed' && file.assertionResults.length === 0).length;
  console.log(`vitest: ${report.numPassedTests} passed, ${report.numFailedTests + brokenFiles} failed${brokenFiles ? ` (${brokenFiles} test files failed to load)` : ''}`);
} else {
  console.log('vitest: 0 passed, 1 failed (no report written)');
  failed = true;
}

const hasBrowserSuite = existsSync('e2e') && readdirSync('e2e').some((f) => f.endsWith('.spec.ts'));
if (hasBrowserSuite && extraArgs.length === 0) {
  const status = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test'], {
    stdio: 'inherit',
    env: { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: 'test-results/playwright.json' },
  }).status;
  if (existsSync('test-results/playwright.json')) {
    const { stats } = JSON.parse(readFileSync('test-results/playwright.json', 'utf8'));
    console.log(`playwright: ${stats.expected} passed, ${stats.unexpected} failed`);
    if (stats.unexpected > 0) failed = true;
  }
  if (status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
