import { z } from 'zod';
import { durationSeconds } from './duration';
import { cidrSchema } from '../net/cidr';

// Keys follow auth-o-tron's config (versions 1.0.0 and 2.0.0) so its files load unchanged. Objects are
// strict so that a typo is found: the loader turns each unknown key into a warning with a suggestion
// (auth-o-tron ignored them silently) and drops it, or refuses it where dropping it could loosen access
// (`refusalOf` in unknown-keys.ts) or with `server.strict_config`.

const name = z.string().min(1);
const realm = z.string().min(1);
const roles = z.array(z.string()).default([]);

const plainUser = z
  .strictObject({
    username: z.string().min(1),
    password: z.string().min(1).optional(),
    password_hash: z.string().startsWith('$argon2', 'must be an argon2 PHC string ($argon2id$...)').optional(),
    roles,
    attributes: z.record(z.string(), z.string()).default({}),
  })
  .refine((u) => (u.password === undefined) !== (u.password_hash === undefined), {
    message: 'set exactly one of password_hash or password',
  });

const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export const asymmetricAlgorithm = z.enum(ASYMMETRIC_ALGORITHMS);
export { ASYMMETRIC_ALGORITHMS };

const jwtChecks = {
  cert_uri: z.url(),
  issuer: z.string().optional(),
  audience: z.union([z.string(), z.array(z.string())]).optional(),
  algorithms: z.array(asymmetricAlgorithm).min(1).optional(),
  roles_claim: z.string().optional(),
  // Which claim is the username (else preferred_username, else sub); IdPs with random `sub`s need it.
  username_claim: z.string().min(1).optional(),
};

export const providerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('plain'), name, realm, users: z.array(plainUser) }),
  z.strictObject({ type: z.literal('jwt'), name, realm, iam_realm: z.string().optional(), ...jwtChecks }),
  z
    .strictObject({
      type: z.literal('openid-offline'),
      name,
      realm,
      ...jwtChecks,
      // Optional here: Keycloak's certs URL under `iam_url`, or the discovered `jwks_uri`.
      cert_uri: z.url().optional(),
      public_client_id: z.string().min(1),
      private_client_id: z.string().min(1),
      private_client_secret: z.string().min(1),
      // Keycloak layout: {iam_url}/realms/{iam_realm or realm}/protocol/openid-connect/...
      iam_url: z.url().optional(),
      iam_realm: z.string().optional(),
    })
    .refine((p) => p.iam_url !== undefined || (p.issuer !== undefined && URL.canParse(p.issuer)), {
      message: 'set iam_url (Keycloak) or issuer (an OIDC issuer URL, for discovery)',
      path: ['iam_url'],
    }),
  z.strictObject({ type: z.literal('ecmwf-api'), name, realm, uri: z.url() }),
  z.strictObject({ type: z.literal('efas-api'), name, realm, uri: z.url() }),
  z.strictObject({
    type: z.literal('ecmwf-token-generator'),
    name,
    realm,
    ...jwtChecks,
    client_id: z.string().min(1),
    client_secret: z.string().min(1),
    token_generator_url: z.url(),
  }),
  z.strictObject({
    type: z.literal('x509'),
    name,
    realm,
    ca: z.string().min(1),
    username_from: z.enum(['cn', 'email', 'fingerprint']).default('cn'),
    users: z.record(z.string(), z.string()).optional(),
    roles,
  }),
  z.strictObject({ type: z.literal('tokens'), name, realm: realm.optional() }),
]);
export type ProviderConfig = z.infer<typeof providerSchema>;

export const augmenterSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('plain'), name, realm, roles: z.record(z.string(), z.array(z.string())) }),
  z.strictObject({
    type: z.literal('plain_advanced'),
    name,
    realm,
    match: z.strictObject({ username: z.array(z.string()).optional(), role: z.array(z.string()).optional() }),
    augment: z.strictObject({
      roles: z.array(z.string()).default([]),
      attributes: z.record(z.string(), z.string()).default({}),
    }),
  }),
  z.strictObject({
    type: z.literal('ldap'),
    name,
    realm,
    uri: z.string().regex(/^ldaps?:\/\//, 'must start with ldap:// or ldaps://'),
    search_base: z.string().min(1),
    bind_dn: z.string().min(1),
    ldap_password: z.string(),
    filter: z.string().optional(),
    // DN fragments such as `OU=TeamA,OU=TeamB` (auth-o-tron only found a malformed one at lookup time).
    filters: z.array(z.string().regex(/[^=,\s]\s*=\s*[^=,\s]/, 'must be DN components, e.g. OU=TeamA')).optional(),
  }),
]);
export type AugmenterConfig = z.infer<typeof augmenterSchema>;

