/**
 * The engine's interpreter tier. At deployment every dMIR function is translated once into
 * closures (one per expression node, statement and terminator), so execution never rescans the
 * IR or dispatches on opcode names. Calls between dMIR functions use an explicit frame stack, so
 * guest recursion is bounded by the stack-cost budget, never by the host's stack.
 *
 * The interpreter works on the instance state the compiled tier uses: the same
 * `WebAssembly.Memory` (its buffer is re-read after every growth and at every invocation), the
 * same table contents and host functions, and gas and stack cost as per-invocation registers
 * that start from the invocation's gas and zero. Globals live in `state.globals` while this tier
 * owns them (see engine.ts for the hand-over to compiled code).
 */
import type { DefinedFunc, Expr, Module, ScalarType, Stmt, Terminator, TrapCode, Val, ValType } from '../../model/dmir/ir.js';
import type { Result } from '../../model/encoding/result.js';
import { hostErrorTrap, typeKey } from './compile.js';
import {
  asI64, asU64, clz64, ctz32, ctz64, f32, f32bits, f64, f64bits, fpToInt, fpToIntSat, intToF32, nearest, popcnt32, popcnt64, trap, Trapped,
} from './interp-ops.js';

export type HostFn = (args: readonly Val[]) => Result<readonly Val[]>;

/** The part of `WebAssembly.Memory` the interpreter needs. */
export interface MemoryObject {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}

/** Instance state shared with the compiled tier. */
export interface SharedState {
  readonly memory: MemoryObject | null;
  /** The growth ceiling in pages: the declared maximum capped by the profile's 256 pages. */
  readonly memoryMaxPages: number;
  readonly table: readonly (number | null)[] | null;
  /** Global values, in the dMIR representation, while the interpreter owns them. */
  readonly globals: Val[];
  /** Host functions by dMIR function index (null for defined functions). */
  readonly hosts: readonly (HostFn | null)[];
}

export type InterpOutcome =
  | { readonly kind: 'return'; readonly values: readonly Val[] }
  | { readonly kind: 'trap'; readonly code: TrapCode };

export interface Interpreter {
  /**
   * Runs function `funcIndex` from the top with the given gas. The stack cost starts at
   * `stackCost`: what a caller in compiled code has already spent (a deep call), else zero.
   */
  invoke(funcIndex: number, args: readonly Val[], gas: bigint, maxSteps?: number, stackCost?: number): { readonly outcome: InterpOutcome; readonly gasLeft: bigint };
}

const PAGE = 65536;

type V = Val[];
type Ev = (v: V) => Val;
type N = (v: V) => number;
type B = (v: V) => bigint;
/** A statement: returns a call request when the next frame must be entered, nothing otherwise. */
type St = (v: V) => CallReq | undefined;
/** A terminator: the next block, or -1 after leaving the return values in the machine. */
type Tm = (v: V) => number;

interface IFunc {
  readonly frameCost: number;
  readonly zero: readonly Val[];
  readonly nParams: number;
  readonly typeKey: string;
  blocks: readonly { readonly stmts: readonly St[]; readonly term: Tm }[];
}
interface CallReq { fn: IFunc; vars: V; readonly dests: readonly number[] }
interface Frame { readonly fn: IFunc; readonly vars: V; block: number; pc: number; readonly dests: readonly number[] }

const zeroOf = (t: ValType): Val => (t === 'i64' || t === 'f64' ? 0n : 0);

/**
 * i32 operations as JavaScript expression templates over operands X and Y. An expression node of
 * one of these with leaf operands (a variable or a constant) becomes one closure with no inner
 * calls, made by a factory compiled once per operation and operand shape: each factory holds its
 * own function literal, so the JavaScript engine sees one monomorphic closure per shape instead of
 * one megamorphic closure calling other closures.
 */
const I32_TEMPLATES: Readonly<Record<string, string>> = {
  add: '(X + Y) | 0', sub: '(X - Y) | 0', mul: 'Math.imul(X, Y)', and: 'X & Y', or: 'X | Y', xor: 'X ^ Y',
  shl: 'X << Y', sshr: 'X >> Y', ushr: '(X >>> Y) | 0',
  ieq: 'X === Y ? 1 : 0', ine: 'X !== Y ? 1 : 0', islt: 'X < Y ? 1 : 0', isle: 'X <= Y ? 1 : 0', isgt: 'X > Y ? 1 : 0', isge: 'X >= Y ? 1 : 0',
  iult: '(X >>> 0) < (Y >>> 0) ? 1 : 0', iule: '(X >>> 0) <= (Y >>> 0) ? 1 : 0', iugt: '(X >>> 0) > (Y >>> 0) ? 1 : 0', iuge: '(X >>> 0) >= (Y >>> 0) ? 1 : 0',
};
/** An operand as the template sees it: a variable, a constant, or any other expression's closure. */
type Leaf = { readonly shape: 'v' | 'c' | 'e'; readonly param: unknown };
const LEAF_CODE = { v: (p: string) => `v[${p}]`, c: (p: string) => p, e: (p: string) => `${p}(v)` } as const;
const factories = new Map<string, (...params: unknown[]) => unknown>();
/**
 * The closure for `context` (an expression, an assignment to variable D, or a branch to T or F)
 * around the template of `op` with operands a and b.
 */
