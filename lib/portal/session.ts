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

/** Why a session cookie no longer counts (shown on the sign-in page); `none`: there was no session. */
export type SessionEnd = 'none' | 'disabled' | 'ended';

/**
 * The signed-in user, or why there is none. The cookie alone is not enough: a user disabled or
 * removed since signing in loses the session at once. Cached per request (layout and page both ask).
 */
const portalSessionState = cache(async (): Promise<{ session: PortalSession } | { session: null; end: SessionEnd }> => {
  await connection();
  const runtime = await getRuntime();
  const portal = signInConfig(runtime.config);
  if (!portal) return { session: null, end: 'none' };
  const claims = (await auth())?.portal;
  if (!claims) return { session: null, end: 'none' };
  const user = await getUserById(runtime.database.db, claims.userId);
  if (user?.disabledAt && user.realm === claims.realm) return { session: null, end: 'disabled' };
  if (!user || user.realm !== claims.realm || sessionEnded(user, claims.signedInAt)) return { session: null, end: 'ended' };
  return { session: { ...claims, isAdmin: isAdmin(claims.roles, portal) } };
});

/** The signed-in user, or null. */
export async function getPortalSession(): Promise<PortalSession | null> {
  return (await portalSessionState()).session;
}

/** For pages: the session, or a redirect to sign in (coming back to `returnTo` afterwards), saying why a live session stopped counting. */
export async function requirePortalSession(returnTo: string): Promise<PortalSession> {
  const state = await portalSessionState();
  if (state.session) return state.session;
  const reason = state.end === 'none' ? '' : `&reason=${state.end}`;
  redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}${reason}`);
}

/** For admin pages: a 403 page for signed-in users without an admin role. */
export async function requireAdminSession(returnTo: string): Promise<PortalSession> {
  const session = await requirePortalSession(returnTo);
  if (!session.isAdmin) forbidden();
  return session;
}
