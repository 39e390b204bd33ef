/**
 * Lowering of a validated WebAssembly MVP module to dMIR. Each operand-stack position becomes a
 * dMIR variable per type ("slot"), so the stack machine turns into assignments of expression
 * trees over `dread`s; structured control becomes basic blocks; every check becomes a trap edge.
 */
import type {
  BinaryOp, Block, CmpPredicate, ConvertOp, DefinedFunc, Expr, Func, FuncType, Module, ScalarType, Stmt,
  Terminator, TrapCode, UnaryOp, Val, ValType,
} from '../ir.js';
import { stmtTrapCodes, exprTrapCodes } from '../verify.js';
import type { Code, Instr, WasmModule } from './decode.js';
import { OP_BY_CODE } from './opcodes.js';
import { blockSignature, funcTypes } from './validate.js';

/** The export name that marks the instrumented gas function. @spec DMIR-GAS-INTRINSIC.1 */
export const GAS_FUNCTION_NAME = '__instrumented_use_gas';

/**
 * The stack cost of a function: 4 bytes per 32-bit cell of parameters and locals (i64 and f64
 * take two cells), a fixed 64 bytes of frame overhead, and 8 bytes per operand-stack slot at the
 * function's maximum operand-stack height.
 *
 * @spec DMIR-STACK-COST.1
 */
export const frameCost = (paramsAndLocals: readonly ValType[], maxStackHeight: number): number =>
  4 * paramsAndLocals.reduce((n, t) => n + (t === 'i64' || t === 'f64' ? 2 : 1), 0) + 64 + 8 * maxStackHeight;

interface Entry {
  readonly type: ValType;
  /** A constant not yet written to its slot; any other entry lives in its slot variable. */
  readonly pending: Expr | null;
}

interface Frame {
  readonly kind: 'block' | 'loop' | 'if' | 'else' | 'func';
  /** The block type's parameters (on the stack at entry, at `height` upwards) and results. */
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  /** The stack height below the parameters; results are left at `height` upwards. */
  readonly height: number;
  /** Where a branch to this frame goes: the loop header, or the continuation after `end`. */
  readonly label: number;
  readonly cont: number;
  /** For `if`: the block that starts the else arm. */
  readonly elseBlock: number;
  dead: boolean;
}

interface MutableBlock { stmts: Stmt[]; term: Terminator | null }

