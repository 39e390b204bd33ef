/**
 * Value operations of the engine's interpreter tier, on the dMIR value representation (i32 a
 * signed number, i64 a signed bigint, f32 and f64 their IEEE bit patterns as an unsigned number
 * and an unsigned bigint). Written for the engine, independently of the reference model: traps
 * are thrown as `Trapped` so that the fast path carries no trap checks.
 */
import type { TrapCode } from '../../model/dmir/ir.js';

/** A trap raised inside the interpreter or by compiled code; ends the whole invocation. */
export class Trapped {
  constructor(readonly dmirTrap: TrapCode) {}
}
export const trap = (code: TrapCode): never => {
  throw new Trapped(code);
};

export const CANON_F32 = 0x7fc00000;
export const CANON_F64 = 0x7ff8000000000000n;

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);

export const f32 = (bits: number): number => {
  U32[0] = bits;
  return F32[0]!;
};
export const f64 = (bits: bigint): number => {
  U64[0] = bits;
  return F64[0]!;
};
/** Rounds to binary32 and returns the bits; a NaN result is the canonical NaN (DMIR-DET-NAN.1). */
export const f32bits = (x: number): number => {
  if (x !== x) return CANON_F32;
  F32[0] = x;
  return U32[0]!;
};
export const f64bits = (x: number): bigint => {
  if (x !== x) return CANON_F64;
  F64[0] = x;
  return U64[0]!;
};

export const asI64 = (x: bigint): bigint => BigInt.asIntN(64, x);
export const asU64 = (x: bigint): bigint => BigInt.asUintN(64, x);

export const popcnt32 = (x: number): number => {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
};
export const ctz32 = (x: number): number => (x === 0 ? 32 : 31 - Math.clz32(x & -x));
const hi32 = (x: bigint): number => Number((x >> 32n) & 0xffffffffn) | 0;
const lo32 = (x: bigint): number => Number(x & 0xffffffffn) | 0;
export const clz64 = (x: bigint): bigint => { const h = hi32(x); return BigInt(h === 0 ? 32 + Math.clz32(lo32(x)) : Math.clz32(h)); };
export const ctz64 = (x: bigint): bigint => { const l = lo32(x); return BigInt(l === 0 ? 32 + ctz32(hi32(x)) : ctz32(l)); };
export const popcnt64 = (x: bigint): bigint => BigInt(popcnt32(hi32(x)) + popcnt32(lo32(x)));

/** Round half to even, the sign of a zero result being the operand's. */
export const nearest = (x: number): number => {
  let r = Math.round(x);
  if (r - x === 0.5 && r % 2 !== 0) r -= 1;
  return r === 0 ? (Object.is(x, -0) || x < 0 ? -0 : 0) : r;
};

/**
 * An exact integer (a bigint of up to 64 magnitude bits) to binary32 with one rounding: beyond 53
 * bits the dropped bits are folded into a sticky low bit, so the conversion to double is exact and
 * `Math.fround` rounds once.
 */
export const intToF32 = (v: bigint): number => {
  const neg = v < 0n;
  const m = neg ? -v : v;
  if (m < 1n << 53n) return f32bits(Math.fround(Number(v)));
  const len = m.toString(2).length;
  const s = BigInt(len - 53);
  const kept = (m >> s) | ((m & ((1n << s) - 1n)) === 0n ? 0n : 1n);
  const x = Number(kept) * 2 ** Number(s);
  return f32bits(Math.fround(neg ? -x : x));
};

const TWO63 = 2 ** 63;
const TWO64 = 2 ** 64;

/** Float to integer, truncating; NaN and out-of-range values trap (DMIR-DET-FPTOINT.1). */
export const fpToInt = (x: number, signed: boolean, to: 'i32' | 'i64'): number | bigint => {
  if (x !== x) return trap('Dmir.Trap.INVALID_CONVERSION_TO_INTEGER');
  const t = Math.trunc(x);
  if (to === 'i32') {
    if (signed ? t < -2147483648 || t > 2147483647 : t < 0 || t > 4294967295) return trap('Dmir.Trap.INTEGER_OVERFLOW');
    return t | 0;
  }
  if (signed ? t < -TWO63 || t >= TWO63 : t < 0 || t >= TWO64) return trap('Dmir.Trap.INTEGER_OVERFLOW');
  return asI64(BigInt(t));
};

/** Float to integer, saturating: NaN is 0, out-of-range values clamp to the target's bounds. */
export const fpToIntSat = (x: number, signed: boolean, to: 'i32' | 'i64'): number | bigint => {
  if (x !== x) return to === 'i32' ? 0 : 0n;
  const t = Math.trunc(x);
  if (to === 'i32') {
    const lo = signed ? -2147483648 : 0;
    const hi = signed ? 2147483647 : 4294967295;
    return (t < lo ? lo : t > hi ? hi : t) | 0;
  }
  if (signed) return t < -TWO63 ? -(1n << 63n) : t >= TWO63 ? (1n << 63n) - 1n : BigInt(t);
  return t < 0 ? 0n : t >= TWO64 ? -1n : asI64(BigInt(t));
};
