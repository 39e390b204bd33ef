/**
 * The state commitment of Pharos Store, defined directly from the key-value set: keys are hashed
 * to 64-nibble paths, and the root is the hash of the canonical 16-ary trie over those paths. How
 * the set was reached (update order, batches, versions) and how the tree is laid out on disk
 * (pages, deltas, value locations) take no part in it.
 *
 * @module
 */
import { keccak256 } from '../encoding/hash.js';

/** A 32-byte Keccak-256 digest. */
export type Hash = Uint8Array;

/** Number of nibbles in a key path: Keccak-256 gives 32 bytes, so 64 nibbles. */
export const PATH_NIBBLES = 64;

/** Largest key and value the store accepts, in bytes. @spec STORE-KEY-LIMITS.1 */
export const MAX_KEY_BYTES = 1024;
export const MAX_VALUE_BYTES = 1 << 20;

/** Domain-separation tags, so a leaf hash can never be read as a node hash or the other way round. */
const LEAF_TAG = 0x00;
const NODE_TAG = 0x01;

/** One entry of a key-value set: `path` is derived from `key`, `valueHash` from `value`. */
export interface Entry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/**
 * The path of a key in the tree is the Keccak-256 of the key bytes, read as 64 nibbles, high nibble
 * of each byte first.
 *
 * @spec STORE-KEY-PATH.1
 */
export const keyPath = (key: Uint8Array): Uint8Array => keccak256(key);

/** Nibble `i` (0..63) of a path. @spec STORE-KEY-PATH.1 */
export const nibbleAt = (path: Uint8Array, i: number): number => {
  const b = path[i >> 1] ?? 0;
  return i % 2 === 0 ? b >> 4 : b & 15;
};

/** Hash of a value as it enters a leaf. @spec STORE-HASH-LEAF.1 */
export const valueHash = (value: Uint8Array): Hash => keccak256(value);

/**
 * leafHash = keccak256(0x00 || path || keccak256(value)). The value location (where the value sits
 * in the value log) is deliberately not hashed, so relocating a value never changes a hash.
 *
 * @spec STORE-HASH-LEAF.1
 */
export const leafHash = (path: Uint8Array, vHash: Hash): Hash => {
  const buf = new Uint8Array(1 + 32 + 32);
  buf[0] = LEAF_TAG;
  buf.set(path, 1);
  buf.set(vHash, 33);
  return keccak256(buf);
};

/**
 * nodeHash = keccak256(0x01 || bitmap || h_i for each present child i in nibble order), where the
 * bitmap is 16 bits big-endian with bit i set when child i is present. Empty children contribute
 * no bytes, only a clear bit.
 *
 * @spec STORE-HASH-NODE.1
 */
export const nodeHash = (children: readonly (Hash | undefined)[]): Hash => {
  let bitmap = 0;
  let count = 0;
  for (let i = 0; i < 16; i++) {
    if (children[i] !== undefined) {
      bitmap |= 1 << i;
      count++;
    }
  }
  const buf = new Uint8Array(3 + 32 * count);
  buf[0] = NODE_TAG;
  buf[1] = bitmap >> 8;
  buf[2] = bitmap & 0xff;
  let at = 3;
  for (let i = 0; i < 16; i++) {
    const h = children[i];
    if (h !== undefined) {
      buf.set(h, at);
      at += 32;
    }
  }
  return keccak256(buf);
};

/** A key-value set as the commitment sees it: each key's path and value hash. */
export interface PathEntry {
  readonly path: Uint8Array;
  readonly valueHash: Hash;
}

export const pathEntryOf = (e: Entry): PathEntry => ({ path: keyPath(e.key), valueHash: valueHash(e.value) });

const groupByNibble = (entries: readonly PathEntry[], depth: number): PathEntry[][] => {
  const groups: PathEntry[][] = Array.from({ length: 16 }, () => []);
  for (const e of entries) groups[nibbleAt(e.path, depth)]!.push(e);
  return groups;
};

/**
 * The content of the child slot for prefix p (of length `depth`), given the entries whose paths
 * start with p: nothing when there are none, the leaf itself when there is exactly one (a subtree
 * holding one key collapses into its leaf), and otherwise an index node whose children split the
 * entries by the next nibble. This is what makes the shape, and so the root, a function of the set.
 *
 * @spec STORE-TREE-SHAPE.1 STORE-HASH-NODE.1
 */
export const slotHash = (entries: readonly PathEntry[], depth: number): Hash | undefined => {
  if (entries.length === 0) return undefined;
  const [only] = entries;
  // Distinct keys have distinct paths unless Keccak-256 collides; depth 64 is then unreachable.
  if (entries.length === 1 || depth >= PATH_NIBBLES) return leafHash(only!.path, only!.valueHash);
  return nodeHash(groupByNibble(entries, depth).map((g) => slotHash(g, depth + 1)));
};

/**
 * The root commitment of a key-value set: the hash of the root node, which always exists (also for
 * the empty set and for a single key) and splits the entries by their first nibble.
 *
 * @spec STORE-ROOT.1 STORE-TREE-SHAPE.1
 */
export const rootOfPathEntries = (entries: readonly PathEntry[]): Hash =>
  nodeHash(groupByNibble(entries, 0).map((g) => slotHash(g, 1)));

/** The root commitment of a key-value set given as keys and values. @spec STORE-ROOT.1 */
export const rootOfEntries = (entries: readonly Entry[]): Hash => rootOfPathEntries(entries.map(pathEntryOf));

/** The root of the empty set: the hash of a root node with no children. @spec STORE-ROOT.1 */
export const EMPTY_ROOT: Hash = nodeHash([]);
