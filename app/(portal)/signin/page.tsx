import { redirect } from 'next/navigation';
import { safeReturnPath } from '@/lib/portal/return-path';
import { getPortalSession, isSignInConfigured } from '@/lib/portal/session';
import { SignInNotConfigured } from '../_components/not-configured';
import { SignInButton } from '../_components/sign-in-button';

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

// next-auth sends errors here as `?error=<type>`; say what a person can do about it, nothing more.
function errorMessage(error: string | string[] | undefined): string | undefined {
  if (error === undefined) return undefined;
  if (error === 'AccessDenied') return 'Sign-in was refused. Your account may be disabled; ask an administrator.';
  return 'Sign-in did not complete. Please try again.';
}

// A session that stopped counting (lib/portal/session.ts): say why, so nobody signs in again and again.
function endedMessage(reason: string | string[] | undefined): string | undefined {
  if (reason === 'disabled') return 'Your account has been disabled, so your session has ended and your tokens no longer work. Ask an administrator to enable it.';
  if (reason === 'ended') return 'Your session has ended. Please sign in again.';
  return undefined;
}

export default async function SignInPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const callbackUrl = safeReturnPath(params.callbackUrl);
  if (await getPortalSession()) redirect(callbackUrl);
  const error = errorMessage(params.error) ?? endedMessage(params.reason);

  return (
    <div className="mx-auto max-w-md space-y-4">
      <h1 className="text-2xl font-bold">Sign in</h1>
      {error && (
        <p role="alert" className="rounded border border-red-300 bg-red-50 p-3 text-red-900">
          {error}
        </p>
      )}
      {(await isSignInConfigured()) ? (
        <>
          <p className="text-slate-700">You will be sent to your organisation&apos;s identity provider and brought back here.</p>
          <SignInButton callbackUrl={callbackUrl} />
        </>
      ) : (
        <SignInNotConfigured />
      )}
    </div>
  );
}
