/**
 * Hashing and an incremental Merkle tree for SPN commitments. Leaf objects are written straight to
 * canonical JSON (identifiers are restricted to a charset that needs no escaping beyond what
 * JSON.stringify does), and the tree keeps every level so that an update costs one path.
 *
 * @module
 */
// The same SHA-256 the model uses, so benchmark ratios compare the data structures, not the hash.
import { sha256 } from '@noble/hashes/sha2.js';
import type { Header, Leaf, MerkleProof, OutboxEntry } from '../../model/spn/types.js';
import type { Result } from '../../model/encoding/result.js';

const enc = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export const toHex = (b: Uint8Array): string => {
  let s = '0x';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s;
};

const HEX_RE = /^0x[0-9a-f]{64}$/;
export const fromHex32 = (h: string): Uint8Array | undefined => {
  if (!HEX_RE.test(h)) return undefined;
  return Uint8Array.from(Buffer.from(h.slice(2), 'hex'));
};

export const ZERO = new Uint8Array(32);
export const ZERO_HEX = toHex(ZERO);

const q = (s: string): string => JSON.stringify(s);

const prefixedHash = (prefix: number, body: Uint8Array): Uint8Array => {
  const buf = new Uint8Array(body.length + 1);
  buf[0] = prefix;
  buf.set(body, 1);
  return sha256(buf);
};

export const leafBytes = (l: Leaf): Uint8Array =>
  prefixedHash(0, enc.encode(`{"account":${q(l.account)},"asset":${q(l.asset)},"balance":${q(l.balance.toString())}}`));

export const outboxBytes = (e: OutboxEntry): Uint8Array =>
  prefixedHash(0, enc.encode(e.type === 'withdrawal'
    ? `{"account":${q(e.account)},"amount":${q(e.amount.toString())},"asset":${q(e.asset)},"nonce":${JSON.stringify(e.nonce)},"spn":${q(e.spn)},"type":"withdrawal"}`
    : `{"amount":${q(e.amount.toString())},"asset":${q(e.asset)},"dst":${q(e.dst)},"recipient":${q(e.recipient)},"sender":${q(e.sender)},"seq":${JSON.stringify(e.seq)},"src":${q(e.src)},"timeoutAt":${JSON.stringify(e.timeoutAt)},"type":"message"}`));

export const messageIdOf = (e: OutboxEntry): string => toHex(outboxBytes(e));

export const headerHashOf = (h: Header): string =>
  toHex(sha256(enc.encode(`{"executed":[${h.executed.map(q).join(',')}],"forcedProcessed":${h.forcedProcessed},"height":${h.height},"observedHeight":${h.observedHeight},"outboxRoot":${q(h.outboxRoot)},"parent":${q(h.parent)},"spn":${q(h.spn)},"stateRoot":${q(h.stateRoot)}}`)));

export const genesisHashOf = (spn: string): string => toHex(sha256(enc.encode(`{"genesis":${q(spn)}}`)));

const node = (l: Uint8Array, r: Uint8Array): Uint8Array => {
  const buf = new Uint8Array(65);
  buf[0] = 1;
  buf.set(l, 1);
  buf.set(r, 33);
  return sha256(buf);
};

/**
 * A Merkle tree over a growing list of leaf hashes: capacity doubles when full (the levels are
 * rebuilt, amortized O(1) per append); an update rehashes one path.
 */
export class IncrementalTree {
  private levels: Uint8Array[][] = [[]];
  private n = 0;
  private depth = 0;

  static of(leaves: readonly Uint8Array[]): IncrementalTree {
    const t = new IncrementalTree();
    t.rebuild(leaves);
    return t;
  }

  get size(): number {
    return this.n;
  }

  private rebuild(leaves: readonly Uint8Array[]): void {
    this.n = leaves.length;
    this.depth = 0;
    while (2 ** this.depth < this.n) this.depth++;
    const width = 2 ** this.depth;
    let level: Uint8Array[] = new Array<Uint8Array>(width);
    for (let i = 0; i < width; i++) level[i] = leaves[i] ?? ZERO;
    this.levels = [level];
    while (level.length > 1) {
      const next: Uint8Array[] = new Array<Uint8Array>(level.length / 2);
      for (let i = 0; i < next.length; i++) next[i] = node(level[2 * i]!, level[2 * i + 1]!);
      this.levels.push(next);
      level = next;
    }
  }

  append(leaf: Uint8Array): void {
    if (this.n === 0) {
      this.levels = [[leaf]];
      this.n = 1;
      return;
    }
    if (this.n === 2 ** this.depth) {
      this.rebuild([...this.levels[0]!.slice(0, this.n), leaf]);
      return;
    }
    this.n++;
    this.update(this.n - 1, leaf);
  }

  update(index: number, leaf: Uint8Array): void {
    this.levels[0]![index] = leaf;
    let i = index;
    for (let d = 1; d < this.levels.length; d++) {
      i >>= 1;
      this.levels[d]![i] = node(this.levels[d - 1]![2 * i]!, this.levels[d - 1]![2 * i + 1]!);
    }
  }

  root(): string {
    return this.n === 0 ? ZERO_HEX : toHex(this.levels[this.levels.length - 1]![0]!);
  }

  proof(index: number): MerkleProof {
    const siblings: string[] = [];
    for (let d = 0; d < this.levels.length - 1; d++) siblings.push(toHex(this.levels[d]![(index >> d) ^ 1]!));
    return { index, siblings };
  }
}

export const rootOf = (leaves: readonly Uint8Array[]): string => IncrementalTree.of(leaves).root();

/** The same verification as the model's, with its codes, over raw bytes. */
export const verifyProof = (root: string, leaf: string, proof: MerkleProof): Result<true> => {
  if (proof.siblings.length > 32) return { ok: false, error: { code: 'Spn.Proof.BAD_LENGTH', message: `a proof has at most 32 siblings, got ${proof.siblings.length}` } };
  if (!Number.isSafeInteger(proof.index) || proof.index < 0 || proof.index >= 2 ** proof.siblings.length) {
    return { ok: false, error: { code: 'Spn.Proof.BAD_INDEX', message: `index ${proof.index} does not fit depth ${proof.siblings.length}` } };
  }
  let acc = fromHex32(leaf);
  if (acc === undefined) return { ok: false, error: { code: 'Spn.Proof.BAD_HASH', message: 'the leaf hash is not 32 bytes of 0x-hex' } };
  for (let d = 0; d < proof.siblings.length; d++) {
    const s = fromHex32(proof.siblings[d]!);
    if (s === undefined) return { ok: false, error: { code: 'Spn.Proof.BAD_HASH', message: `sibling ${d} is not 32 bytes of 0x-hex` } };
    acc = ((proof.index >> d) & 1) === 0 ? node(acc, s) : node(s, acc);
  }
  const got = toHex(acc);
  return got === root ? { ok: true, value: true } : { ok: false, error: { code: 'Spn.Proof.ROOT_MISMATCH', message: `the proof leads to ${got}, not to ${root}` } };
};
