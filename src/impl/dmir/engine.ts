/**
 * The dMIR engine. A verified module is deployed once (memory, table, segments and globals set
 * up, every function translated for the interpreter tier) and then runs in one of two tiers:
 *
 * - the interpreter (`interp.ts`), available as soon as deployment ends;
 * - compiled code: the whole module translated to WebAssembly by `compile.ts` and compiled by
 *   Node's engine in the background; the first invocation after that compilation has finished
 *   switches the instance to it.
 *
 * Both tiers work on one instance state: the `WebAssembly.Memory` and the table are created at
 * deployment and imported by the compiled code; gas and stack cost are per-invocation registers
 * (they start from the invocation's gas and from zero in either tier); the globals are owned by
 * the interpreter until the switch and by the compiled instance after it, handed over once, bit
 * for bit. Every observable result is the same in both tiers (DMIR-EXEC-MODE.1).
 *
 * `instantiateEngine` is the eager form: compile at once and run everything on compiled code.
 */
import type { Module, TrapCode, Val, ValType } from '../../model/dmir/ir.js';
import type { Result } from '../../model/encoding/result.js';
import { compileModule, deepImportNames, hostErrorTrap, TRAP_NUMBERS } from './compile.js';
import { deepCallHandler, DEEP_CALL_STACK_COST, fromBits, type DeepCallState } from './deep.js';
import { createInterpreter, type HostFn, type Interpreter, type SharedState } from './interp.js';
import { type CompiledModule, type WasmMemory, WA } from '../encoding/wasm-binary.js';

export type { CompiledModule };

export type EngineOutcome =
  | { readonly kind: 'return'; readonly values: readonly Val[] }
  | { readonly kind: 'trap'; readonly code: TrapCode };

export type EngineHost = (module: string, field: string) => HostFn | undefined;


interface WasmGlobal { value: number | bigint }

/** A trap thrown by compiled code through `env.trap` or by the interpreter. */
interface Thrown { readonly dmirTrap: TrapCode }
const isThrown = (e: unknown): e is Thrown => typeof e === 'object' && e !== null && 'dmirTrap' in e;

/** Maps a WebAssembly runtime error of compiled code to its trap; explicit checks cover the rest. */
const trapOfError = (e: unknown): TrapCode | 'host-stack' | null => {
  if (isThrown(e)) return e.dmirTrap;
  const msg = e instanceof Error ? e.message : '';
  if (msg.includes('Maximum call stack')) return 'host-stack';
  if (msg.includes('memory access out of bounds')) return 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS';
  if (msg.includes('by zero')) return 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO';
  if (msg.includes('divide result unrepresentable') || msg.includes('float unrepresentable')) return 'Dmir.Trap.INTEGER_OVERFLOW';
  return null;
};

export interface EngineInstance {
  readonly module: Module;
  /** The start function's outcome or an initialisation trap. */
  readonly startOutcome: EngineOutcome;
  invoke(name: string, args: readonly Val[], gas: bigint): { readonly outcome: EngineOutcome; readonly gasLeft: bigint };
  memory(): Uint8Array | null;
  /** The current global values in the dMIR representation. */
  globals(): Val[];
}


/** A JavaScript value passed to a host function, in the dMIR representation. */
const hostArg = (t: ValType, v: unknown): Val => {
  if (t === 'f32') { const b = new DataView(new ArrayBuffer(4)); b.setFloat32(0, v as number); return b.getUint32(0); }
  if (t === 'f64') { const b = new DataView(new ArrayBuffer(8)); b.setFloat64(0, v as number); return b.getBigUint64(0); }
  return fromBits(t, v);
};

// ---------------------------------------------------------------------------------------------
// Deployment: the instance state both tiers share.

interface Deployment {
  readonly shared: SharedState & { readonly memory: WasmMemory | null; readonly globals: Val[] };
  /** Host functions as the compiled code imports them (JavaScript values in and out). */
  readonly hostImports: readonly ((...a: unknown[]) => unknown)[];
  /** A trap of an element or data segment: the instance is unusable. */
  readonly initTrap: EngineOutcome | null;
}

/**
 * Resolves imports, creates memory and table of their minimum sizes, sets globals to their
 * initial values and writes element then data segments (DMIR-EXEC-INSTANTIATE.1).
 */
