/**
 * The reference interpreter of dMIR. It is a small-step machine with an explicit frame stack, so
 * the depth of guest recursion is bounded only by the stack-cost budget, never by the host's own
 * stack. Each invocation works on a copy of the instance state and returns the new state, so the
 * function is pure: the same instance, arguments and options give the same outcome.
 */
import { fail, ok, type Result } from '../encoding/result.js';
import {
  MAX_MEMORY_PAGES, PAGE_SIZE, STACK_BUDGET, TRAP_CODES,
  type DefinedFunc, type Expr, type Func, type Module, type ScalarType, type Stmt, type TrapCode, type Val,
} from './ir.js';
import { evalBinary, evalCmp, evalConvert, evalUnary, zeroOf } from './numeric.js';

/** A host function: arguments in, results out; a failure becomes the HOST_ERROR trap. */
export type HostFunction = (args: readonly Val[]) => Result<readonly Val[]>;
/** Resolves an import by module and field name. */
export type HostResolver = (module: string, field: string) => HostFunction | undefined;

/** The mutable state of an instance, as an immutable snapshot. */
export interface Instance {
  readonly module: Module;
  readonly hosts: readonly (HostFunction | null)[];
  readonly memory: Uint8Array | null;
  readonly globals: readonly Val[];
  readonly table: readonly (number | null)[] | null;
}

export interface ExecOptions {
  /** Gas available to `__instrumented_use_gas` charges. */
  readonly gas: bigint;
  /** The stack-cost budget; DMIR-STACK-BUDGET.1 fixes it at 8 MiB. */
  readonly stackBudget?: number;
  /** A harness bound on executed instructions for gas-less tests (STEP_LIMIT trap). */
  readonly maxSteps?: number;
}

export type Outcome =
  | { readonly kind: 'return'; readonly values: readonly Val[] }
  | { readonly kind: 'trap'; readonly code: TrapCode };

export interface InvokeResult {
  readonly outcome: Outcome;
  readonly gasLeft: bigint;
  readonly instance: Instance;
}

interface Frame {
  readonly f: DefinedFunc;
  readonly vars: Val[];
  block: number;
  stmt: number;
  /** The caller's variables that receive this frame's results (empty: discarded). */
  readonly dests: readonly number[];
}

/** Working state of one invocation; created fresh from the instance and never shared. */
interface Machine {
  readonly m: Module;
  readonly hosts: readonly (HostFunction | null)[];
  memory: Uint8Array | null;
  readonly globals: Val[];
  readonly table: readonly (number | null)[] | null;
  gas: bigint;
  stackCost: number;
  steps: number;
  readonly budget: number;
  readonly maxSteps: number;
}

type Ev = Val | TrapCode;
const isTrap = (v: Ev): v is TrapCode => typeof v === 'string';

const loadValue = (mem: Uint8Array, addr: number, type: ScalarType): Val => {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  switch (type) {
    case 'i8': return dv.getUint8(addr);
    case 'i16': return dv.getUint16(addr, true);
    case 'i32': return dv.getInt32(addr, true);
    case 'i64': return dv.getBigInt64(addr, true);
    case 'f32': return dv.getUint32(addr, true);
    case 'f64': return dv.getBigUint64(addr, true);
  }
};

const storeValue = (mem: Uint8Array, addr: number, type: ScalarType, v: Val): void => {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  switch (type) {
    case 'i8': dv.setUint8(addr, v as number); return;
    case 'i16': dv.setUint16(addr, v as number, true); return;
    case 'i32': dv.setInt32(addr, v as number, true); return;
    case 'i64': dv.setBigInt64(addr, v as bigint, true); return;
    case 'f32': dv.setUint32(addr, v as number, true); return;
    case 'f64': dv.setBigUint64(addr, v as bigint, true); return;
  }
};

const accessSize = (t: ScalarType): number => (t === 'i8' ? 1 : t === 'i16' ? 2 : t === 'i32' || t === 'f32' ? 4 : 8);

/**
 * The effective address of a memory access: the base as an unsigned 32-bit integer plus the
 * static offset, without wrap-around; out of bounds when the access would end past the memory.
 *
 * @spec DMIR-OP-MEMORY.1
 */
export const effectiveAddress = (memBytes: number, base: number, offset: number, size: number): number | null => {
  const ea = (base >>> 0) + offset;
  return ea + size > memBytes ? null : ea;
};

