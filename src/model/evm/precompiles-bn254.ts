/**
 * The bn254 (alt_bn128) precompiles: point addition (0x06) and scalar multiplication (0x07) on G1
 * (EIP-196) and the pairing check (0x08, EIP-197), priced per EIP-1108. Curve arithmetic is
 * @noble/curves' bn254; this module fixes the byte encodings and the failure rules.
 */
import { bn254 } from '@noble/curves/bn254.js';
import { bytesToBigint, wordBytes } from './rlp.js';
import type { PrecompileBody } from './precompiles-blake2f.js';

/** The base field modulus p; every coordinate must be below it. */
export const BN254_P = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47n;
/** The group order n of G1 and G2. */
export const BN254_N = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;

type G1 = ReturnType<typeof bn254.G1.Point.fromAffine>;
type G2 = ReturnType<typeof bn254.G2.Point.fromAffine>;

const padRight = (data: Uint8Array, size: number): Uint8Array => {
  const out = new Uint8Array(size);
  out.set(data.subarray(0, size));
  return out;
};
const word = (b: Uint8Array, i: number): bigint => bytesToBigint(b.subarray(32 * i, 32 * i + 32));

/**
 * Decodes a G1 point `x ‖ y` (two 32-byte big-endian field elements); `(0, 0)` is the point at
 * infinity. Coordinates not below p or a point off the curve y² = x³ + 3 are invalid (null).
 *
 * @spec EVM-PRE-BN254.1
 */
export const decodeG1 = (b: Uint8Array): G1 | null => {
  const x = word(b, 0), y = word(b, 1);
  if (x >= BN254_P || y >= BN254_P) return null;
  if (x === 0n && y === 0n) return bn254.G1.Point.ZERO;
  if ((y * y - x * x * x - 3n) % BN254_P !== 0n) return null;
  return bn254.G1.Point.fromAffine({ x, y });
};

/**
 * Decodes a G2 point from 128 bytes: `x_im ‖ x_re ‖ y_im ‖ y_re` (EIP-197 puts the imaginary part
 * first). All zero is the point at infinity. Coordinates not below p, a point off the twisted curve
 * or outside the order-n subgroup are invalid (null).
 *
 * @spec EVM-PRE-BN254.1
 */
export const decodeG2 = (b: Uint8Array): G2 | null => {
  const xi = word(b, 0), xr = word(b, 1), yi = word(b, 2), yr = word(b, 3);
  if (xi >= BN254_P || xr >= BN254_P || yi >= BN254_P || yr >= BN254_P) return null;
  if (xi === 0n && xr === 0n && yi === 0n && yr === 0n) return bn254.G2.Point.ZERO;
  try {
    const p = bn254.G2.Point.fromAffine({ x: { c0: xr, c1: xi }, y: { c0: yr, c1: yi } });
    // On the curve and in the subgroup: noble checks both (G2 has a cofactor, unlike G1).
    p.assertValidity();
    return p;
  } catch {
    return null;
  }
};

const encodeG1 = (p: G1): Uint8Array => {
  const out = new Uint8Array(64);
  if (p.is0()) return out;
  const a = p.toAffine();
  out.set(wordBytes(a.x), 0);
  out.set(wordBytes(a.y), 32);
  return out;
};

/** ecAdd (0x06): 150 gas; input right-padded to 128 bytes as two G1 points. @spec EVM-PRE-BN254.1 */
export const bn254Add = (data: Uint8Array, gasLeft: bigint): PrecompileBody => {
  const gas = 150n;
  if (gas > gasLeft) return { kind: 'halt' };
  const input = padRight(data, 128);
  const a = decodeG1(input.subarray(0, 64)), b = decodeG1(input.subarray(64, 128));
  if (a === null || b === null) return { kind: 'halt' };
  return { kind: 'ok', gas, output: encodeG1(a.add(b)) };
};

/** ecMul (0x07): 6000 gas; input right-padded to 96 bytes as a G1 point and a 256-bit scalar. @spec EVM-PRE-BN254.1 */
export const bn254Mul = (data: Uint8Array, gasLeft: bigint): PrecompileBody => {
  const gas = 6000n;
  if (gas > gasLeft) return { kind: 'halt' };
  const input = padRight(data, 96);
  const p = decodeG1(input.subarray(0, 64));
  if (p === null) return { kind: 'halt' };
  // G1 has prime order n, so the scalar acts modulo n; noble rejects 0 and values >= n.
  const k = word(input, 2) % BN254_N;
  return { kind: 'ok', gas, output: encodeG1(k === 0n || p.is0() ? bn254.G1.Point.ZERO : p.multiply(k)) };
};

/**
 * ecPairing (0x08): 45000 + 34000 per pair; the input is k pairs of (G1 64 bytes, G2 128 bytes),
 * its length a multiple of 192; the output is 32 bytes holding 1 when the product of the pairings
 * is one in GT (always for k = 0) and 0 otherwise.
 *
 * @spec EVM-PRE-BN254.1
 */
export const bn254Pairing = (data: Uint8Array, gasLeft: bigint): PrecompileBody => {
  const k = Math.floor(data.length / 192);
  const gas = 45000n + 34000n * BigInt(k);
  if (gas > gasLeft) return { kind: 'halt' };
  if (data.length % 192 !== 0) return { kind: 'halt' };
  const pairs: { g1: G1; g2: G2 }[] = [];
  for (let i = 0; i < k; i++) {
    const g1 = decodeG1(data.subarray(192 * i, 192 * i + 64));
    const g2 = decodeG2(data.subarray(192 * i + 64, 192 * i + 192));
    if (g1 === null || g2 === null) return { kind: 'halt' };
    // A pair with a point at infinity contributes the identity.
    if (!g1.is0() && !g2.is0()) pairs.push({ g1, g2 });
  }
  const Fp12 = bn254.fields.Fp12;
  const one = pairs.length === 0 || Fp12.eql(bn254.pairingBatch(pairs), Fp12.ONE);
  return { kind: 'ok', gas, output: wordBytes(one ? 1n : 0n) };
};
