import { DEMO_USERS } from '../config/demo';
import { constantTimeEqual } from '../crypto/secrets';

export interface DemoAccount {
  username: string;
  password: string;
  name: string;
  email: string;
  roles: string[];
}

// The same people as the demo Basic users, so a demo sign-in and a demo curl are one identity.
const DISPLAY_NAMES: Record<string, string> = { admin: 'Ada Admin', alice: 'Alice Example' };

export const DEMO_ACCOUNTS: readonly DemoAccount[] = DEMO_USERS.map((u) => ({
  username: u.username,
  password: u.password,
  name: DISPLAY_NAMES[u.username] ?? u.username,
  email: `${u.username}@example.org`,
  roles: [...u.roles],
}));

export function findDemoAccount(username: string): DemoAccount | undefined {
  return DEMO_ACCOUNTS.find((a) => a.username === username);
}

/** Checks a login; every attempt costs the same whether or not the user exists. */
export function checkDemoLogin(username: string, password: string): DemoAccount | undefined {
  const account = findDemoAccount(username);
  const matches = constantTimeEqual(account?.password ?? 'no such demo user', password);
  return account && matches ? account : undefined;
}
