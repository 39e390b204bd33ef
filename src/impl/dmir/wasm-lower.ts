/**
 * The engine's deployment path from WebAssembly bytes: its own reader (`decode.ts`), its own
 * validation and lowering, its own dMIR verifier, then `deployEngine`. Each function body is
 * validated and lowered in one pass over its instructions: the operand stack carries both the
 * validator's types and the lowering's pending values, so no body is walked twice. The result
 * must behave exactly as the model's lowering of the same module (results, traps, gas, memory and
 * stack-cost exhaustion), which `wasm-lower.test.ts` checks over generated and mutated modules.
 */
import type { Block, DefinedFunc, Expr, Func, FuncType, Module, Stmt, Terminator, TrapCode, Val, ValType } from '../../model/dmir/ir.js';
import type { Code, WasmModule } from '../../model/dmir/wasm/decode.js';
import type { Result } from '../../model/encoding/result.js';
import { readWasm } from './decode.js';
import { deployEngine, type EngineHost, type LazyEngineInstance, type LazyOptions } from './engine.js';
import { verifyDmir } from './interp-verify.js';
import { checkModule, Invalid, invalid, MEMORY, NUMERIC } from './wasm-validate.js';

/** The export that marks the instrumented gas function, lowered to `use_gas`. */
const GAS_EXPORT = '__instrumented_use_gas';

type StackType = ValType | 'unknown';

interface Frame {
  readonly kind: 'block' | 'loop' | 'if' | 'else' | 'func';
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  /** Operand-stack height below the parameters. */
  readonly height: number;
  /** Branch target (loop header or continuation), continuation, and an if's else block. */
  readonly label: number;
  readonly cont: number;
  readonly elseBlock: number;
  /** The rest of this frame is unreachable (after br, br_table, return, unreachable). */
  unreachable: boolean;
  /** Opened inside unreachable code: validated only, nothing is lowered for it. */
  readonly ghost: boolean;
}

interface OpenBlock { stmts: Stmt[]; term: Terminator | null }

const TRAP_DIV: TrapCode = 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO';
const TRAP_OVF: TrapCode = 'Dmir.Trap.INTEGER_OVERFLOW';
const TRAP_CONV: TrapCode = 'Dmir.Trap.INVALID_CONVERSION_TO_INTEGER';
const TRAP_MEM: TrapCode = 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS';
const TRAP_UNREACHABLE: TrapCode = 'Dmir.Trap.UNREACHABLE';
const ICALL_TRAPS: readonly TrapCode[] = ['Dmir.Trap.TABLE_OUT_OF_BOUNDS', 'Dmir.Trap.UNINITIALIZED_ELEMENT', 'Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH'];

const cells = (t: ValType): number => (t === 'i64' || t === 'f64' ? 2 : 1);
const blockSig = (m: WasmModule, bt: number | string | null | undefined): FuncType | undefined =>
  bt === undefined || bt === null ? { params: [], results: [] } : typeof bt === 'number' ? m.types[bt] : { params: [], results: [bt as ValType] };

/**
 * Validates and lowers one function body in a single pass.
 *
 * @spec DMIR-WASM-VALIDATE.1 DMIR-WASM-LOWER.1 DMIR-WASM-LOWER-CONTROL.1 DMIR-WASM-LOWER-MEMORY.1 DMIR-WASM-MULTI.1 DMIR-GAS-INTRINSIC.1 DMIR-STACK-COST.1
 */
