import type { NextRequest } from 'next/server';
import { handlers } from '@/lib/portal/auth';
import { withPublicOrigin } from '@/lib/portal/public-origin';
import { isSignInConfigured } from '@/lib/portal/session';

export const dynamic = 'force-dynamic';

// A gateway-only config has no IdP: answer plainly instead of letting next-auth fail on an empty setup.
const notConfigured = () => Response.json({ error: 'not_found', message: 'portal sign-in is not configured' }, { status: 404, headers: { 'Cache-Control': 'no-store' } });

export async function GET(request: NextRequest): Promise<Response> {
  return (await isSignInConfigured()) ? handlers.GET(withPublicOrigin(request)) : notConfigured();
}

export async function POST(request: NextRequest): Promise<Response> {
  return (await isSignInConfigured()) ? handlers.POST(withPublicOrigin(request)) : notConfigured();
}
