import { z } from 'zod';

/** What the session cookie (an encrypted JWT) carries about the signed-in user; parsed, never trusted blindly. */
export const sessionClaimsSchema = z.object({
  userId: z.string().min(1),
  realm: z.string().min(1),
  username: z.string().min(1),
  name: z.string().nullable(),
  roles: z.array(z.string()),
  /** When the user signed in (ms): a back-channel logout ends the sessions begun before it. */
  signedInAt: z.number().optional(),
});
export type SessionClaims = z.infer<typeof sessionClaimsSchema>;

export interface PortalSession extends SessionClaims {
  isAdmin: boolean;
}

declare module 'next-auth' {
  interface Session {
    portal?: SessionClaims;
  }
}

/** Whether a session begun at `signedInAt` was ended since by a back-channel logout (older cookies have no `signedInAt`: ended too). */
export function sessionEnded(user: { sessionsNotBefore: Date | null }, signedInAt: number | undefined): boolean {
  return user.sessionsNotBefore !== null && (signedInAt ?? 0) < user.sessionsNotBefore.getTime();
}
