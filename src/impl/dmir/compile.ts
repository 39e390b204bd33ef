/**
 * Compiles a verified dMIR module to WebAssembly bytes that Node's engine runs natively. Gas,
 * stack-cost accounting, trap edges and NaN canonicalisation are compiled in, so the compiled code
 * computes exactly what the reference interpreter computes.
 *
 * Control flow: each function's basic blocks become a dispatch loop (`loop` around nested
 * `block`s entered through `br_table` on a program-counter local). Traps call the imported
 * `env.trap(code)`, which throws; checks whose WebAssembly trap message is ambiguous are explicit.
 */
import type {
  BinaryOp, CmpPredicate, DefinedFunc, Expr, FuncType, Module, ScalarType, Stmt, Terminator, TrapCode, ValType,
} from '../../model/dmir/ir.js';

/** Trap codes by the number the compiled code passes to `env.trap`. */
export const TRAP_NUMBERS: readonly TrapCode[] = [
  'Dmir.Trap.CALL_STACK_EXHAUSTED', 'Dmir.Trap.INTEGER_OVERFLOW', 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO',
  'Dmir.Trap.INVALID_CONVERSION_TO_INTEGER', 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS', 'Dmir.Trap.TABLE_OUT_OF_BOUNDS',
  'Dmir.Trap.UNINITIALIZED_ELEMENT', 'Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH', 'Dmir.Trap.UNREACHABLE',
  'Dmir.Trap.OUT_OF_GAS', 'Dmir.Trap.HOST_ERROR', 'Dmir.Trap.STEP_LIMIT',
];
const trapNo = (c: TrapCode): number => TRAP_NUMBERS.indexOf(c);

const uleb = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
};
const sleb = (n: bigint): number[] => {
  const out: number[] = [];
  let v = n;
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
};
const VT: Readonly<Record<ValType, number>> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c };
const vec = <T>(xs: readonly T[], f: (x: T) => number[]): number[] => [...uleb(xs.length), ...xs.flatMap(f)];
const str = (s: string): number[] => { const b = new TextEncoder().encode(s); return [...uleb(b.length), ...b]; };
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
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

/**
 * Compiles the whole module. `table` is the instance's table contents (fixed after
 * instantiation in this profile), used to compile the indirect-call checks as data.
 */
export const compileModule = (m: Module, table: readonly (number | null)[] | null, stackBudget: number): { bytes: Uint8Array } | Unsupported => {
  try {
    return { bytes: Uint8Array.from(emitModule(m, table, stackBudget)) };
  } catch (e) {
    if (isUnsupported(e)) return e;
    throw e;
  }
};

const typeKey = (t: FuncType): string => `${t.params.join(',')}->${t.results.join(',')}`;