const NUMERIC: Readonly<Record<string, { readonly k: 'cmp'; readonly p: CmpPredicate } | { readonly k: 'un'; readonly u: UnaryOp } | { readonly k: 'bin'; readonly b: BinaryOp } | { readonly k: 'conv'; readonly c: ConvertOp }>> = {
  eq: { k: 'cmp', p: 'ieq' }, ne: { k: 'cmp', p: 'ine' }, lt_s: { k: 'cmp', p: 'islt' }, lt_u: { k: 'cmp', p: 'iult' },
  gt_s: { k: 'cmp', p: 'isgt' }, gt_u: { k: 'cmp', p: 'iugt' }, le_s: { k: 'cmp', p: 'isle' }, le_u: { k: 'cmp', p: 'iule' },
  ge_s: { k: 'cmp', p: 'isge' }, ge_u: { k: 'cmp', p: 'iuge' },
  lt: { k: 'cmp', p: 'folt' }, gt: { k: 'cmp', p: 'fogt' }, le: { k: 'cmp', p: 'fole' }, ge: { k: 'cmp', p: 'foge' },
  clz: { k: 'un', u: 'clz' }, ctz: { k: 'un', u: 'ctz' }, popcnt: { k: 'un', u: 'popcnt' },
  abs: { k: 'un', u: 'fpabs' }, neg: { k: 'un', u: 'fpneg' }, sqrt: { k: 'un', u: 'fpsqrt' }, ceil: { k: 'un', u: 'fpround_ceil' },
  floor: { k: 'un', u: 'fpround_floor' }, trunc: { k: 'un', u: 'fpround_trunc' }, nearest: { k: 'un', u: 'fpround_nearest' },
  add: { k: 'bin', b: 'add' }, sub: { k: 'bin', b: 'sub' }, mul: { k: 'bin', b: 'mul' }, div_s: { k: 'bin', b: 'sdiv' },
  div_u: { k: 'bin', b: 'udiv' }, rem_s: { k: 'bin', b: 'srem' }, rem_u: { k: 'bin', b: 'urem' }, and: { k: 'bin', b: 'and' },
  or: { k: 'bin', b: 'or' }, xor: { k: 'bin', b: 'xor' }, shl: { k: 'bin', b: 'shl' }, shr_s: { k: 'bin', b: 'sshr' },
  shr_u: { k: 'bin', b: 'ushr' }, rotl: { k: 'bin', b: 'rotl' }, rotr: { k: 'bin', b: 'rotr' }, div: { k: 'bin', b: 'fpdiv' },
  min: { k: 'bin', b: 'fpmin' }, max: { k: 'bin', b: 'fpmax' }, copysign: { k: 'bin', b: 'fpcopysign' },
  wrap_i64: { k: 'conv', c: 'trunc' }, extend_i32_s: { k: 'conv', c: 'sext' }, extend_i32_u: { k: 'conv', c: 'uext' },
  trunc_f32_s: { k: 'conv', c: 'wasm_fptosi' }, trunc_f64_s: { k: 'conv', c: 'wasm_fptosi' },
  trunc_f32_u: { k: 'conv', c: 'wasm_fptoui' }, trunc_f64_u: { k: 'conv', c: 'wasm_fptoui' },
  trunc_sat_f32_s: { k: 'conv', c: 'wasm_fptosi_sat' }, trunc_sat_f64_s: { k: 'conv', c: 'wasm_fptosi_sat' },
  trunc_sat_f32_u: { k: 'conv', c: 'wasm_fptoui_sat' }, trunc_sat_f64_u: { k: 'conv', c: 'wasm_fptoui_sat' },
  convert_i32_s: { k: 'conv', c: 'sitofp' }, convert_i64_s: { k: 'conv', c: 'sitofp' },
  convert_i32_u: { k: 'conv', c: 'uitofp' }, convert_i64_u: { k: 'conv', c: 'uitofp' },
  demote_f64: { k: 'conv', c: 'fptrunc' }, promote_f32: { k: 'conv', c: 'fpext' },
  reinterpret_f32: { k: 'conv', c: 'bitcast' }, reinterpret_f64: { k: 'conv', c: 'bitcast' },
  reinterpret_i32: { k: 'conv', c: 'bitcast' }, reinterpret_i64: { k: 'conv', c: 'bitcast' },
};

const constOf = (type: ValType, value: Val): Expr => ({ op: 'const', type, value });

/** The memory access type of a load or store of `size` bytes producing or consuming `t`. */
const accessType = (t: ValType, size: number): ScalarType =>
  size === 1 ? 'i8' : size === 2 ? 'i16' : size === 4 ? (t === 'f32' ? 'f32' : 'i32') : t;

/**
 * Lowers one function body.
 *
 * @spec DMIR-WASM-LOWER.1 DMIR-WASM-LOWER-CONTROL.1 DMIR-WASM-LOWER-MEMORY.1 DMIR-WASM-MULTI.1 DMIR-GAS-INTRINSIC.1 DMIR-STACK-COST.1
 */