const deployState = (m: Module, host: EngineHost): Result<Deployment> => {
  const hosts: (HostFn | null)[] = [];
  const hostImports: ((...a: unknown[]) => unknown)[] = [];
  for (const f of m.funcs) {
    if (f.kind !== 'host') { hosts.push(null); continue; }
    const h = host(f.module, f.field);
    if (h === undefined) return { ok: false, error: { code: 'Dmir.Link.UNLINKED_IMPORT', message: `import ${f.module}.${f.field} is not provided by the host` } };
    hosts.push(h);
    hostImports.push((...a: unknown[]) => {
      const r = h(a.map((x, i) => hostArg(f.type.params[i]!, x)));
      if (!r.ok) throw { dmirTrap: hostErrorTrap(r.error.code) };
      // Several results go back to the compiled code as an array (the JS API's multi-value form).
      return f.type.results.length > 1 ? [...r.value] : r.value[0];
    });
  }
  const memoryMaxPages = m.memory === null ? 0 : Math.min(m.memory.max ?? 256, 256);
  const memory = m.memory === null ? null : new WA.Memory({ initial: m.memory.min, maximum: memoryMaxPages });
  const table: (number | null)[] | null = m.table === null ? null : new Array<number | null>(m.table.min).fill(null);
  let initTrap: EngineOutcome | null = null;
  for (const seg of m.elems) {
    if (table === null || seg.offset + seg.funcs.length > table.length) { initTrap = { kind: 'trap', code: 'Dmir.Trap.TABLE_OUT_OF_BOUNDS' }; break; }
    seg.funcs.forEach((fi, i) => { table[seg.offset + i] = fi; });
  }
  if (initTrap === null) {
    for (const seg of m.datas) {
      const mem = memory === null ? null : new Uint8Array(memory.buffer);
      if (mem === null || seg.offset + seg.bytes.length > mem.length) { initTrap = { kind: 'trap', code: 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS' }; break; }
      mem.set(seg.bytes, seg.offset);
    }
  }
  return {
    ok: true,
    value: { shared: { memory, memoryMaxPages, table, globals: m.globals.map((g) => g.init), hosts }, hostImports, initTrap },
  };
};

// ---------------------------------------------------------------------------------------------
// The compiled tier.

/**
 * Bit-exact access to a float global of a compiled instance: `WebAssembly.Global.value` turns an
 * f32 into a JavaScript number, which may change a NaN's payload, so a two-function module
 * imports the global and moves its bits through `reinterpret`.
 */
const floatGlobalAccess = (() => {
  const cache = new Map<'f32' | 'f64', CompiledModule>();
  const build = (t: 'f32' | 'f64'): CompiledModule => {
    const [vt, it, toInt, toFloat] = t === 'f32' ? [0x7d, 0x7f, 0xbc, 0xbe] : [0x7c, 0x7e, 0xbd, 0xbf];
    return new WA.Module(Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x09, 0x02, 0x60, 0x00, 0x01, it, 0x60, 0x01, it, 0x00, // types: () -> int, (int) -> ()
      0x02, 0x08, 0x01, 0x01, 0x67, 0x01, 0x78, 0x03, vt, 0x01, // import g.x: global (mut float)
      0x03, 0x03, 0x02, 0x00, 0x01, // two functions
      0x07, 0x0d, 0x02, 0x03, 0x67, 0x65, 0x74, 0x00, 0x00, 0x03, 0x73, 0x65, 0x74, 0x00, 0x01, // exports get, set
      0x0a, 0x0f, 0x02,
      0x05, 0x00, 0x23, 0x00, toInt, 0x0b, // get: global.get 0; reinterpret
      0x07, 0x00, 0x20, 0x00, toFloat, 0x24, 0x00, 0x0b, // set: local.get 0; reinterpret; global.set 0
    ]));
  };
  return (t: 'f32' | 'f64', g: WasmGlobal): { get: () => Val; set: (v: Val) => void } => {
    let mod = cache.get(t);
    if (mod === undefined) { mod = build(t); cache.set(t, mod); }
    const ex = new WA.Instance(mod, { g: { x: g } }).exports;
    const get = ex['get'] as () => number | bigint;
    const set = ex['set'] as (v: number | bigint) => void;
    return t === 'f32'
      ? { get: () => (get() as number) >>> 0, set: (v) => set((v as number) | 0) }
      : { get: () => BigInt.asUintN(64, get() as bigint), set: (v) => set(BigInt.asIntN(64, v as bigint)) };
  };
})();

