import 'server-only';
import type { Runtime } from '../runtime';
import type { Actor } from '../tokens/service';

/** The signed-in portal user as an actor; null without a session. Wired to next-auth in lib/portal/auth.ts. */
export async function sessionActor(_runtime: Runtime): Promise<Omit<Actor, 'clientAddress' | 'userAgent'> | null> {
  return null;
}