const emitModule = (m: Module, table: readonly (number | null)[] | null, stackBudget: number): number[] => {
  // Types: the module's function types, then the trap import's, then one wrapper type per export.
  const types: FuncType[] = [];
  const typeIndex = (t: FuncType): number => {
    const k = typeKey(t);
    let i = types.findIndex((x) => typeKey(x) === k);
    if (i < 0) i = types.push(t) - 1;
    return i;
  };
  const trapType = typeIndex({ params: ['i32'], results: [] });
  const hostImports = m.funcs.flatMap((f, i) => (f.kind === 'host' ? [i] : []));
  // Function index space: env.trap, then the host imports, then every dMIR function (host ones
  // become thin forwarders so dMIR indices shift by a constant).
  const importCount = 1 + hostImports.length;
  const fnIndex = (i: number): number => importCount + i;
  const gasGlobal = m.globals.length;
  const stackGlobal = gasGlobal + 1;
  const canonicalTypeId = (t: FuncType): number => typeIndex(t);
  const tableTypes = (table ?? []).map((fi) => (fi === null ? -1 : canonicalTypeId(m.funcs[fi]!.type)));

  const bodies = m.funcs.map((f, i) => (f.kind === 'host'
    ? forwarder(1 + hostImports.indexOf(i), f.type)
    : emitFunction(m, f, { fnIndex, gasGlobal, stackGlobal, stackBudget, typeIndex, tableTypes, tableFn: importCount + m.funcs.length })));
  // The element-type lookup: index -> canonical type id (or -1 for an empty element).
  const lookup = lookupFunction(tableTypes);
  // Export wrappers: floats cross the boundary as integer bit patterns.
  const exportsF = m.exports.filter((e) => e.kind === 'func');
  const wrappers = exportsF.map((e) => wrapper(m.funcs[e.index]!.type, fnIndex(e.index)));

  const funcTypeIdx = [
    ...m.funcs.map((f) => typeIndex(f.type)),
    typeIndex({ params: ['i32'], results: ['i32'] }),
    ...exportsF.map((e) => typeIndex(bitsType(m.funcs[e.index]!.type))),
  ];
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const importsSec = [
    [...str('env'), ...str('trap'), 0x00, ...uleb(trapType)],
    ...hostImports.map((hi, k) => [...str('host'), ...str(String(k)), 0x00, ...uleb(typeIndex(m.funcs[hi]!.type))]),
    ...(m.memory ? [[...str('env'), ...str('memory'), 0x02, 0x01, ...uleb(m.memory.min), ...uleb(Math.min(m.memory.max ?? 256, 256))]] : []),
  ];
  out.push(...section(1, vec(types, (t) => [0x60, ...vec(t.params, (p) => [VT[p]]), ...vec(t.results, (r) => [VT[r]])])));
  out.push(...section(2, vec(importsSec, (x) => x)));
  out.push(...section(3, vec(funcTypeIdx, uleb)));
  const globals = [
    ...m.globals.map((g) => [VT[g.type], 0x01, ...(g.type === 'i32' ? [0x41, ...sleb(BigInt(g.init as number))] : g.type === 'i64' ? [0x42, ...sleb(g.init as bigint)] : g.type === 'f32' ? f32c(g.init as number) : f64c(g.init as bigint)), 0x0b]),
    [VT.i64, 0x01, 0x42, 0x00, 0x0b],
    [VT.i32, 0x01, 0x41, 0x00, 0x0b],
  ];
  if (table !== null) out.push(...section(4, vec([table], (t) => [0x70, 0x01, ...uleb(t.length), ...uleb(t.length)])));
  out.push(...section(6, vec(globals, (x) => x)));
  const wrapperBase = importCount + m.funcs.length + 1;
  const exportsSec = [
    ...exportsF.map((e, k) => [...str(`f:${e.name}`), 0x00, ...uleb(wrapperBase + k)]),
    [...str('gas'), 0x03, ...uleb(gasGlobal)],
    [...str('stack'), 0x03, ...uleb(stackGlobal)],
    ...m.globals.map((_, i) => [...str(`g${i}`), 0x03, ...uleb(i)]),
  ];
  if (m.start !== null) exportsSec.push([...str('start'), 0x00, ...uleb(fnIndex(m.start))]);
  out.push(...section(7, vec(exportsSec, (x) => x)));
  // Empty elements point at the lookup function; the explicit null check runs before any call.
  if (table !== null && table.length > 0) out.push(...section(9, vec([table], (t) => [0x00, 0x41, 0x00, 0x0b, ...vec(t, (fi) => uleb(fi === null ? importCount + m.funcs.length : fnIndex(fi)))])));
  out.push(...section(10, vec([...bodies, lookup, ...wrappers], (b) => [...uleb(b.length), ...b])));
  return out;
};

const bitsOf = (t: ValType): ValType => (t === 'f32' ? 'i32' : t === 'f64' ? 'i64' : t);
const bitsType = (t: FuncType): FuncType => ({ params: t.params.map(bitsOf), results: t.results.map(bitsOf) });

/**
 * An exported entry taking and returning float bit patterns as integers. Several results are
 * parked in locals so that each can be reinterpreted on its own.
 */
