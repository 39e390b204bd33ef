/**
 * Inclusion and exclusion proofs, built and checked from the key-value set alone.
 *
 * A proof is the list of index nodes from the root down the key's path. Each level gives the
 * hashes of the node's other children (a 16-bit sibling bitmap, then one hash per set bit); the
 * child on the path is recomputed by the verifier. The proof ends at the slot the key's path
 * reaches: the key's own leaf (inclusion), an empty slot, or the leaf of another key that owns
 * the whole subtree (both exclusion).
 *
 * @module
 */
import { type Result, ok, fail } from '../encoding/result.js';
import { type Hash, type PathEntry, PATH_NIBBLES, keyPath, leafHash, nibbleAt, nodeHash, slotHash, valueHash } from './commitment.js';

export type ProofTerminal =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'other'; readonly path: Uint8Array; readonly valueHash: Hash };

export interface ProofLevel {
  /** Bit i set when child i is present and is not the child on the key's path. */
  readonly siblingBitmap: number;
  /** The hashes of those children, in nibble order. */
  readonly siblings: readonly Hash[];
}

export interface Proof {
  readonly levels: readonly ProofLevel[];
  readonly terminal: ProofTerminal;
}

const FORMAT = 0x01;
const TERMINAL_CODE = { leaf: 0, empty: 1, other: 2 } as const;

const popcount = (x: number): number => {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
};

/**
 * Builds the proof for `key` over a key-value set (as path entries). The same set and key give the
 * same proof whatever the history, because the tree shape is canonical.
 *
 * @spec STORE-PROOF-BUILD.1 STORE-PROOF-FORMAT.1
 */
export const buildProof = (entries: readonly PathEntry[], key: Uint8Array): Proof => {
  const path = keyPath(key);
  const levels: ProofLevel[] = [];
  let group = entries;
  for (let depth = 0; depth < PATH_NIBBLES; depth++) {
    const on = nibbleAt(path, depth);
    const groups: PathEntry[][] = Array.from({ length: 16 }, () => []);
    for (const e of group) groups[nibbleAt(e.path, depth)]!.push(e);
    let siblingBitmap = 0;
    const siblings: Hash[] = [];
    groups.forEach((g, i) => {
      if (i === on || g.length === 0) return;
      siblingBitmap |= 1 << i;
      siblings.push(slotHash(g, depth + 1)!);
    });
    levels.push({ siblingBitmap, siblings });
    const next = groups[on]!;
    if (next.length === 0) return { levels, terminal: { kind: 'empty' } };
    if (next.length === 1) {
      const only = next[0]!;
      const same = only.path.every((b, i) => b === path[i]);
      return { levels, terminal: same ? { kind: 'leaf' } : { kind: 'other', path: only.path, valueHash: only.valueHash } };
    }
    group = next;
  }
  // Only reachable if two keys had the same Keccak-256 path.
  return { levels, terminal: { kind: 'empty' } };
};

/**
 * Proof bytes: 0x01, the level count (1..64), then per level a big-endian u16 sibling bitmap and
 * 32 bytes per set bit, then the terminal: 0x00 (the key's leaf), 0x01 (empty slot) or 0x02
 * followed by the other leaf's 32-byte path and 32-byte value hash. Nothing may follow.
 *
 * @spec STORE-PROOF-FORMAT.1
 */
export const encodeProof = (proof: Proof): Uint8Array => {
  const size = 2 + proof.levels.reduce((n, l) => n + 2 + 32 * l.siblings.length, 0) + 1 + (proof.terminal.kind === 'other' ? 64 : 0);
  const out = new Uint8Array(size);
  out[0] = FORMAT;
  out[1] = proof.levels.length;
  let at = 2;
  for (const l of proof.levels) {
    out[at] = l.siblingBitmap >> 8;
    out[at + 1] = l.siblingBitmap & 0xff;
    at += 2;
    for (const h of l.siblings) {
      out.set(h, at);
      at += 32;
    }
  }
  out[at] = TERMINAL_CODE[proof.terminal.kind];
  if (proof.terminal.kind === 'other') {
    out.set(proof.terminal.path, at + 1);
    out.set(proof.terminal.valueHash, at + 33);
  }
  return out;
};

const malformed = <T>(message: string): Result<T> => fail('Store.Proof.MALFORMED', message);

/**
 * Decodes proof bytes of STORE-PROOF-FORMAT.1; anything else is `Store.Proof.MALFORMED` with the
 * offset where decoding stopped.
 *
 * @spec STORE-PROOF-FORMAT.1
 */
