/** Basic credentials as a client sends them. */
export const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

const ROLES = { alice: ['user'], bob: ['user'], root: ['admin'] } as const;
export type LocalUser = keyof typeof ROLES;

/** The `plain` provider (name `users`, realm `local`) that API tests act through: alice and bob are users, root an admin; each password is `<name>-pw`. */
export function localUsers(...names: LocalUser[]) {
  const chosen = names.length > 0 ? names : (Object.keys(ROLES) as LocalUser[]);
  return { type: 'plain', name: 'users', realm: 'local', users: chosen.map((username) => ({ username, password: `${username}-pw`, roles: [...ROLES[username]] })) };
}

export const ALICE = basic('alice', 'alice-pw');
export const BOB = basic('bob', 'bob-pw');
export const ROOT = basic('root', 'root-pw');
