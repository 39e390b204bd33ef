/**
 * Commitments over SPN data: a binary Merkle tree with domain-separated leaf and node hashes,
 * used for the SPN state (balance leaves) and for each block's outbox (withdrawals and messages).
 * The model recomputes every tree from scratch; the implementation keeps incremental trees and
 * must give the same roots and proofs.
 *
 * @module
 */
import { bytesToHex, canonicalJson, fail, hexToBytes, ok, sha256, utf8, type Result } from '../encoding/index.js';
import type { Header, Leaf, MerkleProof, OutboxEntry } from './types.js';

/** The hash of an absent leaf (padding) and the root of an empty tree: 32 zero bytes. */
export const ZERO_HASH = `0x${'00'.repeat(32)}`;

/** Largest tree depth a proof may claim (2^32 leaves), so a verifier never loops on hostile input. */
export const MAX_PROOF_DEPTH = 32;

/** A JSON object with string and safe-integer members whose canonical form is hashed. */
type Encodable = Readonly<Record<string, string | number | readonly string[]>>;

const canonicalBytes = (value: Encodable): Uint8Array => {
  const text = canonicalJson(value);
  // Only strings, safe integers and string lists reach here, which canonicalize without failure.
  return utf8(text.ok ? text.value : '');
};

const prefixed = (prefix: number, ...parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0));
  out[0] = prefix;
  let at = 1;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** The canonical object of a balance leaf. @spec SPN-STATE-LEAF.1 */
export const leafObject = (leaf: Leaf): Encodable => ({ account: leaf.account, asset: leaf.asset, balance: leaf.balance.toString(10) });

/** The canonical object of an outbox entry. @spec SPN-STATE-LEAF.1 SPN-MSG-FORMAT.1 */
export const outboxObject = (entry: OutboxEntry): Encodable =>
  entry.type === 'withdrawal'
    ? { type: 'withdrawal', spn: entry.spn, nonce: entry.nonce, account: entry.account, asset: entry.asset, amount: entry.amount.toString(10) }
    : { type: 'message', src: entry.src, dst: entry.dst, seq: entry.seq, sender: entry.sender, recipient: entry.recipient, asset: entry.asset, amount: entry.amount.toString(10), timeoutAt: entry.timeoutAt };

/**
 * The hash of a leaf: sha256 of the byte 0x00 and the UTF-8 canonical JSON of its object.
 *
 * @spec SPN-STATE-LEAF.1
 */
export const leafHash = (object: Encodable): string => bytesToHex(sha256(prefixed(0x00, canonicalBytes(object))));

/** The hash of an inner node: sha256 of 0x01, the left child and the right child. @spec SPN-STATE-TREE.1 */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => sha256(prefixed(0x01, left, right));

/** Tree depth for n leaves: the smallest d with 2^d >= n (0 for at most one leaf). @spec SPN-STATE-TREE.1 */
export const treeDepth = (n: number): number => {
  let d = 0;
  while (2 ** d < n) d += 1;
  return d;
};

const hexBytes = (h: string): Uint8Array => {
  const r = hexToBytes(h);
  return r.ok ? r.value : new Uint8Array(32);
};

/** Every level of the tree, leaves first, each padded to the full width with ZERO_HASH. */
const levels = (leafHashes: readonly string[]): readonly (readonly Uint8Array[])[] => {
  const depth = treeDepth(leafHashes.length);
  const width = 2 ** depth;
  let level: Uint8Array[] = Array.from({ length: width }, (_, i) => hexBytes(leafHashes[i] ?? ZERO_HASH));
  const out: Uint8Array[][] = [level];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    level = next;
    out.push(level);
  }
  return out;
};

/**
 * The root of a list of leaf hashes: the tree has 2^d leaves (d from `treeDepth`), the missing ones
 * ZERO_HASH; the empty list has root ZERO_HASH, a single leaf is its own root.
 *
 * @spec SPN-STATE-TREE.1
 */
