import { receiveBackchannelLogout } from '@/lib/portal/backchannel-logout';
import { getRuntime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

// More specific than next-auth's /api/auth/[...nextauth], so the App Router sends this path here.
/** OpenID Connect Back-Channel Logout: the IdP posts `logout_token=<JWT>`. */
export async function POST(request: Request): Promise<Response> {
  return receiveBackchannelLogout(await getRuntime(), request);
}
