// Compiles server.ts and the gateway core it imports into one plain JavaScript file, so the
// production server runs no TypeScript loader: tsx keeps function names by wrapping every closure
// it creates, which measurably slows a check that takes tens of microseconds. Packages stay external.
import { build } from 'esbuild';

export const SERVER_BUNDLE = '.next/aot/server.mjs';

/** `server-only` guards against client bundles; in the server bundle it is an empty module. */
const serverOnlyIsEmpty = {
  name: 'server-only-is-empty',
  setup(builder) {
    builder.onResolve({ filter: /^server-only$/ }, () => ({ path: 'server-only', namespace: 'empty' }));
    builder.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: '', loader: 'js' }));
  },
};

export async function buildServer() {
  await build({
    entryPoints: ['server.ts'],
    outfile: SERVER_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    plugins: [serverOnlyIsEmpty],
    logLevel: 'warning',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await buildServer();