const stringList = z.array(z.string().min(1));

export const policySchema = z.strictObject({
  match: z
    .strictObject({
      host: z.string().min(1).optional(),
      methods: z
        .array(
          z
            .string()
            .min(1)
            .transform((m) => m.toUpperCase()),
        )
        .optional(),
      path: z.string().startsWith('/').optional(),
    })
    .default({}),
  require: z
    .strictObject({
      roles_any: stringList.optional(),
      roles_all: stringList.optional(),
      scopes: z.array(z.string().regex(/^[^:\s]+:[^:\s]+$/, 'scopes are written service:scope')).optional(),
      attributes: z.record(z.string(), z.string()).optional(),
      deny: z.boolean().optional(),
    })
    .default({}),
});
export type PolicyConfig = z.infer<typeof policySchema>;

const jwtKeySchema = z
  .strictObject({
    kid: z.string().min(1).optional(),
    private_key: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }).optional(),
    private_key_file: z.string().min(1).optional(),
  })
  .refine((k) => (k.private_key === undefined) !== (k.private_key_file === undefined), {
    message: 'set exactly one of private_key or private_key_file',
  });

const scopeName = z.string().regex(/^[^:\s]+$/, 'no colon or space');
/**
 * A catalog scope: a name (any user may pick it, as before), or `{name, description, roles_any}`:
 * only users with one of `roles_any` may pick it, and a token keeps it only while its owner does.
 * Read as the object form either way.
 */
const scopeSchema = z
  .union([scopeName, z.strictObject({ name: scopeName, description: z.string().max(300).optional(), roles_any: z.array(z.string().min(1)).min(1).optional() })])
  .transform((scope) => (typeof scope === 'string' ? { name: scope } : scope));
export type CatalogScope = z.output<typeof scopeSchema>;

/**
 * argon2id parameters for token secrets unless configured: argon2's least (m = 8 KiB, t = 1, p = 1).
 * A token secret is 214 random bits, so stretching adds nothing against a leaked hash; argon2id stays
 * as the one-way function (and keeps one PHC format beside the passwords' OWASP parameters), and a
 * cold token costs what its lookup and JWT cost, not a memory-hard hash (bench: cold tokens/s).
 */
export const TOKEN_HASH_DEFAULTS = { memory_kib: 8, iterations: 1, parallelism: 1 };
const tokenHashSchema = z
  .strictObject({
    memory_kib: z.coerce
      .number()
      .int()
      .min(8)
      .max(4 * 1024 * 1024)
      .default(TOKEN_HASH_DEFAULTS.memory_kib),
    iterations: z.coerce.number().int().min(1).max(64).default(TOKEN_HASH_DEFAULTS.iterations),
    parallelism: z.coerce.number().int().min(1).max(64).default(TOKEN_HASH_DEFAULTS.parallelism),
  })
  // argon2 needs at least 8 KiB per lane.
  .refine((hash) => hash.memory_kib >= 8 * hash.parallelism, { message: 'memory_kib must be at least 8 × parallelism', path: ['memory_kib'] });

