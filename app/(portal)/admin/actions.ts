'use server';

import { redirect } from 'next/navigation';
import { z } from 'zod';
import type { IssuedSecret } from '@/lib/portal/action-state';
import { formAction } from '@/lib/portal/form-action';
import { requireSessionActor } from '@/lib/portal/session-actor';
import { parseToken } from '@/lib/tokens/format';
import { tokenStatus } from '@/lib/tokens/schemas';
import { queryHref } from '../_lib/search-params';
import { duplicateNameWarning, tokenBodyFromForm } from '../_lib/token-form';
import { tokenIdForm } from '../_lib/row-forms';

// Public endpoints like every server action: the admin page being forbidden to someone does not
// stop them posting here, so each action checks the admin role again (`admin: true`; the services
// throw `forbidden` for anyone else too).

const ownerForm = z.object({ user_id: z.uuid({ error: 'choose a user' }) });
const userToggleForm = z.object({ user_id: z.uuid({ error: 'no user given' }), disabled: z.enum(['true', 'false']) });

export const adminCreateTokenAction = formAction<IssuedSecret, typeof ownerForm>({ schema: ownerForm, admin: true, keepValues: true }, async ({ actor, runtime, input, formData }) => {
  const body = tokenBodyFromForm(formData, runtime.config.tokens);
  const warning = await duplicateNameWarning(runtime, input.user_id, body.name, 'This user');
  const created = await runtime.tokens.create(actor, body, input.user_id);
  const owner = `${created.token.owner.realm}/${created.token.owner.username}`;
  return { message: `Token "${created.token.name}" created for ${owner}.`, data: { tokenId: created.token.id, name: created.token.name, secret: created.secret, warning } };
});

// admin: the token service would otherwise let an owner revoke their own token here.
export const adminRevokeTokenAction = formAction<null, typeof tokenIdForm>({ schema: tokenIdForm, admin: true }, async ({ actor, runtime, input }) => {
  const revoked = await runtime.tokens.revoke(actor, input.id);
  return { message: `Token "${revoked.name}" of ${revoked.owner.realm}/${revoked.owner.username} revoked.`, data: null };
});

export const setUserDisabledAction = formAction<null, typeof userToggleForm>({ schema: userToggleForm, admin: true }, async ({ actor, runtime, input }) => {
  const user = await runtime.admin.setDisabled(actor, input.user_id, { disabled: input.disabled === 'true' });
  return { message: `${user.realm}/${user.username} ${user.disabled ? 'disabled' : 'enabled'}.`, data: null };
});

const userForm = z.object({ user_id: z.uuid({ error: 'no user given' }) });

export const revokeAllTokensAction = formAction<null, typeof userForm>({ schema: userForm, admin: true }, async ({ actor, runtime, input }) => {
  const { user, revoked } = await runtime.tokens.revokeAllOf(actor, input.user_id);
  return { message: revoked === 0 ? `${user} had no active token; nothing revoked.` : `${revoked === 1 ? '1 token' : `${revoked} tokens`} of ${user} revoked.`, data: null };
});

/**
 * The admin token search posts here, so a whole token value pasted into it never reaches an address
 * (history, access logs): it becomes the token's id, its secret is dropped unchecked.
 */
export async function searchTokensAction(formData: FormData): Promise<void> {
  const { runtime } = await requireSessionActor();
  const text = String(formData.get('search') ?? '').trim();
  const search = parseToken(runtime.config.tokens.prefix, text)?.id ?? text;
  const status = tokenStatus.safeParse(formData.get('status')).data;
  redirect(queryHref('/admin/tokens', { search, status }));
}
