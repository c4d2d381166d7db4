import Link from 'next/link';
import { getPortalSession, isSignInConfigured } from '@/lib/portal/session';
import { SignInNotConfigured } from './_components/not-configured';
import { SignInButton } from './_components/sign-in-button';
import { linkClass } from './_components/styles';

export default async function HomePage() {
  const [session, signInConfigured] = await Promise.all([getPortalSession(), isSignInConfigured()]);
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-3xl font-bold">Auth-O-Tron</h1>
        <p className="mt-2 text-slate-700">Authentication for web APIs behind nginx, and scoped API tokens for your scripts.</p>
      </div>
      {session ? (
        <section aria-labelledby="welcome" className="space-y-3">
          <h2 id="welcome" className="text-xl font-semibold">
            Welcome, {session.name ?? session.username}
          </h2>
          <p>
            <Link href="/tokens" className={linkClass}>
              Manage your API tokens
            </Link>
          </p>
        </section>
      ) : signInConfigured ? (
        <section aria-labelledby="signin" className="space-y-3">
          <h2 id="signin" className="text-xl font-semibold">
            Sign in to manage your API tokens
          </h2>
          <SignInButton />
        </section>
      ) : (
        <SignInNotConfigured />
      )}
      {/* Operator pages are for admins; everyone else has no use for them. */}
      {session?.isAdmin && (
        <section aria-labelledby="operators" className="space-y-2">
          <h2 id="operators" className="text-lg font-semibold">
            For operators
          </h2>
          <ul className="list-disc space-y-1 pl-6 text-sm">
            <li>
              <a className={linkClass} href="/.well-known/jwks.json">
                Signing keys (JWKS)
              </a>
            </li>
            <li>
              <a className={linkClass} href="/api/providers">
                Providers
              </a>
            </li>
            <li>
              <a className={linkClass} href="/api/health">
                Health
              </a>
            </li>
          </ul>
        </section>
      )}
    </div>
  );
}
