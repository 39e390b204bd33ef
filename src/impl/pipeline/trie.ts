/**
 * The state commitment kept by the commit stage: key paths and value hashes of every key, with
 * the root recomputed over the sorted paths after each block. Paths are computed once per key.
 */
import { EMPTY_ROOT, keccak256, keyPath } from '../store/hash.js';
import { leafHashOf, nodeHashOf } from '../store/hash.js';

export { EMPTY_ROOT };

interface Leaf { readonly path: Uint8Array; valueHash: Uint8Array }

const nib = (p: Uint8Array, d: number): number => ((d & 1) === 0 ? p[d >> 1]! >> 4 : p[d >> 1]! & 15);

/** Root of leaves sorted by path, between lo and hi, all sharing the first `depth` nibbles. */
const subtree = (leaves: readonly Leaf[], lo: number, hi: number, depth: number, isRoot: boolean): Uint8Array | undefined => {
  if (lo === hi && !isRoot) return undefined;
  if (!isRoot && (hi - lo === 1 || depth >= 64)) return leafHashOf(leaves[lo]!.path, leaves[lo]!.valueHash);
  const children: (Uint8Array | undefined)[] = new Array(16).fill(undefined);
  let start = lo;
  while (start < hi) {
    const n = nib(leaves[start]!.path, depth);
    let end = start + 1;
    while (end < hi && nib(leaves[end]!.path, depth) === n) end++;
    children[n] = subtree(leaves, start, end, depth + 1, false);
    start = end;
  }
  return nodeHashOf(children);
};

const cmp = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);

export const rootOf = (leaves: readonly Leaf[]): Uint8Array => {
  const sorted = [...leaves].sort((a, b) => cmp(a.path, b.path));
  return subtree(sorted, 0, sorted.length, 0, true)!;
};

/** A mutable key-value commitment. */
export class Commitment {
  private readonly leaves = new Map<string, Leaf>();

  put(key: Uint8Array, value: Uint8Array): void {
    const id = Buffer.from(key).toString('latin1');
    const leaf = this.leaves.get(id);
    if (leaf !== undefined) leaf.valueHash = keccak256(value);
    else this.leaves.set(id, { path: keyPath(key), valueHash: keccak256(value) });
  }

  root(): Uint8Array {
    return rootOf([...this.leaves.values()]);
  }
}
