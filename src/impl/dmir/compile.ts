/**
 * Compiles a verified dMIR module to WebAssembly bytes that Node's engine runs natively. Gas,
 * stack-cost accounting, trap edges and NaN canonicalisation are compiled in, so the compiled code
 * computes exactly what the reference interpreter computes.
 *
 * Control flow: a function whose block graph is reducible (every graph lowered from WebAssembly
 * is) becomes structured `block`/`loop`/`if` code with `br`, `br_if` and `br_table`, placed along
 * the dominator tree (`stackify.ts`), which Node's optimising compiler handles like hand-written
 * WebAssembly. Any other graph becomes a dispatch loop (`loop` around nested `block`s entered
 * through `br_table` on a program-counter local), which is slower but accepts every graph the
 * dMIR verifier accepts.
 *
 * Stack cost: every compiled function takes the caller's stack cost as an extra last parameter,
 * adds its frame cost, checks the budget and passes the sum to its callees, so returning releases
 * the frame without any bookkeeping. Exported entries start from the `stack` global. With
 * `deepCalls`, a function entered above a given stack cost hands the call to the host instead
 * (DMIR-ENGINE-DEEP.1), so native recursion stays shallow.
 *
 * Traps call the imported `env.trap(code)`, which throws; checks whose WebAssembly trap message is
 * ambiguous are explicit. The dMIR opcodes WebAssembly has no instruction for (the checked
 * `wasm_*_overflow` arithmetic, the unordered and the constant float predicates) become short
 * inline sequences, so every opcode form has a translation.
 */
import type {
  BinaryOp, CmpPredicate, DefinedFunc, Expr, FuncType, Module, ScalarType, Stmt, Terminator, TrapCode, ValType,
} from '../../model/dmir/ir.js';
import { analyse, blockSuccessors, trapOfBlock, type Shape } from './stackify.js';
import { append, HEADER, section, sleb, str, uleb, vec } from '../encoding/wasm-binary.js';

/** Trap codes by the number the compiled code passes to `env.trap`. */
export const TRAP_NUMBERS: readonly TrapCode[] = [
  'Dmir.Trap.CALL_STACK_EXHAUSTED', 'Dmir.Trap.INTEGER_OVERFLOW', 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO',
  'Dmir.Trap.INVALID_CONVERSION_TO_INTEGER', 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS', 'Dmir.Trap.TABLE_OUT_OF_BOUNDS',
  'Dmir.Trap.UNINITIALIZED_ELEMENT', 'Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH', 'Dmir.Trap.UNREACHABLE',
  'Dmir.Trap.OUT_OF_GAS', 'Dmir.Trap.HOST_ERROR', 'Dmir.Trap.STEP_LIMIT',
];
const trapNo = (c: TrapCode): number => TRAP_NUMBERS.indexOf(c);
const TRAP_SET: ReadonlySet<string> = new Set(TRAP_NUMBERS);
/** The trap a failed host call raises: its error code when that is a trap code, else HOST_ERROR. */
export const hostErrorTrap = (code: string): TrapCode => (TRAP_SET.has(code) ? (code as TrapCode) : 'Dmir.Trap.HOST_ERROR');

/** `i32.const n` for a 32-bit integer (signed or unsigned reading), without going through bigint. */
const i32c = (n: number): number[] => {
  const out = [0x41];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
};
const VT: Readonly<Record<ValType, number>> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c };
const f32c = (bits: number): number[] => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, bits, true); return [0x43, ...b]; };
const f64c = (bits: bigint): number[] => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, bits, true); return [0x44, ...b]; };

/** A function the compiler cannot translate; the engine keeps it on the interpreter. */
export interface Unsupported { readonly unsupported: true; readonly reason: string }
const unsupported = (reason: string): Unsupported => ({ unsupported: true, reason });
const isUnsupported = (e: unknown): e is Unsupported => typeof e === 'object' && e !== null && (e as { unsupported?: unknown }).unsupported === true;

const INT_BIN: Partial<Record<BinaryOp, [number, number]>> = {
  add: [0x6a, 0x7c], sub: [0x6b, 0x7d], mul: [0x6c, 0x7e], sdiv: [0x6d, 0x7f], udiv: [0x6e, 0x80], srem: [0x6f, 0x81], urem: [0x70, 0x82],
  and: [0x71, 0x83], or: [0x72, 0x84], xor: [0x73, 0x85], shl: [0x74, 0x86], sshr: [0x75, 0x87], ushr: [0x76, 0x88], rotl: [0x77, 0x89], rotr: [0x78, 0x8a],
};
const FLOAT_BIN: Partial<Record<BinaryOp, [number, number]>> = {
  add: [0x92, 0xa0], sub: [0x93, 0xa1], mul: [0x94, 0xa2], fpdiv: [0x95, 0xa3], fpmin: [0x96, 0xa4], fpmax: [0x97, 0xa5], fpcopysign: [0x98, 0xa6],
};
const INT_CMP: Partial<Record<CmpPredicate, [number, number]>> = {
  ieq: [0x46, 0x51], ine: [0x47, 0x52], islt: [0x48, 0x53], iult: [0x49, 0x54], isgt: [0x4a, 0x55], iugt: [0x4b, 0x56],
  isle: [0x4c, 0x57], iule: [0x4d, 0x58], isge: [0x4e, 0x59], iuge: [0x4f, 0x5a],
};
const FLOAT_CMP: Partial<Record<CmpPredicate, [number, number]>> = {
  foeq: [0x5b, 0x61], fune: [0x5c, 0x62], folt: [0x5d, 0x63], fogt: [0x5e, 0x64], fole: [0x5f, 0x65], foge: [0x60, 0x66],
};

