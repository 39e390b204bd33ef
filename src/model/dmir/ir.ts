/**
 * The dMIR core: a typed, non-SSA intermediate representation made of functions, basic blocks,
 * statements and expression trees. Variables may be assigned many times (`dassign`) and read with
 * `dread`; operands are expressions, not names of earlier instructions. Traps are not an
 * instruction: a trapping instruction has an edge to the function's exception block for its trap
 * code, and `unreachable`-like control is a branch into such a block.
 *
 * Values are carried as raw JavaScript values whose meaning is fixed by the static type:
 * - `i8`, `i16`: number, the unsigned bit pattern (0 .. 2^n - 1);
 * - `i32`: number, the signed 32-bit integer (`x | 0`);
 * - `i64`: bigint, the signed 64-bit integer (`BigInt.asIntN(64, x)`);
 * - `f32`: number, the IEEE-754 binary32 bit pattern as an unsigned 32-bit integer;
 * - `f64`: bigint, the IEEE-754 binary64 bit pattern as an unsigned 64-bit integer.
 * Floats are bit patterns so that NaN payloads survive the operations that must keep them.
 *
 * @spec DMIR-TYPES.1 DMIR-STRUCT-MODULE.1 DMIR-STRUCT-MULTI.1 DMIR-STRUCT-FUNC.1 DMIR-STRUCT-EXPR.1 DMIR-VALUES.1
 */

/** Types a variable, a parameter, a result or a global may have. */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64';
/** Every scalar type; `i8` and `i16` only occur as memory access widths and conversion operands. */
export type ScalarType = 'i8' | 'i16' | ValType;

export type Val = number | bigint;

export const VAL_TYPES: readonly ValType[] = ['i32', 'i64', 'f32', 'f64'];

export const isIntType = (t: ScalarType): boolean => t === 'i8' || t === 'i16' || t === 'i32' || t === 'i64';
export const isFloatType = (t: ScalarType): t is 'f32' | 'f64' => t === 'f32' || t === 'f64';
export const bitWidth = (t: ScalarType): number =>
  t === 'i8' ? 8 : t === 'i16' ? 16 : t === 'i32' || t === 'f32' ? 32 : 64;

export interface FuncType {
  readonly params: readonly ValType[];
  /** Any number of results (multi-value, DMIR-STRUCT-MULTI.1). */
  readonly results: readonly ValType[];
}

