/**
 * The state commitment kept by the commit stage, maintained incrementally: the tree's nodes stay
 * in memory between blocks with their hashes, a put marks the nodes on its key's path dirty, and
 * the root is found by rehashing only the dirty nodes. The tree has the store's shape (a leaf sits
 * at the first depth where no other key shares its path prefix; the root is always an index node),
 * so the root is exactly the store's root of the same key-value set. The pipeline only puts (a
 * transaction never deletes a key), so the tree only ever grows; there is no delete.
 *
 * The tree can also hold one part of a larger key set: `Commitment.childHashes` gives the hashes
 * of the root's children, and a set split by the first nibble of the key paths over several
 * commitments (one per thread) has the root `nodeHashOf` of their children put side by side.
 */
import { EMPTY_ROOT, equalBytes, keccak256, keyPath, leafHashOf, nibble, nodeHashOf } from '../store/hash.js';
import { keccak256OfText } from '../encoding/keccak.js';

export { EMPTY_ROOT, keyPath };

/** The path of a state key: `keyPath` of its UTF-8 bytes. */
export const textKeyPath = (key: string): Uint8Array => keccak256OfText(key);

/** A state value as the tree commits it: the Keccak-256 of its decimal text. */
export const valueHash = (value: bigint | number): Uint8Array => keccak256OfText(String(value));

/**
 * A node's hash is a buffer of its own, rewritten in place when the node is rehashed: a block
 * rehashes thousands of long-lived nodes, and fresh digests for them would all become old garbage.
 */
interface Leaf { readonly leaf: true; readonly path: Uint8Array; readonly valueHash: Uint8Array; readonly hash: Uint8Array; dirty: boolean }
interface Branch { readonly leaf: false; readonly children: (TrieNode | undefined)[]; readonly hash: Uint8Array; dirty: boolean }
type TrieNode = Leaf | Branch;

const newBranch = (): Branch => ({ leaf: false, children: new Array<TrieNode | undefined>(16).fill(undefined), hash: new Uint8Array(32), dirty: true });
/** A leaf owns its value hash (later puts rewrite it in place), so it takes a copy. */
const newLeaf = (path: Uint8Array, valueHash: Uint8Array): Leaf => ({ leaf: true, path, valueHash: valueHash.slice(), hash: new Uint8Array(32), dirty: true });

/** The child hashes of the branch being hashed; filled only after its children are rehashed, and read at once. */
const scratch: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(16).fill(undefined);

/**
 * A key-value commitment over 32-byte key paths, updated in place and rehashed along dirty paths only.
 *
 * @spec PIPE-COMMIT-INCREMENTAL.1 PIPE-STAGE-COMMIT.1
 */
export class Commitment {
  private readonly top: Branch = newBranch();
  private size = 0;
  /** Nodes hashed by the last `root` or `childHashes` call (for the utilisation report). */
  hashed = 0;

  get keys(): number { return this.size; }

  /** Puts a key by its path and the hash of its value. */
  putPath(path: Uint8Array, valueHash: Uint8Array): void {
    let node: Branch = this.top;
    for (let depth = 0; ; depth++) {
      node.dirty = true;
      const n = nibble(path, depth);
      const child = node.children[n];
      if (child === undefined) {
        node.children[n] = newLeaf(path, valueHash);
        this.size++;
        return;
      }
      if (!child.leaf) { node = child; continue; }
      if (equalBytes(child.path, path)) {
        child.valueHash.set(valueHash);
        child.dirty = true;
        return;
      }
      // Two keys now share the prefix up to `depth`: index nodes down to the first nibble where they differ.
      let at: Branch = newBranch();
      node.children[n] = at;
      let d = depth + 1;
      while (nibble(child.path, d) === nibble(path, d)) {
        const next = newBranch();
        at.children[nibble(path, d)] = next;
        at = next;
        d++;
      }
      at.children[nibble(child.path, d)] = child;
      at.children[nibble(path, d)] = newLeaf(path, valueHash);
      this.size++;
      return;
    }
  }

  /** Puts a key and its value as the store commits them (the path and value hashed here). */
  put(key: Uint8Array, value: Uint8Array): void {
    this.putPath(keyPath(key), keccak256(value));
  }

  /** Rehashes a dirty node after its dirty children. */
  private rehash(node: TrieNode): void {
    this.hashed++;
    node.dirty = false;
    if (node.leaf) { leafHashOf(node.path, node.valueHash, node.hash); return; }
    for (const c of node.children) if (c?.dirty === true) this.rehash(c);
    for (let i = 0; i < 16; i++) scratch[i] = node.children[i]?.hash;
    nodeHashOf(scratch, node.hash);
  }

  /** Copies of the hashes of the root's 16 children (undefined where empty), rehashing what changed. */
  childHashes(): (Uint8Array | undefined)[] {
    this.hashed = 0;
    return this.top.children.map((c) => {
      if (c === undefined) return undefined;
      if (c.dirty) this.rehash(c);
      return c.hash.slice();
    });
  }

  /** A copy of the root, rehashing only the nodes on paths put since the last call. */
  root(): Uint8Array {
    if (this.top.dirty) {
      this.hashed = 0;
      this.rehash(this.top);
    }
    return this.top.hash.slice();
  }
}

/** The paths of the receipt index keys 0, 1, 2, ...: the same in every block, so computed once. */
const indexPaths: Uint8Array[] = [];
export const indexPath = (i: number): Uint8Array => {
  while (indexPaths.length <= i) {
    const k = indexPaths.length;
    indexPaths.push(keyPath(new Uint8Array([k >>> 24, (k >>> 16) & 0xff, (k >>> 8) & 0xff, k & 0xff])));
  }
  return indexPaths[i]!;
};

/** The root of a fresh set given as paths and value hashes (a receipts root). */
export const rootOfPaths = (entries: readonly (readonly [Uint8Array, Uint8Array])[]): Uint8Array => {
  const c = new Commitment();
  for (const [p, v] of entries) c.putPath(p, v);
  return c.root();
};
