import type { Metadata } from 'next';
import Link from 'next/link';
import { SiteFrame } from './(portal)/_components/portal-shell';
import { linkClass, pageTitleClass } from './(portal)/_components/styles';

export const metadata: Metadata = { title: 'Page not found - Auth-O-Tron' };

/**
 * Any unknown address (and a token that is not yours), inside the portal's frame. Static on purpose:
 * scanners request thousands of made-up paths, and none of them should cost a session or database look-up.
 */
export default function NotFound() {
  return (
    <SiteFrame session={null} signInConfigured={false}>
      <div className="space-y-3">
        <h1 className={pageTitleClass}>Page not found</h1>
        <p className="text-slate-700">There is nothing at this address, or it is not yours to see.</p>
        <ul className="list-disc space-y-1 pl-6">
          <li>
            <Link href="/tokens" className={linkClass}>
              Your tokens
            </Link>
          </li>
          <li>
            <Link href="/" className={linkClass}>
              Home
            </Link>
          </li>
        </ul>
      </div>
    </SiteFrame>
  );
}
