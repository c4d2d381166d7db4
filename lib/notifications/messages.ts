import { z } from 'zod';

export const NOTIFICATION_EVENTS = ['token.expiring', 'token.revoked', 'token.leaked'] as const;

/**
 * The webhook body, and what an e-mail says. Never a secret: the token appears by id, name and its
 * display form (`aot_<id>_…`).
 */
export const notificationPayload = z.object({
  /** Stable for one event: a receiver can drop a duplicate (a delivery may be repeated after a crash). */
  id: z.string(),
  event: z.enum(NOTIFICATION_EVENTS),
  occurred_at: z.string(),
  token: z.object({ id: z.string(), name: z.string(), display: z.string(), expires_at: z.string() }),
  owner: z.object({ realm: z.string(), username: z.string() }),
  /** token.revoked / token.leaked: who revoked it (`realm/username`, `token-holder`, `scim`, `secret-scanning`). */
  revoked_by: z.string().optional(),
  /** token.leaked: where the token was found, as the scanner reported it. */
  leak: z.object({ reported_by: z.string(), url: z.string().nullable(), source: z.string().nullable() }).optional(),
  /** token.expiring: which warning this is (`expiry_warnings`), in seconds. */
  warning_seconds: z.number().int().optional(),
  /** The token's page in the portal, when `portal.url` is set. */
  portal_url: z.string().optional(),
});
export type NotificationPayload = z.infer<typeof notificationPayload>;

function inWords(seconds: number): string {
  if (seconds % 86400 === 0) return seconds === 86400 ? '1 day' : `${seconds / 86400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  return `${Math.max(1, Math.round(seconds / 60))} minutes`;
}

/** The e-mail for a notification: plain text, no secret. */
export function emailOf(payload: NotificationPayload): { subject: string; text: string } {
  const { token } = payload;
  const named = `"${token.name}" (${token.display})`;
  const subject =
    payload.event === 'token.expiring'
      ? `Your API token "${token.name}" expires in ${inWords(payload.warning_seconds ?? 0)}`
      : payload.event === 'token.leaked'
        ? `Your API token "${token.name}" was found in public and revoked`
        : `Your API token "${token.name}" was revoked`;
  const lines =
    payload.event === 'token.expiring'
      ? [`Your API token ${named} expires at ${token.expires_at}.`, 'Rotate it, or create a new one, before then if you still need it.']
      : payload.event === 'token.leaked'
        ? [
            `Your API token ${named} was found where others can read it, and has been revoked: it no longer works.`,
            ...(payload.leak?.url ? [`Where it was found: ${payload.leak.url}`] : []),
            'Create a new token, and keep it out of code, logs and public places.',
          ]
        : [`Your API token ${named} was revoked by ${payload.revoked_by ?? 'someone else'} and no longer works.`];
  const text = [`Hello ${payload.owner.username},`, '', ...lines, ...(payload.portal_url ? ['', `Your token: ${payload.portal_url}`] : []), '', `(${payload.id})`].join('\n');
  return { subject, text };
}
