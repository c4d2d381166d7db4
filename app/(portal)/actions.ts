'use server';

import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { getRuntime } from '@/lib/runtime';
import { portalOrigin } from '@/lib/portal/canonical-origin';
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
  const runtime = await getRuntime();
  // Back to the portal's canonical origin (the one registered at the IdP), whatever name this request used.
  const origin = portalOrigin(runtime.config.portal?.url, request) ?? 'http://localhost';
  const idpLogout = await idpLogoutUrl(runtime, request.get('cookie'), `${origin}/`);
  await signOut({ redirect: false });
  // Ends the IdP session too, which sends the browser back to the portal's home page.
  redirect(idpLogout ?? '/');
}