interface NativeTier {
  invoke(name: string, args: readonly Val[], gas: bigint): { outcome: EngineOutcome; gasLeft: bigint };
  runStart(gas: bigint): EngineOutcome;
  readGlobal(i: number): Val;
  writeGlobal(i: number, v: Val): void;
}

/** Instantiates compiled code on the deployment's memory, table contents and host functions. */
const instantiateNative = (m: Module, d: Deployment, compiled: CompiledModule, budget: number): NativeTier => {
  // Calls entered deeper than DEEP_CALL_STACK_COST run on the interpreter (deep.ts).
  let deepState: DeepCallState | null = null;
  const deep = deepCallHandler(m, d.shared, budget, () => deepState!);
  const imports: Record<string, Record<string, unknown>> = {
    env: {
      trap: (n: number) => { throw { dmirTrap: TRAP_NUMBERS[n] }; },
      ...(d.shared.memory ? { memory: d.shared.memory } : {}),
      ...Object.fromEntries(deepImportNames(m).map((name) => [name, deep])),
    },
    host: Object.fromEntries(d.hostImports.map((h, i) => [String(i), h])),
  };
  const ex = new WA.Instance(compiled, imports).exports;
  const gasG = ex['gas'] as WasmGlobal;
  const readGas = (): bigint => BigInt.asUintN(64, gasG.value as bigint);
  const stackG = ex['stack'] as WasmGlobal;
  const globalAccess = m.globals.map((g, i) => {
    const wg = ex[`g${i}`] as WasmGlobal;
    if (g.type === 'f32' || g.type === 'f64') return floatGlobalAccess(g.type, wg);
    return { get: (): Val => wg.value, set: (v: Val) => { wg.value = v; } };
  });
  deepState = {
    gas: { get: () => readGas(), set: (v) => { gasG.value = BigInt.asIntN(64, v); } },
    globalsOut: () => globalAccess.forEach((g, i) => { d.shared.globals[i] = g.get(); }),
    globalsIn: () => globalAccess.forEach((g, i) => g.set(d.shared.globals[i]!)),
  };
  const resultTypes = new Map(m.exports.filter((e) => e.kind === 'func').map((e) => [e.name, m.funcs[e.index]!.type.results]));

  const call = (fn: () => unknown, gas: bigint, types: readonly ValType[]): { outcome: EngineOutcome; gasLeft: bigint } => {
    // A host function may invoke this instance again: the outer invocation's gas counter and
    // stack cost are put back when the inner one ends.
    const outerGas = gasG.value;
    const outerStack = stackG.value;
    gasG.value = BigInt.asIntN(64, gas);
    stackG.value = 0;
    try {
      const r = fn();
      const gasLeft = readGas();
      const raw = types.length === 1 ? [r] : types.length === 0 ? [] : [...(r as Iterable<unknown>)];
      return { outcome: { kind: 'return', values: raw.map((x, i) => fromBits(types[i]!, x)) }, gasLeft };
    } catch (e) {
      const code = trapOfError(e);
      if (code === null) throw e;
      if (code === 'host-stack') {
        // The host's own stack ran out before the stack-cost budget; the engine then reports the
        // harness-only STEP_LIMIT, never a consensus outcome.
        return { outcome: { kind: 'trap', code: 'Dmir.Trap.STEP_LIMIT' }, gasLeft: readGas() };
      }
      // Out of gas leaves no gas, whoever raised it (DMIR-GAS-USE.1).
      return { outcome: { kind: 'trap', code }, gasLeft: code === 'Dmir.Trap.OUT_OF_GAS' ? 0n : readGas() };
    } finally {
      gasG.value = outerGas;
      stackG.value = outerStack;
    }
  };
  return {
    invoke: (name, args, gas) => call(() => (ex[`f:${name}`] as (...a: unknown[]) => unknown)(...args), gas, resultTypes.get(name)!),
    runStart: (gas) => call(() => (ex['start'] as () => unknown)(), gas, []).outcome,
    readGlobal: (i) => globalAccess[i]!.get(),
    writeGlobal: (i, v) => globalAccess[i]!.set(v),
  };
};