/** How function bodies are laid out: structured where possible (the default), or always the dispatch loop. */
export interface CompileOptions {
  readonly control?: 'structured' | 'dispatch';
  /**
   * Deep calls. When set, a function entered at a stack cost above `stackCost` does not run
   * natively: its prologue hands the call to the import `env.deep<k>` (`deepImportNames`) with the dMIR function index, the arguments (floats as their integer bit
   * patterns) and the caller's stack cost, and returns what that import returns (floats as bit
   * patterns) or lets its trap propagate. The host runs the call on an interpreter with an explicit
   * frame stack on the same instance state, so recursion as deep as the stack budget allows never
   * depends on the size of the host's own stack (DMIR-EXEC-MODE.1).
   */
  readonly deepCalls?: { readonly stackCost: number };
}

/**
 * Compiles the whole module. `table` is the instance's table contents (fixed after
 * instantiation in this profile), used to compile the indirect-call checks as data.
 */
export const compileModule = (
  m: Module, table: readonly (number | null)[] | null, stackBudget: number, options: CompileOptions = {},
): { bytes: Uint8Array } | Unsupported => {
  try {
    return { bytes: Uint8Array.from(emitModule(m, table, stackBudget, options)) };
  } catch (e) {
    if (isUnsupported(e)) return e;
    throw e;
  }
};

/** A function type as a string, for comparing signatures. */
export const typeKey = (t: FuncType): string => `${t.params.join(',')}->${t.results.join(',')}`;
const definedTypeKeys = (m: Module): string[] => [...new Set(m.funcs.flatMap((f) => (f.kind === 'defined' ? [typeKey(f.type)] : [])))];
/** The `env` imports a module compiled with `deepCalls` expects; each takes every deep call of its signature. */
export const deepImportNames = (m: Module): string[] => definedTypeKeys(m).map((_, k) => `deep${k}`);
/** The compiled signature of a dMIR function: its parameters, then the caller's stack cost. */
const internalType = (t: FuncType): FuncType => ({ params: [...t.params, 'i32'], results: t.results });

const emitModule = (m: Module, table: readonly (number | null)[] | null, stackBudget: number, options: CompileOptions): number[] => {
  // The stack cost never approaches 2^31 on a real host, so a larger budget is the same as 2^31 - 1.
  const budget = Math.min(Math.max(0, Math.floor(stackBudget)), 0x7fffffff);
  const types: FuncType[] = [];
  const typeIndices = new Map<string, number>();
  const typeIndex = (t: FuncType): number => {
    const k = typeKey(t);
    let i = typeIndices.get(k);
    if (i === undefined) {
      i = types.push(t) - 1;
      typeIndices.set(k, i);
    }
    return i;
  };
  const trapType = typeIndex({ params: ['i32'], results: [] });
  const hostImports = m.funcs.flatMap((f, i) => (f.kind === 'host' ? [i] : []));
  // Function index space: env.trap, then the host imports, then every dMIR function (host ones
  // become thin forwarders so dMIR indices shift by a constant), the table-type lookup, the export
  // wrappers and the start wrapper.
  // Deep-call imports, one per signature of a defined function.
  const deepTypes = options.deepCalls === undefined ? [] : definedTypeKeys(m);
  const deepImport = (t: FuncType): number => 1 + hostImports.length + deepTypes.indexOf(typeKey(t));
  // (Their names are deepImportNames(m), in this order.)
  const importCount = 1 + hostImports.length + deepTypes.length;
  const fnIndex = (i: number): number => importCount + i;
  const gasGlobal = m.globals.length;
  const stackGlobal = gasGlobal + 1;
  const tableTypes = (table ?? []).map((fi) => (fi === null ? -1 : typeIndex(internalType(m.funcs[fi]!.type))));
  const lookupIndex = importCount + m.funcs.length;
  const deepLimit = options.deepCalls === undefined ? null : Math.min(Math.max(0, Math.floor(options.deepCalls.stackCost)), budget);
  const cx: FnCtx = { fnIndex, gasGlobal, stackGlobal, budget, typeIndex, tableTypes, tableFn: lookupIndex, control: options.control ?? 'structured', deepLimit, deepImport };

  const bodies = m.funcs.map((f, i) => (f.kind === 'host'
    ? forwarder(1 + hostImports.indexOf(i), f.type, budget)
    : emitFunction(m, f, i, cx)));
  const lookup = lookupFunction(tableTypes);
  // Export wrappers: floats cross the boundary as integer bit patterns; the stack cost starts at
  // the `stack` global.
  const exportsF = m.exports.filter((e) => e.kind === 'func');
  const wrappers = exportsF.map((e) => wrapper(m.funcs[e.index]!.type, fnIndex(e.index), stackGlobal));
  const startWrapper = m.start === null ? [] : [wrapper(m.funcs[m.start]!.type, fnIndex(m.start), stackGlobal)];

  const funcTypeIdx = [
    ...m.funcs.map((f) => typeIndex(internalType(f.type))),
    typeIndex({ params: ['i32'], results: ['i32'] }),
    ...exportsF.map((e) => typeIndex(bitsType(m.funcs[e.index]!.type))),
    ...(m.start === null ? [] : [typeIndex({ params: [], results: [] })]),
  ];
  const out: number[] = [...HEADER];
  const importsSec = [
    [...str('env'), ...str('trap'), 0x00, ...uleb(trapType)],
    ...hostImports.map((hi, k) => [...str('host'), ...str(String(k)), 0x00, ...uleb(typeIndex(m.funcs[hi]!.type))]),
    ...deepTypes.map((key, k) => {
      const t = m.funcs.find((f) => f.kind === 'defined' && typeKey(f.type) === key)!.type;
      return [...str('env'), ...str(`deep${k}`), 0x00, ...uleb(typeIndex(deepType(t)))];
    }),
    ...(m.memory ? [[...str('env'), ...str('memory'), 0x02, 0x01, ...uleb(m.memory.min), ...uleb(Math.min(m.memory.max ?? 256, 256))]] : []),
  ];
  append(out, section(1, vec(types, (t) => [0x60, ...vec(t.params, (p) => [VT[p]]), ...vec(t.results, (r) => [VT[r]])])));
  append(out, section(2, vec(importsSec, (x) => x)));
  append(out, section(3, vec(funcTypeIdx, uleb)));
  const globals = [
    ...m.globals.map((g) => [VT[g.type], 0x01, ...(g.type === 'i32' ? i32c(g.init as number) : g.type === 'i64' ? [0x42, ...sleb(g.init as bigint)] : g.type === 'f32' ? f32c(g.init as number) : f64c(g.init as bigint)), 0x0b]),
    [VT.i64, 0x01, 0x42, 0x00, 0x0b],
    [VT.i32, 0x01, 0x41, 0x00, 0x0b],
  ];
  if (table !== null) append(out, section(4, vec([table], (t) => [0x70, 0x01, ...uleb(t.length), ...uleb(t.length)])));
  append(out, section(6, vec(globals, (x) => x)));
  const wrapperBase = lookupIndex + 1;
  const exportsSec = [
    ...exportsF.map((e, k) => [...str(`f:${e.name}`), 0x00, ...uleb(wrapperBase + k)]),
    [...str('gas'), 0x03, ...uleb(gasGlobal)],
    [...str('stack'), 0x03, ...uleb(stackGlobal)],
    ...m.globals.map((_, i) => [...str(`g${i}`), 0x03, ...uleb(i)]),
  ];
  if (m.start !== null) exportsSec.push([...str('start'), 0x00, ...uleb(wrapperBase + exportsF.length)]);
  append(out, section(7, vec(exportsSec, (x) => x)));
  // Empty elements point at the lookup function; the explicit null check runs before any call.
  if (table !== null && table.length > 0) append(out, section(9, vec([table], (t) => [0x00, 0x41, 0x00, 0x0b, ...vec(t, (fi) => uleb(fi === null ? lookupIndex : fnIndex(fi)))])));
  append(out, section(10, vec([...bodies, lookup, ...wrappers, ...startWrapper], (b) => { const o = uleb(b.length); append(o, b); return o; })));
  return out;
};