const lowerBody = (m: WasmModule, fts: readonly FuncType[], gasFunc: number, fi: number, name: string, type: FuncType, code: Code): DefinedFunc => {
  const where = `function ${fi}`;
  const mismatch = (what: string): never => invalid('Wasm.Validate.TYPE_MISMATCH', `${where}: type mismatch: ${what}`);
  const vars: ValType[] = [...type.params, ...code.locals];
  const nLocals = vars.length;
  let localCells = 0;
  for (const t of vars) localCells += cells(t);
  // Slot variables: one per (stack height, type), indexed [type][height].
  const slotTable: Record<ValType, number[]> = { i32: [], i64: [], f32: [], f64: [] };
  const slot = (h: number, t: ValType): number => {
    const row = slotTable[t];
    let v = row[h];
    if (v === undefined) { v = vars.push(t) - 1; row[h] = v; }
    return v;
  };

  const blocks: OpenBlock[] = [{ stmts: [], term: null }];
  const newBlock = (): number => blocks.push({ stmts: [], term: null }) - 1;
  let cur = 0;
  const emit = (s: Stmt): void => { blocks[cur]!.stmts.push(s); };
  const terminate = (t: Terminator): void => { blocks[cur]!.term = t; };
  const raised = new Set<TrapCode>();

  // The operand stack: a type per entry, and for entries in lowered code either a pending
  // constant or null (the value is in its slot variable).
  const types: StackType[] = [];
  const pend: (Expr | null)[] = [];
  let maxHeight = 0;

  const frames: Frame[] = [];
  const funcExit = newBlock();
  frames.push({ kind: 'func', params: [], results: type.results, height: 0, label: funcExit, cont: funcExit, elseBlock: -1, unreachable: false, ghost: false });
  let top = frames[0]!;
  /** Whether the current instruction is lowered (it is always validated). */
  const live = (): boolean => !top.unreachable && !top.ghost;

  // -- validation of operands ------------------------------------------------------------------
  const popType = (): StackType => {
    if (types.length === top.height) {
      if (top.unreachable) return 'unknown';
      mismatch('operand stack is empty');
    }
    pend.pop();
    return types.pop()!;
  };
  const expect = (t: ValType): void => {
    const a = popType();
    if (a !== t && a !== 'unknown') mismatch(`expected ${t}, found ${a}`);
  };
  const expectAll = (ts: readonly ValType[]): void => { for (let i = ts.length - 1; i >= 0; i--) expect(ts[i]!); };
  /**
   * Checks the top operands against `ts` and puts them back: as the types `ts` (a branch leaves the
   * label's types), or as found (`br_table` checks each target against the same operands).
   * Pending values stay with their entries.
   */
  const check = (ts: readonly ValType[], keepFound = false): void => {
    const n = ts.length;
    const found: StackType[] = new Array<StackType>(n);
    const values: (Expr | null)[] = new Array<Expr | null>(n);
    for (let i = n - 1; i >= 0; i--) {
      const p = types.length > top.height ? pend[pend.length - 1] ?? null : null;
      const a = popType();
      if (a !== ts[i] && a !== 'unknown') mismatch(`expected ${ts[i]}, found ${a}`);
      found[i] = a;
      values[i] = p;
    }
    for (let i = 0; i < n; i++) { types.push(keepFound ? found[i]! : ts[i]!); pend.push(values[i]!); }
  };
  const labelTypes = (f: Frame): readonly ValType[] => (f.kind === 'loop' ? f.params : f.results);
  const frameAt = (depth: number): Frame => {
    const f = frames[frames.length - 1 - depth];
    if (f === undefined) invalid('Wasm.Validate.UNKNOWN_LABEL', `${where}: unknown label ${depth}`);
    return f!;
  };
  const needMemory = (): void => {
    if (m.memories.length === 0) invalid('Wasm.Validate.UNKNOWN_MEMORY', `${where}: unknown memory 0`);
  };

  // -- lowering of operands (only called in lowered code, where every type is known) -------------
  const read = (h: number): Expr => pend[h] ?? { op: 'dread', type: types[h] as ValType, variable: slot(h, types[h] as ValType) };
  const take = (): Expr => {
    const e = read(types.length - 1);
    types.pop(); pend.pop();
    return e;
  };
  /** An i32 operand (a condition or an index): taken when it is lowered and on the frame's stack, else only checked. */
  const takeCond = (lowered: boolean): Expr | null => {
    if (lowered && types.length > top.height && types[types.length - 1] === 'i32') return take();
    expect('i32');
    return null;
  };
  const grew = (): void => { if (types.length > maxHeight) maxHeight = types.length; };
  /** Evaluates `value` now into the slot of the new top entry. */
  const pushValue = (t: ValType, value: Expr): void => {
    const v = slot(types.length, t);
    if (!(value.op === 'dread' && value.variable === v)) emit({ op: 'dassign', variable: v, value });
    types.push(t); pend.push(null); grew();
  };
  const pushSlot = (t: ValType): void => {
    slot(types.length, t);
    types.push(t); pend.push(null); grew();
  };
  /** Pushes a type in code that is validated only. */
  const pushType = (t: ValType): void => { types.push(t); pend.push(null); };
  const push = (t: ValType, value: () => Expr): void => { if (live()) pushValue(t, value()); else pushType(t); };

  /** Moves the top `ts.length` operands into the slots at `height` upwards (ascending order is safe). */
  const moves = (height: number, ts: readonly ValType[], out: Stmt[]): void => {
    const base = types.length - ts.length;
    for (let i = 0; i < ts.length; i++) {
      const value = read(base + i);
      const v = slot(height + i, ts[i]!);
      if (!(value.op === 'dread' && value.variable === v)) out.push({ op: 'dassign', variable: v, value });
    }
  };
  /** Writes pending constants among the top `n` operands to their slots (a block's parameters). */
  const settle = (n: number): number => {
    for (let h = types.length - n; h < types.length; h++) {
      const p = pend[h];
      if (p !== null && p !== undefined) { emit({ op: 'dassign', variable: slot(h, types[h] as ValType), value: p }); pend[h] = null; }
    }
    return types.length - n;
  };
  const edgeTo = (f: Frame): number => {
    const out: Stmt[] = [];
    moves(f.height, labelTypes(f), out);
    if (out.length === 0) return f.label;
    return blocks.push({ stmts: out, term: { op: 'br', target: f.label } }) - 1;
  };
  const becomeUnreachable = (): void => {
    const wasLive = live();
    types.length = top.height; pend.length = top.height;
    top.unreachable = true;
    if (wasLive) cur = newBlock();
  };
  const open = (kind: Frame['kind'], params: readonly ValType[], results: readonly ValType[], height: number, label: number, cont: number, elseBlock: number, ghost: boolean): void => {
    top = { kind, params, results, height, label, cont, elseBlock, unreachable: false, ghost };
    frames.push(top);
  };
  /** Checks the frame's results at else/end and closes it; returns the closed frame. */
  const close = (): Frame => {
    const f = top;
    const lowered = !f.unreachable && !f.ghost;
    if (lowered) {
      // Validate first (the moves read the operands), then emit the fallthrough moves.
      const base = types.length - f.results.length;
      if (base < f.height) mismatch('operand stack is empty');
      for (let i = 0; i < f.results.length; i++) if (types[base + i] !== f.results[i]) mismatch(`expected ${f.results[i]}, found ${types[base + i]}`);
      if (base !== f.height) mismatch(`${base - f.height} values left at the end of a block`);
      const out: Stmt[] = [];
      moves(f.height, f.results, out);
      for (const s of out) emit(s);
      terminate({ op: 'br', target: f.cont });
    } else {
      expectAll(f.results);
      if (types.length !== f.height) mismatch(`${types.length - f.height} values left at the end of a block`);
    }
    types.length = f.height; pend.length = f.height;
    frames.pop();
    top = frames[frames.length - 1]!;
    return f;
  };

  const body = code.body;
  for (let pc = 0; pc < body.length; pc++) {
    if (frames.length === 0) mismatch('instructions after the end of the function');
    const ins = body[pc]!;
    const op = ins.op;
    switch (op) {
      case 0x00:
        if (live()) { raised.add(TRAP_UNREACHABLE); terminate({ op: 'br', target: -1 }); }
        becomeUnreachable();
        break;
      case 0x01: break;
      case 0x02: case 0x03: case 0x04: {
        const sig = blockSig(m, ins.bt);
        if (sig === undefined) invalid('Wasm.Validate.UNKNOWN_TYPE', `${where}: unknown block type ${String(ins.bt)}`);
        const s = sig!;
        const lowered = live();
        let cond: Expr | null = null;
        if (op === 0x04) {
          cond = takeCond(lowered);
        }
        check(s.params);
        if (!lowered) { open(op === 0x02 ? 'block' : op === 0x03 ? 'loop' : 'if', s.params, s.results, types.length - s.params.length, -1, -1, -1, true); break; }
        if (op === 0x02) {
          const cont = newBlock();
          open('block', s.params, s.results, settle(s.params.length), cont, cont, -1, false);
        } else if (op === 0x03) {
          const header = newBlock();
          const cont = newBlock();
          const height = settle(s.params.length);
          terminate({ op: 'br', target: header });
          cur = header;
          open('loop', s.params, s.results, height, header, cont, -1, false);
        } else {
          const thenB = newBlock();
          const elseB = newBlock();
          const cont = newBlock();
          const height = settle(s.params.length);
          terminate({ op: 'br_if', cond: cond!, then: thenB, else: elseB });
          cur = thenB;
          open('if', s.params, s.results, height, cont, cont, elseB, false);
        }
        break;
      }
      case 0x05: {
        const f = close();
        if (f.kind !== 'if') invalid('Wasm.Validate.TYPE_MISMATCH', `${where}: else without if`);
        if (!f.ghost) {
          cur = f.elseBlock;
          open('else', f.params, f.results, f.height, f.label, f.cont, -1, false);
          for (const t of f.params) pushSlot(t);
        } else {
          open('else', f.params, f.results, f.height, -1, -1, -1, true);
          for (const t of f.params) pushType(t);
        }
        break;
      }
      case 0x0b: {
        const f = close();
        if (f.kind === 'if' && (f.params.length !== f.results.length || f.params.some((p, i) => p !== f.results[i]))) mismatch('if without else must have the same parameters and results');
        if (f.ghost) { for (const t of f.results) pushType(t); break; }
        if (f.kind === 'if') blocks[f.elseBlock]!.term = { op: 'br', target: f.cont };
        cur = f.cont;
        if (f.kind === 'func') {
          terminate({ op: 'return', values: f.results.map((t, i): Expr => ({ op: 'dread', type: t, variable: slot(i, t) })) });
          frames.length = 0;
        } else {
          for (const t of f.results) pushSlot(t);
        }
        break;
      }
      case 0x0c: {
        const f = frameAt(ins.a!);
        const ts = labelTypes(f);
        check(ts);
        if (live()) terminate({ op: 'br', target: edgeTo(f) });
        becomeUnreachable();
        break;
      }
      case 0x0d: {
        const lowered = live();
        const cond = takeCond(lowered);
        const f = frameAt(ins.a!);
        check(labelTypes(f));
        if (lowered) {
          const cont = newBlock();
          terminate({ op: 'br_if', cond: cond!, then: edgeTo(f), else: cont });
          cur = cont;
        }
        break;
      }
      case 0x0e: {
        const lowered = live();
        const index = takeCond(lowered);
        const def = labelTypes(frameAt(ins.a!));
        for (const d of ins.targets!) {
          const ts = labelTypes(frameAt(d));
          if (ts.length !== def.length) mismatch('br_table targets have different arities');
          check(ts, true);
        }
        check(def);
        if (lowered) {
          const edges = new Map<number, number>();
          const edge = (d: number): number => {
            let b = edges.get(d);
            if (b === undefined) { b = edgeTo(frameAt(d)); edges.set(d, b); }
            return b;
          };
          terminate({ op: 'switch', index: index!, targets: ins.targets!.map(edge), default: edge(ins.a!) });
        }
        becomeUnreachable();
        break;
      }
      case 0x0f: {
        check(type.results);
        if (live()) {
          const base = types.length - type.results.length;
          terminate({ op: 'return', values: type.results.map((_, i) => read(base + i)) });
        }
        becomeUnreachable();
        break;
      }
      case 0x10: case 0x11: {
        let ft: FuncType;
        if (op === 0x10) {
          const t = fts[ins.a!];
          if (t === undefined) invalid('Wasm.Validate.UNKNOWN_FUNC', `${where}: unknown function ${ins.a}`);
          ft = t!;
        } else {
          if (m.tables.length === 0 || ins.b !== 0) invalid('Wasm.Validate.UNKNOWN_TABLE', `${where}: unknown table ${ins.b}`);
          const t = m.types[ins.a!];
          if (t === undefined) invalid('Wasm.Validate.UNKNOWN_TYPE', `${where}: unknown type ${ins.a}`);
          ft = t!;
        }
        if (!live()) {
          if (op === 0x11) expect('i32');
          expectAll(ft.params);
          for (const t of ft.results) pushType(t);
          break;
        }
        let index: Expr | null = null;
        if (op === 0x11) { check(['i32']); index = take(); }
        check(ft.params);
        const args: Expr[] = new Array<Expr>(ft.params.length);
        for (let i = ft.params.length - 1; i >= 0; i--) args[i] = take();
        if (op === 0x10 && ins.a === gasFunc) {
          raised.add('Dmir.Trap.OUT_OF_GAS');
          emit({ op: 'use_gas', amount: args[0]! });
          break;
        }
        const dests = ft.results.map((t, i) => slot(types.length + i, t));
        if (index === null) emit({ op: 'call', func: ins.a!, args, dests });
        else {
          for (const c of ICALL_TRAPS) raised.add(c);
          emit({ op: 'icall', typeIndex: ins.a!, index, args, dests });
        }
        for (const t of ft.results) pushSlot(t);
        break;
      }
      case 0x1a: popType(); break;
      case 0x1b: {
        if (!live()) {
          expect('i32');
          const a = popType();
          const b = popType();
          if (a !== b && a !== 'unknown' && b !== 'unknown') mismatch(`select operands ${b} and ${a}`);
          const t = a === 'unknown' ? b : a;
          if (t === 'unknown') { types.push('unknown'); pend.push(null); } else pushType(t);
          break;
        }
        check(['i32']);
        const cond = take();
        if (types.length - top.height < 2) mismatch('operand stack is empty');
        const t = types[types.length - 1] as ValType;
        if (types[types.length - 2] !== t) mismatch(`select operands ${types[types.length - 2]} and ${t}`);
        const ifFalse = take();
        const ifTrue = take();
        pushValue(t, { op: 'select', type: t, cond, ifTrue, ifFalse });
        break;
      }
      case 0x20: case 0x21: case 0x22: {
        const i = ins.a!;
        const t = i < nLocals ? vars[i]! : undefined;
        if (t === undefined) invalid('Wasm.Validate.UNKNOWN_LOCAL', `${where}: unknown local ${i}`);
        const lt = t!;
        if (op === 0x20) { push(lt, () => ({ op: 'dread', type: lt, variable: i })); break; }
        if (!live()) { expect(lt); if (op === 0x22) pushType(lt); break; }
        check([lt]);
        if (op === 0x21) emit({ op: 'dassign', variable: i, value: take() });
        else {
          pushValue(lt, take());
          emit({ op: 'dassign', variable: i, value: read(types.length - 1) });
        }
        break;
      }
      case 0x23: case 0x24: {
        const g = m.globals[ins.a!];
        if (g === undefined) invalid('Wasm.Validate.UNKNOWN_GLOBAL', `${where}: unknown global ${ins.a}`);
        const gt = g!.type;
        if (op === 0x23) { push(gt, () => ({ op: 'global_get', type: gt, index: ins.a! })); break; }
        if (!g!.mutable) invalid('Wasm.Validate.IMMUTABLE_GLOBAL', `${where}: global ${ins.a} is immutable`);
        if (!live()) { expect(gt); break; }
        check([gt]);
        emit({ op: 'global_set', index: ins.a!, value: take() });
        break;
      }
      case 0x3f: case 0x40:
        needMemory();
        if (ins.b !== 0) invalid('Wasm.Validate.UNKNOWN_MEMORY', `${where}: unknown memory ${ins.b}`);
        if (op === 0x3f) { push('i32', () => ({ op: 'memory_size', type: 'i32' })); break; }
        if (!live()) { expect('i32'); pushType('i32'); break; }
        check(['i32']);
        {
          const delta = take();
          emit({ op: 'memory_grow', delta, dest: slot(types.length, 'i32') });
          pushSlot('i32');
        }
        break;
      case 0x41: case 0x42: case 0x43: case 0x44: {
        const t: ValType = op === 0x41 ? 'i32' : op === 0x42 ? 'i64' : op === 0x43 ? 'f32' : 'f64';
        types.push(t);
        if (live()) { pend.push({ op: 'const', type: t, value: ins.value as Val }); grew(); } else pend.push(null);
        break;
      }
      default: {
        const mem = MEMORY.get(op);
        if (mem !== undefined) {
          needMemory();
          if (2 ** ins.a! > mem.size) invalid('Wasm.Validate.BAD_ALIGNMENT', `${where}: alignment must not be larger than natural`);
          const at = mem.size === 1 ? 'i8' : mem.size === 2 ? 'i16' : mem.size === 4 ? (mem.type === 'f32' ? 'f32' : 'i32') : mem.type;
          if (!live()) {
            if (mem.store) { expect(mem.type); expect('i32'); } else { expect('i32'); pushType(mem.type); }
            break;
          }
          raised.add(TRAP_MEM);
          if (mem.store) {
            check(['i32', mem.type]);
            const value = take();
            const base = take();
            emit({ op: 'store', type: at, base, offset: ins.b!, value: at === mem.type ? value : { op: 'convert', kind: 'trunc', type: at, arg: value } });
          } else {
            check(['i32']);
            const load: Expr = { op: 'load', type: at, base: take(), offset: ins.b! };
            pushValue(mem.type, at === mem.type ? load : { op: 'convert', kind: mem.signed ? 'sext' : 'uext', type: mem.type, arg: load });
          }
          break;
        }
        const n = NUMERIC.get(op)!;
        if (!live()) { expectAll(n.params); pushType(n.result); break; }
        check(n.params);
        const o = n.op;
        if (n.params.length === 2) {
          const rhs = take();
          const lhs = take();
          if (o.k === 'cmp') pushValue('i32', { op: 'cmp', pred: o.p, type: 'i32', lhs, rhs });
          else if (o.k === 'bin') {
            if (o.b === 'sdiv' || o.b === 'udiv' || o.b === 'srem' || o.b === 'urem') raised.add(TRAP_DIV);
            if (o.b === 'sdiv') raised.add(TRAP_OVF);
            pushValue(n.result, { op: 'binary', kind: o.b, type: n.result, lhs, rhs });
          }
        } else {
          const arg = take();
          const t = n.params[0]!;
          if (o.k === 'eqz') pushValue('i32', { op: 'cmp', pred: 'ieq', type: 'i32', lhs: arg, rhs: { op: 'const', type: t, value: t === 'i64' ? 0n : 0 } });
          else if (o.k === 'un') pushValue(n.result, { op: 'unary', kind: o.u, type: n.result, arg });
          else if (o.k === 'conv') {
            if (o.c === 'wasm_fptosi' || o.c === 'wasm_fptoui') { raised.add(TRAP_CONV); raised.add(TRAP_OVF); }
            pushValue(n.result, { op: 'convert', kind: o.c, type: n.result, arg });
          } else if (o.k === 'sext') {
            pushValue(n.result, { op: 'convert', kind: 'sext', type: n.result, arg: { op: 'convert', kind: 'trunc', type: o.from, arg } });
          }
        }
      }
    }
  }
  if (frames.length !== 0) mismatch('function body does not close every block');

  // Exception blocks: one per trap code some instruction may raise; `-1` marked the branches of
  // `unreachable`, and a block left open (after a branch) is unreachable code.
  const exits = new Map<TrapCode, number>();
  const exit = (c: TrapCode): number => {
    let b = exits.get(c);
    if (b === undefined) { b = blocks.push({ stmts: [], term: { op: 'trap', code: c } }) - 1; exits.set(c, b); }
    return b;
  };
  for (const c of raised) exit(c);
  const n = blocks.length;
  const finished: Block[] = new Array<Block>(n);
  for (let i = 0; i < n; i++) {
    const b = blocks[i]!;
    let t = b.term;
    if (t === null || (t.op === 'br' && t.target === -1)) t = { op: 'br', target: exit(TRAP_UNREACHABLE) };
    finished[i] = { stmts: b.stmts, term: t };
  }
  for (let i = n; i < blocks.length; i++) finished.push({ stmts: blocks[i]!.stmts, term: blocks[i]!.term! });
  return { kind: 'defined', name, type, vars, blocks: finished, frameCost: 4 * localCells + 64 + 8 * maxHeight };
};

