import { describe, expect, it } from 'vitest';
import { ClientAddressResolver } from '@/lib/gateway/client-address';
import { clientAddressOf, PEER_ADDRESS_HEADER, PEER_PROOF_HEADER, peerAddressOf, peerProof, preparePortalRequest } from '@/lib/server/peer';

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

describe('a request handed to the portal', () => {
  const addresses = new ClientAddressResolver(['10.0.0.0/8']);
  const sent = () => ({
    host: 'auth.example.org',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'https',
    'x-forwarded-port': '443',
    'x-forwarded-for': '192.0.2.1',
    [PEER_ADDRESS_HEADER]: '10.0.0.1',
    [PEER_PROOF_HEADER]: 'a-guess',
  });

  it('loses the forwarded host, scheme and port unless its peer is a trusted proxy, and carries the real peer with the proof', () => {
    const direct = sent();
    preparePortalRequest(direct, '::ffff:192.0.2.9', addresses);
    expect(direct).toEqual({ host: 'auth.example.org', 'x-forwarded-for': '192.0.2.1', [PEER_ADDRESS_HEADER]: '::ffff:192.0.2.9', [PEER_PROOF_HEADER]: peerProof() });
    const unknown = sent();
    preparePortalRequest(unknown, undefined, addresses);
    expect(unknown).not.toHaveProperty('x-forwarded-host');
    expect(unknown[PEER_ADDRESS_HEADER]).toBe('');
  });

  it("keeps a trusted proxy's forwarded host, scheme and port", () => {
    const proxied = sent();
    preparePortalRequest(proxied, '::ffff:10.1.2.3', addresses);
    expect(proxied).toMatchObject({
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
      [PEER_ADDRESS_HEADER]: '::ffff:10.1.2.3',
      [PEER_PROOF_HEADER]: peerProof(),
    });
  });
});
