/**
 * The semantics of every dMIR value opcode, as total functions over the value representation of
 * `ir.ts`. A trapping opcode returns its trap code (a string) instead of a value, so nothing
 * here throws and the caller decides where the trap edge leads.
 */
import type { BinaryOp, CmpPredicate, ConvertOp, ScalarType, TrapCode, UnaryOp, Val, ValType } from './ir.js';

/** The canonical NaNs: positive, quiet, zero payload. @spec DMIR-DET-NAN.1 */
export const CANONICAL_NAN_F32 = 0x7fc00000;
export const CANONICAL_NAN_F64 = 0x7ff8000000000000n;

// Scratch views for reinterpreting bits; they hold no state between calls.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

export const f32FromBits = (bits: number): number => {
  u32[0] = bits;
  return f32[0]!;
};
export const f64FromBits = (bits: bigint): number => {
  u64[0] = bits;
  return f64[0]!;
};
/** Rounds a double to binary32 (round to nearest, ties to even); a NaN becomes the canonical NaN. */
export const f32ToBits = (x: number): number => {
  if (Number.isNaN(x)) return CANONICAL_NAN_F32;
  f32[0] = x;
  return u32[0]!;
};
export const f64ToBits = (x: number): bigint => {
  if (Number.isNaN(x)) return CANONICAL_NAN_F64;
  f64[0] = x;
  return u64[0]!;
};

const floatOf = (type: ValType, v: Val): number => (type === 'f32' ? f32FromBits(v as number) : f64FromBits(v as bigint));
const floatResult = (type: ValType, x: number): Val => (type === 'f32' ? f32ToBits(x) : f64ToBits(x));

const I32_MIN = -0x80000000;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const S64 = (x: bigint): bigint => BigInt.asIntN(64, x);

const popcnt32 = (x: number): number => {
  let v = x >>> 0;
  let n = 0;
  while (v !== 0) {
    v &= v - 1;
    n++;
  }
  return n;
};
const ctz32 = (x: number): number => (x === 0 ? 32 : 31 - Math.clz32(x & -x));

/** Round to nearest integer, ties to even, keeping the sign of zero. */
const nearest = (x: number): number => {
  if (!Number.isFinite(x) || x === 0) return x;
  const f = Math.floor(x);
  const d = x - f;
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return r === 0 ? (x < 0 ? -0 : 0) : r;
};

/** @spec DMIR-OP-UNARY.1 DMIR-DET-NAN.1 */
export const evalUnary = (kind: UnaryOp, type: ValType, a: Val): Val => {
  if (type === 'i32') {
    const x = a as number;
    switch (kind) {
      case 'clz': return Math.clz32(x);
      case 'ctz': return ctz32(x);
      case 'popcnt': return popcnt32(x);
      case 'not': return ~x;
      default: return 0;
    }
  }
  if (type === 'i64') {
    const x = a as bigint;
    const hi = Number(U64(x) >> 32n) | 0;
    const lo = Number(U64(x) & 0xffffffffn) | 0;
    switch (kind) {
      case 'clz': return BigInt(hi === 0 ? 32 + Math.clz32(lo) : Math.clz32(hi));
      case 'ctz': return BigInt(lo === 0 ? 32 + ctz32(hi) : ctz32(lo));
      case 'popcnt': return BigInt(popcnt32(hi) + popcnt32(lo));
      case 'not': return S64(~x);
      default: return 0n;
    }
  }
  // Sign-bit operations act on the bits and keep NaN payloads; the rest are arithmetic.
  if (type === 'f32') {
    const bits = a as number;
    if (kind === 'fpabs') return (bits & 0x7fffffff) >>> 0;
    if (kind === 'fpneg') return (bits ^ 0x80000000) >>> 0;
  } else {
    const bits = a as bigint;
    if (kind === 'fpabs') return bits & 0x7fffffffffffffffn;
    if (kind === 'fpneg') return bits ^ 0x8000000000000000n;
  }
  const x = floatOf(type, a);
  switch (kind) {
    case 'fpsqrt': return floatResult(type, Math.sqrt(x));
    case 'fpround_ceil': return floatResult(type, Math.ceil(x));
    case 'fpround_floor': return floatResult(type, Math.floor(x));
    case 'fpround_trunc': return floatResult(type, Math.trunc(x));
    case 'fpround_nearest': return floatResult(type, nearest(x));
    default: return floatResult(type, NaN);
  }
};

