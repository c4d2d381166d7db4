import 'server-only';
import { AppError } from '../errors';
import { getRuntime, type Runtime } from '../runtime';
import type { Actor } from '../tokens/service';
import { requestOrigin } from './request-origin';
import { getPortalSession } from './session';

/** The signed-in portal user as an actor; null without a session. */
export async function sessionActor(): Promise<Omit<Actor, 'clientAddress' | 'userAgent'> | null> {
  const session = await getPortalSession();
  if (!session) return null;
  return { userId: session.userId, realm: session.realm, username: session.username, isAdmin: session.isAdmin };
}

/**
 * For server actions (public endpoints like any other): the signed-in actor with the client's
 * address, or an `unauthorized` error. Next checks the Origin of every action request (CSRF).
 */
export async function requireSessionActor(): Promise<{ actor: Actor; runtime: Runtime }> {
  const runtime = await getRuntime();
  const actor = await sessionActor();
  if (!actor) throw new AppError('unauthorized', 'your session has ended: sign in again');
  return { runtime, actor: { ...actor, ...(await requestOrigin(runtime)) } };
}