const bitsOf = (t: ValType): ValType => (t === 'f32' ? 'i32' : t === 'f64' ? 'i64' : t);
const bitsType = (t: FuncType): FuncType => ({ params: t.params.map(bitsOf), results: t.results.map(bitsOf) });
/** A deep-call import: function index, arguments as bits, the caller's stack cost; results as bits. */
const deepType = (t: FuncType): FuncType => ({ params: ['i32', ...t.params.map(bitsOf), 'i32'], results: t.results.map(bitsOf) });

/**
 * An exported entry taking and returning float bit patterns as integers. Several results are
 * parked in locals so that each can be reinterpreted on its own.
 */
const wrapper = (t: FuncType, target: number, stackGlobal: number): number[] => {
  const many = t.results.length > 1;
  const code: number[] = many ? vec(t.results, (r) => [1, VT[r]]) : [0x00];
  t.params.forEach((p, i) => {
    code.push(0x20, ...uleb(i));
    if (p === 'f32') code.push(0xbe);
    if (p === 'f64') code.push(0xbf);
  });
  code.push(0x23, ...uleb(stackGlobal), 0x10, ...uleb(target));
  const toBits = (r: ValType): void => {
    if (r === 'f32') code.push(0xbc);
    if (r === 'f64') code.push(0xbd);
  };
  if (many) {
    const base = t.params.length;
    for (let i = t.results.length - 1; i >= 0; i--) code.push(0x21, ...uleb(base + i));
    t.results.forEach((r, i) => { code.push(0x20, ...uleb(base + i)); toBits(r); });
  } else if (t.results[0] !== undefined) {
    toBits(t.results[0]);
  }
  code.push(0x0b);
  return code;
};

/** A host function behind the internal signature: the stack cost is checked before the call (DMIR-EXEC-HOST.1). */
const forwarder = (importIndex: number, t: FuncType, budget: number): number[] => {
  const sp = t.params.length;
  const code: number[] = [0x00, 0x20, ...uleb(sp), ...i32c(budget), 0x4b, 0x04, 0x40, ...i32c(trapNo('Dmir.Trap.CALL_STACK_EXHAUSTED')), 0x10, 0x00, 0x0b];
  t.params.forEach((_, i) => code.push(0x20, ...uleb(i)));
  code.push(0x10, ...uleb(importIndex), 0x0b);
  return code;
};

const lookupFunction = (tableTypes: readonly number[]): number[] => {
  // if (i < n) return tableTypes[i] via br_table; else -2 (the caller has checked the bound).
  const n = tableTypes.length;
  const code: number[] = [0x00];
  for (let k = 0; k <= n; k++) code.push(0x02, 0x40);
  code.push(0x20, 0x00, 0x0e);
  append(code, vec([...Array(n).keys()], uleb));
  code.push(...uleb(n), 0x0b);
  tableTypes.forEach((t) => code.push(...i32c(t), 0x0f, 0x0b));
  code.push(...i32c(-2), 0x0b);
  return code;
};

interface FnCtx {
  readonly fnIndex: (i: number) => number;
  readonly gasGlobal: number;
  readonly stackGlobal: number;
  readonly budget: number;
  readonly typeIndex: (t: FuncType) => number;
  readonly tableTypes: readonly number[];
  readonly tableFn: number;
  readonly control: 'structured' | 'dispatch';
  /** The stack cost above which an entered function is handed to `env.deep<k>`, or null. */
  readonly deepLimit: number | null;
  readonly deepImport: (t: FuncType) => number;
}

