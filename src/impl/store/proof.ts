/**
 * Proof bytes as the engine writes and checks them (format 1: level count, per level a sibling
 * bitmap and hashes, then the terminal slot), independent of the model's code.
 */
import type { Result } from '../../model/encoding/result.js';
import { equalBytes, keyPath, leafHashOf, nibble, nodeHashOf, keccak256 } from './hash.js';

export interface ProofLevelData { readonly bitmap: number; readonly siblings: readonly Uint8Array[] }
export type Terminal = { readonly kind: 0 } | { readonly kind: 1 } | { readonly kind: 2; readonly path: Uint8Array; readonly valueHash: Uint8Array };

export const writeProof = (levels: readonly ProofLevelData[], terminal: Terminal): Uint8Array => {
  let size = 3 + (terminal.kind === 2 ? 64 : 0);
  for (const l of levels) size += 2 + 32 * l.siblings.length;
  const out = new Uint8Array(size);
  out[0] = 1;
  out[1] = levels.length;
  let at = 2;
  for (const l of levels) {
    out[at++] = l.bitmap >> 8;
    out[at++] = l.bitmap & 0xff;
    for (const h of l.siblings) { out.set(h, at); at += 32; }
  }
  out[at++] = terminal.kind;
  if (terminal.kind === 2) { out.set(terminal.path, at); out.set(terminal.valueHash, at + 32); }
  return out;
};

const bad = (code: string, message: string): Result<never> => ({ ok: false, error: { code, message } });

const bitCount = (x: number): number => { let n = 0; for (let v = x; v; v &= v - 1) n++; return n; };

/** Checks a proof of `key` having `value` (or, for null, being absent) under `root`. */
export const verifyProofBytes = (root: Uint8Array, key: Uint8Array, value: Uint8Array | null, proof: Uint8Array): Result<{ readonly included: boolean }> => {
  if (proof.length < 3) return bad('Store.Proof.MALFORMED', `proof of ${proof.length} bytes is shorter than 3`);
  if (proof[0] !== 1) return bad('Store.Proof.MALFORMED', `unknown proof format ${proof[0]} at byte 0`);
  const depth = proof[1]!;
  if (depth === 0 || depth > 64) return bad('Store.Proof.MALFORMED', `level count ${depth} at byte 1 is outside 1..64`);
  const levels: { bitmap: number; at: number }[] = [];
  let at = 2;
  for (let d = 0; d < depth; d++) {
    if (at + 2 > proof.length) return bad('Store.Proof.MALFORMED', `level ${d} is cut off at byte ${at}`);
    const bitmap = (proof[at]! << 8) | proof[at + 1]!;
    const end = at + 2 + 32 * bitCount(bitmap);
    if (end > proof.length) return bad('Store.Proof.MALFORMED', `level ${d} hashes run past the end from byte ${at + 2}`);
    levels.push({ bitmap, at: at + 2 });
    at = end;
  }
  if (at >= proof.length) return bad('Store.Proof.MALFORMED', `terminal missing at byte ${at}`);
  const kind = proof[at]!;
  const end = at + 1 + (kind === 2 ? 64 : 0);
  if (kind > 2) return bad('Store.Proof.MALFORMED', `terminal code ${kind} at byte ${at}`);
  if (end > proof.length) return bad('Store.Proof.MALFORMED', `other-leaf terminal cut off at byte ${at + 1}`);
  if (end < proof.length) return bad('Store.Proof.MALFORMED', `${proof.length - end} trailing bytes at byte ${end}`);
  const path = keyPath(key);
  for (let d = 0; d < depth; d++) {
    if ((levels[d]!.bitmap >> nibble(path, d)) & 1) return bad('Store.Proof.PATH_MISMATCH', `level ${d} has a sibling on the key's own nibble`);
  }
  if ((kind === 0) !== (value !== null)) return bad('Store.Proof.KIND_MISMATCH', kind === 0 ? 'proof of presence for a claim of absence' : 'proof of absence for a claimed value');
  let current: Uint8Array | undefined;
  if (kind === 0) current = leafHashOf(path, keccak256(value!));
  else if (kind === 2) {
    const other = proof.subarray(at + 1, at + 33);
    let shared = 0;
    while (shared < 64 && nibble(other, shared) === nibble(path, shared)) shared++;
    if (shared < depth || shared === 64) return bad('Store.Proof.PATH_MISMATCH', `other leaf shares ${shared} nibbles with the key; it must share ${depth} and differ`);
    current = leafHashOf(other, proof.subarray(at + 33, at + 65));
  }
  const children: (Uint8Array | undefined)[] = new Array(16);
  for (let d = depth - 1; d >= 0; d--) {
    const { bitmap, at: hashes } = levels[d]!;
    let k = 0;
    for (let i = 0; i < 16; i++) {
      if ((bitmap >> i) & 1) { children[i] = proof.subarray(hashes + 32 * k, hashes + 32 * (k + 1)); k++; }
      else children[i] = i === nibble(path, d) ? current : undefined;
    }
    current = nodeHashOf(children);
  }
  if (current === undefined || !equalBytes(current, root)) return bad('Store.Proof.ROOT_MISMATCH', 'proof does not hash to the root');
  return { ok: true, value: { included: value !== null } };
};
