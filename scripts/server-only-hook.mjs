// Outside Next's bundler, `server-only` would throw on import; the custom server is server code by definition.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(
      'export async function resolve(specifier, context, next) {' +
        ' if (specifier === "server-only") return { url: "data:text/javascript,", shortCircuit: true };' +
        ' return next(specifier, context); }',
    ),
);