/** @spec DMIR-STRUCT-EXPR.1 DMIR-OP-UNARY.1 DMIR-OP-BINARY.1 DMIR-OP-CONVERT.1 DMIR-OP-CMP.1 DMIR-OP-MEMORY.1 */
const evalExpr = (st: Machine, vars: readonly Val[], e: Expr): Ev => {
  switch (e.op) {
    case 'const': return e.value;
    case 'dread': return vars[e.variable]!;
    case 'unary': {
      const a = evalExpr(st, vars, e.arg);
      return isTrap(a) ? a : evalUnary(e.kind, e.type, a);
    }
    case 'binary': {
      const a = evalExpr(st, vars, e.lhs);
      if (isTrap(a)) return a;
      const b = evalExpr(st, vars, e.rhs);
      return isTrap(b) ? b : evalBinary(e.kind, e.type, a, b);
    }
    case 'convert': {
      const a = evalExpr(st, vars, e.arg);
      return isTrap(a) ? a : evalConvert(e.kind, e.type, exprType(e.arg), a);
    }
    case 'cmp': {
      const a = evalExpr(st, vars, e.lhs);
      if (isTrap(a)) return a;
      const b = evalExpr(st, vars, e.rhs);
      return isTrap(b) ? b : evalCmp(e.pred, exprType(e.lhs) as 'i32', a, b);
    }
    case 'select': {
      // Every operand is evaluated, left to right, so a trap in either arm is never skipped.
      const t = evalExpr(st, vars, e.ifTrue);
      if (isTrap(t)) return t;
      const f = evalExpr(st, vars, e.ifFalse);
      if (isTrap(f)) return f;
      const c = evalExpr(st, vars, e.cond);
      if (isTrap(c)) return c;
      return c !== 0 ? t : f;
    }
    case 'load': {
      const base = evalExpr(st, vars, e.base);
      if (isTrap(base)) return base;
      const mem = st.memory!;
      const ea = effectiveAddress(mem.length, base as number, e.offset, accessSize(e.type));
      return ea === null ? 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS' : loadValue(mem, ea, e.type);
    }
    case 'global_get': return st.globals[e.index]!;
    case 'memory_size': return st.memory!.length / PAGE_SIZE;
  }
};

/** The static type of an expression (every node records it). */
export const exprType = (e: Expr): ScalarType => e.type;

const evalArgs = (st: Machine, vars: readonly Val[], args: readonly Expr[]): Val[] | TrapCode => {
  const out: Val[] = [];
  for (const a of args) {
    const v = evalExpr(st, vars, a);
    if (isTrap(v)) return v;
    out.push(v);
  }
  return out;
};

/**
 * Grows memory by `delta` pages, returning the old size in pages or -1 when the new size would
 * pass the declared maximum or the DWASM ceiling.
 *
 * @spec DMIR-OP-MEMORY-GROW.1 DMIR-LIMIT-MEMORY.1
 */
export const growMemory = (mem: Uint8Array, declaredMax: number | null, delta: number): { readonly memory: Uint8Array; readonly result: number } => {
  const old = mem.length / PAGE_SIZE;
  const want = old + (delta >>> 0);
  const ceiling = Math.min(declaredMax ?? MAX_MEMORY_PAGES, MAX_MEMORY_PAGES);
  if (want > ceiling) return { memory: mem, result: -1 };
  const grown = new Uint8Array(want * PAGE_SIZE);
  grown.set(mem);
  return { memory: grown, result: old };
};

/**
 * Enters a function: charges its frame cost against the stack budget (a host function costs
 * nothing but the check still applies) and builds the frame.
 *
 * @spec DMIR-STACK-COST.1 DMIR-STACK-BUDGET.1 DMIR-EXEC-CALL.1
 */
const enter = (st: Machine, f: DefinedFunc, args: readonly Val[], dests: readonly number[]): Frame | TrapCode => {
  if (st.stackCost + f.frameCost > st.budget) return 'Dmir.Trap.CALL_STACK_EXHAUSTED';
  st.stackCost += f.frameCost;
  const vars: Val[] = f.vars.map((t, i) => (i < args.length ? args[i]! : zeroOf(t)));
  return { f, vars, block: 0, stmt: 0, dests };
};

/** @spec DMIR-EXEC-HOST.1 */
const callHost = (st: Machine, index: number, args: readonly Val[]): readonly Val[] | TrapCode => {
  if (st.stackCost > st.budget) return 'Dmir.Trap.CALL_STACK_EXHAUSTED';
  const h = st.hosts[index];
  if (h === null || h === undefined) return 'Dmir.Trap.HOST_ERROR';
  const r = h(args);
  if (r.ok) return r.value;
  // A host may end the invocation with a dMIR trap code (for example a trap of a callee module);
  // any other failure is the host-error trap.
  return r.error.code in TRAP_CODES ? (r.error.code as TrapCode) : 'Dmir.Trap.HOST_ERROR';
};

/**
 * Runs `funcIndex` to completion on the machine. Control moves block to block; a statement or
 * terminator that raises a trap code takes its edge to the exception block of that code, whose
 * `trap` terminator ends the whole invocation with the code (frames are discarded).
 *
 * @spec DMIR-EXEC-STEP.1 DMIR-EXEC-TRAP.1 DMIR-EXEC-CALL.1 DMIR-GAS-USE.1
 */