const specialised = (context: 'expr' | 'assign' | 'branch', op: string, a: Leaf, b: Leaf, extra: readonly unknown[]): unknown => {
  const key = `${context}:${op}:${a.shape}${b.shape}`;
  let make = factories.get(key);
  if (make === undefined) {
    const body = I32_TEMPLATES[op]!.replace('X', LEAF_CODE[a.shape]('A')).replace('Y', LEAF_CODE[b.shape]('B'));
    const code = context === 'expr' ? `return (v) => ${body};`
      : context === 'assign' ? 'return (v) => { v[D] = ' + body + '; return undefined; };'
        : `return (v) => ((${body}) !== 0 ? T : F);`;
    make = new Function('A', 'B', 'D', 'T', 'F', code) as (...params: unknown[]) => unknown;
    factories.set(key, make);
  }
  return make(a.param, b.param, ...extra);
};

/**
 * Translates a verified module for the given shared state and stack budget.
 *
 * @spec DMIR-ENGINE-INTERP.1 DMIR-ENGINE-SHARED.1
 */
export const createInterpreter = (m: Module, state: SharedState, budget: number): Interpreter => {
  // Machine registers, shared by every closure of this instance.
  let dv = new DataView(new ArrayBuffer(0));
  let memBuf: ArrayBuffer | null = null;
  let memSize = 0;
  let gas = 0n;
  let stackCost = 0;
  let ret: Val[] = [];
  const globals = state.globals;
  const mem = state.memory;
  const refresh = (): void => {
    if (mem !== null && mem.buffer !== memBuf) {
      memBuf = mem.buffer;
      dv = new DataView(memBuf);
      memSize = memBuf.byteLength;
    }
  };
  const addr = (base: number, offset: number, size: number): number => {
    const ea = (base >>> 0) + offset;
    if (ea + size > memSize) trap('Dmir.Trap.MEMORY_OUT_OF_BOUNDS');
    return ea;
  };

  const fns: IFunc[] = m.funcs.map((f) => ({
    frameCost: f.kind === 'defined' ? f.frameCost : 0,
    zero: f.kind === 'defined' ? f.vars.map(zeroOf) : [],
    nParams: f.type.params.length,
    typeKey: typeKey(f.type),
    blocks: [],
  }));

  const callHost = (fi: number, args: readonly Val[]): readonly Val[] => {
    if (stackCost > budget) trap('Dmir.Trap.CALL_STACK_EXHAUSTED');
    const h = state.hosts[fi];
    if (h === null || h === undefined) return trap('Dmir.Trap.HOST_ERROR');
    const r = h(args);
    // The host may have grown the memory (through another invocation of this instance).
    refresh();
    if (r.ok) return r.value;
    return trap(hostErrorTrap(r.error.code));
  };

  // ------------------------------------------------------------------------------------------
  // Expressions

  const leaf = (e: Expr): Leaf =>
    (e.op === 'dread' ? { shape: 'v', param: e.variable } : e.op === 'const' && e.type === 'i32' ? { shape: 'c', param: e.value } : { shape: 'e', param: expr(e) });
  /** The template operation of an i32 binary or comparison node, when it has one. */
  const templated = (e: Expr): { op: string; a: Leaf; b: Leaf } | null => {
    if (e.op === 'binary' && e.type === 'i32' && e.kind in I32_TEMPLATES) return { op: e.kind, a: leaf(e.lhs), b: leaf(e.rhs) };
    if (e.op === 'cmp' && e.lhs.type === 'i32' && e.pred in I32_TEMPLATES) return { op: e.pred, a: leaf(e.lhs), b: leaf(e.rhs) };
    return null;
  };

  const expr = (e: Expr): Ev => {
    switch (e.op) {
      case 'const': { const c = e.value; return () => c; }
      case 'dread': { const i = e.variable; return (v) => v[i]!; }
      case 'global_get': { const i = e.index; return () => globals[i]!; }
      case 'memory_size': return () => memSize / PAGE;
      case 'unary': return unary(e.kind, e.type, expr(e.arg));
      case 'binary': case 'cmp': {
        const t = templated(e);
        if (t !== null) return specialised('expr', t.op, t.a, t.b, []) as Ev;
        return e.op === 'binary' ? binary(e.kind, e.type, expr(e.lhs), expr(e.rhs)) : cmp(e.pred, e.lhs.type as ValType, expr(e.lhs), expr(e.rhs));
      }
      case 'convert': return convert(e.kind, e.arg.type, e.type, expr(e.arg));
      case 'select': {
        const t = expr(e.ifTrue);
        const f = expr(e.ifFalse);
        const c = expr(e.cond) as N;
        // Both arms are evaluated, then the condition, as in the reference order.
        return (v) => { const a = t(v); const b = f(v); return c(v) !== 0 ? a : b; };
      }
      case 'load': {
        const b = expr(e.base) as N;
        const o = e.offset;
        switch (e.type) {
          case 'i8': return (v) => dv.getUint8(addr(b(v), o, 1));
          case 'i16': return (v) => dv.getUint16(addr(b(v), o, 2), true);
          case 'i32': return (v) => dv.getInt32(addr(b(v), o, 4), true);
          case 'i64': return (v) => dv.getBigInt64(addr(b(v), o, 8), true);
          case 'f32': return (v) => dv.getUint32(addr(b(v), o, 4), true);
          case 'f64': return (v) => dv.getBigUint64(addr(b(v), o, 8), true);
        }
      }
    }
    return unsupported(`expression ${(e as { op: string }).op}`);
  };

  const unary = (kind: string, t: ValType, a0: Ev): Ev => {
    if (t === 'i32') {
      const a = a0 as N;
      switch (kind) {
        case 'clz': return (v) => Math.clz32(a(v));
        case 'ctz': return (v) => ctz32(a(v));
        case 'popcnt': return (v) => popcnt32(a(v));
        case 'not': return (v) => ~a(v);
      }
    } else if (t === 'i64') {
      const a = a0 as B;
      switch (kind) {
        case 'clz': return (v) => clz64(a(v));
        case 'ctz': return (v) => ctz64(a(v));
        case 'popcnt': return (v) => popcnt64(a(v));
        case 'not': return (v) => ~a(v);
      }
    } else if (t === 'f32') {
      const a = a0 as N;
      switch (kind) {
        case 'fpabs': return (v) => (a(v) & 0x7fffffff) >>> 0;
        case 'fpneg': return (v) => (a(v) ^ 0x80000000) >>> 0;
        case 'fpsqrt': return (v) => f32bits(Math.sqrt(f32(a(v))));
        case 'fpround_ceil': return (v) => f32bits(Math.ceil(f32(a(v))));
        case 'fpround_floor': return (v) => f32bits(Math.floor(f32(a(v))));
        case 'fpround_trunc': return (v) => f32bits(Math.trunc(f32(a(v))));
        case 'fpround_nearest': return (v) => f32bits(nearest(f32(a(v))));
      }
    } else {
      const a = a0 as B;
      switch (kind) {
        case 'fpabs': return (v) => a(v) & 0x7fffffffffffffffn;
        case 'fpneg': return (v) => a(v) ^ 0x8000000000000000n;
        case 'fpsqrt': return (v) => f64bits(Math.sqrt(f64(a(v))));
        case 'fpround_ceil': return (v) => f64bits(Math.ceil(f64(a(v))));
        case 'fpround_floor': return (v) => f64bits(Math.floor(f64(a(v))));
        case 'fpround_trunc': return (v) => f64bits(Math.trunc(f64(a(v))));
        case 'fpround_nearest': return (v) => f64bits(nearest(f64(a(v))));
      }
    }
    return unsupported(`${kind} on ${t}`);
  };

  const binary = (kind: string, t: ValType, a0: Ev, b0: Ev): Ev => {
    if (t === 'i32') {
      const a = a0 as N;
      const b = b0 as N;
      // The i32 operations of I32_TEMPLATES never get here: `expr` specialises them.
      switch (kind) {
        case 'rotl': return (v) => { const x = a(v); const k = b(v) & 31; return (x << k) | (x >>> (32 - k)); };
        case 'rotr': return (v) => { const x = a(v); const k = b(v) & 31; return (x >>> k) | (x << (32 - k)); };
        case 'sdiv': return (v) => {
          const x = a(v); const y = b(v);
          if (y === 0) trap('Dmir.Trap.INTEGER_DIVIDE_BY_ZERO');
          if (x === -0x80000000 && y === -1) trap('Dmir.Trap.INTEGER_OVERFLOW');
          return (x / y) | 0;
        };
        case 'udiv': return (v) => { const x = a(v); const y = b(v); if (y === 0) trap('Dmir.Trap.INTEGER_DIVIDE_BY_ZERO'); return ((x >>> 0) / (y >>> 0)) | 0; };
        case 'srem': return (v) => { const x = a(v); const y = b(v); if (y === 0) trap('Dmir.Trap.INTEGER_DIVIDE_BY_ZERO'); return (x % y) | 0; };
        case 'urem': return (v) => { const x = a(v); const y = b(v); if (y === 0) trap('Dmir.Trap.INTEGER_DIVIDE_BY_ZERO'); return ((x >>> 0) % (y >>> 0)) | 0; };
        case 'wasm_sadd_overflow': return (v) => checked32(a(v) + b(v), -0x80000000, 0x7fffffff);
        case 'wasm_ssub_overflow': return (v) => checked32(a(v) - b(v), -0x80000000, 0x7fffffff);
        case 'wasm_uadd_overflow': return (v) => checked32((a(v) >>> 0) + (b(v) >>> 0), 0, 0xffffffff);
        case 'wasm_usub_overflow': return (v) => checked32((a(v) >>> 0) - (b(v) >>> 0), 0, 0xffffffff);
        case 'wasm_smul_overflow': return (v) => checked32(Number(BigInt(a(v)) * BigInt(b(v))), -0x80000000, 0x7fffffff);
        case 'wasm_umul_overflow': return (v) => checked32(Number(BigInt(a(v) >>> 0) * BigInt(b(v) >>> 0)), 0, 0xffffffff);
      }
    } else if (t === 'i64') {
      const a = a0 as B;
      const b = b0 as B;
      switch (kind) {
        case 'add': return (v) => asI64(a(v) + b(v));
        case 'sub': return (v) => asI64(a(v) - b(v));
        case 'mul': return (v) => asI64(a(v) * b(v));
        case 'and': return (v) => a(v) & b(v);
        case 'or': return (v) => a(v) | b(v);
        case 'xor': return (v) => a(v) ^ b(v);
        case 'shl': return (v) => { const x = a(v); return asI64(x << (b(v) & 63n)); };
        case 'sshr': return (v) => { const x = a(v); return x >> (b(v) & 63n); };
        case 'ushr': return (v) => { const x = a(v); return asI64(asU64(x) >> (b(v) & 63n)); };
        case 'rotl': return (v) => { const x = asU64(a(v)); const k = b(v) & 63n; return asI64((x << k) | (x >> ((64n - k) & 63n))); };
        case 'rotr': return (v) => { const x = asU64(a(v)); const k = b(v) & 63n; return asI64((x >> k) | (x << ((64n - k) & 63n))); };
        case 'sdiv': return (v) => {
          const x = a(v); const y = b(v);
          if (y === 0n) trap('Dmir.Trap.INTEGER_DIVIDE_BY_ZERO');
          if (y === -1n && x === -(1n << 63n)) trap('Dmir.Trap.INTEGER_OVERFLOW');
          return x / y;
        };
        case 'udiv': return (v) => { const x = a(v); const y = b(v); if (y === 0n) trap('Dmir.Trap.INTEGER_DIVIDE_BY_ZERO'); return asI64(asU64(x) / asU64(y)); };
        case 'srem': return (v) => { const x = a(v); const y = b(v); if (y === 0n) trap('Dmir.Trap.INTEGER_DIVIDE_BY_ZERO'); return x % y; };
        case 'urem': return (v) => { const x = a(v); const y = b(v); if (y === 0n) trap('Dmir.Trap.INTEGER_DIVIDE_BY_ZERO'); return asI64(asU64(x) % asU64(y)); };
        case 'wasm_sadd_overflow': return (v) => checked64(a(v) + b(v), true);
        case 'wasm_ssub_overflow': return (v) => checked64(a(v) - b(v), true);
        case 'wasm_smul_overflow': return (v) => checked64(a(v) * b(v), true);
        case 'wasm_uadd_overflow': return (v) => checked64(asU64(a(v)) + asU64(b(v)), false);
        case 'wasm_usub_overflow': return (v) => checked64(asU64(a(v)) - asU64(b(v)), false);
        case 'wasm_umul_overflow': return (v) => checked64(asU64(a(v)) * asU64(b(v)), false);
      }
    } else if (t === 'f32') {
      const a = a0 as N;
      const b = b0 as N;
      switch (kind) {
        case 'add': return (v) => f32bits(f32(a(v)) + f32(b(v)));
        case 'sub': return (v) => f32bits(f32(a(v)) - f32(b(v)));
        case 'mul': return (v) => f32bits(f32(a(v)) * f32(b(v)));
        case 'fpdiv': return (v) => f32bits(f32(a(v)) / f32(b(v)));
        case 'fpmin': return (v) => f32bits(Math.min(f32(a(v)), f32(b(v))));
        case 'fpmax': return (v) => f32bits(Math.max(f32(a(v)), f32(b(v))));
        case 'fpcopysign': return (v) => { const x = a(v); return ((x & 0x7fffffff) | (b(v) & 0x80000000)) >>> 0; };
      }
    } else {
      const a = a0 as B;
      const b = b0 as B;
      switch (kind) {
        case 'add': return (v) => f64bits(f64(a(v)) + f64(b(v)));
        case 'sub': return (v) => f64bits(f64(a(v)) - f64(b(v)));
        case 'mul': return (v) => f64bits(f64(a(v)) * f64(b(v)));
        case 'fpdiv': return (v) => f64bits(f64(a(v)) / f64(b(v)));
        case 'fpmin': return (v) => f64bits(Math.min(f64(a(v)), f64(b(v))));
        case 'fpmax': return (v) => f64bits(Math.max(f64(a(v)), f64(b(v))));
        case 'fpcopysign': return (v) => { const x = a(v); return (x & 0x7fffffffffffffffn) | (b(v) & 0x8000000000000000n); };
      }
    }
    return unsupported(`${kind} on ${t}`);
  };

  // Every i32 comparison is in I32_TEMPLATES, which `expr` specialises: none gets here.
  const cmp = (pred: string, t: ValType, a0: Ev, b0: Ev): Ev => {
    if (t === 'i64') {
      const a = a0 as B;
      const b = b0 as B;
      switch (pred) {
        case 'ieq': return (v) => (a(v) === b(v) ? 1 : 0);
        case 'ine': return (v) => (a(v) !== b(v) ? 1 : 0);
        case 'islt': return (v) => (a(v) < b(v) ? 1 : 0);
        case 'isle': return (v) => (a(v) <= b(v) ? 1 : 0);
        case 'isgt': return (v) => (a(v) > b(v) ? 1 : 0);
        case 'isge': return (v) => (a(v) >= b(v) ? 1 : 0);
        case 'iult': return (v) => { const x = asU64(a(v)); return x < asU64(b(v)) ? 1 : 0; };
        case 'iule': return (v) => { const x = asU64(a(v)); return x <= asU64(b(v)) ? 1 : 0; };
        case 'iugt': return (v) => { const x = asU64(a(v)); return x > asU64(b(v)) ? 1 : 0; };
        case 'iuge': return (v) => { const x = asU64(a(v)); return x >= asU64(b(v)) ? 1 : 0; };
      }
    } else {
      // Float predicates on the values; NaN makes every JavaScript comparison false, which is
      // exactly the ordered predicates, and the unordered ones are the negated opposites.
      const a: N = t === 'f32' ? (v) => f32((a0 as N)(v)) : (v) => f64((a0 as B)(v));
      const b: N = t === 'f32' ? (v) => f32((b0 as N)(v)) : (v) => f64((b0 as B)(v));
      switch (pred) {
        case 'ffalse': return (v) => { a(v); b(v); return 0; };
        case 'ftrue': return (v) => { a(v); b(v); return 1; };
        case 'foeq': return (v) => (a(v) === b(v) ? 1 : 0);
        case 'fogt': return (v) => (a(v) > b(v) ? 1 : 0);
        case 'foge': return (v) => (a(v) >= b(v) ? 1 : 0);
        case 'folt': return (v) => (a(v) < b(v) ? 1 : 0);
        case 'fole': return (v) => (a(v) <= b(v) ? 1 : 0);
        case 'fone': return (v) => { const x = a(v); const y = b(v); return x < y || x > y ? 1 : 0; };
        case 'ford': return (v) => { const x = a(v); const y = b(v); return x === x && y === y ? 1 : 0; };
        case 'funo': return (v) => { const x = a(v); const y = b(v); return x !== x || y !== y ? 1 : 0; };
        case 'fueq': return (v) => { const x = a(v); const y = b(v); return x < y || x > y ? 0 : 1; };
        case 'fugt': return (v) => (a(v) <= b(v) ? 0 : 1);
        case 'fuge': return (v) => (a(v) < b(v) ? 0 : 1);
        case 'fult': return (v) => (a(v) >= b(v) ? 0 : 1);
        case 'fule': return (v) => (a(v) > b(v) ? 0 : 1);
        case 'fune': return (v) => (a(v) === b(v) ? 0 : 1);
      }
    }
    return unsupported(`cmp ${pred} on ${t}`);
  };

  const convert = (kind: string, from: ScalarType, to: ScalarType, a0: Ev): Ev => {
    const an = a0 as N;
    const ab = a0 as B;
    switch (kind) {
      case 'trunc':
        if (from === 'i64') return to === 'i32' ? (v) => Number(BigInt.asIntN(32, ab(v))) : (v) => Number(BigInt.asUintN(to === 'i8' ? 8 : 16, ab(v)));
        return to === 'i8' ? (v) => an(v) & 0xff : to === 'i16' ? (v) => an(v) & 0xffff : (v) => an(v) | 0;
      case 'sext': {
        const sh = from === 'i8' ? 24 : from === 'i16' ? 16 : 0;
        return to === 'i64' ? (v) => BigInt((an(v) << sh) >> sh) : (v) => (an(v) << sh) >> sh;
      }
      case 'uext': {
        const mask = from === 'i8' ? 0xff : from === 'i16' ? 0xffff : -1;
        return to === 'i64' ? (v) => BigInt((an(v) & mask) >>> 0) : (v) => an(v) & mask;
      }
      case 'fptrunc': return (v) => f32bits(f64(ab(v)));
      case 'fpext': return (v) => f64bits(f32(an(v)));
      case 'sitofp':
      case 'uitofp': {
        const s = kind === 'sitofp';
        if (from === 'i64') {
          const int: B = s ? ab : (v) => asU64(ab(v));
          return to === 'f32' ? (v) => intToF32(int(v)) : (v) => f64bits(Number(int(v)));
        }
        const int: N = s ? an : (v) => an(v) >>> 0;
        return to === 'f32' ? (v) => f32bits(int(v)) : (v) => f64bits(int(v));
      }
      case 'bitcast':
        return to === 'f32' ? (v) => an(v) >>> 0 : to === 'i32' ? (v) => an(v) | 0 : to === 'f64' ? (v) => asU64(ab(v)) : (v) => asI64(ab(v));
      case 'wasm_fptosi':
      case 'wasm_fptoui':
      case 'wasm_fptosi_sat':
      case 'wasm_fptoui_sat': {
        const s = kind.startsWith('wasm_fptosi');
        const conv = kind.endsWith('_sat') ? fpToIntSat : fpToInt;
        const t = to as 'i32' | 'i64';
        return from === 'f32' ? (v) => conv(f32(an(v)), s, t) : (v) => conv(f64(ab(v)), s, t);
      }
    }
    return unsupported(`convert ${kind} ${from} -> ${to}`);
  };

  // ------------------------------------------------------------------------------------------
  // Statements and terminators

  const grow = (delta: number): number => {
    const old = memSize / PAGE;
    if (old + delta > state.memoryMaxPages) return -1;
    mem!.grow(delta);
    refresh();
    return old;
  };

  const stmt = (s: Stmt): St => {
    switch (s.op) {
      case 'dassign': {
        const i = s.variable;
        const x = s.value;
        if (x.op === 'dread') { const j = x.variable; return (v) => { v[i] = v[j]!; return undefined; }; }
        if (x.op === 'const') { const c = x.value; return (v) => { v[i] = c; return undefined; }; }
        const t = templated(x);
        if (t !== null) return specialised('assign', t.op, t.a, t.b, [i]) as St;
        const e = expr(x);
        return (v) => { v[i] = e(v); return undefined; };
      }
      case 'global_set': { const i = s.index; const e = expr(s.value); return (v) => { globals[i] = e(v); return undefined; }; }
      case 'store': {
        const b = expr(s.base) as N;
        const o = s.offset;
        const value = expr(s.value);
        const n = value as N;
        const g = value as B;
        switch (s.type) {
          case 'i8': return (v) => { const ea = b(v); const x = n(v); dv.setUint8(addr(ea, o, 1), x); return undefined; };
          case 'i16': return (v) => { const ea = b(v); const x = n(v); dv.setUint16(addr(ea, o, 2), x, true); return undefined; };
          case 'i32': return (v) => { const ea = b(v); const x = n(v); dv.setInt32(addr(ea, o, 4), x, true); return undefined; };
          case 'f32': return (v) => { const ea = b(v); const x = n(v); dv.setUint32(addr(ea, o, 4), x, true); return undefined; };
          case 'i64': return (v) => { const ea = b(v); const x = g(v); dv.setBigInt64(addr(ea, o, 8), x, true); return undefined; };
          case 'f64': return (v) => { const ea = b(v); const x = g(v); dv.setBigUint64(addr(ea, o, 8), x, true); return undefined; };
        }
        return unsupported(`store ${s.type as string}`);
      }
      case 'memory_grow': { const d = expr(s.delta) as N; const i = s.dest; return (v) => { v[i] = grow(d(v) >>> 0); return undefined; }; }
      case 'use_gas': {
        const a = expr(s.amount) as B;
        return (v) => {
          const amount = asU64(a(v));
          if (gas < amount) trap('Dmir.Trap.OUT_OF_GAS');
          gas -= amount;
          return undefined;
        };
      }
      case 'call': return call(s.func, s.args.map(expr), s.dests);
      case 'icall': {
        const idx = expr(s.index) as N;
        const want = typeKey(m.types[s.typeIndex]!);
        const args = s.args.map(expr);
        const table = state.table ?? [];
        // One call site per table element, prepared lazily: the table is fixed after instantiation.
        const sites: (St | undefined)[] = [];
        return (v) => {
          const i = idx(v) >>> 0;
          if (i >= table.length) trap('Dmir.Trap.TABLE_OUT_OF_BOUNDS');
          const target = table[i];
          if (target === null || target === undefined) return trap('Dmir.Trap.UNINITIALIZED_ELEMENT');
          if (fns[target]!.typeKey !== want) trap('Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH');
          let site = sites[i];
          if (site === undefined) site = sites[i] = call(target, args, s.dests);
          return site(v);
        };
      }
    }
    return unsupported(`statement ${(s as { op: string }).op}`);
  };

  const call = (fi: number, args: readonly Ev[], dests: readonly number[]): St => {
    const f = m.funcs[fi]!;
    const n = args.length;
    if (f.kind === 'host') {
      return (v) => {
        const xs: Val[] = new Array<Val>(n);
        for (let k = 0; k < n; k++) xs[k] = args[k]!(v);
        const r = callHost(fi, xs);
        for (let k = 0; k < dests.length; k++) v[dests[k]!] = r[k]!;
        return undefined;
      };
    }
    const callee = fns[fi]!;
    // The request object is reused: the run loop consumes it before any other statement runs.
    const req: CallReq = { fn: callee, vars: [], dests };
    return (v) => {
      const nv = callee.zero.slice();
      for (let k = 0; k < n; k++) nv[k] = args[k]!(v);
      req.vars = nv;
      return req;
    };
  };

  const term = (t: Terminator, f: DefinedFunc): Tm => {
    // A branch to an empty block that only branches on goes straight to the final target.
    const thread = (b: number): number => {
      let x = b;
      for (let k = 0; k < f.blocks.length; k++) {
        const blk = f.blocks[x]!;
        if (blk.stmts.length !== 0 || blk.term.op !== 'br') break;
        x = blk.term.target;
      }
      return x;
    };
    switch (t.op) {
      case 'br': { const b = thread(t.target); return () => b; }
      case 'br_if': {
        const y = thread(t.then);
        const n = thread(t.else);
        if (t.cond.op === 'dread') { const i = t.cond.variable; return (v) => ((v[i] as number) !== 0 ? y : n); }
        const tp = templated(t.cond);
        if (tp !== null) return specialised('branch', tp.op, tp.a, tp.b, [undefined, y, n]) as Tm;
        const c = expr(t.cond) as N;
        return (v) => (c(v) !== 0 ? y : n);
      }
      case 'switch': {
        const c = expr(t.index) as N;
        const ts = t.targets.map(thread);
        const d = thread(t.default);
        return (v) => { const i = c(v) >>> 0; return i < ts.length ? ts[i]! : d; };
      }
      case 'return': {
        const vs = t.values.map(expr);
        const only = t.values.length === 1 ? t.values[0]! : null;
        if (only !== null && only.op === 'dread') { const i = only.variable; return (v) => { ret = [v[i]!]; return -1; }; }
        if (vs.length === 1) { const e = vs[0]!; return (v) => { ret = [e(v)]; return -1; }; }
        return (v) => { ret = vs.map((e) => e(v)); return -1; };
      }
      case 'trap': { const code = t.code; return () => trap(code); }
    }
  };

  m.funcs.forEach((f, i) => {
    if (f.kind === 'defined') fns[i]!.blocks = prepare(f);
  });
  function prepare(f: DefinedFunc): IFunc['blocks'] {
    return f.blocks.map((b) => ({ stmts: fuseStatements(b.stmts).map(stmt), term: term(b.term, f) }));
  }

  // ------------------------------------------------------------------------------------------
  // The run loop

  const run = (fi: number, args: readonly Val[], maxSteps: number): readonly Val[] => {
    if (m.funcs[fi]!.kind === 'host') return callHost(fi, args);
    const top = fns[fi]!;
    if (stackCost + top.frameCost > budget) trap('Dmir.Trap.CALL_STACK_EXHAUSTED');
    stackCost += top.frameCost;
    const vars0 = top.zero.slice();
    for (let k = 0; k < top.nParams; k++) vars0[k] = args[k]!;
    const frames: Frame[] = [];
    let fr: Frame = { fn: top, vars: vars0, block: 0, pc: 0, dests: [] };
    let steps = 0;
    for (;;) {
      const b = fr.fn.blocks[fr.block]!;
      const stmts = b.stmts;
      const vars = fr.vars;
      let pc = fr.pc;
      let req: CallReq | undefined;
      while (pc < stmts.length) {
        req = stmts[pc++]!(vars);
        if (req !== undefined) break;
      }
      if (req !== undefined) {
        fr.pc = pc;
        const callee = req.fn;
        if (stackCost + callee.frameCost > budget) trap('Dmir.Trap.CALL_STACK_EXHAUSTED');
        stackCost += callee.frameCost;
        frames.push(fr);
        fr = { fn: callee, vars: req.vars, block: 0, pc: 0, dests: req.dests };
        continue;
      }
      if (++steps > maxSteps) trap('Dmir.Trap.STEP_LIMIT');
      const next = b.term(vars);
      if (next >= 0) {
        fr.block = next;
        fr.pc = 0;
        continue;
      }
      stackCost -= fr.fn.frameCost;
      const caller = frames.pop();
      if (caller === undefined) return ret;
      const dests = fr.dests;
      for (let k = 0; k < dests.length; k++) caller.vars[dests[k]!] = ret[k]!;
      fr = caller;
    }
  };

  return {
    invoke: (fi, args, g, maxSteps = Number.POSITIVE_INFINITY, stackCost0 = 0) => {
      // A host function may invoke this instance again; the inner invocation has registers of
      // its own and the outer one gets its registers back when it resumes.
      const outerGas = gas;
      const outerStack = stackCost;
      gas = g;
      stackCost = stackCost0;
      refresh();
      try {
        const values = run(fi, args, maxSteps);
        return { outcome: { kind: 'return', values }, gasLeft: gas };
      } catch (e) {
        if (!(e instanceof Trapped)) throw e;
        // Out of gas leaves no gas, whoever raised it (DMIR-GAS-USE.1).
        if (e.dmirTrap === 'Dmir.Trap.OUT_OF_GAS') gas = 0n;
        return { outcome: { kind: 'trap', code: e.dmirTrap }, gasLeft: gas };
      } finally {
        gas = outerGas;
        stackCost = outerStack;
      }
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Statement fusion. Lowered WebAssembly moves every operand through a variable
// (`$3 = $2; $3 = mul($3, 31)`); folding such a definition into its one use halves the closures
// a block runs. Only a *quiet* expression moves (no trap edge, no read of a global or the memory),
// so where it is evaluated cannot be observed.

const quiet = (e: Expr): boolean => {
  switch (e.op) {
    case 'const': case 'dread': return true;
    case 'unary': return quiet(e.arg);
    case 'binary': return !(e.kind === 'sdiv' || e.kind === 'udiv' || e.kind === 'srem' || e.kind === 'urem' || e.kind.startsWith('wasm_')) && quiet(e.lhs) && quiet(e.rhs);
    case 'cmp': return quiet(e.lhs) && quiet(e.rhs);
    case 'select': return quiet(e.cond) && quiet(e.ifTrue) && quiet(e.ifFalse);
    case 'convert': return e.kind !== 'wasm_fptosi' && e.kind !== 'wasm_fptoui' && quiet(e.arg);
    default: return false;
  }
};

const reads = (e: Expr, out: Map<number, number>): void => {
  switch (e.op) {
    case 'dread': out.set(e.variable, (out.get(e.variable) ?? 0) + 1); return;
    case 'unary': case 'convert': reads(e.arg, out); return;
    case 'binary': case 'cmp': reads(e.lhs, out); reads(e.rhs, out); return;
    case 'select': reads(e.cond, out); reads(e.ifTrue, out); reads(e.ifFalse, out); return;
    case 'load': reads(e.base, out); return;
    default: return;
  }
};

const stmtReads = (s: Stmt): Map<number, number> => {
  const out = new Map<number, number>();
  const all = (es: readonly Expr[]): void => es.forEach((x) => reads(x, out));
  switch (s.op) {
    case 'dassign': case 'global_set': reads(s.value, out); break;
    case 'store': all([s.base, s.value]); break;
    case 'call': all(s.args); break;
    case 'icall': all([s.index, ...s.args]); break;
    case 'memory_grow': reads(s.delta, out); break;
    case 'use_gas': reads(s.amount, out); break;
  }
  return out;
};

const stmtWrites = (s: Stmt): readonly number[] =>
  (s.op === 'dassign' ? [s.variable] : s.op === 'call' || s.op === 'icall' ? s.dests : s.op === 'memory_grow' ? [s.dest] : []);

const substitute = (e: Expr, v: number, by: Expr): Expr => {
  switch (e.op) {
    case 'dread': return e.variable === v ? by : e;
    case 'unary': return { ...e, arg: substitute(e.arg, v, by) };
    case 'convert': return { ...e, arg: substitute(e.arg, v, by) };
    case 'binary': return { ...e, lhs: substitute(e.lhs, v, by), rhs: substitute(e.rhs, v, by) };
    case 'cmp': return { ...e, lhs: substitute(e.lhs, v, by), rhs: substitute(e.rhs, v, by) };
    case 'select': return { ...e, cond: substitute(e.cond, v, by), ifTrue: substitute(e.ifTrue, v, by), ifFalse: substitute(e.ifFalse, v, by) };
    case 'load': return { ...e, base: substitute(e.base, v, by) };
    default: return e;
  }
};

/**
 * Folds `x = e` into the next statement of the block that mentions x, when e is quiet, that
 * statement is `x = E` reading x exactly once (so x is dead after it), and no statement between
 * writes x or a variable e reads.
 */
export const fuseStatements = (stmts: readonly Stmt[]): Stmt[] => {
  const out = [...stmts];
  // Each statement's reads and writes, computed once and kept in step with `out`.
  const rd = out.map(stmtReads);
  const wr = out.map(stmtWrites);
  for (let i = 0; i < out.length; i++) {
    const s = out[i]!;
    if (s.op !== 'dassign' || !quiet(s.value)) continue;
    const x = s.variable;
    const deps = new Map<number, number>();
    reads(s.value, deps);
    if (deps.has(x)) continue;
    for (let j = i + 1; j < out.length; j++) {
      const t = out[j]!;
      const r = rd[j]!;
      const w = wr[j]!;
      if (r.has(x) || w.includes(x)) {
        if (t.op === 'dassign' && t.variable === x && r.get(x) === 1) {
          out[j] = { ...t, value: substitute(t.value, x, s.value) };
          rd[j] = stmtReads(out[j]!);
          out.splice(i, 1);
          rd.splice(i, 1);
          wr.splice(i, 1);
          i--;
        }
        break;
      }
      if (w.some((v) => deps.has(v))) break;
    }
  }
  return out;
};

const checked32 = (r: number, lo: number, hi: number): number => (r < lo || r > hi ? trap('Dmir.Trap.INTEGER_OVERFLOW') : r | 0);
const checked64 = (r: bigint, signed: boolean): bigint =>
  (signed ? r < -(1n << 63n) || r >= 1n << 63n : r < 0n || r >= 1n << 64n) ? trap('Dmir.Trap.INTEGER_OVERFLOW') : asI64(r);

/** An opcode this interpreter does not know: the module cannot be deployed on this engine. */
export class UnsupportedOp extends Error {}
const unsupported = (what: string): never => {
  throw new UnsupportedOp(`the interpreter does not implement ${what}`);
};