const overflow32 = (r: number, signed: boolean): Val | TrapCode =>
  signed ? (r < I32_MIN || r > 0x7fffffff ? 'Dmir.Trap.INTEGER_OVERFLOW' : r) : r < 0 || r > 0xffffffff ? 'Dmir.Trap.INTEGER_OVERFLOW' : r | 0;

/** @spec DMIR-OP-BINARY.1 DMIR-OP-DIV.1 DMIR-DET-NAN.1 DMIR-DET-WIDTH.1 */
export const evalBinary = (kind: BinaryOp, type: ValType, a: Val, b: Val): Val | TrapCode => {
  if (type === 'i32') {
    const x = a as number;
    const y = b as number;
    switch (kind) {
      case 'add': return (x + y) | 0;
      case 'sub': return (x - y) | 0;
      case 'mul': return Math.imul(x, y);
      case 'sdiv':
        if (y === 0) return 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO';
        if (x === I32_MIN && y === -1) return 'Dmir.Trap.INTEGER_OVERFLOW';
        return Math.trunc(x / y) | 0;
      case 'udiv':
        if (y === 0) return 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO';
        return Math.trunc((x >>> 0) / (y >>> 0)) | 0;
      case 'srem':
        if (y === 0) return 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO';
        return x % y | 0;
      case 'urem':
        if (y === 0) return 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO';
        return (x >>> 0) % (y >>> 0) | 0;
      case 'and': return x & y;
      case 'or': return x | y;
      case 'xor': return x ^ y;
      case 'shl': return x << (y & 31);
      case 'sshr': return x >> (y & 31);
      case 'ushr': return (x >>> (y & 31)) | 0;
      case 'rotl': { const k = y & 31; return ((x << k) | (x >>> ((32 - k) & 31))) | 0; }
      case 'rotr': { const k = y & 31; return ((x >>> k) | (x << ((32 - k) & 31))) | 0; }
      case 'wasm_sadd_overflow': return overflow32(x + y, true);
      case 'wasm_uadd_overflow': return overflow32((x >>> 0) + (y >>> 0), false);
      case 'wasm_ssub_overflow': return overflow32(x - y, true);
      case 'wasm_usub_overflow': return overflow32((x >>> 0) - (y >>> 0), false);
      case 'wasm_smul_overflow': {
        const r = BigInt(x) * BigInt(y);
        return r < -(1n << 31n) || r >= 1n << 31n ? 'Dmir.Trap.INTEGER_OVERFLOW' : Number(r);
      }
      case 'wasm_umul_overflow': {
        const r = BigInt(x >>> 0) * BigInt(y >>> 0);
        return r >= 1n << 32n ? 'Dmir.Trap.INTEGER_OVERFLOW' : Number(r) | 0;
      }
      default: return 0;
    }
  }
  if (type === 'i64') {
    const x = a as bigint;
    const y = b as bigint;
    const k = (): bigint => U64(y) & 63n;
    switch (kind) {
      case 'add': return S64(x + y);
      case 'sub': return S64(x - y);
      case 'mul': return S64(x * y);
      case 'sdiv':
        if (y === 0n) return 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO';
        if (x === I64_MIN && y === -1n) return 'Dmir.Trap.INTEGER_OVERFLOW';
        return x / y;
      case 'udiv':
        if (y === 0n) return 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO';
        return S64(U64(x) / U64(y));
      case 'srem':
        if (y === 0n) return 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO';
        return x % y;
      case 'urem':
        if (y === 0n) return 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO';
        return S64(U64(x) % U64(y));
      case 'and': return x & y;
      case 'or': return x | y;
      case 'xor': return x ^ y;
      case 'shl': return S64(x << k());
      case 'sshr': return x >> k();
      case 'ushr': return S64(U64(x) >> k());
      case 'rotl': return S64((U64(x) << k()) | (U64(x) >> ((64n - k()) & 63n)));
      case 'rotr': return S64((U64(x) >> k()) | (U64(x) << ((64n - k()) & 63n)));
      case 'wasm_sadd_overflow': case 'wasm_ssub_overflow': case 'wasm_smul_overflow': {
        const r = kind === 'wasm_sadd_overflow' ? x + y : kind === 'wasm_ssub_overflow' ? x - y : x * y;
        return r < I64_MIN || r > I64_MAX ? 'Dmir.Trap.INTEGER_OVERFLOW' : r;
      }
      case 'wasm_uadd_overflow': case 'wasm_usub_overflow': case 'wasm_umul_overflow': {
        const ux = U64(x);
        const uy = U64(y);
        const r = kind === 'wasm_uadd_overflow' ? ux + uy : kind === 'wasm_usub_overflow' ? ux - uy : ux * uy;
        return r < 0n || r >= 1n << 64n ? 'Dmir.Trap.INTEGER_OVERFLOW' : S64(r);
      }
      default: return 0n;
    }
  }
  if (kind === 'fpcopysign') {
    return type === 'f32'
      ? (((a as number) & 0x7fffffff) | ((b as number) & 0x80000000)) >>> 0
      : ((a as bigint) & 0x7fffffffffffffffn) | ((b as bigint) & 0x8000000000000000n);
  }
  const x = floatOf(type, a);
  const y = floatOf(type, b);
  switch (kind) {
    case 'add': return floatResult(type, x + y);
    case 'sub': return floatResult(type, x - y);
    case 'mul': return floatResult(type, x * y);
    case 'fpdiv': return floatResult(type, x / y);
    // Math.min/max order -0 below +0 and propagate NaN, exactly the WebAssembly rule.
    case 'fpmin': return floatResult(type, Math.min(x, y));
    case 'fpmax': return floatResult(type, Math.max(x, y));
    default: return floatResult(type, NaN);
  }
};