const lowerFunction = (m: WasmModule, fts: readonly FuncType[], gasFunc: number | null, name: string, type: FuncType, code: Code): DefinedFunc => {
  const vars: ValType[] = [...type.params, ...code.locals];
  const nLocals = vars.length;
  const slots = new Map<string, number>();
  const slot = (h: number, t: ValType): number => {
    const key = `${h}:${t}`;
    let v = slots.get(key);
    if (v === undefined) {
      v = vars.length;
      vars.push(t);
      slots.set(key, v);
    }
    return v;
  };
  const blocks: MutableBlock[] = [{ stmts: [], term: null }];
  const newBlock = (): number => blocks.push({ stmts: [], term: null }) - 1;
  const exceptions = new Map<TrapCode, number>();
  const exceptionBlock = (code: TrapCode): number => {
    let b = exceptions.get(code);
    if (b === undefined) {
      b = newBlock();
      blocks[b]!.term = { op: 'trap', code };
      exceptions.set(code, b);
    }
    return b;
  };
  let cur = 0;
  const emit = (s: Stmt): void => { blocks[cur]!.stmts.push(s); };
  const terminate = (t: Terminator): void => { blocks[cur]!.term = t; };

  const stack: Entry[] = [];
  let maxHeight = 0;
  const read = (h: number): Expr => {
    const e = stack[h]!;
    return e.pending ?? { op: 'dread', type: e.type, variable: slot(h, e.type) };
  };
  const pop = (): Expr => {
    const e = read(stack.length - 1);
    stack.pop();
    return e;
  };
  const pushExpr = (type: ValType, value: Expr): void => {
    const h = stack.length;
    const v = slot(h, type);
    if (!(value.op === 'dread' && value.variable === v)) emit({ op: 'dassign', variable: v, value });
    stack.push({ type, pending: null });
    maxHeight = Math.max(maxHeight, stack.length);
  };
  const pushSlot = (type: ValType): void => {
    slot(stack.length, type);
    stack.push({ type, pending: null });
    maxHeight = Math.max(maxHeight, stack.length);
  };
  const pushConst = (type: ValType, value: Val): void => {
    stack.push({ type, pending: constOf(type, value) });
    maxHeight = Math.max(maxHeight, stack.length);
  };

  const frames: Frame[] = [];
  const funcExit = newBlock();
  frames.push({ kind: 'func', params: [], results: type.results, height: 0, label: funcExit, cont: funcExit, elseBlock: -1, dead: false });

  /**
   * Assignments that carry the top `ts.length` operands into the slots at `height` upwards. In
   * ascending order no move overwrites an operand a later move reads: the operand of move j sits
   * at or above `height + j`.
   */
  const movesTo = (height: number, ts: readonly ValType[]): Stmt[] => {
    const base = stack.length - ts.length;
    return ts.flatMap((t, i): Stmt[] => {
      const value = read(base + i);
      const v = slot(height + i, t);
      return value.op === 'dread' && value.variable === v ? [] : [{ op: 'dassign', variable: v, value }];
    });
  };
  /** A branch carries the label's values: a loop's parameters, any other frame's results. */
  const branchMoves = (f: Frame): Stmt[] => movesTo(f.height, f.kind === 'loop' ? f.params : f.results);
  /** The fallthrough at `end` (or `else`) carries the frame's results. */
  const endMoves = (f: Frame): Stmt[] => movesTo(f.height, f.results);
  /**
   * Enters a block with `n` parameters: pending constants among them are written to their slots,
   * so every path into the block (a loop's back edges, an if's else arm) finds them there.
   */
  const enterParams = (n: number): number => {
    for (let h = stack.length - n; h < stack.length; h++) {
      const e = stack[h]!;
      if (e.pending !== null) {
        emit({ op: 'dassign', variable: slot(h, e.type), value: e.pending });
        stack[h] = { type: e.type, pending: null };
      }
    }
    return stack.length - n;
  };
  /** A block that performs the moves then jumps to the frame's label (or the label itself). */
  const edgeTo = (f: Frame): number => {
    const moves = branchMoves(f);
    if (moves.length === 0) return f.label;
    const b = newBlock();
    blocks[b] = { stmts: moves, term: { op: 'br', target: f.label } };
    return b;
  };
  const frameAt = (depth: number): Frame => frames[frames.length - 1 - depth]!;
  const markDead = (): void => {
    const f = frames[frames.length - 1]!;
    f.dead = true;
    stack.length = f.height;
    cur = newBlock(); // unreachable code lands in a block no edge leads to
  };

  let deadDepth = 0;
  for (const ins of code.body) {
    const top = frames[frames.length - 1]!;
    if (top.dead) {
      // Skip unreachable instructions, tracking nesting so the right else/end is found.
      if (ins.op === 0x02 || ins.op === 0x03 || ins.op === 0x04) { deadDepth++; continue; }
      if (deadDepth > 0) {
        if (ins.op === 0x0b) deadDepth--;
        continue;
      }
      if (ins.op !== 0x05 && ins.op !== 0x0b) continue;
    }
    const info = OP_BY_CODE.get(ins.op)!;
    switch (ins.op) {
      case 0x00: terminate({ op: 'br', target: exceptionBlock('Dmir.Trap.UNREACHABLE') }); markDead(); break;
      case 0x01: break;
      case 0x02: {
        const sig = blockSignature(m, ins.bt)!;
        const cont = newBlock();
        const height = enterParams(sig.params.length);
        frames.push({ kind: 'block', params: sig.params, results: sig.results, height, label: cont, cont, elseBlock: -1, dead: false });
        break;
      }
      case 0x03: {
        const sig = blockSignature(m, ins.bt)!;
        const header = newBlock();
        const cont = newBlock();
        const height = enterParams(sig.params.length);
        terminate({ op: 'br', target: header });
        cur = header;
        frames.push({ kind: 'loop', params: sig.params, results: sig.results, height, label: header, cont, elseBlock: -1, dead: false });
        break;
      }
      case 0x04: {
        const sig = blockSignature(m, ins.bt)!;
        const cond = pop();
        const thenB = newBlock();
        const elseB = newBlock();
        const cont = newBlock();
        // The condition lives above the parameters, so writing them to their slots keeps it intact.
        const height = enterParams(sig.params.length);
        terminate({ op: 'br_if', cond, then: thenB, else: elseB });
        cur = thenB;
        frames.push({ kind: 'if', params: sig.params, results: sig.results, height, label: cont, cont, elseBlock: elseB, dead: false });
        break;
      }
      case 0x05: {
        const f = frames.pop()!;
        if (!f.dead) {
          for (const s of endMoves(f)) emit(s);
          terminate({ op: 'br', target: f.cont });
        }
        stack.length = f.height;
        cur = f.elseBlock;
        // The else arm starts with the parameters in their slots, as the if found them.
        for (const t of f.params) pushSlot(t);
        frames.push({ ...f, kind: 'else', elseBlock: -1, dead: false });
        deadDepth = 0;
        break;
      }
      case 0x0b: {
        const f = frames.pop()!;
        if (!f.dead) {
          for (const s of endMoves(f)) emit(s);
          terminate({ op: 'br', target: f.cont });
        }
        if (f.kind === 'if') blocks[f.elseBlock]!.term = { op: 'br', target: f.cont };
        stack.length = f.height;
        cur = f.cont;
        deadDepth = 0;
        if (f.kind === 'func') {
          terminate({ op: 'return', values: f.results.map((t, i): Expr => ({ op: 'dread', type: t, variable: slot(i, t) })) });
        } else {
          for (const t of f.results) pushSlot(t);
        }
        break;
      }
      case 0x0c: terminate({ op: 'br', target: edgeTo(frameAt(ins.a!)) }); markDead(); break;
      case 0x0d: {
        const cond = pop();
        const cont = newBlock();
        terminate({ op: 'br_if', cond, then: edgeTo(frameAt(ins.a!)), else: cont });
        cur = cont;
        break;
      }
      case 0x0e: {
        const index = pop();
        const edges = new Map<number, number>();
        const edge = (d: number): number => {
          let b = edges.get(d);
          if (b === undefined) { b = edgeTo(frameAt(d)); edges.set(d, b); }
          return b;
        };
        terminate({ op: 'switch', index, targets: ins.targets!.map(edge), default: edge(ins.a!) });
        markDead();
        break;
      }
      case 0x0f: {
        const base = stack.length - type.results.length;
        terminate({ op: 'return', values: type.results.map((_, i) => read(base + i)) });
        markDead();
        break;
      }
      case 0x10: case 0x11: {
        const ft = ins.op === 0x10 ? fts[ins.a!]! : m.types[ins.a!]!;
        const index = ins.op === 0x11 ? pop() : null;
        const args: Expr[] = [];
        for (let i = 0; i < ft.params.length; i++) args.unshift(pop());
        if (ins.op === 0x10 && ins.a === gasFunc) {
          emit({ op: 'use_gas', amount: args[0]! });
          break;
        }
        const dests = ft.results.map((t, i) => slot(stack.length + i, t));
        emit(index === null ? { op: 'call', func: ins.a!, args, dests } : { op: 'icall', typeIndex: ins.a!, index, args, dests });
        for (const t of ft.results) pushSlot(t);
        break;
      }
      case 0x1a: pop(); break;
      case 0x1b: {
        const cond = pop();
        const ifFalse = pop();
        const ifTrue = pop();
        pushExpr(ifTrue.type as ValType, { op: 'select', type: ifTrue.type as ValType, cond, ifTrue, ifFalse });
        break;
      }
      case 0x20: pushExpr(vars[ins.a!]!, { op: 'dread', type: vars[ins.a!]!, variable: ins.a! }); break;
      case 0x21: emit({ op: 'dassign', variable: ins.a!, value: pop() }); break;
      case 0x22: {
        const t = vars[ins.a!]!;
        pushExpr(t, pop());
        emit({ op: 'dassign', variable: ins.a!, value: read(stack.length - 1) });
        break;
      }
      case 0x23: pushExpr(m.globals[ins.a!]!.type, { op: 'global_get', type: m.globals[ins.a!]!.type, index: ins.a! }); break;
      case 0x24: emit({ op: 'global_set', index: ins.a!, value: pop() }); break;
      case 0x3f: pushExpr('i32', { op: 'memory_size', type: 'i32' }); break;
      case 0x40: {
        const delta = pop();
        const dest = slot(stack.length, 'i32');
        emit({ op: 'memory_grow', delta, dest });
        pushSlot('i32');
        break;
      }
      case 0x41: pushConst('i32', ins.value!); break;
      case 0x42: pushConst('i64', ins.value!); break;
      case 0x43: pushConst('f32', ins.value!); break;
      case 0x44: pushConst('f64', ins.value!); break;
      default: {
        if (info.imm === 'memarg') {
          const t = (info.result ?? info.params![1]) as ValType;
          const at = accessType(t, info.size!);
          if (info.result) {
            const base = pop();
            const load: Expr = { op: 'load', type: at, base, offset: ins.b! };
            const signed = info.name.endsWith('_s');
            pushExpr(t, at === t ? load : { op: 'convert', kind: signed ? 'sext' : 'uext', type: t, arg: load });
          } else {
            const value = pop();
            const base = pop();
            emit({ op: 'store', type: at, base, offset: ins.b!, value: at === t ? value : { op: 'convert', kind: 'trunc', type: at, arg: value } });
          }
          break;
        }
        const [prefix, suffix] = info.name.split('.') as [ValType, string];
        const params = info.params!;
        const result = info.result!;
        const ext = /^extend(8|16|32)_s$/.exec(suffix);
        if (ext) {
          const narrow: ScalarType = ext[1] === '8' ? 'i8' : ext[1] === '16' ? 'i16' : 'i32';
          const a = pop();
          pushExpr(result, { op: 'convert', kind: 'sext', type: result, arg: { op: 'convert', kind: 'trunc', type: narrow, arg: a } });
          break;
        }
        if (suffix === 'eqz') {
          const a = pop();
          pushExpr('i32', { op: 'cmp', pred: 'ieq', type: 'i32', lhs: a, rhs: constOf(params[0]!, params[0] === 'i64' ? 0n : 0) });
          break;
        }
        const float = prefix === 'f32' || prefix === 'f64';
        const n = float && (suffix === 'eq' || suffix === 'ne') ? { k: 'cmp' as const, p: suffix === 'eq' ? 'foeq' as const : 'fune' as const } : NUMERIC[suffix]!;
        if (params.length === 2) {
          const rhs = pop();
          const lhs = pop();
          if (n.k === 'cmp') pushExpr('i32', { op: 'cmp', pred: n.p, type: 'i32', lhs, rhs });
          else if (n.k === 'bin') pushExpr(result, { op: 'binary', kind: n.b, type: result, lhs, rhs });
        } else {
          const arg = pop();
          if (n.k === 'un') pushExpr(result, { op: 'unary', kind: n.u, type: result, arg });
          else if (n.k === 'conv') pushExpr(result, { op: 'convert', kind: n.c, type: result, arg });
        }
      }
    }
  }
  // Every trap code some instruction may raise gets its exception block (its trap edge target).
  const raised = new Set<TrapCode>();
  for (const b of blocks) {
    b.stmts.forEach((s) => stmtTrapCodes(s, raised));
    const t = b.term;
    if (t?.op === 'br_if') exprTrapCodes(t.cond, raised);
    if (t?.op === 'switch') exprTrapCodes(t.index, raised);
    if (t?.op === 'return') t.values.forEach((v) => exprTrapCodes(v, raised));
  }
  for (const c of raised) exceptionBlock(c);
  if (blocks.some((b) => b.term === null)) exceptionBlock('Dmir.Trap.UNREACHABLE');
  // A block left open is unreachable (it follows a branch); close it so the CFG is total.
  const finished: Block[] = blocks.map((b) => ({ stmts: b.stmts, term: b.term ?? { op: 'br', target: exceptionBlock('Dmir.Trap.UNREACHABLE') } }));
  return { kind: 'defined', name, type, vars, blocks: finished, frameCost: frameCost(vars.slice(0, nLocals), maxHeight) };
};

