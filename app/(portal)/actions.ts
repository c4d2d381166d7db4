'use server';

import { redirect } from 'next/navigation';
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
  await signOut({ redirectTo: '/' });
}