export const UNARY_OPS = [
  'clz', 'ctz', 'popcnt', 'not',
  'fpabs', 'fpneg', 'fpsqrt', 'fpround_ceil', 'fpround_floor', 'fpround_trunc', 'fpround_nearest',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

export const BINARY_OPS = [
  'add', 'sub', 'mul', 'sdiv', 'udiv', 'srem', 'urem', 'and', 'or', 'xor', 'shl', 'sshr', 'ushr', 'rotl', 'rotr',
  'fpdiv', 'fpmin', 'fpmax', 'fpcopysign',
  'wasm_sadd_overflow', 'wasm_uadd_overflow', 'wasm_ssub_overflow', 'wasm_usub_overflow',
  'wasm_smul_overflow', 'wasm_umul_overflow',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export const CONVERT_OPS = [
  'trunc', 'sext', 'uext', 'fptrunc', 'fpext', 'sitofp', 'uitofp', 'bitcast', 'wasm_fptosi', 'wasm_fptoui',
  'wasm_fptosi_sat', 'wasm_fptoui_sat',
] as const;
export type ConvertOp = (typeof CONVERT_OPS)[number];

export const CMP_PREDICATES = [
  'ffalse', 'foeq', 'fogt', 'foge', 'folt', 'fole', 'fone', 'ford', 'funo', 'fueq', 'fugt', 'fuge', 'fult', 'fule', 'fune', 'ftrue',
  'ieq', 'ine', 'iugt', 'iuge', 'iult', 'iule', 'isgt', 'isge', 'islt', 'isle',
] as const;
export type CmpPredicate = (typeof CMP_PREDICATES)[number];

/** Expressions: side-effect free except for the trap edge of a trapping opcode. */
export type Expr =
  | { readonly op: 'const'; readonly type: ValType; readonly value: Val }
  | { readonly op: 'dread'; readonly type: ValType; readonly variable: number }
  | { readonly op: 'unary'; readonly kind: UnaryOp; readonly type: ValType; readonly arg: Expr }
  | { readonly op: 'binary'; readonly kind: BinaryOp; readonly type: ValType; readonly lhs: Expr; readonly rhs: Expr }
  | { readonly op: 'convert'; readonly kind: ConvertOp; readonly type: ScalarType; readonly arg: Expr }
  | { readonly op: 'cmp'; readonly pred: CmpPredicate; readonly type: 'i32'; readonly lhs: Expr; readonly rhs: Expr }
  | { readonly op: 'select'; readonly type: ValType; readonly cond: Expr; readonly ifTrue: Expr; readonly ifFalse: Expr }
  /** Reads `type` bytes little-endian at `base + offset` (unsigned 33-bit sum, no wrap-around). */
  | { readonly op: 'load'; readonly type: ScalarType; readonly base: Expr; readonly offset: number }
  | { readonly op: 'global_get'; readonly type: ValType; readonly index: number }
  /** Current linear memory size in 64 KiB pages. */
  | { readonly op: 'memory_size'; readonly type: 'i32' };

export type Stmt =
  | { readonly op: 'dassign'; readonly variable: number; readonly value: Expr }
  | { readonly op: 'store'; readonly type: ScalarType; readonly base: Expr; readonly offset: number; readonly value: Expr }
  | { readonly op: 'global_set'; readonly index: number; readonly value: Expr }
  /**
   * Direct call; the callee's results are assigned to `dests` in order, one variable per result
   * (an empty list discards them).
   */
  | { readonly op: 'call'; readonly func: number; readonly args: readonly Expr[]; readonly dests: readonly number[] }
  /**
   * Indirect call through the table: `index` selects the element, `typeIndex` the expected
   * signature. Trap edges: index out of table, null element, signature mismatch.
   */
  | { readonly op: 'icall'; readonly typeIndex: number; readonly index: Expr; readonly args: readonly Expr[]; readonly dests: readonly number[] }
  /** Grows memory by `delta` pages; `dest` receives the old size or -1. */
  | { readonly op: 'memory_grow'; readonly delta: Expr; readonly dest: number }
  /** The intrinsified `__instrumented_use_gas`: trap edge to OUT_OF_GAS when gas left < amount. */
  | { readonly op: 'use_gas'; readonly amount: Expr };

export type Terminator =
  | { readonly op: 'br'; readonly target: number }
  | { readonly op: 'br_if'; readonly cond: Expr; readonly then: number; readonly else: number }
  | { readonly op: 'switch'; readonly index: Expr; readonly targets: readonly number[]; readonly default: number }
  /** Ends the function with one value per result of its type, evaluated left to right. */
  | { readonly op: 'return'; readonly values: readonly Expr[] }
  /** Ends an exception block: the per-error exit of the function. */
  | { readonly op: 'trap'; readonly code: TrapCode };

export interface Block {
  readonly stmts: readonly Stmt[];
  readonly term: Terminator;
}

export interface DefinedFunc {
  readonly kind: 'defined';
  readonly name: string;
  readonly type: FuncType;
  /** Types of every variable: the parameters first, then the locals and temporaries. */
  readonly vars: readonly ValType[];
  /** Block 0 is the entry. */
  readonly blocks: readonly Block[];
  /** Stack cost charged on entry and released on exit (DMIR-STACK-COST.1). */
  readonly frameCost: number;
}

export interface HostFunc {
  readonly kind: 'host';
  readonly name: string;
  readonly module: string;
  readonly field: string;
  readonly type: FuncType;
}

export type Func = DefinedFunc | HostFunc;

export interface Global {
  readonly type: ValType;
  readonly mutable: boolean;
  readonly init: Val;
}

export interface Limits {
  readonly min: number;
  readonly max: number | null;
}

export interface ElemSegment {
  readonly offset: number;
  readonly funcs: readonly number[];
}

export interface DataSegment {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export interface Export {
  readonly name: string;
  readonly kind: 'func' | 'table' | 'memory' | 'global';
  readonly index: number;
}

export interface Module {
  readonly types: readonly FuncType[];
  readonly funcs: readonly Func[];
  readonly globals: readonly Global[];
  readonly memory: Limits | null;
  readonly table: Limits | null;
  readonly elems: readonly ElemSegment[];
  readonly datas: readonly DataSegment[];
  readonly start: number | null;
  readonly exports: readonly Export[];
}

/**
 * The trap codes: stable string codes with the DTVM numeric error code where one exists.
 * `STEP_LIMIT` is a harness bound for tests without gas, never a consensus outcome.
 *
 * @spec DMIR-TRAP-CODES.1
 */
export const TRAP_CODES = {
  'Dmir.Trap.CALL_STACK_EXHAUSTED': 90001,
  'Dmir.Trap.INTEGER_OVERFLOW': 90002,
  'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO': 90003,
  'Dmir.Trap.INVALID_CONVERSION_TO_INTEGER': 90004,
  'Dmir.Trap.MEMORY_OUT_OF_BOUNDS': 90007,
  'Dmir.Trap.TABLE_OUT_OF_BOUNDS': 90009,
  'Dmir.Trap.UNINITIALIZED_ELEMENT': 90010,
  'Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH': 90011,
  'Dmir.Trap.UNREACHABLE': 90012,
  'Dmir.Trap.OUT_OF_GAS': 90099,
  'Dmir.Trap.HOST_ERROR': 90100,
  'Dmir.Trap.STEP_LIMIT': null,
} as const;
export type TrapCode = keyof typeof TRAP_CODES;
export const TRAP_CODE_LIST = Object.keys(TRAP_CODES) as TrapCode[];

/** The page size of linear memory and the DWASM memory ceiling (256 pages = 16 MiB). */
export const PAGE_SIZE = 65536;
/** @spec DMIR-LIMIT-MEMORY.1 */
export const MAX_MEMORY_PAGES = 256;
/** @spec DMIR-STACK-BUDGET.1 */
export const STACK_BUDGET = 8 * 1024 * 1024;