export const configSchema = z
  .strictObject({
    version: z.enum(['1.0.0', '2.0.0']).default('2.0.0'),
    server: z
      .strictObject({
        host: z.string().min(1).optional(),
        port: z.coerce.number().int().min(0).max(65535).optional(),
        trusted_proxies: z.array(cidrSchema).default(['127.0.0.1/32', '::1/128']),
        // Sent by the proxy's auth location only (X-Aot-Proxy-Secret): proves a request came from there.
        proxy_secret: z.string().min(16, 'at least 16 characters').optional(),
        // SIGTERM: how long requests already received may take to be answered before connections are cut.
        shutdown_timeout: durationSeconds.default(10),
        // Processes sharing the port, each with its own caches: one per core answers the most checks.
        workers: z.coerce.number().int().min(1).max(64).default(1),
        // Unknown keys (in the file or as AOT_ variables) stop the process instead of being warned about.
        strict_config: z.boolean().default(false),
      })
      .default({ trusted_proxies: ['127.0.0.1/32', '::1/128'], shutdown_timeout: 10, workers: 1, strict_config: false }),
    providers: z.array(providerSchema).default([]),
    augmenters: z.array(augmenterSchema).default([]),
    jwt: z
      .strictObject({
        // Empty is accepted (auth-o-tron's Helm chart renders `iss: ""`), with a warning.
        iss: z.string().default('auth-o-tron'),
        aud: z.string().optional(),
        exp: durationSeconds.default(300),
        // Empty counts as unset: an HS256 key of no bytes would let anyone sign (the chart renders `secret: ""`).
        secret: z.string().optional(),
        // With `secret` (auth-o-tron's HS256 tokens had no aud) `aud` is emitted only when this is true;
        // with asymmetric keys it is emitted unless this is false.
        emit_aud: z.boolean().optional(),
        algorithm: z.enum(['ES256', 'EdDSA', 'RS256']).default('ES256'),
        private_key: z.string().optional(),
        private_key_file: z.string().optional(),
        keys: z.array(jwtKeySchema).optional(),
      })
      .default({ iss: 'auth-o-tron', exp: 300, algorithm: 'ES256' }),
    services: z.array(z.strictObject({ name: z.string().regex(/^[^:\s]+$/, 'no colon or space'), scopes: z.array(scopeSchema) })).default([]),
    include_legacy_headers: z.boolean().default(false),
    logging: z
      .strictObject({
        level: z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])).default('info'),
        format: z.enum(['json', 'console']).default('json'),
        service_name: z.string().optional(),
        service_version: z.string().optional(),
      })
      .default({ level: 'info', format: 'json' }),
    auth: z
      .strictObject({
        timeout_in_ms: z.coerce.number().int().positive().default(5000),
        // Wrong credentials are answered after this delay: a guessing client waits instead of burning CPU.
        failure_delay_ms: z.coerce.number().int().min(0).max(5000).default(100),
      })
      .default({ timeout_in_ms: 5000, failure_delay_ms: 100 }),
    // auth-o-tron's token store: `enabled` turns on its /token, /tokens and DELETE /token/{token}
    // routes, backed by this product's tokens; the MongoDB settings are accepted and not used.
    store: z.strictObject({ enabled: z.boolean().default(false), type: z.string().optional(), uri: z.string().optional(), database: z.string().optional() }).optional(),
    // auth-o-tron's separate metrics listener (/metrics and /health). Absent: no listener, /api/metrics only.
    // `app_port: false`: the app port answers 404 at /metrics and /api/metrics (auth-o-tron served them only on the metrics port).
    metrics: z.strictObject({ enabled: z.boolean().default(true), port: z.coerce.number().int().min(0).max(65535).default(9090), app_port: z.boolean().default(true) }).optional(),
    policies: z.array(policySchema).default([]),
    default_policy: z.enum(['allow', 'deny']).default('allow'),
    portal: z
      .strictObject({
        // The origin people sign in at (e.g. https://auth.example.org): other names redirect to it.
        url: z.url().optional(),
        realm: realm.default('portal'),
        admin_roles: z.array(z.string()).default(['admin']),
        oidc: z
          .strictObject({
            issuer: z.url(),
            client_id: z.string().min(1),
            client_secret: z.string().min(1),
            roles_claim: z.string().optional(),
            username_claim: z.string().min(1).optional(),
          })
          .optional(),
        // How often each signed-in user's refresh token is exchanged at the IdP; `invalid_grant` disables them.
        revalidate_every: durationSeconds.optional(),
        // Encrypts the refresh tokens kept for revalidation (else a key generated once and kept in the database).
        encryption_key: z.string().min(32, 'at least 32 characters').optional(),
      })
      .optional(),
    scim: z
      .strictObject({
        // argon2id hash of the bearer secret the provisioning client (Entra ID, Okta, Keycloak) sends.
        token_hash: z.string().startsWith('$argon2id$', 'must be an argon2id PHC string ($argon2id$...)'),
      })
      .optional(),
    tokens: z
      .strictObject({
        // Callers of POST /api/introspect need one of these roles.
        introspect_roles: z.array(z.string().min(1)).default(['introspector']),
        prefix: z
          .string()
          .regex(/^[a-z][a-z0-9]{1,15}$/, 'lowercase letters and digits, 2-16 characters')
          .default('aot'),
        max_lifetime: durationSeconds.default(365 * 86400),
        default_lifetime: durationSeconds.default(30 * 86400),
        cache_ttl: durationSeconds.default(30),
        // Each token is an argon2 hash and a row: bound what one user can make.
        max_per_user: z.coerce.number().int().positive().default(100),
        creations_per_minute: z.coerce.number().int().positive().default(10),
        // A token's secret is ≥ 192 random bits: no stretching makes it harder to guess, so its argon2id
        // parameters are small (passwords of `plain` users keep OWASP's). Older hashes are upgraded on use.
        hash: tokenHashSchema.default(TOKEN_HASH_DEFAULTS),
      })
      .default({
        introspect_roles: ['introspector'],
        prefix: 'aot',
        max_lifetime: 365 * 86400,
        default_lifetime: 30 * 86400,
        cache_ttl: 30,
        max_per_user: 100,
        creations_per_minute: 10,
        hash: TOKEN_HASH_DEFAULTS,
      }),
    // GitHub's secret scanning partner program posts leaked tokens to /api/secret-scanning/github. Absent: that route is off (404).
    secret_scanning: z
      .strictObject({
        github: z
          .strictObject({
            // Where GitHub publishes the keys its alerts are signed with.
            keys_url: z.url().default('https://api.github.com/meta/public_keys/secret_scanning'),
            // Keys are kept this long; an unknown key identifier refetches them, at most once per `refetch_interval`.
            cache_ttl: durationSeconds.default(86400),
            refetch_interval: durationSeconds.default(60),
          })
          .optional(),
      })
      .optional(),
    // Tell token owners (e-mail) and/or a webhook about expiring, revoked and leaked tokens. Absent (or neither channel): nothing is sent.
    notifications: z
      .strictObject({
        smtp: z
          .strictObject({
            // smtp://[user:password@]host[:port] (STARTTLS when offered) or smtps://… (TLS from the start).
            url: z.string().regex(/^smtps?:\/\/[^/\s]+/, 'must be smtp://host[:port] or smtps://host[:port]'),
            from: z.string().min(3),
          })
          .optional(),
        webhook: z
          .strictObject({
            url: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }),
            // Key of the X-Aot-Signature HMAC-SHA256 over the raw body.
            secret: z.string().min(16, 'at least 16 characters'),
          })
          .optional(),
        // How long before expiry owners hear about a token; each once per token.
        expiry_warnings: z.array(durationSeconds).default([7 * 86400, 86400]),
        // The background job: how often it looks for work, the first retry delay (doubled each time), and the attempts per notification.
        poll_interval: durationSeconds.default(30),
        retry_delay: durationSeconds.default(30),
        max_attempts: z.coerce.number().int().min(1).max(50).default(8),
      })
      .optional(),
    database: z
      .strictObject({
        url: z.string().min(1).optional(),
        // A direct or session-mode connection for LISTEN, when `url` goes through a transaction-mode pooler.
        listen_url: z.string().min(1).optional(),
        path: z.string().min(1).default('./data/pglite'),
      })
      .default({ path: './data/pglite' }),
  })
  .superRefine((config, ctx) => {
    // Duplicate provider names are accepted (auth-o-tron's own test config has them); the loader renames them.
    config.providers.forEach((p) => {
      // A forwarded certificate is believed only with the secret that proves it came from the auth location.
      if (p.type === 'x509' && config.server.proxy_secret === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['server', 'proxy_secret'],
          message: `required by the x509 provider "${p.name}": the proxy's auth location sends it as X-Aot-Proxy-Secret (see deploy/nginx)`,
        });
      }
    });
    const catalog = new Set(config.services.flatMap((s) => s.scopes.map((scope) => `${s.name}:${scope.name}`)));
    config.policies.forEach((policy, i) =>
      policy.require.scopes?.forEach((scope, j) => {
        if (!catalog.has(scope)) ctx.addIssue({ code: 'custom', path: ['policies', i, 'require', 'scopes', j], message: `scope "${scope}" is not in the services catalog` });
      }),
    );
    if (config.server.workers > 1 && config.database.url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['server', 'workers'], message: 'more than 1 needs database.url (Postgres): an embedded database belongs to one process' });
    }
    if (config.database.listen_url !== undefined && config.database.url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['database', 'listen_url'], message: 'needs database.url (the embedded database has no separate listener)' });
    }
    const { metrics, server } = config;
    // As auth-o-tron: one port cannot serve both (3000 is server.ts's default port).
    if (metrics?.enabled && metrics.port !== 0 && metrics.port === (server.port ?? 3000)) {
      ctx.addIssue({ code: 'custom', path: ['metrics', 'port'], message: `must differ from server.port (both are ${metrics.port})` });
    }
    if (config.tokens.default_lifetime > config.tokens.max_lifetime) {
      ctx.addIssue({ code: 'custom', path: ['tokens', 'default_lifetime'], message: 'must not exceed tokens.max_lifetime' });
    }
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
