/**
 * Contract calls on the dMIR engine. Each contract is loaded once per thread with the engine's own
 * reader, validator, lowering and verifier (DMIR-ENGINE-LOAD.1) and deployed once on the engine with host functions that
 * dispatch to the call in progress, so a call costs one invocation, not a compilation. The
 * contracts keep no memory or globals between calls, so one instance serves every call.
 *
 * The engine compiles eagerly (`instantiateEngine`); if that fails for a module, the contract is
 * deployed on the engine's interpreter tier instead (`deployEngine` with a compiler that never
 * finishes), which gives the same results more slowly.
 */
import type { Val } from '../../model/dmir/ir.js';
import type { Result } from '../../model/encoding/result.js';
import { WASM_CALL_GAS, WASM_CODES, type WasmCode } from './codes.js';
import { readWasm } from '../dmir/decode.js';
import { loadWasmBytes } from '../dmir/wasm-lower.js';
import { deployEngine, instantiateEngine, manualCompiler, type EngineInstance } from '../dmir/engine.js';
import { keccak256OfText } from '../encoding/keccak.js';

/** The view of state a call runs on; `read` may throw to abort the call (a parked Block-STM read). */
interface Call { readonly contract: string; readonly args: readonly bigint[]; readonly caller: bigint; readonly read: (key: string) => bigint; readonly writes: Map<string, bigint>; reverted: bigint | null; aborted: unknown }

let current: Call | null = null;
const U64 = (1n << 64n) - 1n;
const key = (contract: string, k: Val): string => `wsto/${contract}/${BigInt.asUintN(64, k as bigint)}`;
const ok = (values: readonly Val[]): Result<readonly Val[]> => ({ ok: true, value: values });
const failed = (code: string): Result<readonly Val[]> => ({ ok: false, error: { code, message: code } });

const HOST: Readonly<Record<string, (a: readonly Val[]) => Result<readonly Val[]>>> = {
  arg: (a) => { const c = current!; const i = a[0] as number; return ok([BigInt.asIntN(64, i >= 0 && i < c.args.length ? c.args[i]! : 0n)]); },
  caller: () => ok([BigInt.asIntN(64, current!.caller)]),
  sload: (a) => {
    const c = current!;
    const k = key(c.contract, a[0]!);
    const w = c.writes.get(k);
    if (w !== undefined) return ok([BigInt.asIntN(64, w)]);
    try {
      return ok([BigInt.asIntN(64, c.read(k) & U64)]);
    } catch (e) {
      c.aborted = e;
      return failed('Dmir.Trap.HOST_ERROR');
    }
  },
  sstore: (a) => { const c = current!; c.writes.set(key(c.contract, a[0]!), BigInt.asUintN(64, a[1] as bigint)); return ok([]); },
  revert: (a) => { current!.reverted = BigInt((a[0] as number) >>> 0); return failed('Dmir.Trap.HOST_ERROR'); },
};

const resolve = (module: string, field: string) => (module === 'pharos' ? HOST[field] : undefined);

const instances = new Map<WasmCode, EngineInstance | null>();
/** How each contract runs on this thread: compiled, or on the interpreter tier after a failed compilation. */
export const contractTiers = new Map<WasmCode, 'compiled' | 'interpreter'>();

const instanceOf = (code: WasmCode): EngineInstance | null => {
  if (instances.has(code)) return instances.get(code)!;
  let inst: EngineInstance | null = null;
  const m = loadWasmBytes(WASM_CODES[code]);
  if (m.ok) {
    const eager = instantiateEngine(m.value, resolve, { gas: WASM_CALL_GAS });
    if (eager.ok) { inst = eager.value; contractTiers.set(code, 'compiled'); } else {
      const lazy = deployEngine(m.value, resolve, { gas: WASM_CALL_GAS, compiler: manualCompiler() });
      if (lazy.ok) { inst = lazy.value; contractTiers.set(code, 'interpreter'); }
    }
  }
  instances.set(code, inst);
  return inst;
};

const CODES = Object.keys(WASM_CODES) as readonly WasmCode[];
const methods = new Map<string, readonly string[]>();
/** The exported methods of a contract code as the engine's reader sees them; undefined for an unknown code. */
export const methodsOf = (code: string): readonly string[] | undefined => {
  if (!(CODES as readonly string[]).includes(code)) return undefined;
  let list = methods.get(code);
  if (list === undefined) {
    const read = readWasm(WASM_CODES[code as WasmCode]);
    list = read.ok ? read.value.exports.filter((e) => e.kind === 'func').map((e) => e.name) : [];
    methods.set(code, list);
  }
  return list;
};

/**
 * `f` remembered by account name: every call needs its caller's and its contract's, and names
 * repeat. The memory is dropped whenever it reaches 2^16 names.
 */
export const byName = <T>(f: (name: string) => T): ((name: string) => T) => {
  const known = new Map<string, T>();
  return (name) => {
    let v = known.get(name);
    if (v === undefined) {
      v = f(name);
      if (known.size >= 1 << 16) known.clear();
      known.set(name, v);
    }
    return v;
  };
};

/** An account's id: the first 8 bytes of the Keccak-256 of its name, big-endian. */
export const accountIdOf = byName((a: string): bigint => {
  const h = keccak256OfText(a);
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(h[i]!);
  return v;
});

export interface ContractOutcome {
  readonly status: 'success' | 'revert';
  readonly code: string | null;
  readonly output: bigint;
  readonly writes: readonly (readonly [string, bigint])[];
}

/** Runs a contract method for `from` on the state `read` gives; rethrows whatever `read` threw. */
export const callContract = (code: WasmCode, contract: string, method: string, args: readonly bigint[], from: string, read: (key: string) => bigint): ContractOutcome => {
  const trap: ContractOutcome = { status: 'revert', code: 'Pipeline.Contract.TRAP', output: 0n, writes: [] };
  const inst = instanceOf(code);
  if (inst === null) return trap;
  const call: Call = { contract, args, caller: accountIdOf(from), read, writes: new Map(), reverted: null, aborted: null };
  const outer = current;
  current = call;
  let r: ReturnType<EngineInstance['invoke']>;
  try {
    r = inst.invoke(method, [], WASM_CALL_GAS);
  } finally {
    current = outer;
  }
  if (call.aborted !== null) throw call.aborted;
  if (call.reverted !== null) return { status: 'revert', code: 'Pipeline.Contract.REVERT', output: call.reverted, writes: [] };
  if (r.outcome.kind !== 'return') return trap;
  return { status: 'success', code: null, output: BigInt.asUintN(64, r.outcome.values[0] as bigint), writes: [...call.writes] };
};
