/**
 * The engine's own module-level validation of a decoded WebAssembly module (the profile's rules
 * on types, limits, constant expressions, exports, the start function and segments), and the
 * numeric opcode table its single-pass body validator and lowering (`wasm-lower.ts`) share. It is
 * written separately from the model's validator; the two must reject the same modules with the
 * same stable error code (the vectors and `wasm-lower.test.ts` check that).
 */
import type { BinaryOp, CmpPredicate, ConvertOp, FuncType, ScalarType, UnaryOp, ValType } from '../../model/dmir/ir.js';
import type { Instr, WasmModule } from '../../model/dmir/wasm/decode.js';

/** A validation failure: thrown inside the engine's load path and turned into a `Result` at its edge. */
export class Invalid {
  constructor(readonly code: string, readonly message: string) {}
}
export const invalid = (code: string, message: string): never => {
  throw new Invalid(code, message);
};

/** What the lowering makes of one numeric instruction. */
export type NumOp =
  | { readonly k: 'cmp'; readonly p: CmpPredicate }
  | { readonly k: 'eqz' }
  | { readonly k: 'un'; readonly u: UnaryOp }
  | { readonly k: 'bin'; readonly b: BinaryOp }
  | { readonly k: 'conv'; readonly c: ConvertOp }
  /** Sign extension from a narrower width inside the same type (the sign-extension operators). */
  | { readonly k: 'sext'; readonly from: ScalarType };

export interface NumInfo { readonly params: readonly ValType[]; readonly result: ValType; readonly op: NumOp }
export interface MemInfo { readonly type: ValType; readonly size: number; readonly signed: boolean; readonly store: boolean }

const cmp = (p: CmpPredicate): NumOp => ({ k: 'cmp', p });
const un = (u: UnaryOp): NumOp => ({ k: 'un', u });
const bin = (b: BinaryOp): NumOp => ({ k: 'bin', b });
const conv = (c: ConvertOp): NumOp => ({ k: 'conv', c });

/** Numeric instructions by opcode (0x45..0xc4 and the 0xFC00-numbered saturating conversions). */
export const NUMERIC = new Map<number, NumInfo>();
/** Loads (0x28..0x35) and stores (0x36..0x3e) by opcode. */
export const MEMORY = new Map<number, MemInfo>();

