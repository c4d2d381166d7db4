/**
 * The custom server writes the TCP peer address into this header before handing a request to Next
 * (overwriting anything a client sent), because Next's route handlers cannot see the socket.
 */
export const PEER_ADDRESS_HEADER = 'x-aot-peer-address';
