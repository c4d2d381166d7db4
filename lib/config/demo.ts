/** The config used when no config file exists: a working gateway and portal to try on a laptop. */
export const DEMO_USERS = [
  { username: 'admin', password: 'admin-demo-password', roles: ['admin', 'user'] },
  { username: 'alice', password: 'alice-demo-password', roles: ['user'] },
] as const;

/** The realm of the demo's users (and of its portal). */
export const DEMO_REALM = 'local';

export function demoConfig(): Record<string, unknown> {
  return {
    version: '2.0.0',
    // Demo users have published passwords: only reachable from this machine unless AOT_SERVER__HOST says otherwise
    // (HOSTNAME does not: it only fills a host nobody set).
    server: { host: '127.0.0.1', port: 3000 },
    providers: [
      { type: 'plain', name: 'demo-users', realm: DEMO_REALM, users: DEMO_USERS.map((u) => ({ ...u, roles: [...u.roles] })) },
      { type: 'tokens', name: 'portal-tokens' },
    ],
    services: [
      { name: 'polytope', scopes: ['read', 'write'] },
      { name: 'mars', scopes: ['retrieve'] },
    ],
    policies: [{ match: { path: '/admin/**' }, require: { roles_any: ['admin'] } }],
    default_policy: 'allow',
    jwt: { iss: 'auth-o-tron-demo', aud: 'demo-backends', exp: 300 },
    portal: { realm: DEMO_REALM, admin_roles: ['admin'] },
    // Its own directory: a real installation (./data/pglite) never starts on the demo's users and keys.
    database: { path: './data/demo' },
    logging: { level: 'info', format: 'console' },
  };
}
