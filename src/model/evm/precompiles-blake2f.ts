/**
 * The BLAKE2b compression function F as a precompile (EIP-152, address 0x09).
 *
 * 64-bit words are held as pairs of unsigned 32-bit halves (`lo`, `hi`) in a Uint32Array, so a
 * call with millions of rounds (one gas each) stays affordable without 64-bit BigInt arithmetic.
 */

/** BLAKE2b initialisation vector (RFC 7693 section 2.6), as [lo, hi] pairs. */
const IV = Uint32Array.from([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

/** Message word schedule (RFC 7693 section 2.7); round r uses row r mod 10. */
const SIGMA: readonly (readonly number[])[] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

/** v[a] += v[b] + x (mod 2^64), on word indices into the state and message arrays. */
const add3 = (v: Uint32Array, a: number, b: number, m: Uint32Array, x: number): void => {
  let lo = v[2 * a]! + v[2 * b]!;
  let hi = v[2 * a + 1]! + v[2 * b + 1]! + (lo >= 0x1_0000_0000 ? 1 : 0);
  lo >>>= 0;
  const lo2 = lo + m[2 * x]!;
  hi = hi + m[2 * x + 1]! + (lo2 >= 0x1_0000_0000 ? 1 : 0);
  v[2 * a] = lo2 >>> 0;
  v[2 * a + 1] = hi >>> 0;
};
/** v[a] += v[b] (mod 2^64). */
const add2 = (v: Uint32Array, a: number, b: number): void => {
  const lo = v[2 * a]! + v[2 * b]!;
  v[2 * a + 1] = (v[2 * a + 1]! + v[2 * b + 1]! + (lo >= 0x1_0000_0000 ? 1 : 0)) >>> 0;
  v[2 * a] = lo >>> 0;
};
/** v[d] = (v[d] xor v[a]) rotated right by n bits (n in 16, 24, 32, 63). */
const xorRotr = (v: Uint32Array, d: number, a: number, n: number): void => {
  const lo = (v[2 * d]! ^ v[2 * a]!) >>> 0;
  const hi = (v[2 * d + 1]! ^ v[2 * a + 1]!) >>> 0;
  let rl: number, rh: number;
  if (n === 32) { rl = hi; rh = lo; }
  else if (n < 32) { rl = (lo >>> n) | (hi << (32 - n)); rh = (hi >>> n) | (lo << (32 - n)); }
  else { const k = n - 32; rl = (hi >>> k) | (lo << (32 - k)); rh = (lo >>> k) | (hi << (32 - k)); }
  v[2 * d] = rl >>> 0;
  v[2 * d + 1] = rh >>> 0;
};

/** The mixing function G (RFC 7693 section 3.1). */
const mix = (v: Uint32Array, a: number, b: number, c: number, d: number, m: Uint32Array, x: number, y: number): void => {
  add3(v, a, b, m, x); xorRotr(v, d, a, 32);
  add2(v, c, d); xorRotr(v, b, c, 24);
  add3(v, a, b, m, y); xorRotr(v, d, a, 16);
  add2(v, c, d); xorRotr(v, b, c, 63);
};

const readWords = (data: Uint8Array, offset: number, count: number): Uint32Array => {
  const dv = new DataView(data.buffer, data.byteOffset + offset, count * 8);
  const out = new Uint32Array(count * 2);
  for (let i = 0; i < count * 2; i++) out[i] = dv.getUint32(4 * i, true);
  return out;
};

/**
 * The compression function F(h, m, t, f, rounds) of RFC 7693 with a caller-chosen number of
 * rounds: `h` 8 words, `m` 16 words, `t` 2 words (little-endian 64-bit words as lo/hi pairs).
 *
 * @spec EVM-PRE-BLAKE2F.1
 */
export const blake2Compress = (rounds: number, h: Uint32Array, m: Uint32Array, t: Uint32Array, final: boolean): Uint32Array => {
  const v = new Uint32Array(32);
  v.set(h, 0);
  v.set(IV, 16);
  v[24] = (v[24]! ^ t[0]!) >>> 0; v[25] = (v[25]! ^ t[1]!) >>> 0;
  v[26] = (v[26]! ^ t[2]!) >>> 0; v[27] = (v[27]! ^ t[3]!) >>> 0;
  if (final) { v[28] = ~v[28]! >>> 0; v[29] = ~v[29]! >>> 0; }
  for (let r = 0; r < rounds; r++) {
    const s = SIGMA[r % 10]!;
    mix(v, 0, 4, 8, 12, m, s[0]!, s[1]!);
    mix(v, 1, 5, 9, 13, m, s[2]!, s[3]!);
    mix(v, 2, 6, 10, 14, m, s[4]!, s[5]!);
    mix(v, 3, 7, 11, 15, m, s[6]!, s[7]!);
    mix(v, 0, 5, 10, 15, m, s[8]!, s[9]!);
    mix(v, 1, 6, 11, 12, m, s[10]!, s[11]!);
    mix(v, 2, 7, 8, 13, m, s[12]!, s[13]!);
    mix(v, 3, 4, 9, 14, m, s[14]!, s[15]!);
  }
  const out = new Uint32Array(16);
  for (let i = 0; i < 16; i++) out[i] = (h[i]! ^ v[i]! ^ v[i + 16]!) >>> 0;
  return out;
};

/** The result of a precompile body: output with its gas, or a failure that consumes all gas. */
export type PrecompileBody = { readonly kind: 'ok'; readonly gas: bigint; readonly output: Uint8Array } | { readonly kind: 'halt' };

/**
 * blake2f (0x09): input is exactly 213 bytes `rounds(4, big-endian) ‖ h(64) ‖ m(128) ‖ t(16) ‖ f(1)`
 * with `f ∈ {0, 1}`; gas is the number of rounds; output is the new `h` (64 bytes). Any other input
 * length or flag fails.
 *
 * @spec EVM-PRE-BLAKE2F.1
 */
export const blake2f = (data: Uint8Array, gasLeft: bigint): PrecompileBody => {
  if (data.length !== 213) return { kind: 'halt' };
  const rounds = new DataView(data.buffer, data.byteOffset, 4).getUint32(0, false);
  const gas = BigInt(rounds);
  if (gas > gasLeft) return { kind: 'halt' };
  const f = data[212]!;
  if (f !== 0 && f !== 1) return { kind: 'halt' };
  const h = blake2Compress(rounds, readWords(data, 4, 8), readWords(data, 68, 16), readWords(data, 196, 2), f === 1);
  const output = new Uint8Array(64);
  const dv = new DataView(output.buffer);
  for (let i = 0; i < 16; i++) dv.setUint32(4 * i, h[i]!, true);
  return { kind: 'ok', gas, output };
};
