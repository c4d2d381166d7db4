import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { constantTimeEqual } from '../crypto/secrets';
import type { ClientAddressResolver } from '../gateway/client-address';

/**
 * The custom server writes the TCP peer address into this header before handing a request to Next
 * (overwriting anything a client sent), because Next's route handlers cannot see the socket.
 */
export const PEER_ADDRESS_HEADER = 'x-aot-peer-address';
/** Beside it, a random value of this process: under plain `next start` nobody writes the header, so a client's copy must not count. */
export const PEER_PROOF_HEADER = 'x-aot-peer-proof';

// On globalThis: the custom server and Next's bundle each load this module, in one process.
const PROOF_KEY = Symbol.for('auth-o-tron.peer-proof');
type WithProof = typeof globalThis & { [PROOF_KEY]?: string };

/** The custom server's proof; made on first use there, so it exists only in a process that writes the header. */
export function peerProof(): string {
  const g = globalThis as WithProof;
  g[PROOF_KEY] ??= randomBytes(18).toString('base64url');
  return g[PROOF_KEY];
}

/** The TCP peer address the custom server wrote, or undefined when no custom server vouches for it (`next start`, a forged header). */
export function peerAddressOf(header: (name: string) => string | undefined): string | undefined {
  const expected = (globalThis as WithProof)[PROOF_KEY];
  const proof = header(PEER_PROOF_HEADER);
  return expected !== undefined && proof !== undefined && constantTimeEqual(proof, expected) ? header(PEER_ADDRESS_HEADER) : undefined;
}

/** The client address of a request Next answers: the vouched-for peer, and what it forwards when it is a trusted proxy. */
export function clientAddressOf(addresses: Pick<ClientAddressResolver, 'resolve'>, header: (name: string) => string | undefined): string | undefined {
  return addresses.resolve(peerAddressOf(header), header);
}

/**
 * The headers that name the public origin: next-auth builds its callback URL from the first two
 * (AUTH_TRUST_HOST), as does `publicOrigin`; Next fills in all three when they are absent.
 */
const FORWARDED_ORIGIN_HEADERS = ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port'] as const;

/**
 * Before a request reaches the portal (the canonical redirect, Next, next-auth, SCIM): the peer
 * address and this process's proof written over any client copy, and the forwarded origin headers
 * removed unless the peer is a trusted proxy. A client that reaches the server directly would
 * otherwise choose the host of the callback URL the IdP is sent, and of every link handed out.
 */
export function preparePortalRequest(headers: IncomingHttpHeaders, peer: string | undefined, addresses: Pick<ClientAddressResolver, 'isTrusted'>): void {
  headers[PEER_ADDRESS_HEADER] = peer ?? '';
  headers[PEER_PROOF_HEADER] = peerProof();
  if (addresses.isTrusted(peer)) return;
  for (const name of FORWARDED_ORIGIN_HEADERS) delete headers[name];
}
