import { openDatabase, type Database } from '../db/client';
import { ensureActiveSigningKey, listPublishedSigningKeys } from '../db/signing-keys';
import { createAugmenter } from './augmenters';
import { guardDemoDatabase } from './config/demo-guard';
import { loadConfig, type LoadedConfig } from './config/load';
import type { Config } from './config/schema';
import { ClientAddressResolver } from './gateway/client-address';
import { Gateway } from './gateway/gateway';
import { GatewayHttp } from './gateway/http';
import { PolicyEngine } from './gateway/policies';
import { generateStoredKey, keySetFromConfig, keySetFromStored, type KeySet } from './jwt/keys';
import { JwtSigner, emittedAudience } from './jwt/signer';
import { createLogger, type Logger } from './log/logger';
import { createMetrics, type Metrics } from './metrics/registry';
import { createLanes } from './guard/lanes';
import { createProvider } from './providers';
import { PortalSessionProvider } from './providers/portal-session';
import { refreshTokenSealer, sessionSecret } from './portal/secret';
import { LastUsedRecorder } from './tokens/last-used';
import { UsageRecorder } from './tokens/usage';
import { TokenHolders } from './tokens/holders';
import { ScopeCatalog } from './tokens/scope-catalog';
import { TokenService } from './tokens/service';
import type { TokensProvider } from './providers/tokens';
import { AdminService } from './portal/admin';
import { DisabledUsers } from './users/disabled';
import { watchListener } from './listener/watch';
import { Revalidator } from './users/revalidation';
import { UserStatus } from './users/status';
import { ScimService } from './scim/service';
import { Notifier } from './notifications/notifier';
import { GithubSecretScanning } from './secret-scanning/github';
import { GithubKeys } from './secret-scanning/github-keys';

/** Everything one process needs, built once from the config and shared by the custom server and Next's routes. */
export interface Runtime {
  config: Config;
  demo: boolean;
  logger: Logger;
  database: Database;
  gateway: Gateway;
  http: GatewayHttp;
  addresses: ClientAddressResolver;
  tokens: TokenService;
  /** What whoever holds a token may do with it (revoke), and introspection for services. */
  holders: TokenHolders;
  catalog: ScopeCatalog;
  admin: AdminService;
  /** Disabling and enabling users, announced to every replica. */
  users: UserStatus;
  /** SCIM provisioning, when `scim.token_hash` is set. */
  scim: ScimService | undefined;
  /** GitHub's secret scanning alerts, when `secret_scanning.github` is set. */
  secretScanning: GithubSecretScanning | undefined;
  metrics: Metrics;
  close(): Promise<void>;
}

const KEY_REFRESH_MS = 60_000;
export const KEYS_CHANNEL = 'aot_keys';