export const merkleRoot = (leafHashes: readonly string[]): string =>
  leafHashes.length === 0 ? ZERO_HASH : bytesToHex(levels(leafHashes).at(-1)![0]!);

/** The inclusion proof of the leaf at `index`. @spec SPN-STATE-PROOF.1 */
export const merkleProof = (leafHashes: readonly string[], index: number): Result<MerkleProof> => {
  if (!Number.isInteger(index) || index < 0 || index >= leafHashes.length) {
    return fail('Spn.Proof.NO_SUCH_LEAF', `leaf index ${index} is outside 0..${leafHashes.length - 1}`);
  }
  const ls = levels(leafHashes);
  const siblings = ls.slice(0, -1).map((level, d) => bytesToHex(level[(index >> d) ^ 1]!));
  return ok({ index, siblings });
};

/**
 * Verifies that `leaf` (a leaf hash) sits at `proof.index` in the tree with root `root`. The depth
 * is the number of siblings; the index must fit in it. Fails with a stable code, never throws.
 *
 * @spec SPN-STATE-PROOF.1
 */
export const verifyMerkleProof = (root: string, leaf: string, proof: MerkleProof): Result<true> => {
  if (proof.siblings.length > MAX_PROOF_DEPTH) {
    return fail('Spn.Proof.BAD_LENGTH', `a proof has at most ${MAX_PROOF_DEPTH} siblings, got ${proof.siblings.length}`);
  }
  if (!Number.isSafeInteger(proof.index) || proof.index < 0 || proof.index >= 2 ** proof.siblings.length) {
    return fail('Spn.Proof.BAD_INDEX', `index ${proof.index} does not fit a tree of depth ${proof.siblings.length}`);
  }
  const acc = hexToBytes(leaf);
  if (!acc.ok || acc.value.length !== 32) return fail('Spn.Proof.BAD_HASH', 'the leaf hash is not 32 bytes of 0x-hex');
  let node = acc.value;
  for (let d = 0; d < proof.siblings.length; d++) {
    const sib = hexToBytes(proof.siblings[d]!);
    if (!sib.ok || sib.value.length !== 32) return fail('Spn.Proof.BAD_HASH', `sibling ${d} is not 32 bytes of 0x-hex`);
    node = ((proof.index >> d) & 1) === 0 ? nodeHash(node, sib.value) : nodeHash(sib.value, node);
  }
  return bytesToHex(node) === root ? ok(true) : fail('Spn.Proof.ROOT_MISMATCH', `the proof leads to ${bytesToHex(node)}, not to the committed root ${root}`);
};

/** The state root of an SPN: the tree over its balance leaves in leaf order. @spec SPN-STATE-TREE.1 */
export const stateRoot = (leaves: readonly Leaf[]): string => merkleRoot(leaves.map((l) => leafHash(leafObject(l))));

/** The outbox root of a block: the tree over its outbox entries in order. @spec SPN-STATE-TREE.1 */
export const outboxRoot = (entries: readonly OutboxEntry[]): string => merkleRoot(entries.map((e) => leafHash(outboxObject(e))));

/** A message's id: the leaf hash of its canonical object, so it is fixed by content alone. @spec SPN-MSG-FORMAT.1 */
export const messageId = (m: OutboxEntry): string => leafHash(outboxObject(m));

/** The hash of a header: sha256 of the UTF-8 canonical JSON of its fields. @spec SPN-HDR-FORMAT.1 */
export const headerHash = (h: Header): string =>
  bytesToHex(sha256(canonicalBytes({
    spn: h.spn, height: h.height, parent: h.parent, stateRoot: h.stateRoot, outboxRoot: h.outboxRoot,
    forcedProcessed: h.forcedProcessed, observedHeight: h.observedHeight, executed: h.executed,
  })));

/** The parent of an SPN's first header. @spec SPN-HDR-FORMAT.1 */
export const genesisHash = (spn: string): string => bytesToHex(sha256(canonicalBytes({ genesis: spn })));
