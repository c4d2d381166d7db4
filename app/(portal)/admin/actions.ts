'use server';

import { z } from 'zod';
import type { IssuedSecret } from '@/lib/portal/action-state';
import { formAction } from '@/lib/portal/form-action';
import { tokenBodyFromForm } from '../_lib/token-form';
import { tokenIdForm } from '../_lib/row-forms';

// Public endpoints like every server action: the admin page being forbidden to someone does not
// stop them posting here, so each action checks the admin role again (`admin: true`; the services
// throw `forbidden` for anyone else too).

const ownerForm = z.object({ user_id: z.uuid({ error: 'choose a user' }) });
const userToggleForm = z.object({ user_id: z.uuid({ error: 'no user given' }), disabled: z.enum(['true', 'false']) });

export const adminCreateTokenAction = formAction<IssuedSecret, typeof ownerForm>({ schema: ownerForm, admin: true, keepValues: true }, async ({ actor, runtime, input, formData }) => {
  const created = await runtime.tokens.create(actor, tokenBodyFromForm(formData, runtime.config.tokens), input.user_id);
  const owner = `${created.token.owner.realm}/${created.token.owner.username}`;
  return { message: `Token "${created.token.name}" created for ${owner}.`, data: { tokenId: created.token.id, name: created.token.name, secret: created.secret } };
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