export async function createRuntime(loaded: LoadedConfig, logger = createLogger(loaded.config.logging)): Promise<Runtime> {
  const { config } = loaded;
  for (const warning of loaded.warnings) logger.warn(warning);

  const database = await openDatabase(config.database);
  try {
    await guardDemoDatabase(database, loaded.demo, config.database.url ? 'database.url' : config.database.path);
  } catch (error) {
    await database.close();
    throw error;
  }
  const keys = await signingKeys(config, database);
  const metrics = createMetrics();
  const listener = await watchListener(database, logger, metrics);
  const lanes = createLanes();
  const lastUsed = new LastUsedRecorder(database.db, logger, new UsageRecorder(database.db, logger));
  const providers = config.providers.map((p) => createProvider(p, { config, database, lanes, lastUsed, metrics, logger }));
  // With a portal, people signed in to it also pass browser paths behind nginx (its session cookie).
  if (config.portal) providers.push(new PortalSessionProvider({ realm: config.portal.realm, database, secret: () => sessionSecret(database) }));
  const disabledUsers = new DisabledUsers(database, logger);
  await Promise.all([disabledUsers.start(), ...providers.map((p) => p.start?.())]);
  const augmenters = config.augmenters.map((a) => createAugmenter(a, { timeoutMs: config.auth.timeout_in_ms }));
  const catalog = new ScopeCatalog(config.services);
  const gateway = new Gateway({
    providers,
    augmenters,
    catalog: catalog.grouped(),
    capScopes: catalog.capped ? (scopes, roles) => catalog.cap(scopes, roles) : undefined,
    timeoutMs: config.auth.timeout_in_ms,
    isDisabled: (realm, username) => disabledUsers.isDisabled(realm, username),
    logger,
    metrics,
  });
  const signer = new JwtSigner(keys.current, { issuer: config.jwt.iss, audience: emittedAudience(config.jwt), lifetimeSeconds: config.jwt.exp });
  const addresses = new ClientAddressResolver(config.server.trusted_proxies);
  const users = new UserStatus(database);
  const portalRealm = config.portal?.realm ?? 'portal';
  const scim = config.scim ? new ScimService({ database, users, realm: portalRealm, tokenHash: config.scim.token_hash }) : undefined;
  const revalidateEvery = config.portal?.revalidate_every;
  const revalidator = revalidateEvery
    ? new Revalidator({
        database,
        users,
        logger,
        realm: portalRealm,
        everySeconds: revalidateEvery,
        timeoutMs: config.auth.timeout_in_ms,
        oidc: () => config.portal?.oidc,
        sealer: () => refreshTokenSealer(database, config.portal?.encryption_key),
      })
    : undefined;
  revalidator?.start();
  const http = new GatewayHttp({
    gateway,
    signer,
    policies: new PolicyEngine(config.policies, config.default_policy),
    addresses,
    proxySecret: config.server.proxy_secret,
    includeLegacyHeaders: config.include_legacy_headers,
    metricsOnAppPort: config.metrics?.app_port ?? true,
    failureDelayMs: config.auth.failure_delay_ms,
    checkReady: async () => {
      const reachable = await database.ping().then(
        () => true,
        () => false,
      );
      const { receiving, reason } = listener.readiness();
      return { database: reachable, revocationListener: receiving, reason };
    },
    metrics,
    logger,
  });

  // Off the request path: a timer on every replica, each notification sent once through the outbox.
  const notifier = config.notifications ? new Notifier({ db: database.db, config: config.notifications, prefix: config.tokens.prefix, portalUrl: config.portal?.url, logger }) : undefined;
  notifier?.start();

  const holders = new TokenHolders({ database, gateway, provider: providers.find((p): p is TokensProvider => p.type === 'tokens'), introspectRoles: config.tokens.introspect_roles });
  return {
    config,
    demo: loaded.demo,
    logger,
    database,
    gateway,
    http,
    addresses,
    tokens: new TokenService({ database, config, catalog, rolesOf: (owner) => gateway.rolesOf(owner) }),
    holders,
    catalog,
    admin: new AdminService(database, users),
    users,
    scim,
    secretScanning: secretScanningOf(config, holders, logger),
    metrics,
    async close() {
      keys.stop();
      listener.close();
      disabledUsers.close();
      await revalidator?.close();
      await notifier?.close();
      await lastUsed.close();
      await Promise.allSettled([...providers, ...augmenters].map((p) => p.close?.()));
      await database.close();
    },
  };
}

/** Keys from the config, else generated once and kept in the database so every replica signs alike. */
async function signingKeys(config: Config, database: Database): Promise<{ current: () => KeySet; stop: () => void }> {
  const configured = await keySetFromConfig(config.jwt);
  if (configured) return { current: () => configured, stop: () => undefined };

  const algorithm = config.jwt.algorithm;
  // A retired key stays published while tokens it signed may still be in use.
  const graceSeconds = config.jwt.exp + 60;
  const load = async () => {
    const active = await ensureActiveSigningKey(database.db, algorithm, () => generateStoredKey(algorithm));
    return keySetFromStored(active, await listPublishedSigningKeys(database.db, graceSeconds));
  };
  let keySet = await load();
  const reload = () => {
    load().then(
      (next) => (keySet = next),
      () => undefined,
    );
  };
  // `npm run keys:rotate` notifies every replica; the timer catches anything a replica missed.
  await database.listen(KEYS_CHANNEL, reload);
  const timer = setInterval(reload, KEY_REFRESH_MS);
  timer.unref();
  return { current: () => keySet, stop: () => clearInterval(timer) };
}

function secretScanningOf(config: Config, holders: TokenHolders, logger: Logger): GithubSecretScanning | undefined {
  const github = config.secret_scanning?.github;
  if (!github) return undefined;
  const keys = new GithubKeys({ url: github.keys_url, timeoutMs: config.auth.timeout_in_ms, ttlMs: github.cache_ttl * 1000, refetchMs: github.refetch_interval * 1000, logger });
  return new GithubSecretScanning({ holders, keys, logger });
}

const GLOBAL_KEY = Symbol.for('auth-o-tron.runtime');
type GlobalWithRuntime = typeof globalThis & { [GLOBAL_KEY]?: Promise<Runtime> };

/** Shares one runtime per process: the custom server installs it, `next dev` creates it on first use. */
export function installRuntime(runtime: Promise<Runtime>): void {
  (globalThis as GlobalWithRuntime)[GLOBAL_KEY] = runtime;
}

export function getRuntime(): Promise<Runtime> {
  const holder = globalThis as GlobalWithRuntime;
  holder[GLOBAL_KEY] ??= createRuntime(loadConfig());
  return holder[GLOBAL_KEY];
}
