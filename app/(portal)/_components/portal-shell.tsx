import type { ReactNode } from 'react';
import { getPortalSession, isSignInConfigured, type PortalSession } from '@/lib/portal/session';
import { SiteHeader } from './site-header';

/** The skip link, header and main area of every portal page. */
export function SiteFrame({ session, signInConfigured, children }: { session: PortalSession | null; signInConfigured: boolean; children: ReactNode }) {
  return (
    <>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:p-2">
        Skip to content
      </a>
      <SiteHeader session={session} signInConfigured={signInConfigured} />
      <main id="main" className="mx-auto max-w-6xl px-4 py-6">
        {children}
      </main>
    </>
  );
}

/** The frame with the signed-in user's header. */
export async function PortalShell({ children }: { children: ReactNode }) {
  const [session, signInConfigured] = await Promise.all([getPortalSession(), isSignInConfigured()]);
  return (
    <SiteFrame session={session} signInConfigured={signInConfigured}>
      {children}
    </SiteFrame>
  );
}