{
  // The MVP opcode space is laid out in runs per type; each run is listed once and numbered on.
  let op = 0x45;
  const run = (ops: readonly [ValType[], ValType, NumOp][]): void => {
    for (const [params, result, o] of ops) NUMERIC.set(op++, { params, result, op: o });
  };
  const intCmp = (t: ValType): [ValType[], ValType, NumOp][] => [
    [[t], 'i32', { k: 'eqz' }],
    ...(['ieq', 'ine', 'islt', 'iult', 'isgt', 'iugt', 'isle', 'iule', 'isge', 'iuge'] as const).map((p): [ValType[], ValType, NumOp] => [[t, t], 'i32', cmp(p)]),
  ];
  const floatCmp = (t: ValType): [ValType[], ValType, NumOp][] =>
    (['foeq', 'fune', 'folt', 'fogt', 'fole', 'foge'] as const).map((p) => [[t, t], 'i32', cmp(p)]);
  const intArith = (t: ValType): [ValType[], ValType, NumOp][] => [
    ...(['clz', 'ctz', 'popcnt'] as const).map((u): [ValType[], ValType, NumOp] => [[t], t, un(u)]),
    ...(['add', 'sub', 'mul', 'sdiv', 'udiv', 'srem', 'urem', 'and', 'or', 'xor', 'shl', 'sshr', 'ushr', 'rotl', 'rotr'] as const)
      .map((b): [ValType[], ValType, NumOp] => [[t, t], t, bin(b)]),
  ];
  const floatArith = (t: ValType): [ValType[], ValType, NumOp][] => [
    ...(['fpabs', 'fpneg', 'fpround_ceil', 'fpround_floor', 'fpround_trunc', 'fpround_nearest', 'fpsqrt'] as const).map((u): [ValType[], ValType, NumOp] => [[t], t, un(u)]),
    ...(['add', 'sub', 'mul', 'fpdiv', 'fpmin', 'fpmax', 'fpcopysign'] as const).map((b): [ValType[], ValType, NumOp] => [[t, t], t, bin(b)]),
  ];
  run(intCmp('i32')); run(intCmp('i64')); run(floatCmp('f32')); run(floatCmp('f64'));
  run(intArith('i32')); run(intArith('i64')); run(floatArith('f32')); run(floatArith('f64'));
  run([
    [['i64'], 'i32', conv('trunc')],
    [['f32'], 'i32', conv('wasm_fptosi')], [['f32'], 'i32', conv('wasm_fptoui')], [['f64'], 'i32', conv('wasm_fptosi')], [['f64'], 'i32', conv('wasm_fptoui')],
    [['i32'], 'i64', conv('sext')], [['i32'], 'i64', conv('uext')],
    [['f32'], 'i64', conv('wasm_fptosi')], [['f32'], 'i64', conv('wasm_fptoui')], [['f64'], 'i64', conv('wasm_fptosi')], [['f64'], 'i64', conv('wasm_fptoui')],
    [['i32'], 'f32', conv('sitofp')], [['i32'], 'f32', conv('uitofp')], [['i64'], 'f32', conv('sitofp')], [['i64'], 'f32', conv('uitofp')],
    [['f64'], 'f32', conv('fptrunc')],
    [['i32'], 'f64', conv('sitofp')], [['i32'], 'f64', conv('uitofp')], [['i64'], 'f64', conv('sitofp')], [['i64'], 'f64', conv('uitofp')],
    [['f32'], 'f64', conv('fpext')],
    [['f32'], 'i32', conv('bitcast')], [['f64'], 'i64', conv('bitcast')], [['i32'], 'f32', conv('bitcast')], [['i64'], 'f64', conv('bitcast')],
    [['i32'], 'i32', { k: 'sext', from: 'i8' }], [['i32'], 'i32', { k: 'sext', from: 'i16' }],
    [['i64'], 'i64', { k: 'sext', from: 'i8' }], [['i64'], 'i64', { k: 'sext', from: 'i16' }], [['i64'], 'i64', { k: 'sext', from: 'i32' }],
  ]);
  op = 0xfc00;
  run([
    [['f32'], 'i32', conv('wasm_fptosi_sat')], [['f32'], 'i32', conv('wasm_fptoui_sat')],
    [['f64'], 'i32', conv('wasm_fptosi_sat')], [['f64'], 'i32', conv('wasm_fptoui_sat')],
    [['f32'], 'i64', conv('wasm_fptosi_sat')], [['f32'], 'i64', conv('wasm_fptoui_sat')],
    [['f64'], 'i64', conv('wasm_fptosi_sat')], [['f64'], 'i64', conv('wasm_fptoui_sat')],
  ]);
  const mem: [ValType, number, boolean, boolean][] = [
    ['i32', 4, false, false], ['i64', 8, false, false], ['f32', 4, false, false], ['f64', 8, false, false],
    ['i32', 1, true, false], ['i32', 1, false, false], ['i32', 2, true, false], ['i32', 2, false, false],
    ['i64', 1, true, false], ['i64', 1, false, false], ['i64', 2, true, false], ['i64', 2, false, false], ['i64', 4, true, false], ['i64', 4, false, false],
    ['i32', 4, false, true], ['i64', 8, false, true], ['f32', 4, false, true], ['f64', 8, false, true],
    ['i32', 1, false, true], ['i32', 2, false, true], ['i64', 1, false, true], ['i64', 2, false, true], ['i64', 4, false, true],
  ];
  mem.forEach(([type, size, signed, store], i) => MEMORY.set(0x28 + i, { type, size, signed, store }));
}

const CONST_TYPE: ReadonlyMap<number, ValType> = new Map([[0x41, 'i32'], [0x42, 'i64'], [0x43, 'f32'], [0x44, 'f64']]);
/** Integer arithmetic opcodes that the extended-constants proposal admits in constant expressions. */
const EXTENDED_ARITH: ReadonlySet<number> = new Set([0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e]);

/**
 * A constant expression of the profile: one constant of the expected type, then `end`. The other
 * shapes are told apart so that each gets the code the profile gives it.
 *
 * @spec DMIR-WASM-VALIDATE.1
 */
const checkConst = (m: WasmModule, init: readonly Instr[], want: ValType, where: string, globalsBefore: number): void => {
  if (init.length === 2 && init[1]!.op === 0x0b) {
    const first = init[0]!;
    const t = CONST_TYPE.get(first.op);
    if (t !== undefined) {
      if (t !== want) invalid('Wasm.Validate.TYPE_MISMATCH', `${where}: constant of type ${t} where ${want} is expected`);
      return;
    }
    if (first.op === 0x23) {
      const g = m.globals[first.a!];
      // No global can be imported in the profile, so global.get names either a defined global
      // (the extended-constants proposal) or nothing.
      if (g !== undefined && first.a! < globalsBefore && !g.mutable) invalid('Wasm.Profile.UNSUPPORTED_FEATURE', `${where}: global.get of a defined global in a constant expression is outside the profile`);
      invalid('Wasm.Validate.UNKNOWN_GLOBAL', `${where}: unknown global ${first.a} in a constant expression`);
    }
  }
  let arith = false;
  let onlyExtended = true;
  let nonEnd = 0;
  let allConsts = true;
  for (const i of init) {
    if (EXTENDED_ARITH.has(i.op)) arith = true;
    else if (i.op !== 0x0b && i.op !== 0x41 && i.op !== 0x42) onlyExtended = false;
    if (i.op !== 0x0b) {
      nonEnd++;
      if (!CONST_TYPE.has(i.op)) allConsts = false;
    }
  }
  if (arith && onlyExtended) invalid('Wasm.Profile.UNSUPPORTED_FEATURE', `${where}: arithmetic in a constant expression is outside the profile`);
  if (nonEnd !== 1 || allConsts) invalid('Wasm.Validate.TYPE_MISMATCH', `${where}: a constant expression must produce exactly one ${want}`);
  invalid('Wasm.Validate.CONSTANT_EXPRESSION_REQUIRED', `${where}: constant expression required`);
};

