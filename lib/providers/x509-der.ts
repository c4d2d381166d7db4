// Node's X509Certificate exposes the extended key usage but not the key usage bits: this reads
// them from the DER, walking only the structure RFC 5280 fixes (Node has already parsed the certificate).

interface Node {
  tag: number;
  start: number;
  end: number;
}

function read(der: Uint8Array, pos: number, limit: number): Node {
  const tag = der[pos];
  let length = der[pos + 1];
  if (tag === undefined || length === undefined) throw new Error('truncated DER');
  let start = pos + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < bytes; i += 1) length = length * 256 + (der[start + i] ?? 0);
    start += bytes;
  }
  const end = start + length;
  if (end > limit) throw new Error('DER overruns its container');
  return { tag, start, end };
}

function children(der: Uint8Array, node: Node): Node[] {
  const list: Node[] = [];
  for (let pos = node.start; pos < node.end; ) {
    const child = read(der, pos, node.end);
    list.push(child);
    pos = child.end;
  }
  return list;
}

const KEY_USAGE_OID = [0x55, 0x1d, 0x0f]; // 2.5.29.15
const SEQUENCE = 0x30;
const EXTENSIONS = 0xa3; // [3] EXPLICIT in TBSCertificate
const OID = 0x06;
const OCTET_STRING = 0x04;
const BIT_STRING = 0x03;

export interface KeyUsage {
  digitalSignature: boolean;
  keyAgreement: boolean;
}

/** The key usage extension of a DER certificate, or undefined when it has none. Throws on malformed DER. */
export function keyUsageOf(der: Uint8Array): KeyUsage | undefined {
  const certificate = read(der, 0, der.length);
  const tbs = children(der, certificate)[0];
  if (!tbs || tbs.tag !== SEQUENCE) throw new Error('no TBSCertificate');
  const wrapper = children(der, tbs).find((n) => n.tag === EXTENSIONS);
  const list = wrapper && children(der, wrapper)[0];
  if (!list) return undefined;
  for (const extension of children(der, list)) {
    const [oid, ...rest] = children(der, extension);
    if (!oid || oid.tag !== OID || !sameBytes(der.subarray(oid.start, oid.end), KEY_USAGE_OID)) continue;
    const value = rest.at(-1);
    if (!value || value.tag !== OCTET_STRING) throw new Error('malformed key usage');
    const bits = read(der, value.start, value.end);
    if (bits.tag !== BIT_STRING) throw new Error('malformed key usage');
    const first = bits.end - bits.start > 1 ? (der[bits.start + 1] ?? 0) : 0;
    // Bit 0 (0x80) digitalSignature, bit 4 (0x08) keyAgreement (RFC 5280 4.2.1.3).
    return { digitalSignature: (first & 0x80) !== 0, keyAgreement: (first & 0x08) !== 0 };
  }
  return undefined;
}

function sameBytes(a: Uint8Array, b: number[]): boolean {
  return a.length === b.length && b.every((byte, i) => a[i] === byte);
}