/** The default stack-cost budget (DMIR-STACK-BUDGET.1). */
const STACK_BUDGET = 8 * 1024 * 1024;

/** The module compiled for a deployment, deep calls handed to the interpreter tier (DMIR-ENGINE-DEEP.1). */
const compileFor = (m: Module, d: Deployment, budget: number): ReturnType<typeof compileModule> =>
  compileModule(m, d.shared.table, budget, { deepCalls: { stackCost: DEEP_CALL_STACK_COST } });

const memoryCopy = (d: Deployment): Uint8Array | null => (d.shared.memory === null ? null : new Uint8Array(d.shared.memory.buffer).slice());

/**
 * Instantiates a module eagerly: memory, table and segments as DMIR-EXEC-INSTANTIATE.1, then
 * compiles the whole module at once and runs the start function and every call on compiled code.
 */
export const instantiateEngine = (m: Module, host: EngineHost, opts: { readonly gas: bigint; readonly stackBudget?: number }): Result<EngineInstance> => {
  const budget = opts.stackBudget ?? STACK_BUDGET;
  const dep = deployState(m, host);
  if (!dep.ok) return dep;
  const d = dep.value;
  const compiled = compileFor(m, d, budget);
  if ('unsupported' in compiled) return { ok: false, error: { code: 'Dmir.Engine.UNSUPPORTED', message: compiled.reason } };
  const native = instantiateNative(m, d, new WA.Module(compiled.bytes), budget);
  let startOutcome: EngineOutcome = d.initTrap ?? { kind: 'return', values: [] };
  if (startOutcome.kind === 'return' && m.start !== null) startOutcome = native.runStart(opts.gas);
  return {
    ok: true,
    value: {
      module: m,
      startOutcome,
      invoke: (name, args, gas) => native.invoke(name, args, gas),
      memory: () => memoryCopy(d),
      globals: () => m.globals.map((_, i) => native.readGlobal(i)),
    },
  };
};

// ---------------------------------------------------------------------------------------------
// The lazy engine.

/** What a background compilation delivers: compiled code, or why there is none. */
export type CompileResult = { readonly module: CompiledModule } | { readonly failed: string };

/**
 * Runs compilations. `start` must not call `done` before it returns; `done` is called once.
 * The emission step (dMIR to WebAssembly bytes) is part of the job, so deployment never waits
 * for it.
 */
export interface CompileDriver {
  start(emit: () => { readonly bytes: Uint8Array } | { readonly reason: string }, done: (r: CompileResult) => void): void;
}

/**
 * The production driver: emission on a later turn of the event loop, then `WebAssembly.compile`,
 * which compiles on the JavaScript engine's background threads.
 */
export const backgroundCompiler: CompileDriver = {
  start: (emit, done) => {
    setImmediate(() => {
      const e = emit();
      if (!('bytes' in e)) { done({ failed: e.reason }); return; }
      WA.compile(e.bytes).then((module) => done({ module }), (err: unknown) => done({ failed: String(err) }));
    });
  },
};

/** A driver whose jobs finish only when told to: compile timing under a test's control. */
export interface ManualCompiler extends CompileDriver {
  /** Jobs started and not yet finished. */
  pending(): number;
  /** Finishes the oldest job now (emission and a synchronous compile); false when none is pending. */
  finishNext(): boolean;
}

export const manualCompiler = (): ManualCompiler => {
  const jobs: (() => void)[] = [];
  return {
    start: (emit, done) => {
      jobs.push(() => {
        const e = emit();
        if (!('bytes' in e)) { done({ failed: e.reason }); return; }
        let module: CompiledModule;
        try { module = new WA.Module(e.bytes); } catch (err) { done({ failed: String(err) }); return; }
        done({ module });
      });
    },
    pending: () => jobs.length,
    finishNext: () => {
      const j = jobs.shift();
      if (j === undefined) return false;
      j();
      return true;
    },
  };
};

/**
 * The compile state of a deployed module (one state machine per module; see the chapter):
 * `compiling` (calls run on the interpreter), `ready` (compiled code exists; the next call
 * switches), `native` (calls run compiled code), `failed` (the compiler could not translate the
 * module; calls stay on the interpreter).
 */