export const decodeProof = (bytes: Uint8Array): Result<Proof> => {
  if (bytes.length < 3) return malformed(`proof has ${bytes.length} bytes; at least 3 are needed`);
  if (bytes[0] !== FORMAT) return malformed(`proof format byte at offset 0 is ${bytes[0]}, expected 1`);
  const count = bytes[1]!;
  if (count < 1 || count > PATH_NIBBLES) return malformed(`level count at offset 1 is ${count}, expected 1..64`);
  const levels: ProofLevel[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (at + 2 > bytes.length) return malformed(`level ${i} bitmap at offset ${at} runs past the end`);
    const siblingBitmap = (bytes[at]! << 8) | bytes[at + 1]!;
    at += 2;
    const n = popcount(siblingBitmap);
    if (at + 32 * n > bytes.length) return malformed(`level ${i} needs ${n} sibling hashes from offset ${at}, past the end`);
    const siblings = Array.from({ length: n }, (_, j) => bytes.slice(at + 32 * j, at + 32 * (j + 1)));
    at += 32 * n;
    levels.push({ siblingBitmap, siblings });
  }
  if (at >= bytes.length) return malformed(`terminal byte at offset ${at} is missing`);
  const code = bytes[at]!;
  at += 1;
  let terminal: ProofTerminal;
  if (code === 0) terminal = { kind: 'leaf' };
  else if (code === 1) terminal = { kind: 'empty' };
  else if (code === 2) {
    if (at + 64 > bytes.length) return malformed(`other-leaf terminal at offset ${at} needs 64 bytes`);
    terminal = { kind: 'other', path: bytes.slice(at, at + 32), valueHash: bytes.slice(at + 32, at + 64) };
    at += 64;
  } else return malformed(`terminal code ${code} at offset ${at - 1} is not 0, 1 or 2`);
  if (at !== bytes.length) return malformed(`${bytes.length - at} trailing bytes after offset ${at}`);
  return ok({ levels, terminal });
};

const samePrefix = (a: Uint8Array, b: Uint8Array, nibbles: number): boolean => {
  for (let i = 0; i < nibbles; i++) if (nibbleAt(a, i) !== nibbleAt(b, i)) return false;
  return true;
};

/**
 * Verifies a proof against a root for a claim: `value` is the claimed value of `key`, or null to
 * claim that the key is absent. Returns whether the key is included; fails with a stable code
 * when the proof is malformed, does not follow the key's path, proves the other kind of claim,
 * or does not hash to the root.
 *
 * @spec STORE-PROOF-VERIFY.1 STORE-PROOF-FORMAT.1
 */
export const verifyProof = (root: Hash, key: Uint8Array, value: Uint8Array | null, proofBytes: Uint8Array): Result<{ readonly included: boolean }> => {
  const decoded = decodeProof(proofBytes);
  if (!decoded.ok) return decoded;
  const { levels, terminal } = decoded.value;
  const path = keyPath(key);
  const depth = levels.length;
  for (let d = 0; d < depth; d++) {
    if ((levels[d]!.siblingBitmap >> nibbleAt(path, d)) & 1) {
      return fail('Store.Proof.PATH_MISMATCH', `level ${d} lists a sibling at nibble ${nibbleAt(path, d)}, which is the key's own path`);
    }
  }
  if (terminal.kind === 'leaf' && value === null) return fail('Store.Proof.KIND_MISMATCH', 'the proof shows the key present, the claim is that it is absent');
  if (terminal.kind !== 'leaf' && value !== null) return fail('Store.Proof.KIND_MISMATCH', `the proof shows the key absent (${terminal.kind} slot), the claim is a value`);
  if (terminal.kind === 'other' && (!samePrefix(terminal.path, path, depth) || samePrefix(terminal.path, path, PATH_NIBBLES))) {
    return fail('Store.Proof.PATH_MISMATCH', `the other leaf must share the first ${depth} nibbles of the key's path and differ from it`);
  }
  let current: Hash | undefined =
    terminal.kind === 'leaf' ? leafHash(path, valueHash(value!))
      : terminal.kind === 'other' ? leafHash(terminal.path, terminal.valueHash) : undefined;
  for (let d = depth - 1; d >= 0; d--) {
    const level = levels[d]!;
    const children: (Hash | undefined)[] = [];
    let next = 0;
    for (let i = 0; i < 16; i++) {
      if ((level.siblingBitmap >> i) & 1) children.push(level.siblings[next++]);
      else children.push(i === nibbleAt(path, d) ? current : undefined);
    }
    current = nodeHash(children);
  }
  const same = current !== undefined && current.length === root.length && current.every((b, i) => b === root[i]);
  if (!same) return fail('Store.Proof.ROOT_MISMATCH', 'the proof does not hash to the given root');
  return ok({ included: value !== null });
};
