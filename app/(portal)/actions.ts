'use server';

import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { getRuntime } from '@/lib/runtime';
import { idpLogoutUrl } from '@/lib/portal/logout';
import { signIn, signOut } from '@/lib/portal/auth';
import { OIDC_PROVIDER_ID } from '@/lib/portal/auth-config';
import { safeReturnPath } from '@/lib/portal/return-path';
import { isSignInConfigured } from '@/lib/portal/session';

// Server actions are public endpoints: each checks what it needs itself. Signing in and out need no
// session; Next checks the Origin of every action request.

export async function signInAction(formData: FormData): Promise<void> {
  if (!(await isSignInConfigured())) redirect('/signin');
  // Throws Next's redirect to the identity provider; nothing after it runs.
  await signIn(OIDC_PROVIDER_ID, { redirectTo: safeReturnPath(formData.get('callbackUrl')) });
}

export async function signOutAction(): Promise<void> {
  const request = await headers();
  const origin = portalOrigin(request);
  const idpLogout = await idpLogoutUrl(await getRuntime(), request.get('cookie'), `${origin}/`);
  await signOut({ redirect: false });
  // Ends the IdP session too, which sends the browser back to the portal's home page.
  redirect(idpLogout ?? '/');
}

/** The origin the browser used (behind nginx: its forwarded host and scheme). */
function portalOrigin(request: Headers): string {
  const first = (value: string | null) => value?.split(',')[0]?.trim() || undefined;
  const host = first(request.get('x-forwarded-host')) ?? first(request.get('host')) ?? 'localhost';
  const proto = first(request.get('x-forwarded-proto')) === 'https' ? 'https' : 'http';
  return `${proto}://${host}`;
}