export type CompileState = 'compiling' | 'ready' | 'native' | 'failed';

export interface LazyEngineInstance extends EngineInstance {
  /** The compile state now. */
  compileState(): CompileState;
  /** Top-level invocations run so far on each tier (the start function included). */
  tierCounts(): { readonly interpreter: number; readonly native: number };
  /** Why compilation failed, when it did. */
  failure(): string | null;
}

export interface LazyOptions {
  readonly gas: bigint;
  readonly stackBudget?: number;
  /** Who compiles, and when compilation finishes; `backgroundCompiler` by default. */
  readonly compiler?: CompileDriver;
  /** A harness bound on executed blocks for the interpreter tier (STEP_LIMIT). */
  readonly maxSteps?: number;
}

/**
 * Deploys a verified module lazily: the instance state is set up and every function translated
 * for the interpreter, the start function runs on the interpreter, and the whole module is handed
 * to the compile driver. Calls run on the interpreter until compiled code exists; the first call
 * after that switches the instance to compiled code, for good.
 *
 * @spec DMIR-ENGINE-LAZY.1 DMIR-ENGINE-SWITCH.1 DMIR-ENGINE-STATE.1
 */
export const deployEngine = (m: Module, host: EngineHost, opts: LazyOptions): Result<LazyEngineInstance> => {
  const budget = opts.stackBudget ?? STACK_BUDGET;
  const dep = deployState(m, host);
  if (!dep.ok) return dep;
  const d = dep.value;
  let interp: Interpreter;
  try {
    interp = createInterpreter(m, d.shared, budget);
  } catch (e) {
    return { ok: false, error: { code: 'Dmir.Engine.UNSUPPORTED', message: e instanceof Error ? e.message : String(e) } };
  }
  const exportIndex = new Map(m.exports.filter((e) => e.kind === 'func').map((e) => [e.name, e.index]));
  let state: CompileState = 'compiling';
  let compiled: CompiledModule | null = null;
  let native: NativeTier | null = null;
  let failure: string | null = null;
  const counts = { interpreter: 0, native: 0 };
  /** Invocations running now (more than one when a host function re-enters the instance). */
  let active = 0;

  let startOutcome: EngineOutcome = d.initTrap ?? { kind: 'return', values: [] };
  if (startOutcome.kind === 'return' && m.start !== null) {
    counts.interpreter++;
    startOutcome = interp.invoke(m.start, [], opts.gas, opts.maxSteps).outcome;
  }
  if (startOutcome.kind === 'trap') {
    // An instance whose initialisation trapped is unusable; nothing is compiled for it.
    state = 'failed';
    failure = 'instantiation trapped';
  } else {
    (opts.compiler ?? backgroundCompiler).start(
      () => {
        const r = compileFor(m, d, budget);
        return 'unsupported' in r ? { reason: r.reason } : { bytes: r.bytes };
      },
      (r) => {
        if ('module' in r) { compiled = r.module; state = 'ready'; } else { failure = r.failed; state = 'failed'; }
      },
    );
  }

  /**
   * The switch: instantiate compiled code on the shared memory and table and hand the globals
   * over. It runs only at the start of a top-level invocation, never inside one.
   */
  const switchToNative = (): void => {
    try {
      const n = instantiateNative(m, d, compiled!, budget);
      d.shared.globals.forEach((v, i) => n.writeGlobal(i, v));
      native = n;
      state = 'native';
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
      state = 'failed';
    }
    compiled = null;
  };

  return {
    ok: true,
    value: {
      module: m,
      startOutcome,
      invoke: (name, args, gas) => {
        // Only a top-level invocation switches: one made by a host function during another
        // invocation runs on the tier that owns the globals now.
        if (state === 'ready' && active === 0) switchToNative();
        active++;
        try {
          if (native !== null) {
            counts.native++;
            return native.invoke(name, args, gas);
          }
          counts.interpreter++;
          return interp.invoke(exportIndex.get(name)!, args, gas, opts.maxSteps);
        } finally {
          active--;
        }
      },
      memory: () => memoryCopy(d),
      globals: () => (native === null ? [...d.shared.globals] : m.globals.map((_, i) => native!.readGlobal(i))),
      compileState: () => state,
      tierCounts: () => ({ ...counts }),
      failure: () => failure,
    },
  };
};