const CANON: ReadonlySet<string> = new Set(['add', 'sub', 'mul', 'fpdiv', 'fpmin', 'fpmax', 'fpsqrt', 'fpround_ceil', 'fpround_floor', 'fpround_trunc', 'fpround_nearest', 'fptrunc', 'fpext']);

/** The saturating conversions' 0xFC sub-opcodes by source and target type. */
const SAT_OPS: Readonly<Record<string, number>> = {
  'f32i32s': 0, 'f32i32u': 1, 'f64i32s': 2, 'f64i32u': 3, 'f32i64s': 4, 'f32i64u': 5, 'f64i64s': 6, 'f64i64u': 7,
};

/** A branch target that is not in scope: the structured layout does not apply to this graph. */
class NotStructured extends Error {}

/** The labels around the code being emitted, innermost first. */
type Ctx = { readonly kind: 'loop' | 'block' | 'other'; readonly node: number; readonly next: Ctx } | null;
/** A piece of the structured body: bytes, or a dominator subtree still to be laid out. */
type Item = readonly number[] | { readonly tree: number; readonly ctx: Ctx };

const emitFunction = (m: Module, f: DefinedFunc, self: number, cx: FnCtx): number[] => {
  const nParams = f.type.params.length;
  // Local layout: the parameters, the stack cost, then the remaining dMIR variables and scratch.
  const sp = nParams;
  const loc = (v: number): number[] => uleb(v < nParams ? v : v + 1);
  const locals: ValType[] = f.vars.slice(nParams);
  const extra = (t: ValType): number => nParams + 1 + locals.push(t) - 1;
  const scratch: Record<ValType, number> = { i32: extra('i32'), i64: extra('i64'), f32: extra('f32'), f64: extra('f64') };
  const scratch2: Record<ValType, number> = { i32: extra('i32'), i64: extra('i64'), f32: extra('f32'), f64: extra('f64') };
  const trap = (c: TrapCode): number[] => [...i32c(trapNo(c)), 0x10, 0x00];
  /** A trap that ends the code path: `unreachable` after the throwing call keeps validation simple. */
  const trapEnd = (c: TrapCode): number[] => [...trap(c), 0x00];

  /** Replaces a NaN on top of the stack with the canonical NaN. */
  const canon = (t: 'f32' | 'f64'): number[] => [
    0x21, ...uleb(scratch[t]),
    0x20, ...uleb(scratch[t]),
    ...(t === 'f32' ? f32c(0x7fc00000) : f64c(0x7ff8000000000000n)),
    0x20, ...uleb(scratch[t]), 0x20, ...uleb(scratch[t]), t === 'f32' ? 0x5b : 0x61,
    0x1b,
  ];

  const expr = (e: Expr): number[] => {
    switch (e.op) {
      case 'const':
        return e.type === 'i32' ? i32c(e.value as number) : e.type === 'i64' ? [0x42, ...sleb(e.value as bigint)] : e.type === 'f32' ? f32c(e.value as number) : f64c(e.value as bigint);
      case 'dread': return [0x20, ...loc(e.variable)];
      case 'global_get': return [0x23, ...uleb(e.index)];
      case 'memory_size': return [0x3f, 0x00];
      case 'unary': {
        const a = expr(e.arg);
        const t = e.type;
        if (t === 'i32' || t === 'i64') {
          const w = t === 'i32' ? 0 : 1;
          switch (e.kind) {
            case 'clz': return [...a, [0x67, 0x79][w]!];
            case 'ctz': return [...a, [0x68, 0x7a][w]!];
            case 'popcnt': return [...a, [0x69, 0x7b][w]!];
            case 'not': return [...a, ...(t === 'i32' ? [0x41, 0x7f, 0x73] : [0x42, 0x7f, 0x85])];
            default: throw unsupported(`${e.kind} on ${t}`);
          }
        }
        const base = t === 'f32' ? 0x8b : 0x99;
        const idx = ['fpabs', 'fpneg', 'fpround_ceil', 'fpround_floor', 'fpround_trunc', 'fpround_nearest', 'fpsqrt'].indexOf(e.kind);
        if (idx < 0) throw unsupported(`${e.kind} on ${t}`);
        return [...a, base + idx, ...(CANON.has(e.kind) ? canon(t) : [])];
      }
      case 'binary': {
        const a = [...expr(e.lhs), ...expr(e.rhs)];
        const t = e.type;
        if (t === 'i32' || t === 'i64') {
          const op = INT_BIN[e.kind];
          if (op !== undefined) return [...a, op[t === 'i32' ? 0 : 1]];
          if (e.kind.endsWith('_overflow')) return [...a, ...(t === 'i32' ? checked32(e.kind) : checked64(e.kind))];
          throw unsupported(`${e.kind} on ${t}`);
        }
        const op = FLOAT_BIN[e.kind];
        if (op === undefined) throw unsupported(`${e.kind} on ${t}`);
        return [...a, op[t === 'f32' ? 0 : 1], ...(CANON.has(e.kind) ? canon(t) : [])];
      }
      case 'cmp': {
        const t = e.lhs.type as ValType;
        const a = [...expr(e.lhs), ...expr(e.rhs)];
        const ops = t === 'i32' || t === 'i64' ? INT_CMP[e.pred] : FLOAT_CMP[e.pred];
        if (ops !== undefined) return [...a, ops[t === 'i32' || t === 'f32' ? 0 : 1]];
        if (t === 'f32' || t === 'f64') return [...a, ...floatPredicate(e.pred, t)];
        throw unsupported(`cmp ${e.pred}`);
      }
      case 'select': return [...expr(e.ifTrue), ...expr(e.ifFalse), ...expr(e.cond), 0x1b];
      case 'load': {
        const b = expr(e.base);
        const ops: Record<ScalarType, [number, number]> = { i8: [0x2d, 0], i16: [0x2f, 1], i32: [0x28, 2], i64: [0x29, 3], f32: [0x2a, 2], f64: [0x2b, 3] };
        const [op, align] = ops[e.type];
        return [...b, op, align, ...uleb(e.offset)];
      }
      case 'convert': return convert(e.kind, e.arg.type, e.type, expr(e.arg));
    }
  };

  const overflowTrap = (): number[] => [0x04, 0x40, ...trap('Dmir.Trap.INTEGER_OVERFLOW'), 0x0b];

  /**
   * Checked i32 arithmetic (DMIR-OP-BINARY.1) with both operands on the stack: the exact result
   * is computed in 64 bits (sign- or zero-extended operands; a product of two 32-bit values fits)
   * and must survive the round trip through 32 bits, else INTEGER_OVERFLOW.
   */
  const checked32 = (kind: BinaryOp): number[] => {
    const signed = kind.startsWith('wasm_s');
    const ext = signed ? 0xac : 0xad;
    const op = kind.includes('add') ? 0x7c : kind.includes('sub') ? 0x7d : 0x7e;
    const [y, r] = [uleb(scratch2.i32), uleb(scratch.i64)];
    return [
      0x21, ...y, ext, 0x20, ...y, ext, op, 0x22, ...r,
      // signed: r != sext(wrap(r)); unsigned: r >>u 32 != 0 (a negative difference has high bits set).
      ...(signed ? [0x20, ...r, 0xa7, 0xac, 0x52] : [0x20, ...r, 0x42, 32, 0x88, 0x50, 0x45]),
      ...overflowTrap(),
      0x20, ...r, 0xa7,
    ];
  };

  /** A third i64 local, allocated on first use by the checked 64-bit arithmetic. */
  let scratch3I64: number | null = null;
  /**
   * Checked i64 arithmetic (DMIR-OP-BINARY.1) with both operands on the stack, by the usual
   * two's-complement tests on the wrapped result.
   */
  const checked64 = (kind: BinaryOp): number[] => {
    scratch3I64 ??= extra('i64');
    const [x, y, r] = [uleb(scratch.i64), uleb(scratch2.i64), uleb(scratch3I64)];
    const get = (l: number[]): number[] => [0x20, ...l];
    const take = [0x21, ...y, 0x21, ...x];
    const wrapped = (op: number): number[] => [...get(x), ...get(y), op, 0x21, ...r];
    const negative = [0x42, 0x00, 0x53];
    let check: number[];
    switch (kind) {
      // Overflow iff both operands' signs differ from the result's.
      case 'wasm_sadd_overflow': check = [...wrapped(0x7c), ...get(x), ...get(r), 0x85, ...get(y), ...get(r), 0x85, 0x83, ...negative, ...overflowTrap()]; break;
      // Overflow iff the operands' signs differ and the result's sign differs from the minuend's.
      case 'wasm_ssub_overflow': check = [...wrapped(0x7d), ...get(x), ...get(y), 0x85, ...get(x), ...get(r), 0x85, 0x83, ...negative, ...overflowTrap()]; break;
      case 'wasm_uadd_overflow': check = [...wrapped(0x7c), ...get(r), ...get(x), 0x54, ...overflowTrap()]; break;
      case 'wasm_usub_overflow': check = [...wrapped(0x7d), ...get(x), ...get(y), 0x54, ...overflowTrap()]; break;
      // x * y overflows iff y != 0 and x > (2^64 - 1) / y, unsigned.
      case 'wasm_umul_overflow':
        check = [...wrapped(0x7e), ...get(y), 0x50, 0x45, 0x04, 0x40, ...get(x), 0x42, 0x7f, ...get(y), 0x80, 0x56, ...overflowTrap(), 0x0b];
        break;
      // For x != 0: overflow iff x = -1 and y = MIN (the one quotient that cannot be formed), or
      // the wrapped product divided by x is not y.
      case 'wasm_smul_overflow':
        check = [
          ...wrapped(0x7e), ...get(x), 0x50, 0x45, 0x04, 0x40,
          ...get(x), 0x42, 0x7f, 0x51, ...get(y), 0x42, ...sleb(-(1n << 63n)), 0x51, 0x71, ...overflowTrap(),
          ...get(r), ...get(x), 0x7f, ...get(y), 0x52, ...overflowTrap(),
          0x0b,
        ];
        break;
      default: throw unsupported(`${kind} on i64`);
    }
    return [...take, ...check, ...get(r)];
  };

  /**
   * The float predicates WebAssembly has no instruction for (DMIR-OP-CMP.1), with both operands on
   * the stack. An unordered predicate is the negation of the opposite ordered one, which is false on NaN.
   */
  const floatPredicate = (pred: CmpPredicate, t: 'f32' | 'f64'): number[] => {
    const w = t === 'f32' ? 0 : 1;
    const [eq, ne, lt, gt, le, ge] = (['foeq', 'fune', 'folt', 'fogt', 'fole', 'foge'] as const).map((p) => FLOAT_CMP[p]![w]!) as [number, number, number, number, number, number];
    const [x, y] = [[0x20, ...uleb(scratch[t])], [0x20, ...uleb(scratch2[t])]];
    const take = [0x21, ...uleb(scratch2[t]), 0x21, ...uleb(scratch[t])];
    const nan = (v: number[]): number[] => [...v, ...v, ne];
    switch (pred) {
      case 'ffalse': return [0x1a, 0x1a, ...i32c(0)];
      case 'ftrue': return [0x1a, 0x1a, ...i32c(1)];
      case 'fugt': return [le, 0x45];
      case 'fuge': return [lt, 0x45];
      case 'fult': return [ge, 0x45];
      case 'fule': return [gt, 0x45];
      case 'fone': return [...take, ...x, ...y, lt, ...x, ...y, gt, 0x72];
      case 'fueq': return [...take, ...nan(x), ...nan(y), 0x72, ...x, ...y, eq, 0x72];
      case 'ford': return [...take, ...x, ...x, eq, ...y, ...y, eq, 0x71];
      case 'funo': return [...take, ...nan(x), ...nan(y), 0x72];
      default: throw unsupported(`cmp ${pred} on ${t}`);
    }
  };

  const convert = (kind: string, from: ScalarType, to: ScalarType, a: number[]): number[] => {
    switch (kind) {
      case 'trunc':
        if (from === 'i64') return [...a, 0xa7, ...(to === 'i8' ? [0x41, ...sleb(0xffn), 0x71] : to === 'i16' ? [0x41, ...sleb(0xffffn), 0x71] : [])];
        return [...a, 0x41, ...sleb(to === 'i8' ? 0xffn : 0xffffn), 0x71];
      case 'sext': {
        const narrow = from === 'i8' ? 0xc0 : from === 'i16' ? 0xc1 : null;
        if (to === 'i32') return [...a, narrow!];
        if (from === 'i32') return [...a, 0xac];
        return [...a, narrow!, 0xac];
      }
      case 'uext': return to === 'i32' ? a : [...a, 0xad];
      case 'fptrunc': return [...a, 0xb6, ...canon('f32')];
      case 'fpext': return [...a, 0xbb, ...canon('f64')];
      case 'sitofp': case 'uitofp': {
        const s = kind === 'sitofp';
        const table: Record<string, number> = { 'i32f32': s ? 0xb2 : 0xb3, 'i64f32': s ? 0xb4 : 0xb5, 'i32f64': s ? 0xb7 : 0xb8, 'i64f64': s ? 0xb9 : 0xba };
        return [...a, table[`${from}${to}`]!];
      }
      case 'bitcast': return [...a, to === 'i32' ? 0xbc : to === 'i64' ? 0xbd : to === 'f32' ? 0xbe : 0xbf];
      case 'wasm_fptosi': case 'wasm_fptoui': {
        // NaN is checked explicitly: WebAssembly reports NaN and overflow with one message.
        const ft = from as 'f32' | 'f64';
        const s = kind === 'wasm_fptosi';
        const table: Record<string, number> = { 'f32i32': s ? 0xa8 : 0xa9, 'f64i32': s ? 0xaa : 0xab, 'f32i64': s ? 0xae : 0xaf, 'f64i64': s ? 0xb0 : 0xb1 };
        return [
          ...a, 0x22, ...uleb(scratch2[ft]),
          0x20, ...uleb(scratch2[ft]), 0x20, ...uleb(scratch2[ft]), ft === 'f32' ? 0x5c : 0x62,
          0x04, 0x40, ...trap('Dmir.Trap.INVALID_CONVERSION_TO_INTEGER'), 0x0b,
          table[`${from}${to}`]!,
        ];
      }
      // WebAssembly's saturating conversions are exactly the dMIR ones (NaN to 0, clamped to the range).
      case 'wasm_fptosi_sat': case 'wasm_fptoui_sat':
        return [...a, 0xfc, SAT_OPS[`${from}${to}${kind === 'wasm_fptosi_sat' ? 's' : 'u'}`]!];
      default: throw unsupported(`convert ${kind}`);
    }
  };

  const stmt = (s: Stmt): number[] => {
    switch (s.op) {
      case 'dassign': return [...expr(s.value), 0x21, ...loc(s.variable)];
      case 'global_set': return [...expr(s.value), 0x24, ...uleb(s.index)];
      case 'store': {
        const ops: Record<ScalarType, [number, number]> = { i8: [0x3a, 0], i16: [0x3b, 1], i32: [0x36, 2], i64: [0x37, 3], f32: [0x38, 2], f64: [0x39, 3] };
        const [op, align] = ops[s.type];
        return [...expr(s.base), ...expr(s.value), op, align, ...uleb(s.offset)];
      }
      case 'call': return [...s.args.flatMap(expr), 0x20, ...uleb(sp), 0x10, ...uleb(cx.fnIndex(s.func)), ...takeResults(s.dests, m.funcs[s.func]!.type)];
      case 'icall': {
        const want = cx.typeIndex(internalType(m.types[s.typeIndex]!));
        const n = cx.tableTypes.length;
        // The index is evaluated and checked first, as in DMIR-EXEC-CALL.1; after the explicit
        // checks the call_indirect itself cannot trap.
        return [
          ...expr(s.index), 0x21, ...uleb(scratch.i32),
          0x20, ...uleb(scratch.i32), ...i32c(n), 0x4f, 0x04, 0x40, ...trap('Dmir.Trap.TABLE_OUT_OF_BOUNDS'), 0x0b,
          0x20, ...uleb(scratch.i32), 0x10, ...uleb(cx.tableFn), 0x21, ...uleb(scratch2.i32),
          0x20, ...uleb(scratch2.i32), ...i32c(-1), 0x46, 0x04, 0x40, ...trap('Dmir.Trap.UNINITIALIZED_ELEMENT'), 0x0b,
          0x20, ...uleb(scratch2.i32), ...i32c(want), 0x47, 0x04, 0x40, ...trap('Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH'), 0x0b,
          ...s.args.flatMap(expr),
          0x20, ...uleb(sp),
          0x20, ...uleb(scratch.i32), 0x11, ...uleb(want), 0x00,
          ...takeResults(s.dests, m.types[s.typeIndex]!),
        ];
      }
      case 'memory_grow': return [...expr(s.delta), 0x40, 0x00, 0x21, ...loc(s.dest)];
      case 'use_gas':
        return [
          ...expr(s.amount), 0x21, ...uleb(scratch.i64),
          0x23, ...uleb(cx.gasGlobal), 0x20, ...uleb(scratch.i64), 0x54,
          0x04, 0x40, 0x42, 0x00, 0x24, ...uleb(cx.gasGlobal), ...trap('Dmir.Trap.OUT_OF_GAS'), 0x0b,
          0x23, ...uleb(cx.gasGlobal), 0x20, ...uleb(scratch.i64), 0x7d, 0x24, ...uleb(cx.gasGlobal),
        ];
    }
  };

  /** After a call: the results are on the stack, the last on top; store them or drop them. */
  const takeResults = (dests: readonly number[], t: FuncType): number[] =>
    dests.length === 0 ? t.results.map(() => 0x1a) : [...dests].reverse().flatMap((d) => [0x21, ...loc(d)]);

  const stmts = (b: number): number[] => {
    const out: number[] = [];
    for (const s of f.blocks[b]!.stmts) append(out, stmt(s));
    return out;
  };
  const ret = (values: readonly Expr[]): number[] => [...values.flatMap(expr), 0x0f];

  // Prologue: charge the frame cost against the budget (DMIR-STACK-COST.1, DMIR-STACK-BUDGET.1).
  const prologue = cx.deepLimit === null ? [
    0x20, ...uleb(sp), ...i32c(f.frameCost), 0x6a, 0x22, ...uleb(sp),
    ...i32c(cx.budget), 0x4b, 0x04, 0x40, ...trap('Dmir.Trap.CALL_STACK_EXHAUSTED'), 0x0b,
  ] : deepPrologue(cx.deepLimit);

  /**
   * Above the deep-call limit the whole call goes to `env.deep<k>`, which applies the budget
   * itself (it enters the function at the caller's stack cost).
   */
  function deepPrologue(limit: number): number[] {
    const code = [0x20, ...uleb(sp), ...i32c(f.frameCost), 0x6a, 0x22, ...uleb(sp), ...i32c(limit), 0x4b, 0x04, 0x40, ...i32c(self)];
    f.type.params.forEach((p, i) => {
      code.push(0x20, ...uleb(i));
      if (p === 'f32') code.push(0xbc);
      if (p === 'f64') code.push(0xbd);
    });
    code.push(0x20, ...uleb(sp), ...i32c(f.frameCost), 0x6b, 0x10, ...uleb(cx.deepImport(f.type)));
    const back = (r: ValType): number[] => (r === 'f32' ? [0xbe] : r === 'f64' ? [0xbf] : []);
    const rs = f.type.results;
    if (rs.length === 1) code.push(...back(rs[0]!));
    else if (rs.some((r) => r === 'f32' || r === 'f64')) {
      // Several results, some floats: park the bit patterns, then reinterpret each in order.
      const park = rs.map((r) => extra(bitsOf(r)));
      for (let i = rs.length - 1; i >= 0; i--) code.push(0x21, ...uleb(park[i]!));
      rs.forEach((r, i) => code.push(0x20, ...uleb(park[i]!), ...back(r)));
    }
    code.push(0x0f, 0x0b);
    return code;
  }

  const trapOf = (b: number): TrapCode | null => trapOfBlock(f, b);

  const structured = (shape: Shape): number[] => {
    const at = (ctx: Ctx, kind: 'loop' | 'block', node: number): number => {
      let d = 0;
      for (let c = ctx; c !== null; c = c.next, d++) if (c.kind === kind && c.node === node) return d;
      throw new NotStructured(`no enclosing ${kind} for block ${node}`);
    };
    const other = (ctx: Ctx, n = 1): Ctx => {
      let c = ctx;
      for (let i = 0; i < n; i++) c = { kind: 'other', node: -1, next: c };
      return c;
    };
    type Way = { readonly k: 'trap'; readonly code: TrapCode } | { readonly k: 'br'; readonly depth: number } | { readonly k: 'inline' };
    /** How a branch from `src` reaches `target` in the context: trap, `br` to a label, or the target's code in place. */
    const way = (src: number, target: number, ctx: Ctx): Way => {
      const code = trapOf(target);
      if (code !== null) return { k: 'trap', code };
      if (shape.rpo[target]! <= shape.rpo[src]!) return { k: 'br', depth: at(ctx, 'loop', target) };
      if (shape.merge[target] === 1) return { k: 'br', depth: at(ctx, 'block', target) };
      return { k: 'inline' };
    };
    const branch = (src: number, target: number, ctx: Ctx): Item[] => {
      const w = way(src, target, ctx);
      return w.k === 'trap' ? [trapEnd(w.code)] : w.k === 'br' ? [[0x0c, ...uleb(w.depth)]] : [{ tree: target, ctx }];
    };
    const terminator = (x: number, t: Terminator, ctx: Ctx): Item[] => {
      switch (t.op) {
        case 'return': return [ret(t.values)];
        case 'trap': return [trapEnd(t.code)];
        case 'br': return branch(x, t.target, ctx);
        case 'br_if': {
          const cond = expr(t.cond);
          const wt = way(x, t.then, ctx);
          const we = way(x, t.else, ctx);
          if (wt.k === 'br') return [[...cond, 0x0d, ...uleb(wt.depth)], ...branch(x, t.else, ctx)];
          if (we.k === 'br') return [[...cond, 0x45, 0x0d, ...uleb(we.depth)], ...branch(x, t.then, ctx)];
          if (wt.k === 'trap') return [[...cond, 0x04, 0x40, ...trap(wt.code), 0x0b], ...branch(x, t.else, ctx)];
          if (we.k === 'trap') return [[...cond, 0x45, 0x04, 0x40, ...trap(we.code), 0x0b], ...branch(x, t.then, ctx)];
          const inner = other(ctx);
          return [[...cond, 0x04, 0x40], ...branch(x, t.then, inner), [0x05], ...branch(x, t.else, inner), [0x0b]];
        }
        case 'switch': {
          const index = expr(t.index);
          const all = [...t.targets, t.default];
          const ways = all.map((b) => way(x, b, ctx));
          if (ways.every((w) => w.k === 'br')) {
            const depths = ways.map((w) => (w as { depth: number }).depth);
            return [[...index, 0x0e, ...vec(depths.slice(0, -1), uleb), ...uleb(depths[depths.length - 1]!)]];
          }
          // One arm per distinct target, each after the `end` of its own block.
          const arms = [...new Set(all)];
          const armOf = (b: number): number => arms.indexOf(b);
          const n = arms.length;
          const head: number[] = [];
          for (let k = 0; k < n; k++) head.push(0x02, 0x40);
          append(head, index);
          head.push(0x0e);
          append(head, vec(t.targets.map(armOf), uleb));
          append(head, uleb(armOf(t.default)));
          const items: Item[] = [head];
          arms.forEach((b, k) => { items.push([0x0b], ...branch(x, b, other(ctx, n - 1 - k))); });
          return items;
        }
      }
    };
    /** The code of block x and of every block it dominates (Ramsey's doTree and nodeWithin). */
    const tree = (x: number, ctx0: Ctx): Item[] => {
      const seq: Item[] = [];
      let ctx = ctx0;
      const loop = shape.loopHeader[x] === 1;
      if (loop) {
        seq.push([0x03, 0x40]);
        ctx = { kind: 'loop', node: x, next: ctx };
      }
      const merges = shape.mergeChildren[x]!;
      const outside: Ctx[] = [];
      for (const y of merges) {
        outside.push(ctx);
        seq.push([0x02, 0x40]);
        ctx = { kind: 'block', node: y, next: ctx };
      }
      seq.push(stmts(x));
      for (const it of terminator(x, f.blocks[x]!.term, ctx)) seq.push(it);
      for (let k = merges.length - 1; k >= 0; k--) seq.push([0x0b], { tree: merges[k]!, ctx: outside[k]! });
      if (loop) seq.push([0x0b]);
      return seq;
    };
    // An explicit work list instead of recursion: long chains of blocks must not exhaust the host stack.
    const out: number[] = [];
    const work: Item[] = [{ tree: 0, ctx: null }];
    while (work.length > 0) {
      const it = work.pop()!;
      if (Array.isArray(it)) { append(out, it as readonly number[]); continue; }
      const t = it as { readonly tree: number; readonly ctx: Ctx };
      const seq = tree(t.tree, t.ctx);
      for (let i = seq.length - 1; i >= 0; i--) work.push(seq[i]!);
    }
    return out;
  };

  /** Every graph the verifier accepts: a `loop` around one `block` per basic block, entered by `br_table` on a program counter. */
  const dispatch = (): number[] => {
    const pc = extra('i32');
    const n = f.blocks.length;
    const code: number[] = [0x03, 0x40];
    for (let k = 0; k < n; k++) code.push(0x02, 0x40);
    code.push(0x20, ...uleb(pc), 0x0e);
    append(code, vec([...Array(n).keys()], uleb));
    code.push(0x00, 0x0b);
    const term = (t: Terminator, depthToLoop: number): number[] => {
      const goto = (b: number, extraDepth = 0): number[] => [...i32c(b), 0x21, ...uleb(pc), 0x0c, ...uleb(depthToLoop + extraDepth)];
      switch (t.op) {
        case 'br': return goto(t.target);
        case 'br_if': return [...expr(t.cond), 0x04, 0x7f, ...i32c(t.then), 0x05, ...i32c(t.else), 0x0b, 0x21, ...uleb(pc), 0x0c, ...uleb(depthToLoop)];
        case 'switch': {
          const m2 = t.targets.length;
          const out: number[] = [];
          for (let k = 0; k <= m2; k++) out.push(0x02, 0x40);
          append(out, expr(t.index));
          out.push(0x0e);
          append(out, vec([...Array(m2).keys()], uleb));
          out.push(...uleb(m2), 0x0b);
          for (let k = 0; k <= m2; k++) {
            append(out, goto(k < m2 ? t.targets[k]! : t.default, m2 - k));
            out.push(0x0b);
          }
          // The last `end` above closes the outermost switch block; nothing follows it.
          out.pop();
          return out;
        }
        case 'return': return ret(t.values);
        case 'trap': return trapEnd(t.code);
      }
    };
    f.blocks.forEach((b, k) => {
      append(code, stmts(k));
      append(code, term(b.term, n - 1 - k));
      code.push(0x0b);
    });
    return code;
  };

  let body: number[] | null = null;
  if (cx.control === 'structured') {
    const shape = analyse(blockSuccessors(f));
    if (shape !== null) {
      try {
        body = structured(shape);
      } catch (e) {
        if (!(e instanceof NotStructured)) throw e;
      }
    }
  }
  if (body === null) body = dispatch();
  const code = [...vec(locals, (t) => [1, VT[t]]), ...prologue];
  append(code, body);
  code.push(0x00, 0x0b);
  return code;
};
