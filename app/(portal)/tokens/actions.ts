'use server';

import type { IssuedSecret } from '@/lib/portal/action-state';
import { formAction } from '@/lib/portal/form-action';
import { restrictionsFromForm } from '@/lib/portal/restrictions-form';
import { hasRestrictions } from '@/lib/tokens/restrictions';
import { duplicateNameWarning, tokenBodyFromForm } from '../_lib/token-form';
import { rotateForm, tokenIdForm } from '../_lib/row-forms';

// Server actions are public endpoints: formAction establishes the signed-in actor and the token
// service decides what that actor may do (own tokens only; admins through /admin).

export const createTokenAction = formAction<IssuedSecret>({ keepValues: true }, async ({ actor, runtime, formData }) => {
  const body = tokenBodyFromForm(formData, runtime.config.tokens);
  const warning = await duplicateNameWarning(runtime, actor.userId, body.name);
  const created = await runtime.tokens.create(actor, body);
  return { message: `Token "${created.token.name}" created.`, data: { tokenId: created.token.id, name: created.token.name, secret: created.secret, warning } };
});

export const revokeTokenAction = formAction<null, typeof tokenIdForm>({ schema: tokenIdForm }, async ({ actor, runtime, input }) => {
  const revoked = await runtime.tokens.revoke(actor, input.id);
  return { message: `Token "${revoked.name}" revoked.`, data: null };
});

export const rotateTokenAction = formAction<IssuedSecret, typeof rotateForm>({ schema: rotateForm, keepValues: true }, async ({ actor, runtime, input }) => {
  const rotated = await runtime.tokens.rotate(actor, input.id, { grace_period: input.grace_period });
  return { message: `Token "${rotated.token.name}" rotated.`, data: { tokenId: rotated.token.id, name: rotated.token.name, secret: rotated.secret } };
});

// The whole set is replaced: a field left empty lifts that restriction. The service checks owner or admin.
export const updateRestrictionsAction = formAction<null, typeof tokenIdForm>({ schema: tokenIdForm, keepValues: true }, async ({ actor, runtime, input, formData }) => {
  const restrictions = restrictionsFromForm(formData);
  const updated = await runtime.tokens.update(actor, input.id, { restrictions });
  return { message: hasRestrictions(updated.restrictions) ? `Restrictions of "${updated.name}" saved.` : `Token "${updated.name}" is no longer restricted.`, data: null };
});
