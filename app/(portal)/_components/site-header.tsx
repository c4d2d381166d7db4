import Link from 'next/link';
import type { PortalSession } from '@/lib/portal/session';
import { SignOutButton } from './sign-out-button';

import { focusRing } from './styles';

const linkClass = `rounded px-2 py-1 font-medium text-blue-800 underline-offset-4 hover:underline ${focusRing}`;

/** `signInConfigured`: a gateway-only server offers no "Sign in" that could not work. */
export function SiteHeader({ session, signInConfigured }: { session: PortalSession | null; signInConfigured: boolean }) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
        <Link href="/" className="text-lg font-bold text-slate-900">
          Auth-O-Tron
        </Link>
        {session && (
          <nav aria-label="Portal" className="flex gap-2">
            <Link href="/tokens" className={linkClass}>
              Tokens
            </Link>
            {session.isAdmin && (
              <Link href="/admin" className={linkClass}>
                Admin
              </Link>
            )}
          </nav>
        )}
        <div className="ml-auto flex items-center gap-3">
          {session ? (
            <>
              <span className="text-sm text-slate-700" data-testid="signed-in-user">
                Signed in as <strong>{session.name ?? session.username}</strong>
              </span>
              <SignOutButton />
            </>
          ) : (
            signInConfigured && (
              <Link href="/signin" className={linkClass}>
                Sign in
              </Link>
            )
          )}
        </div>
      </div>
    </header>
  );
}