/** @spec DMIR-OP-CMP.1 */
export const evalCmp = (pred: CmpPredicate, type: ValType, a: Val, b: Val): number => {
  if (type === 'i32' || type === 'i64') {
    const x = type === 'i32' ? BigInt(a as number) : (a as bigint);
    const y = type === 'i32' ? BigInt(b as number) : (b as bigint);
    const w = type === 'i32' ? 32 : 64;
    const ux = BigInt.asUintN(w, x);
    const uy = BigInt.asUintN(w, y);
    switch (pred) {
      case 'ieq': return x === y ? 1 : 0;
      case 'ine': return x !== y ? 1 : 0;
      case 'isgt': return x > y ? 1 : 0;
      case 'isge': return x >= y ? 1 : 0;
      case 'islt': return x < y ? 1 : 0;
      case 'isle': return x <= y ? 1 : 0;
      case 'iugt': return ux > uy ? 1 : 0;
      case 'iuge': return ux >= uy ? 1 : 0;
      case 'iult': return ux < uy ? 1 : 0;
      case 'iule': return ux <= uy ? 1 : 0;
      default: return 0;
    }
  }
  const x = floatOf(type, a);
  const y = floatOf(type, b);
  const ord = !Number.isNaN(x) && !Number.isNaN(y);
  switch (pred) {
    case 'ffalse': return 0;
    case 'ftrue': return 1;
    case 'foeq': return ord && x === y ? 1 : 0;
    case 'fogt': return ord && x > y ? 1 : 0;
    case 'foge': return ord && x >= y ? 1 : 0;
    case 'folt': return ord && x < y ? 1 : 0;
    case 'fole': return ord && x <= y ? 1 : 0;
    case 'fone': return ord && x !== y ? 1 : 0;
    case 'ford': return ord ? 1 : 0;
    case 'funo': return ord ? 0 : 1;
    case 'fueq': return !ord || x === y ? 1 : 0;
    case 'fugt': return !ord || x > y ? 1 : 0;
    case 'fuge': return !ord || x >= y ? 1 : 0;
    case 'fult': return !ord || x < y ? 1 : 0;
    case 'fule': return !ord || x <= y ? 1 : 0;
    case 'fune': return !ord || x !== y ? 1 : 0;
    default: return 0;
  }
};

/**
 * Converts an integer (given as an exact bigint) to binary32 with a single rounding (nearest,
 * ties to even). Going through a double first would round twice and can be off by one ulp.
 */
const bigintToF32Bits = (v: bigint): number => {
  const neg = v < 0n;
  let m = neg ? -v : v;
  if (m < 1n << 24n) return f32ToBits(Number(v));
  const len = m.toString(2).length;
  const shift = BigInt(len - 24);
  const rem = m & ((1n << shift) - 1n);
  const half = 1n << (shift - 1n);
  m >>= shift;
  if (rem > half || (rem === half && (m & 1n) === 1n)) m += 1n;
  const r = Number(m) * 2 ** Number(shift);
  return f32ToBits(neg ? -r : r);
};

