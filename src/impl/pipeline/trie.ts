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

export { EMPTY_ROOT, keyPath };

interface Leaf { readonly leaf: true; readonly path: Uint8Array; valueHash: Uint8Array; hash: Uint8Array | null }
interface Branch { readonly leaf: false; readonly children: (TrieNode | undefined)[]; hash: Uint8Array | null }
type TrieNode = Leaf | Branch;

const newBranch = (): Branch => ({ leaf: false, children: new Array<TrieNode | undefined>(16).fill(undefined), hash: null });

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
      node.hash = null;
      const n = nibble(path, depth);
      const child = node.children[n];
      if (child === undefined) {
        node.children[n] = { leaf: true, path, valueHash, hash: null };
        this.size++;
        return;
      }
      if (!child.leaf) { node = child; continue; }
      if (equalBytes(child.path, path)) {
        child.valueHash = valueHash;
        child.hash = null;
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
      at.children[nibble(path, d)] = { leaf: true, path, valueHash, hash: null };
      this.size++;
      return;
    }
  }

  /** Puts a key and its value as the store commits them (the path and value hashed here). */
  put(key: Uint8Array, value: Uint8Array): void {
    this.putPath(keyPath(key), keccak256(value));
  }

  private hashOf(node: TrieNode): Uint8Array {
    if (node.hash !== null) return node.hash;
    this.hashed++;
    node.hash = node.leaf ? leafHashOf(node.path, node.valueHash) : nodeHashOf(node.children.map((c) => (c === undefined ? undefined : this.hashOf(c))));
    return node.hash;
  }

  /** The hashes of the root's 16 children (undefined where empty), rehashing what changed. */
  childHashes(): (Uint8Array | undefined)[] {
    this.hashed = 0;
    return this.top.children.map((c) => (c === undefined ? undefined : this.hashOf(c)));
  }

  /** The root, rehashing only the nodes on paths put since the last call. */
  root(): Uint8Array {
    if (this.top.hash !== null) return this.top.hash;
    this.top.hash = nodeHashOf(this.childHashes());
    return this.top.hash;
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
