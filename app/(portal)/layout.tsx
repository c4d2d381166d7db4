import type { ReactNode } from 'react';
import { getPortalSession } from '@/lib/portal/session';
import { SiteHeader } from './_components/site-header';

export default async function PortalLayout({ children }: { children: ReactNode }) {
  const session = await getPortalSession();
  return (
    <>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:p-2">
        Skip to content
      </a>
      <SiteHeader session={session} />
      <main id="main" className="mx-auto max-w-6xl px-4 py-6">
        {children}
      </main>
    </>
  );
}