const intToFloat = (to: ScalarType, v: bigint): Val => (to === 'f32' ? bigintToF32Bits(v) : f64ToBits(Number(v)));

/**
 * The saturating float-to-integer conversions: NaN gives 0, a value below or above the target
 * range (infinities included) gives the range's minimum or maximum, anything else is truncated
 * toward zero. Defined for every input, so there is no trap edge.
 *
 * @spec DMIR-OP-CONVERT-SAT.1
 */
export const fpToIntSat = (signed: boolean, to: 'i32' | 'i64', x: number): Val => {
  const w = to === 'i32' ? 32n : 64n;
  const lo = signed ? -(1n << (w - 1n)) : 0n;
  const hi = signed ? (1n << (w - 1n)) - 1n : (1n << w) - 1n;
  let t: bigint;
  if (Number.isNaN(x)) t = 0n;
  else if (x === Number.POSITIVE_INFINITY) t = hi;
  else if (x === Number.NEGATIVE_INFINITY) t = lo;
  else {
    t = BigInt(Math.trunc(x));
    if (t < lo) t = lo;
    if (t > hi) t = hi;
  }
  return to === 'i32' ? Number(BigInt.asIntN(32, t)) : S64(t);
};

/** @spec DMIR-OP-CONVERT.1 DMIR-OP-CONVERT-SAT.1 DMIR-DET-FPTOINT.1 DMIR-DET-NAN.1 */
export const evalConvert = (kind: ConvertOp, to: ScalarType, from: ScalarType, a: Val): Val | TrapCode => {
  const asBig = (): bigint => (typeof a === 'bigint' ? a : BigInt(a));
  switch (kind) {
    case 'trunc': {
      const v = asBig();
      if (to === 'i32') return Number(BigInt.asIntN(32, v));
      return Number(BigInt.asUintN(to === 'i8' ? 8 : 16, v));
    }
    case 'sext': {
      const w = from === 'i8' ? 8 : from === 'i16' ? 16 : 32;
      const v = BigInt.asIntN(w, asBig());
      return to === 'i64' ? v : Number(v);
    }
    case 'uext': {
      const w = from === 'i8' ? 8 : from === 'i16' ? 16 : 32;
      const v = BigInt.asUintN(w, asBig());
      return to === 'i64' ? v : Number(BigInt.asIntN(32, v));
    }
    case 'fptrunc': return f32ToBits(f64FromBits(a as bigint));
    case 'fpext': return f64ToBits(f32FromBits(a as number));
    case 'sitofp': return intToFloat(to, asBig());
    case 'uitofp': return intToFloat(to, BigInt.asUintN(from === 'i64' ? 64 : 32, asBig()));
    case 'bitcast':
      if (to === 'f32') return (a as number) >>> 0;
      if (to === 'i32') return (a as number) | 0;
      if (to === 'f64') return U64(a as bigint);
      return S64(a as bigint);
    case 'wasm_fptosi':
    case 'wasm_fptoui': {
      const x = floatOf(from as ValType, a);
      if (Number.isNaN(x)) return 'Dmir.Trap.INVALID_CONVERSION_TO_INTEGER';
      if (!Number.isFinite(x)) return 'Dmir.Trap.INTEGER_OVERFLOW';
      const t = BigInt(Math.trunc(x));
      const w = to === 'i32' ? 32 : 64;
      const lo = kind === 'wasm_fptosi' ? -(1n << BigInt(w - 1)) : 0n;
      const hi = kind === 'wasm_fptosi' ? (1n << BigInt(w - 1)) - 1n : (1n << BigInt(w)) - 1n;
      if (t < lo || t > hi) return 'Dmir.Trap.INTEGER_OVERFLOW';
      return to === 'i32' ? Number(BigInt.asIntN(32, t)) : S64(t);
    }
    case 'wasm_fptosi_sat':
    case 'wasm_fptoui_sat':
      return fpToIntSat(kind === 'wasm_fptosi_sat', to as 'i32' | 'i64', floatOf(from as ValType, a));
  }
};

/** The zero value of a type, the initial value of every non-parameter variable. @spec DMIR-STRUCT-FUNC.1 */
export const zeroOf = (t: ScalarType): Val => (t === 'i64' || t === 'f64' ? 0n : 0);
