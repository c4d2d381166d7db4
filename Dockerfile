# Auth-O-Tron: the gateway and the token portal in one process, listening on port 3000.
#   docker build -t auth-o-tron .
#   docker run -p 3000:3000 -v aot-data:/data -v $PWD/config.yaml:/config/config.yaml:ro auth-o-tron
# With PostgreSQL (several replicas) pass DATABASE_URL; /data is then unused.

# Any Debian-based image with Node.js >= 20.12 in /usr/local works (the tests build on a local one).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
# The lockfile alone first: the dependency layer is reused while only the sources change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Dev dependencies (TypeScript, test tools) and Next's build cache are not needed to run.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf .next/cache

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    AOT_CONFIG_PATH=/config/config.yaml \
    AOT_SERVER__HOST=0.0.0.0 \
    AOT_SERVER__PORT=3000 \
    AOT_DATABASE__PATH=/data/pglite
# What the server reads at run time: the build, its packages, next.config.ts, the migrations.
COPY --from=build /app/package.json /app/next.config.ts ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/.next ./.next
COPY --from=build /app/drizzle ./drizzle
# Sources of `npm run keys:rotate` (run with tsx, a runtime dependency).
COPY --from=build /app/tsconfig.json ./
COPY --from=build /app/lib ./lib
COPY --from=build /app/db ./db
COPY --from=build /app/scripts/rotate-keys.ts /app/scripts/server-only-hook.mjs ./scripts/
# The app directory stays root's and read-only to the server; it writes only to /data.
RUN mkdir -p /data /config && chown 1000:1000 /data
VOLUME ["/data"]
# Numeric, so Kubernetes' runAsNonRoot can verify it (uid 1000 is `node` in the official images).
USER 1000:1000
EXPOSE 3000
# No curl in slim images: node asks the liveness endpoint.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.AOT_SERVER__PORT || 3000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself; server.ts drains and exits 0. It starts no
# child processes, so no init is needed to reap them (`docker run --init` does no harm).
CMD ["node", ".next/aot/server.mjs"]
