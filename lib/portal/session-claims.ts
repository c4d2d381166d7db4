import { z } from 'zod';

/** What the session cookie (an encrypted JWT) carries about the signed-in user; parsed, never trusted blindly. */
export const sessionClaimsSchema = z.object({
  userId: z.string().min(1),
  realm: z.string().min(1),
  username: z.string().min(1),
  name: z.string().nullable(),
  roles: z.array(z.string()),
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
