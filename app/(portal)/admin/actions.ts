'use server';

import { refresh } from 'next/cache';
import { z } from 'zod';
import { requireAdmin } from '@/lib/portal/admin';
import { requireSessionActor } from '@/lib/portal/session-actor';
import type { ActionState, IssuedSecret } from '../_lib/action-state';
import { errorState, formValues, successState } from '../_lib/action-errors';
import { tokenBodyFromForm } from '../_lib/token-form';
import { fieldsOf, tokenIdForm } from '../_lib/row-forms';

// Public endpoints like every server action: the admin page being forbidden to someone does not
// stop them posting here, so each action checks the admin role again (the services throw
// `forbidden` for anyone else).

const ownerForm = z.object({ user_id: z.uuid({ error: 'choose a user' }) });
const userToggleForm = z.object({ user_id: z.uuid({ error: 'no user given' }), disabled: z.enum(['true', 'false']) });

export async function adminCreateTokenAction(_previous: ActionState<IssuedSecret>, formData: FormData): Promise<ActionState<IssuedSecret>> {
  try {
    const { actor, runtime } = await requireSessionActor();
    requireAdmin(actor);
    const { user_id } = ownerForm.parse(fieldsOf(formData, 'user_id'));
    const created = await runtime.tokens.create(actor, tokenBodyFromForm(formData, runtime.config.tokens), user_id);
    refresh();
    const owner = `${created.token.owner.realm}/${created.token.owner.username}`;
    return successState(`Token "${created.token.name}" created for ${owner}.`, { tokenId: created.token.id, name: created.token.name, secret: created.secret });
  } catch (error) {
    return errorState(error, formValues(formData));
  }
}

export async function adminRevokeTokenAction(_previous: ActionState<null>, formData: FormData): Promise<ActionState<null>> {
  try {
    const { actor, runtime } = await requireSessionActor();
    requireAdmin(actor); // the token service would otherwise let an owner revoke their own token here
    const { id } = tokenIdForm.parse(fieldsOf(formData, 'id'));
    const revoked = await runtime.tokens.revoke(actor, id);
    refresh();
    return successState(`Token "${revoked.name}" of ${revoked.owner.realm}/${revoked.owner.username} revoked.`, null);
  } catch (error) {
    return errorState(error);
  }
}

export async function setUserDisabledAction(_previous: ActionState<null>, formData: FormData): Promise<ActionState<null>> {
  try {
    const { actor, runtime } = await requireSessionActor();
    const { user_id, disabled } = userToggleForm.parse(fieldsOf(formData, 'user_id', 'disabled'));
    const user = await runtime.admin.setDisabled(actor, user_id, { disabled: disabled === 'true' });
    refresh();
    return successState(`${user.realm}/${user.username} ${user.disabled ? 'disabled' : 'enabled'}.`, null);
  } catch (error) {
    return errorState(error);
  }
}