/**
 * Validates and lowers a decoded module to dMIR: module-level rules first, then each function
 * body in order, so the first problem met is the one the profile reports.
 *
 * @spec DMIR-WASM-VALIDATE.1 DMIR-WASM-LOWER.1 DMIR-GAS-INTRINSIC.1 DMIR-ENGINE-LOAD.1
 */
export const lowerWasm = (m: WasmModule): Result<Module> => {
  try {
    const fts = checkModule(m);
    const nImports = m.imports.length;
    const names: (string | undefined)[] = new Array<string | undefined>(fts.length);
    let gasFunc = -1;
    for (const e of m.exports) {
      if (e.kind !== 'func') continue;
      if (names[e.index] === undefined) names[e.index] = e.name;
      if (e.name === GAS_EXPORT) {
        const t = fts[e.index]!;
        if (t.params.length === 1 && t.params[0] === 'i64' && t.results.length === 0) gasFunc = e.index;
      }
    }
    const funcs: Func[] = new Array<Func>(fts.length);
    m.imports.forEach((imp, i) => { funcs[i] = { kind: 'host', name: `${imp.module}.${imp.field}`, module: imp.module, field: imp.field, type: fts[i]! }; });
    m.codes.forEach((c, i) => {
      const fi = nImports + i;
      funcs[fi] = lowerBody(m, fts, gasFunc, fi, names[fi] ?? `f${fi}`, fts[fi]!, c);
    });
    const constOf = (init: readonly { readonly value?: Val }[]): Val => init[0]!.value!;
    return {
      ok: true,
      value: {
        types: m.types,
        funcs,
        globals: m.globals.map((g) => ({ type: g.type, mutable: g.mutable, init: constOf(g.init) })),
        memory: m.memories[0] ?? null,
        table: m.tables[0] ?? null,
        elems: m.elems.map((e) => ({ offset: (constOf(e.offset) as number) >>> 0, funcs: e.funcs })),
        datas: m.datas.map((d) => ({ offset: (constOf(d.offset) as number) >>> 0, bytes: d.bytes })),
        start: m.start,
        exports: m.exports,
      },
    };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: { code: e.code, message: e.message } };
    throw e;
  }
};

/**
 * The engine's load path from bytes: its reader, its validation and lowering, its verifier.
 *
 * @spec DMIR-WASM-LOAD.1 DMIR-EXEC-ADMIT.1
 */
export const loadWasmBytes = (bytes: Uint8Array): Result<Module> => {
  const r = readWasm(bytes);
  if (!r.ok) return r;
  const l = lowerWasm(r.value);
  return l.ok ? verifyDmir(l.value) : l;
};

/**
 * Deploys a module given as WebAssembly bytes on the lazy engine.
 *
 * @spec DMIR-WASM-LOAD.1 DMIR-ENGINE-LAZY.1
 */
export const deployWasm = (bytes: Uint8Array, host: EngineHost, opts: LazyOptions): Result<LazyEngineInstance> => {
  const m = loadWasmBytes(bytes);
  return m.ok ? deployEngine(m.value, host, opts) : m;
};
