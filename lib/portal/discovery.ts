import { z } from 'zod';
import { AppError } from '../errors';
import { requestJson } from '../http/client';

/** The parts of an IdP's discovery document that back-channel logout, revalidation and sign-out use. */
const discoverySchema = z.object({
  issuer: z.string().min(1),
  jwks_uri: z.url(),
  token_endpoint: z.url().optional(),
  end_session_endpoint: z.url().optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
});
export type Discovery = z.infer<typeof discoverySchema>;

const REMEMBER_MS = 60 * 60_000;
const known = new Map<string, { at: number; discovery: Promise<Discovery> }>();

/**
 * The issuer's OpenID discovery document, remembered for an hour; a failure is not remembered.
 * Throws `unavailable` when it cannot be read (the IdP is down or answers nonsense).
 */
export function discover(issuer: string, timeoutMs: number): Promise<Discovery> {
  const entry = known.get(issuer);
  if (entry && Date.now() - entry.at < REMEMBER_MS) return entry.discovery;
  const discovery = requestJson({ url: `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, schema: discoverySchema, timeoutMs }).then((result) => {
    if (!result.ok) throw new AppError('unavailable', `identity provider discovery failed: ${result.detail}`);
    // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
    if (result.data.issuer !== issuer) throw new AppError('unavailable', 'identity provider discovery names another issuer');
    return result.data;
  });
  discovery.catch(() => known.delete(issuer));
  known.set(issuer, { at: Date.now(), discovery });
  return discovery;
}