const constValue = (init: readonly Instr[]): Val => init[0]!.value!;

/**
 * Lowers a validated module to a dMIR module: imports become host functions, globals take their
 * constant initial values, segments take their constant offsets.
 *
 * @spec DMIR-WASM-LOWER.1 DMIR-GAS-INTRINSIC.1
 */
export const lowerModule = (m: WasmModule): Module => {
  const fts = funcTypes(m);
  const gasExport = m.exports.find((e) => e.kind === 'func' && e.name === GAS_FUNCTION_NAME);
  const gasType = gasExport === undefined ? undefined : fts[gasExport.index];
  const gasFunc = gasExport !== undefined && gasType !== undefined && gasType.params.length === 1 && gasType.params[0] === 'i64' && gasType.results.length === 0 ? gasExport.index : null;
  const exportName = (fi: number): string | undefined => m.exports.find((e) => e.kind === 'func' && e.index === fi)?.name;
  const funcs: Func[] = [
    ...m.imports.map((imp, i): Func => ({ kind: 'host', name: `${imp.module}.${imp.field}`, module: imp.module, field: imp.field, type: fts[i]! })),
    ...m.codes.map((c, i): Func => {
      const fi = m.imports.length + i;
      return lowerFunction(m, fts, gasFunc, exportName(fi) ?? `f${fi}`, fts[fi]!, c);
    }),
  ];
  return {
    types: m.types,
    funcs,
    globals: m.globals.map((g) => ({ type: g.type, mutable: g.mutable, init: constValue(g.init) })),
    memory: m.memories[0] ?? null,
    table: m.tables[0] ?? null,
    elems: m.elems.map((e) => ({ offset: (constValue(e.offset) as number) >>> 0, funcs: e.funcs })),
    datas: m.datas.map((d) => ({ offset: (constValue(d.offset) as number) >>> 0, bytes: d.bytes })),
    start: m.start,
    exports: m.exports,
  };
};