const wrapper = (t: FuncType, target: number): number[] => {
  const many = t.results.length > 1;
  const code: number[] = many ? vec(t.results, (r) => [1, VT[r]]) : [0x00];
  t.params.forEach((p, i) => {
    code.push(0x20, ...uleb(i));
    if (p === 'f32') code.push(0xbe);
    if (p === 'f64') code.push(0xbf);
  });
  code.push(0x10, ...uleb(target));
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

const forwarder = (importIndex: number, t: FuncType): number[] => {
  const code: number[] = [0x00];
  t.params.forEach((_, i) => code.push(0x20, ...uleb(i)));
  code.push(0x10, ...uleb(importIndex), 0x0b);
  return code;
};

const lookupFunction = (tableTypes: readonly number[]): number[] => {
  // if (i < n) return tableTypes[i] via br_table; else -2 (the caller has checked the bound).
  const n = tableTypes.length;
  const code: number[] = [0x00];
  for (let k = 0; k <= n; k++) code.push(0x02, 0x40);
  code.push(0x20, 0x00, 0x0e, ...vec([...Array(n).keys()], uleb), ...uleb(n), 0x0b);
  tableTypes.forEach((t) => code.push(0x41, ...sleb(BigInt(t)), 0x0f, 0x0b));
  code.push(0x41, ...sleb(-2n), 0x0b);
  return code;
};

interface FnCtx {
  readonly fnIndex: (i: number) => number;
  readonly gasGlobal: number;
  readonly stackGlobal: number;
  readonly stackBudget: number;
  readonly typeIndex: (t: FuncType) => number;
  readonly tableTypes: readonly number[];
  readonly tableFn: number;
}

const CANON: ReadonlySet<string> = new Set(['add', 'sub', 'mul', 'fpdiv', 'fpmin', 'fpmax', 'fpsqrt', 'fpround_ceil', 'fpround_floor', 'fpround_trunc', 'fpround_nearest', 'fptrunc', 'fpext']);

const emitFunction = (m: Module, f: DefinedFunc, cx: FnCtx): number[] => {
  const nParams = f.type.params.length;
  const locals: ValType[] = f.vars.slice(nParams);
  const extra = (t: ValType): number => nParams + locals.push(t) - 1;
  const pc = extra('i32');
  const scratch: Record<ValType, number> = { i32: extra('i32'), i64: extra('i64'), f32: extra('f32'), f64: extra('f64') };
  const scratch2: Record<ValType, number> = { i32: extra('i32'), i64: extra('i64'), f32: extra('f32'), f64: extra('f64') };
  const code: number[] = [];
  const trap = (c: TrapCode): number[] => [0x41, ...sleb(BigInt(trapNo(c))), 0x10, 0x00, 0x00];

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
        return e.type === 'i32' ? [0x41, ...sleb(BigInt(e.value as number))] : e.type === 'i64' ? [0x42, ...sleb(e.value as bigint)] : e.type === 'f32' ? f32c(e.value as number) : f64c(e.value as bigint);
      case 'dread': return [0x20, ...uleb(e.variable)];
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
          if (op === undefined) throw unsupported(`${e.kind} on ${t}`);
          return [...a, op[t === 'i32' ? 0 : 1]];
        }
        const op = FLOAT_BIN[e.kind];
        if (op === undefined) throw unsupported(`${e.kind} on ${t}`);
        return [...a, op[t === 'f32' ? 0 : 1], ...(CANON.has(e.kind) ? canon(t) : [])];
      }
      case 'cmp': {
        const t = e.lhs.type as ValType;
        const a = [...expr(e.lhs), ...expr(e.rhs)];
        const ops = t === 'i32' || t === 'i64' ? INT_CMP[e.pred] : FLOAT_CMP[e.pred];
        if (ops === undefined) throw unsupported(`cmp ${e.pred}`);
        return [...a, ops[t === 'i32' || t === 'f32' ? 0 : 1]];
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
      default: throw unsupported(`convert ${kind}`);
    }
  };

  const epilogue = [0x23, ...uleb(cx.stackGlobal), 0x41, ...sleb(BigInt(f.frameCost)), 0x6b, 0x24, ...uleb(cx.stackGlobal)];

  const stmt = (s: Stmt): number[] => {
    switch (s.op) {
      case 'dassign': return [...expr(s.value), 0x21, ...uleb(s.variable)];
      case 'global_set': return [...expr(s.value), 0x24, ...uleb(s.index)];
      case 'store': {
        const ops: Record<ScalarType, [number, number]> = { i8: [0x3a, 0], i16: [0x3b, 1], i32: [0x36, 2], i64: [0x37, 3], f32: [0x38, 2], f64: [0x39, 3] };
        const [op, align] = ops[s.type];
        return [...expr(s.base), ...expr(s.value), op, align, ...uleb(s.offset)];
      }
      case 'call': return [...s.args.flatMap(expr), 0x10, ...uleb(cx.fnIndex(s.func)), ...takeResults(s.dests, m.funcs[s.func]!.type)];
      case 'icall': {
        const want = cx.typeIndex(m.types[s.typeIndex]!);
        const n = cx.tableTypes.length;
        // The index is evaluated and checked first, as in DMIR-EXEC-CALL.1; after the explicit
        // checks the call_indirect itself cannot trap.
        return [
          ...expr(s.index), 0x21, ...uleb(scratch.i32),
          0x20, ...uleb(scratch.i32), 0x41, ...sleb(BigInt(n)), 0x4f, 0x04, 0x40, ...trap('Dmir.Trap.TABLE_OUT_OF_BOUNDS'), 0x0b,
          0x20, ...uleb(scratch.i32), 0x10, ...uleb(cx.tableFn), 0x21, ...uleb(scratch2.i32),
          0x20, ...uleb(scratch2.i32), 0x41, ...sleb(-1n), 0x46, 0x04, 0x40, ...trap('Dmir.Trap.UNINITIALIZED_ELEMENT'), 0x0b,
          0x20, ...uleb(scratch2.i32), 0x41, ...sleb(BigInt(want)), 0x47, 0x04, 0x40, ...trap('Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH'), 0x0b,
          ...s.args.flatMap(expr),
          0x20, ...uleb(scratch.i32), 0x11, ...uleb(want), 0x00,
          ...takeResults(s.dests, m.types[s.typeIndex]!),
        ];
      }
      case 'memory_grow': return [...expr(s.delta), 0x40, 0x00, 0x21, ...uleb(s.dest)];
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
    dests.length === 0 ? t.results.map(() => 0x1a) : [...dests].reverse().flatMap((d) => [0x21, ...uleb(d)]);

  const n = f.blocks.length;
  // Prologue: charge the frame cost against the budget.
  code.push(
    0x23, ...uleb(cx.stackGlobal), 0x41, ...sleb(BigInt(f.frameCost)), 0x6a, 0x21, ...uleb(scratch.i32),
    0x20, ...uleb(scratch.i32), 0x41, ...sleb(BigInt(cx.stackBudget)), 0x4b, 0x04, 0x40, ...trap('Dmir.Trap.CALL_STACK_EXHAUSTED'), 0x0b,
    0x20, ...uleb(scratch.i32), 0x24, ...uleb(cx.stackGlobal),
  );
  code.push(0x03, 0x40);
  for (let k = 0; k < n; k++) code.push(0x02, 0x40);
  code.push(0x20, ...uleb(pc), 0x0e, ...vec([...Array(n).keys()], uleb), 0x00, 0x0b);
  const term = (t: Terminator, depthToLoop: number): number[] => {
    const goto = (b: number, extraDepth = 0): number[] => [0x41, ...sleb(BigInt(b)), 0x21, ...uleb(pc), 0x0c, ...uleb(depthToLoop + extraDepth)];
    switch (t.op) {
      case 'br': return goto(t.target);
      case 'br_if': return [...expr(t.cond), 0x04, 0x7f, 0x41, ...sleb(BigInt(t.then)), 0x05, 0x41, ...sleb(BigInt(t.else)), 0x0b, 0x21, ...uleb(pc), 0x0c, ...uleb(depthToLoop)];
      case 'switch': {
        const m2 = t.targets.length;
        const out: number[] = [];
        for (let k = 0; k <= m2; k++) out.push(0x02, 0x40);
        out.push(...expr(t.index), 0x0e, ...vec([...Array(m2).keys()], uleb), ...uleb(m2), 0x0b);
        for (let k = 0; k <= m2; k++) {
          out.push(...goto(k < m2 ? t.targets[k]! : t.default, m2 - k));
          out.push(0x0b);
        }
        // The last `end` above closes the outermost switch block; nothing follows it.
        out.pop();
        return out;
      }
      case 'return': return [...t.values.flatMap(expr), ...epilogue, 0x0f];
      case 'trap': return trap(t.code);
    }
  };
  f.blocks.forEach((b, k) => {
    const depthToLoop = n - 1 - k;
    code.push(...b.stmts.flatMap(stmt), ...term(b.term, depthToLoop), 0x0b);
  });
  code.push(0x00, 0x0b);
  // Local declarations.
  const decl = vec(locals, (t) => [1, VT[t]]);
  return [...decl, ...code];
};

