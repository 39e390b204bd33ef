/**
 * Recursive Length Prefix encoding (yellow paper appendix B), the serialization under the state
 * trie, the logs hash and contract addresses. Only encoding is needed by the EVM profile.
 */
import { keccak256 } from '../encoding/index.js';

/** An RLP item: a byte string or a list of items. */
export type RlpItem = Uint8Array | readonly RlpItem[];

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

/** Minimal big-endian bytes of a non-negative integer (zero is the empty string). */
export const bigintToBytes = (v: bigint): Uint8Array => {
  if (v === 0n) return new Uint8Array(0);
  let hex = v.toString(16);
  if (hex.length % 2 === 1) hex = '0' + hex;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
};

/** A 256-bit word as 32 big-endian bytes. */
export const wordBytes = (v: bigint): Uint8Array => { const out = new Uint8Array(32); const b = bigintToBytes(v); out.set(b, 32 - b.length); return out; };

/** Big-endian bytes as an unsigned integer. */
export const bytesToBigint = (b: Uint8Array): bigint => {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
};

const lengthPrefix = (len: number, offset: number): Uint8Array => {
  if (len < 56) return Uint8Array.of(offset + len);
  const lb = bigintToBytes(BigInt(len));
  return concat([Uint8Array.of(offset + 55 + lb.length), lb]);
};

/** RLP encoding of an item. @spec EVM-STATE-RLP.1 */
export const rlpEncode = (item: RlpItem): Uint8Array => {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0]! < 0x80) return item;
    return concat([lengthPrefix(item.length, 0x80), item]);
  }
  const body = concat((item as readonly RlpItem[]).map(rlpEncode));
  return concat([lengthPrefix(body.length, 0xc0), body]);
};

/** The logs hash of the state tests: keccak256 of the RLP list of [address, topics, data]. @spec EVM-STATE-LOGSHASH.1 */
export const logsHash = (logs: readonly { readonly address: Uint8Array; readonly topics: readonly Uint8Array[]; readonly data: Uint8Array }[]): Uint8Array =>
  keccak256(rlpEncode(logs.map((l) => [l.address, l.topics, l.data])));

export { concat as concatBytes };