const checkLimits = (min: number, max: number | null, bound: number, what: string): void => {
  if (min > bound || (max !== null && max > bound)) invalid('Wasm.Validate.BAD_LIMITS', `${what} size must be at most ${bound}`);
  if (max !== null && min > max) invalid('Wasm.Validate.BAD_LIMITS', `${what}: size minimum must not be greater than maximum`);
};

const TABLE_LIMIT = 10240;
const INIT_MEMORY_LIMIT = 256;

/**
 * Checks everything outside the function bodies, in the profile's order, and returns the type of
 * every function index (imports first). Throws `Invalid` at the first problem.
 *
 * @spec DMIR-WASM-VALIDATE.1 DMIR-WASM-LIMITS.1
 */
export const checkModule = (m: WasmModule): FuncType[] => {
  const fts: FuncType[] = [];
  m.imports.forEach((imp, i) => {
    const t = m.types[imp.typeIndex];
    if (t === undefined) invalid('Wasm.Validate.UNKNOWN_TYPE', `import ${i}: unknown type ${imp.typeIndex}`);
    fts.push(t!);
  });
  m.funcs.forEach((ti, i) => {
    const t = m.types[ti];
    if (t === undefined) invalid('Wasm.Validate.UNKNOWN_TYPE', `function ${m.imports.length + i}: unknown type ${ti}`);
    fts.push(t!);
  });
  for (const t of m.tables) {
    checkLimits(t.min, t.max, 0xffffffff, 'table');
    if (t.min > TABLE_LIMIT) invalid('Wasm.Limit.TABLE_TOO_LARGE', `table of ${t.min} elements exceeds the DWASM limit ${TABLE_LIMIT}`);
  }
  for (const mem of m.memories) {
    checkLimits(mem.min, mem.max, 65536, 'memory');
    if (mem.min > INIT_MEMORY_LIMIT) invalid('Wasm.Limit.INIT_MEMORY_TOO_LARGE', `initial memory of ${mem.min} pages exceeds the DWASM limit ${INIT_MEMORY_LIMIT}`);
  }
  m.globals.forEach((g, i) => checkConst(m, g.init, g.type, `global ${i}`, i));
  const names = new Set<string>();
  for (const e of m.exports) {
    if (names.has(e.name)) invalid('Wasm.Validate.DUPLICATE_EXPORT', `duplicate export name ${JSON.stringify(e.name)}`);
    names.add(e.name);
    const [count, code] = e.kind === 'func' ? [fts.length, 'UNKNOWN_FUNC'] : e.kind === 'global' ? [m.globals.length, 'UNKNOWN_GLOBAL']
      : e.kind === 'memory' ? [m.memories.length, 'UNKNOWN_MEMORY'] : [m.tables.length, 'UNKNOWN_TABLE'];
    if (e.index >= count) invalid(`Wasm.Validate.${code}`, `export ${JSON.stringify(e.name)}: unknown ${e.kind} ${e.index}`);
  }
  if (m.start !== null) {
    const ft = fts[m.start];
    if (ft === undefined) invalid('Wasm.Validate.UNKNOWN_FUNC', `start: unknown function ${m.start}`);
    if (ft!.params.length > 0 || ft!.results.length > 0) invalid('Wasm.Validate.BAD_START', 'the start function must take no parameters and return nothing');
  }
  m.elems.forEach((e, i) => {
    if (m.tables.length === 0) invalid('Wasm.Validate.UNKNOWN_TABLE', `element segment ${i}: unknown table 0`);
    checkConst(m, e.offset, 'i32', `element segment ${i}`, m.globals.length);
    for (const f of e.funcs) if (f >= fts.length) invalid('Wasm.Validate.UNKNOWN_FUNC', `element segment ${i}: unknown function ${f}`);
  });
  m.datas.forEach((d, i) => {
    if (m.memories.length === 0) invalid('Wasm.Validate.UNKNOWN_MEMORY', `data segment ${i}: unknown memory 0`);
    checkConst(m, d.offset, 'i32', `data segment ${i}`, m.globals.length);
  });
  return fts;
};
