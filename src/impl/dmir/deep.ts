/**
 * Deep calls of compiled code (DMIR-ENGINE-DEEP.1). Compiled with `deepCalls` (compile.ts), a
 * function entered above `DEEP_CALL_STACK_COST` of stack cost hands its call to the host instead
 * of running natively; this handler runs it on the interpreter tier, which keeps its frames on the
 * heap. Native frames therefore never go deeper than that cost allows, and only the stack-cost
 * budget decides when recursion ends (DMIR-STACK-BUDGET.1), whatever the size of the host's stack.
 *
 * The call runs on the same instance state: the shared memory and table, the compiled instance's
 * gas counter, and its globals, which are handed to the interpreter for the call and back after it.
 */
import type { DefinedFunc, Module, Val, ValType } from '../../model/dmir/ir.js';
import { createInterpreter, type Interpreter, type SharedState } from './interp.js';

/**
 * The stack cost above which compiled code defers to the interpreter. Every frame costs at least
 * 64 (DMIR-STACK-COST.1), so at most 1,024 native dMIR frames are live at once, and a frame's
 * native size grows with its cost (locals and operand slots), which keeps the native stack well
 * inside Node's default.
 */
export const DEEP_CALL_STACK_COST = 64 * 1024;

/** Access to the compiled instance's state that the interpreter must see. */
export interface DeepCallState {
  readonly gas: { get(): bigint; set(v: bigint): void };
  /** Copies the compiled instance's globals into the shared state before a deep call. */
  readonly globalsOut: () => void;
  /** Copies them back after it, whatever its outcome. */
  readonly globalsIn: () => void;
}

/** A value from compiled code (a deep-call argument or an export's result; floats as integer bit patterns) in the dMIR representation. */
export const fromBits = (t: ValType, v: unknown): Val =>
  t === 'i32' ? (v as number) | 0 : t === 'i64' ? BigInt.asIntN(64, v as bigint) : t === 'f32' ? (v as number) >>> 0 : BigInt.asUintN(64, v as bigint);
/** A result value as the compiled code takes it back (floats as integer bit patterns). */
const toBits = (t: ValType, v: Val): unknown =>
  t === 'f32' ? (v as number) | 0 : t === 'f64' ? BigInt.asIntN(64, v as bigint) : v;

/**
 * The handler of every `env.deep<k>` import: `(funcIndex, ...args, callerStackCost)`. An
 * interpreter over the whole `budget` enters the function with the caller's stack cost already
 * spent, exactly as the compiled prologue would have.
 *
 * @spec DMIR-ENGINE-DEEP.1 DMIR-STACK-BUDGET.1
 */
export const deepCallHandler = (m: Module, shared: SharedState, budget: number, state: () => DeepCallState): ((...a: unknown[]) => unknown) => {
  let interp: Interpreter | null = null;
  return (...a: unknown[]): unknown => {
    const fi = a[0] as number;
    const sp = a[a.length - 1] as number;
    const f = m.funcs[fi] as DefinedFunc;
    const args = f.type.params.map((t, i) => fromBits(t, a[1 + i]));
    interp ??= createInterpreter(m, shared, budget);
    const st = state();
    st.globalsOut();
    const r = interp.invoke(fi, args, st.gas.get(), undefined, sp);
    st.gas.set(r.gasLeft);
    st.globalsIn();
    if (r.outcome.kind === 'trap') throw { dmirTrap: r.outcome.code };
    const out = r.outcome.values.map((v, i) => toBits(f.type.results[i]!, v));
    return out.length === 1 ? out[0] : out.length === 0 ? undefined : out;
  };
};
