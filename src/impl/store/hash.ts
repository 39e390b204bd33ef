/**
 * Hashing of the engine's tree: key paths, leaf and node hashes and proof bytes, written against
 * the implementation's own Keccak-256 with reused buffers.
 */
import { keccak256 } from '../encoding/keccak.js';

export { keccak256 };

export const keyPath = (key: Uint8Array): Uint8Array => keccak256(key);

export const nibble = (path: Uint8Array, i: number): number => ((i & 1) === 0 ? path[i >> 1]! >> 4 : path[i >> 1]! & 15);

const leafBuf = new Uint8Array(65);
export const leafHashOf = (path: Uint8Array, valueHash: Uint8Array): Uint8Array => {
  leafBuf[0] = 0;
  for (let k = 0; k < 32; k++) { leafBuf[1 + k] = path[k]!; leafBuf[33 + k] = valueHash[k]!; }
  return keccak256(leafBuf);
};

const nodeBufs = Array.from({ length: 17 }, (_, n) => new Uint8Array(3 + 32 * n));
/** Hash of an index node from its 16 child hashes (undefined = empty child). */
export const nodeHashOf = (children: readonly (Uint8Array | undefined)[]): Uint8Array => {
  let bitmap = 0;
  let n = 0;
  for (let i = 0; i < 16; i++) if (children[i] !== undefined) { bitmap |= 1 << i; n++; }
  const buf = nodeBufs[n]!;
  buf[0] = 1;
  buf[1] = bitmap >> 8;
  buf[2] = bitmap & 0xff;
  let at = 3;
  for (let i = 0; i < 16; i++) {
    const h = children[i];
    // A loop beats TypedArray.set for 32 bytes.
    if (h !== undefined) { for (let k = 0; k < 32; k++) buf[at + k] = h[k]!; at += 32; }
  }
  return keccak256(buf);
};

export const EMPTY_ROOT = nodeHashOf([]);

export const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