const run = (st: Machine, funcIndex: number, args: readonly Val[]): Outcome => {
  const trap = (code: TrapCode): Outcome => {
    if (code === 'Dmir.Trap.OUT_OF_GAS') st.gas = 0n;
    return { kind: 'trap', code };
  };
  const top = st.m.funcs[funcIndex]!;
  if (top.kind === 'host') {
    const r = callHost(st, funcIndex, args);
    return isTrap(r as Ev) ? trap(r as TrapCode) : { kind: 'return', values: r as readonly Val[] };
  }
  const first = enter(st, top, args, []);
  if (isTrap(first as Ev)) return trap(first as TrapCode);
  const frames: Frame[] = [first as Frame];
  for (;;) {
    const fr = frames[frames.length - 1]!;
    const block = fr.f.blocks[fr.block]!;
    if (++st.steps > st.maxSteps) return trap('Dmir.Trap.STEP_LIMIT');
    if (fr.stmt < block.stmts.length) {
      const s: Stmt = block.stmts[fr.stmt++]!;
      switch (s.op) {
        case 'dassign': {
          const v = evalExpr(st, fr.vars, s.value);
          if (isTrap(v)) return trap(v);
          fr.vars[s.variable] = v;
          break;
        }
        case 'store': {
          const base = evalExpr(st, fr.vars, s.base);
          if (isTrap(base)) return trap(base);
          const v = evalExpr(st, fr.vars, s.value);
          if (isTrap(v)) return trap(v);
          const mem = st.memory!;
          const ea = effectiveAddress(mem.length, base as number, s.offset, accessSize(s.type));
          if (ea === null) return trap('Dmir.Trap.MEMORY_OUT_OF_BOUNDS');
          storeValue(mem, ea, s.type, v);
          break;
        }
        case 'global_set': {
          const v = evalExpr(st, fr.vars, s.value);
          if (isTrap(v)) return trap(v);
          st.globals[s.index] = v;
          break;
        }
        case 'memory_grow': {
          const d = evalExpr(st, fr.vars, s.delta);
          if (isTrap(d)) return trap(d);
          const g = growMemory(st.memory!, st.m.memory!.max, d as number);
          st.memory = g.memory;
          fr.vars[s.dest] = g.result;
          break;
        }
        case 'use_gas': {
          const a = evalExpr(st, fr.vars, s.amount);
          if (isTrap(a)) return trap(a);
          // The amount is unsigned, as in `gas_left <u delta`.
          const amount = BigInt.asUintN(64, a as bigint);
          if (st.gas < amount) return trap('Dmir.Trap.OUT_OF_GAS');
          st.gas -= amount;
          break;
        }
        case 'call':
        case 'icall': {
          let callee: number;
          if (s.op === 'icall') {
            const idx = evalExpr(st, fr.vars, s.index);
            if (isTrap(idx)) return trap(idx);
            const table = st.table!;
            const i = (idx as number) >>> 0;
            if (i >= table.length) return trap('Dmir.Trap.TABLE_OUT_OF_BOUNDS');
            const target = table[i];
            if (target === null || target === undefined) return trap('Dmir.Trap.UNINITIALIZED_ELEMENT');
            if (!sameType(st.m, st.m.funcs[target]!, s.typeIndex)) return trap('Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH');
            callee = target;
          } else {
            callee = s.func;
          }
          const args2 = evalArgs(st, fr.vars, s.args);
          if (isTrap(args2 as Ev)) return trap(args2 as TrapCode);
          const f = st.m.funcs[callee]!;
          if (f.kind === 'host') {
            const r = callHost(st, callee, args2 as Val[]);
            if (isTrap(r as Ev)) return trap(r as TrapCode);
            s.dests.forEach((d, i) => { fr.vars[d] = (r as readonly Val[])[i]!; });
          } else {
            const nf = enter(st, f, args2 as Val[], s.dests);
            if (isTrap(nf as Ev)) return trap(nf as TrapCode);
            frames.push(nf as Frame);
          }
          break;
        }
      }
      continue;
    }
    const t = block.term;
    switch (t.op) {
      case 'br': fr.block = t.target; fr.stmt = 0; break;
      case 'br_if': {
        const c = evalExpr(st, fr.vars, t.cond);
        if (isTrap(c)) return trap(c);
        fr.block = c !== 0 ? t.then : t.else;
        fr.stmt = 0;
        break;
      }
      case 'switch': {
        const c = evalExpr(st, fr.vars, t.index);
        if (isTrap(c)) return trap(c);
        const i = (c as number) >>> 0;
        fr.block = i < t.targets.length ? t.targets[i]! : t.default;
        fr.stmt = 0;
        break;
      }
      case 'trap': return trap(t.code);
      case 'return': {
        const values = evalArgs(st, fr.vars, t.values);
        if (isTrap(values as Ev)) return trap(values as TrapCode);
        st.stackCost -= fr.f.frameCost;
        frames.pop();
        const caller = frames[frames.length - 1];
        if (caller === undefined) return { kind: 'return', values: values as readonly Val[] };
        fr.dests.forEach((d, i) => { caller.vars[d] = (values as readonly Val[])[i]!; });
        break;
      }
    }
  }
};

