'use server';

import { refresh } from 'next/cache';
import { requireSessionActor } from '@/lib/portal/session-actor';
import type { ActionState, IssuedSecret } from '../_lib/action-state';
import { errorState, formValues, successState } from '../_lib/action-errors';
import { tokenBodyFromForm } from '../_lib/token-form';
import { fieldsOf, rotateForm, tokenIdForm } from '../_lib/row-forms';

// Server actions are public endpoints: each one establishes the signed-in actor itself and lets the
// token service decide what that actor may do (own tokens only; admins through /admin).

export async function createTokenAction(_previous: ActionState<IssuedSecret>, formData: FormData): Promise<ActionState<IssuedSecret>> {
  try {
    const { actor, runtime } = await requireSessionActor();
    const created = await runtime.tokens.create(actor, tokenBodyFromForm(formData, runtime.config.tokens));
    refresh();
    return successState(`Token "${created.token.name}" created.`, { tokenId: created.token.id, name: created.token.name, secret: created.secret });
  } catch (error) {
    return errorState(error, formValues(formData));
  }
}

export async function revokeTokenAction(_previous: ActionState<null>, formData: FormData): Promise<ActionState<null>> {
  try {
    const { actor, runtime } = await requireSessionActor();
    const { id } = tokenIdForm.parse(fieldsOf(formData, 'id'));
    const revoked = await runtime.tokens.revoke(actor, id);
    refresh();
    return successState(`Token "${revoked.name}" revoked.`, null);
  } catch (error) {
    return errorState(error);
  }
}

export async function rotateTokenAction(_previous: ActionState<IssuedSecret>, formData: FormData): Promise<ActionState<IssuedSecret>> {
  try {
    const { actor, runtime } = await requireSessionActor();
    const { id, grace_period } = rotateForm.parse(fieldsOf(formData, 'id', 'grace_period'));
    const rotated = await runtime.tokens.rotate(actor, id, { grace_period });
    refresh();
    return successState(`Token "${rotated.token.name}" rotated.`, { tokenId: rotated.token.id, name: rotated.token.name, secret: rotated.secret });
  } catch (error) {
    return errorState(error, formValues(formData));
  }
}
