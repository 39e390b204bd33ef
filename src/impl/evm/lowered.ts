/**
 * The Pharos EVM engine: each frame's code is lowered to dMIR (the profile's lowering, shared with
 * the model as the WASM profile shares its lowering) and run by the compiled dMIR engine on Node's
 * WebAssembly. Compiled instances are cached per code and reused by later frames (the lowered code
 * zero-fills memory as it expands, so a reused instance starts every frame clean); a frame that
 * needs an instance while all of that code's instances are busy (recursion) gets a new one.
 */
import type { Val } from '../../model/dmir/ir.js';
import type { Result } from '../../model/encoding/result.js';
import { instantiateEngine, type EngineInstance } from '../dmir/engine.js';
import { executeCallLowered, lowerVerified, type LoweredHostFunction, type LoweredOutcome, type LoweredRunner } from '../../model/evm/lower-exec.js';
import { HOST_IMPORTS } from '../../model/evm/host.js';
import { LazyStorage, type WorldState } from '../../model/evm/state.js';
import type { BlockEnv } from '../../model/evm/interpreter.js';
import type { CallOutcome, CallRequest } from '../../model/evm/call.js';
import { keccak256 } from '../encoding/keccak.js';
import type { PlainCallInput, PlainCallOutput } from './ethereumjs.js';
import { runPlainCall } from './plain.js';

interface Pool { readonly idle: EngineInstance[] }
/** Instances by code, least recently used first; at most MAX_CODES codes keep instances. */
const pools = new Map<string, Pool>();
const MAX_CODES = 256;
/** The host functions of the frame being run; instances call through this indirection. */
let active: readonly LoweredHostFunction[] = [];
const FIELD_INDEX = new Map(HOST_IMPORTS.map((h, i) => [h.field, i]));
const resolver = (_module: string, field: string): ((args: readonly Val[]) => Result<readonly Val[]>) | undefined => {
  const i = FIELD_INDEX.get(field);
  return i === undefined ? undefined : (args) => active[i]!(args);
};

/**
 * Pool keys by code array: a contract's code is usually the same array call after call. An
 * account's code array is never changed in place, so an array's key stays its code's.
 */
const keys = new WeakMap<Uint8Array, string>();
const keyOf = (code: Uint8Array): string => {
  let key = keys.get(code);
  if (key === undefined) { key = Buffer.from(code).toString('hex'); keys.set(code, key); }
  return key;
};

const acquire = (code: Uint8Array, key: string): EngineInstance | { readonly error: string } => {
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = { idle: [] };
    if (pools.size >= MAX_CODES) pools.delete(pools.keys().next().value!);
  } else {
    pools.delete(key);
  }
  pools.set(key, pool);
  const inst = pool.idle.pop();
  if (inst !== undefined) return inst;
  const m = lowerVerified(code);
  if (!m.ok) return { error: m.error.code };
  const e = instantiateEngine(m.value, resolver, { gas: 0n });
  if (!e.ok) return { error: e.error.code };
  return e.value;
};

/**
 * The compiled-engine runner of lowered EVM code.
 *
 * @spec EVM-LOWER-EXEC.1 DMIR-EXEC-MODE.1
 */
export const engineRunner: LoweredRunner = (code, gas, host): LoweredOutcome => {
  const key = keyOf(code);
  const inst = acquire(code, key);
  if ('error' in inst) return { kind: 'trap', code: inst.error };
  const saved = active;
  active = host;
  try {
    const r = inst.invoke('run', [gas], 0n);
    if (r.outcome.kind === 'trap') return { kind: 'trap', code: r.outcome.code };
    return { kind: 'return', status: r.outcome.values[0] as number, gasLeft: BigInt.asUintN(64, r.outcome.values[1] as bigint) };
  } finally {
    active = saved;
    pools.get(key)?.idle.push(inst);
  }
};

/** Drops every cached instance (for benchmarks that measure cold starts). */
export const clearEngineCache = (): void => { pools.clear(); };

/**
 * A bare message call (EVM-CALL-EXECUTE.1) on the Pharos engine: lowered code on compiled dMIR.
 *
 * @spec EVM-CALL-EXECUTE.1 EVM-LOWER-EXEC.1
 */
export const executeCallOnEngine = (input: PlainCallInput, runner: LoweredRunner = engineRunner): Result<PlainCallOutput> =>
  runPlainCall(input, (pre, block, gasPrice, call) => executeCallLowered(pre, block, gasPrice, call, runner, keccak256));

/**
 * The same call on a world state given as is, for callers whose accounts keep their storage
 * elsewhere (`LazyStorage`: the pipeline's EVM contracts read their slots from the pipeline's state).
 *
 * @spec EVM-CALL-EXECUTE.1 EVM-LOWER-EXEC.1
 */
export const executeStateCallOnEngine = (pre: WorldState, block: BlockEnv, gasPrice: bigint, call: CallRequest): Result<CallOutcome> =>
  executeCallLowered(pre, block, gasPrice, call, engineRunner, keccak256);

export { LazyStorage };

