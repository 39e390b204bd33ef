/**
 * The Merkle Patricia trie root (yellow paper appendix D), computed directly from a set of
 * key/value pairs: the profile never needs proofs or incremental updates, only the root that a
 * state test compares.
 */
import { keccak256 } from '../encoding/index.js';
import { concatBytes, rlpEncode, type RlpItem } from './rlp.js';

type Entry = { readonly path: readonly number[]; readonly value: Uint8Array };

const nibbles = (key: Uint8Array): number[] => {
  const out: number[] = [];
  for (const b of key) out.push(b >> 4, b & 15);
  return out;
};

/** Hex-prefix encoding of a nibble path with the leaf flag (appendix C). */
const hexPrefix = (path: readonly number[], leaf: boolean): Uint8Array => {
  const odd = path.length % 2 === 1;
  const flag = (leaf ? 2 : 0) + (odd ? 1 : 0);
  const out = new Uint8Array(Math.floor(path.length / 2) + 1);
  let i = 0;
  if (odd) { out[0] = (flag << 4) | path[0]!; i = 1; } else out[0] = flag << 4;
  for (let j = 1; j < out.length; j++, i += 2) out[j] = (path[i]! << 4) | path[i + 1]!;
  return out;
};

const node = (entries: readonly Entry[], depth: number): RlpItem => {
  if (entries.length === 1) {
    const e = entries[0]!;
    return [hexPrefix(e.path.slice(depth), true), e.value];
  }
  // Longest common prefix beyond depth.
  let common = 0;
  const first = entries[0]!.path;
  for (;;) {
    const at = depth + common;
    if (at >= first.length) break;
    const nib = first[at];
    if (!entries.every((e) => e.path.length > at && e.path[at] === nib)) break;
    common++;
  }
  if (common > 0) {
    return [hexPrefix(first.slice(depth, depth + common), false), childRef(node(entries, depth + common))];
  }
  const branch: RlpItem[] = [];
  let value: Uint8Array = new Uint8Array(0);
  for (let n = 0; n < 16; n++) {
    const sub = entries.filter((e) => e.path.length > depth && e.path[depth] === n);
    branch.push(sub.length === 0 ? new Uint8Array(0) : childRef(node(sub, depth + 1)));
  }
  for (const e of entries) if (e.path.length === depth) value = e.value;
  branch.push(value);
  return branch;
};

/** A child is embedded when its encoding is shorter than 32 bytes, else referenced by hash. */
const childRef = (n: RlpItem): RlpItem => {
  const enc = rlpEncode(n);
  return enc.length < 32 ? n : keccak256(enc);
};

/** keccak256(rlp("")): the root of the empty trie. */
export const EMPTY_TRIE_ROOT = keccak256(rlpEncode(new Uint8Array(0)));

/**
 * The root of the trie holding `pairs` (keys are distinct byte strings; empty values are absent).
 *
 * @spec EVM-STATE-TRIE.1
 */
export const trieRoot = (pairs: readonly (readonly [Uint8Array, Uint8Array])[]): Uint8Array => {
  const entries = pairs.filter(([, v]) => v.length > 0).map(([k, v]) => ({ path: nibbles(k), value: v }));
  if (entries.length === 0) return EMPTY_TRIE_ROOT;
  return keccak256(rlpEncode(node(entries, 0)));
};

export { concatBytes };
