import 'server-only';
import { forbidden, redirect } from 'next/navigation';
import { connection } from 'next/server';
import { cache } from 'react';
import { getUserById } from '@/db/users';
import { getRuntime } from '../runtime';
import { auth } from './auth';
import { isAdmin, signInConfig } from './auth-config';
import { sessionEnded, type PortalSession } from './session-claims';

export type { PortalSession } from './session-claims';

/** Whether people can sign in at all (false for a gateway-only config). */
export async function isSignInConfigured(): Promise<boolean> {
  await connection(); // request-time only: never prerendered at build (no runtime, no database then)
  return signInConfig((await getRuntime()).config) !== undefined;
}

/**
 * The signed-in user, or null. The cookie alone is not enough: a user disabled or removed since
 * signing in loses the session at once. Cached per request (layout and page both ask).
 */
export const getPortalSession = cache(async (): Promise<PortalSession | null> => {
  await connection();
  const runtime = await getRuntime();
  const portal = signInConfig(runtime.config);
  if (!portal) return null;
  const claims = (await auth())?.portal;
  if (!claims) return null;
  const user = await getUserById(runtime.database.db, claims.userId);
  if (!user || user.disabledAt || user.realm !== claims.realm || sessionEnded(user, claims.signedInAt)) return null;
  return { ...claims, isAdmin: isAdmin(claims.roles, portal) };
});

/** For pages: the session, or a redirect to sign in (coming back to `returnTo` afterwards). */
export async function requirePortalSession(returnTo: string): Promise<PortalSession> {
  const session = await getPortalSession();
  if (!session) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  return session;
}

/** For admin pages: a 403 page for signed-in users without an admin role. */
export async function requireAdminSession(returnTo: string): Promise<PortalSession> {
  const session = await requirePortalSession(returnTo);
  if (!session.isAdmin) forbidden();
  return session;
}
