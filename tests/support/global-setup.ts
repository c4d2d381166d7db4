import { spawnSync } from 'node:child_process';

/** Integration tests start the production build: make sure it matches the sources (a no-op when it does). */
export default function setup(): void {
  const result = spawnSync(process.execPath, ['scripts/ensure-build.mjs'], { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  if (result.status !== 0) throw new Error('the production build failed');
}
