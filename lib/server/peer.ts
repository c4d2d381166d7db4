import { randomBytes } from 'node:crypto';
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
