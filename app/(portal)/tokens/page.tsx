import type { Metadata } from 'next';
import { requirePortalSession } from '@/lib/portal/session';
import { requireSessionActor } from '@/lib/portal/session-actor';
import { ConfirmRevoke } from '../_components/confirm-revoke';
import { RotateDialog } from '../_components/rotate-dialog';
import { TokenForm } from '../_components/token-form';
import { TokenTable } from '../_components/token-table';
import { catalogOf } from '../_lib/catalog';
import { expiryOptions } from '../_lib/expiry';
import { createTokenAction, revokeTokenAction, rotateTokenAction } from './actions';

export const metadata: Metadata = { title: 'Your tokens - Auth-O-Tron' };

export default async function TokensPage() {
  await requirePortalSession('/tokens');
  const { actor, runtime } = await requireSessionActor();
  const tokens = await runtime.tokens.list(actor);

  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-bold">Your tokens</h1>
        <p className="mt-1 text-slate-700">
          API tokens let scripts call the APIs as you, limited to the scopes you pick. Send one as <code>Authorization: Bearer &lt;token&gt;</code>.
        </p>
      </div>

      <section aria-labelledby="create-heading" className="space-y-3">
        <h2 id="create-heading" className="text-xl font-semibold">
          Create a token
        </h2>
        <TokenForm action={createTokenAction} catalog={catalogOf(await runtime.tokens.pickableScopes(actor))} expiry={expiryOptions(runtime.config.tokens)} />
      </section>

      <section aria-labelledby="list-heading" className="space-y-3">
        <h2 id="list-heading" className="text-xl font-semibold">
          Token list
        </h2>
        {tokens.length === 0 ? (
          <p className="rounded border border-dashed border-slate-300 bg-white p-6 text-slate-700">You have no API tokens yet.</p>
        ) : (
          <TokenTable
            tokens={tokens}
            label="Your API tokens"
            actions={(token) => (
              <>
                <RotateDialog tokenId={token.id} tokenName={token.name} action={rotateTokenAction} canRotate={token.status === 'active'} />
                <ConfirmRevoke tokenId={token.id} tokenName={token.name} action={revokeTokenAction} canRevoke={token.status === 'active'} />
              </>
            )}
          />
        )}
      </section>
    </div>
  );
}
