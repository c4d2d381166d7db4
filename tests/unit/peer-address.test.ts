import { describe, expect, it } from 'vitest';
import { ClientAddressResolver } from '@/lib/gateway/client-address';
import { clientAddressOf, PEER_ADDRESS_HEADER, PEER_PROOF_HEADER, peerAddressOf, peerProof } from '@/lib/server/peer';

const headers = (values: Record<string, string>) => (name: string) => values[name.toLowerCase()];
const forged = { [PEER_ADDRESS_HEADER]: '127.0.0.1', 'x-forwarded-for': '192.0.2.1' };

describe('the peer address Next handlers see', () => {
  it('is believed only with the proof the custom server writes beside it (plain next start writes none)', () => {
    // Before any custom server made a proof (next start), a client's header counts for nothing.
    expect(peerAddressOf(headers(forged))).toBeUndefined();
    const addresses = new ClientAddressResolver(['127.0.0.1/32']);
    expect(clientAddressOf(addresses, headers(forged))).toBeUndefined(); // so no trusted proxy, no forwarded address
    const proof = peerProof();
    expect(peerAddressOf(headers({ ...forged, [PEER_PROOF_HEADER]: 'a-guess' }))).toBeUndefined();
    expect(peerAddressOf(headers({ ...forged, [PEER_PROOF_HEADER]: proof }))).toBe('127.0.0.1');
    expect(clientAddressOf(addresses, headers({ ...forged, [PEER_PROOF_HEADER]: proof }))).toBe('192.0.2.1');
  });
});
