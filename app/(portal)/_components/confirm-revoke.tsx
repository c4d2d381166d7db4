'use client';

import type { FormAction } from '@/lib/portal/action-state';
import { ConfirmAction } from './confirm-action';

export type RevokeAction = FormAction<null>;

/** Revoke with confirmation; `label` tells two tokens of one name apart ("token ci (aot_AbC…)"). */
export function ConfirmRevoke({ tokenId, tokenName, label, action, canRevoke }: { tokenId: string; tokenName: string; label: string; action: RevokeAction; canRevoke: boolean }) {
  if (!canRevoke) return null;
  return <ConfirmAction action={action} fields={{ id: tokenId }} verb="Revoke" target={label} question={<>Revoke &ldquo;{tokenName}&rdquo;? Anything using it stops working at once.</>} />;
}