/** Signature equality is structural: two type indices match when their types are equal. */
const sameType = (m: Module, f: Func, typeIndex: number): boolean => {
  const want = m.types[typeIndex]!;
  return (
    f.type.params.length === want.params.length &&
    f.type.results.length === want.results.length &&
    f.type.params.every((p, i) => p === want.params[i]) &&
    f.type.results.every((r, i) => r === want.results[i])
  );
};

const machineOf = (inst: Instance, opts: ExecOptions): Machine => ({
  m: inst.module,
  hosts: inst.hosts,
  memory: inst.memory === null ? null : inst.memory.slice(),
  globals: inst.globals.slice(),
  table: inst.table,
  gas: opts.gas,
  stackCost: 0,
  steps: 0,
  budget: opts.stackBudget ?? STACK_BUDGET,
  maxSteps: opts.maxSteps ?? Number.POSITIVE_INFINITY,
});

const snapshot = (st: Machine): Instance => ({
  module: st.m,
  hosts: st.hosts,
  memory: st.memory,
  globals: st.globals,
  table: st.table,
});

/**
 * Calls function `funcIndex` of an instance. The argument count and types are the caller's
 * responsibility (the WASM profile's invoke checks them against the export's signature).
 *
 * @spec DMIR-EXEC-INVOKE.1 DMIR-EXEC-MODE.1
 */
export const invokeFunction = (inst: Instance, funcIndex: number, args: readonly Val[], opts: ExecOptions): InvokeResult => {
  const st = machineOf(inst, opts);
  const outcome = run(st, funcIndex, args);
  return { outcome, gasLeft: st.gas, instance: snapshot(st) };
};

export interface Instantiated {
  readonly instance: Instance;
  /** The start function's outcome (an empty return when there is none), or an initialisation trap. */
  readonly outcome: Outcome;
  readonly gasLeft: bigint;
}

export const LINK_ERROR_CODES = ['Dmir.Link.UNLINKED_IMPORT'] as const;

/**
 * Instantiates a verified module: resolves host imports (an unresolved one is a link error),
 * creates zeroed memory and an empty table of their minimum sizes, writes element and data
 * segments in order (a segment out of bounds is an initialisation trap), and runs the start
 * function. A trapped instantiation yields no usable instance.
 *
 * @spec DMIR-EXEC-INSTANTIATE.1
 */
export const instantiate = (m: Module, resolve: HostResolver, opts: ExecOptions): Result<Instantiated> => {
  const hosts: (HostFunction | null)[] = [];
  for (const f of m.funcs) {
    if (f.kind === 'host') {
      const h = resolve(f.module, f.field);
      if (h === undefined) return fail('Dmir.Link.UNLINKED_IMPORT', `import ${f.module}.${f.field} is not provided by the host`);
      hosts.push(h);
    } else {
      hosts.push(null);
    }
  }
  const memory = m.memory === null ? null : new Uint8Array(m.memory.min * PAGE_SIZE);
  const table: (number | null)[] | null = m.table === null ? null : new Array<number | null>(m.table.min).fill(null);
  const inst: Instance = { module: m, hosts, memory, globals: m.globals.map((g) => g.init), table };
  const trapped = (code: TrapCode): Result<Instantiated> => ok({ instance: inst, outcome: { kind: 'trap', code }, gasLeft: opts.gas });
  for (const seg of m.elems) {
    if (table === null || seg.offset + seg.funcs.length > table.length) return trapped('Dmir.Trap.TABLE_OUT_OF_BOUNDS');
    seg.funcs.forEach((fi, i) => { table[seg.offset + i] = fi; });
  }
  for (const seg of m.datas) {
    if (memory === null || seg.offset + seg.bytes.length > memory.length) return trapped('Dmir.Trap.MEMORY_OUT_OF_BOUNDS');
    memory.set(seg.bytes, seg.offset);
  }
  if (m.start === null) return ok({ instance: inst, outcome: { kind: 'return', values: [] }, gasLeft: opts.gas });
  const r = invokeFunction(inst, m.start, [], opts);
  return ok({ instance: r.instance, outcome: r.outcome, gasLeft: r.gasLeft });
};
