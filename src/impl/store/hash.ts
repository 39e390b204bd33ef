/**
 * Hashing of the engine's tree: key paths, leaf and node hashes and proof bytes, written against
 * the implementation's own Keccak-256 with reused buffers.
 */
import { keccak256, keccak256OfInput, keccakInput } from '../encoding/keccak.js';

export { keccak256 };

export const keyPath = (key: Uint8Array): Uint8Array => keccak256(key);

export const nibble = (path: Uint8Array, i: number): number => ((i & 1) === 0 ? path[i >> 1]! >> 4 : path[i >> 1]! & 15);

// Leaf and node messages are assembled directly in the hash function's input area.
const buf = keccakInput;

/** Hash of a leaf; into `out` when given, as for `nodeHashOf`. */
export const leafHashOf = (path: Uint8Array, valueHash: Uint8Array, out?: Uint8Array): Uint8Array => {
  buf[0] = 0;
  buf.set(path, 1);
  buf.set(valueHash, 33);
  return keccak256OfInput(65, out);
};

/** Hash of an index node from its 16 child hashes (undefined = empty child); into `out` when given. */
export const nodeHashOf = (children: readonly (Uint8Array | undefined)[], out?: Uint8Array): Uint8Array => {
  let bitmap = 0;
  let at = 3;
  for (let i = 0; i < 16; i++) {
    const h = children[i];
    if (h !== undefined) { bitmap |= 1 << i; buf.set(h, at); at += 32; }
  }
  buf[0] = 1;
  buf[1] = bitmap >> 8;
  buf[2] = bitmap & 0xff;
  return keccak256OfInput(at, out);
};

export const EMPTY_ROOT = nodeHashOf([]);

export const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
