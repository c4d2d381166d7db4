import 'server-only';
import { headers } from 'next/headers';
import type { Runtime } from '../runtime';
import { clientAddressOf } from '../server/peer';

/** Where the current request comes from (client address through trusted proxies, user agent), for audit rows. */
export async function requestOrigin(runtime: Runtime): Promise<{ clientAddress?: string; userAgent?: string }> {
  const requestHeaders = await headers();
  const header = (name: string) => requestHeaders.get(name) ?? undefined;
  return { clientAddress: clientAddressOf(runtime.addresses, header), userAgent: header('user-agent')?.slice(0, 300) };
}
