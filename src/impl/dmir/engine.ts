/**
 * The compiled dMIR engine: instantiates a verified dMIR module on Node's WebAssembly engine via
 * `compile.ts`. Instance state (memory, globals, gas, stack cost) lives in WebAssembly objects and
 * is mutated in place; every observable result follows the dMIR chapter exactly.
 */
import type { Module, TrapCode, Val, ValType } from '../../model/dmir/ir.js';
import type { Result } from '../../model/encoding/result.js';
import { compileModule, TRAP_NUMBERS } from './compile.js';

export type EngineOutcome =
  | { readonly kind: 'return'; readonly values: readonly Val[] }
  | { readonly kind: 'trap'; readonly code: TrapCode };

export type EngineHost = (module: string, field: string) => ((args: readonly Val[]) => Result<readonly Val[]>) | undefined;

interface NodeWasm {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  readonly Memory: new (d: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
}
const WA = (globalThis as unknown as { readonly WebAssembly: NodeWasm }).WebAssembly;

interface WasmGlobal { value: number | bigint }

/** A trap thrown by compiled code through `env.trap`. */
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
}

/** A value from a compiled export (floats arrive as integer bit patterns) in the dMIR representation. */
const toBits = (t: ValType, v: number | bigint): Val =>
  t === 'i32' ? (v as number) | 0 : t === 'i64' ? BigInt.asIntN(64, v as bigint) : t === 'f32' ? (v as number) >>> 0 : BigInt.asUintN(64, v as bigint);

/** A JavaScript value passed to a host function, in the dMIR representation. */
const hostArg = (t: ValType, v: unknown): Val => {
  if (t === 'f32') { const b = new DataView(new ArrayBuffer(4)); b.setFloat32(0, v as number); return b.getUint32(0); }
  if (t === 'f64') { const b = new DataView(new ArrayBuffer(8)); b.setFloat64(0, v as number); return b.getBigUint64(0); }
  return toBits(t, v as number | bigint);
};

/**
 * Instantiates a module: memory, table and segments as DMIR-EXEC-INSTANTIATE.1, then compiles
 * the whole module and runs the start function on compiled code.
 */
export const instantiateEngine = (m: Module, host: EngineHost, opts: { readonly gas: bigint; readonly stackBudget?: number }): Result<EngineInstance> => {
  const budget = opts.stackBudget ?? 8 * 1024 * 1024;
  const hostFns: ((...a: unknown[]) => unknown)[] = [];
  for (const f of m.funcs) {
    if (f.kind !== 'host') continue;
    const h = host(f.module, f.field);
    if (h === undefined) return { ok: false, error: { code: 'Dmir.Link.UNLINKED_IMPORT', message: `import ${f.module}.${f.field} is not provided by the host` } };
    hostFns.push((...a: unknown[]) => {
      const r = h(a.map((x, i) => hostArg(f.type.params[i]!, x)));
      if (!r.ok) throw { dmirTrap: TRAP_NUMBERS.includes(r.error.code as TrapCode) ? r.error.code : 'Dmir.Trap.HOST_ERROR' };
      // Several results go back to the compiled code as an array (the JS API's multi-value form).
      return f.type.results.length > 1 ? [...r.value] : r.value[0];
    });
  }
  const maxPages = m.memory === null ? 0 : Math.min(m.memory.max ?? 256, 256);
  const memory = m.memory === null ? null : new WA.Memory({ initial: m.memory.min, maximum: maxPages });
  const table: (number | null)[] | null = m.table === null ? null : new Array<number | null>(m.table.min).fill(null);
  let startOutcome: EngineOutcome = { kind: 'return', values: [] };
  for (const seg of m.elems) {
    if (table === null || seg.offset + seg.funcs.length > table.length) { startOutcome = { kind: 'trap', code: 'Dmir.Trap.TABLE_OUT_OF_BOUNDS' }; break; }
    seg.funcs.forEach((fi, i) => { table[seg.offset + i] = fi; });
  }
  if (startOutcome.kind === 'return') {
    for (const seg of m.datas) {
      const mem = memory === null ? null : new Uint8Array(memory.buffer);
      if (mem === null || seg.offset + seg.bytes.length > mem.length) { startOutcome = { kind: 'trap', code: 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS' }; break; }
      mem.set(seg.bytes, seg.offset);
    }
  }
  const compiled = compileModule(m, table, budget);
  if ('unsupported' in compiled) return { ok: false, error: { code: 'Dmir.Engine.UNSUPPORTED', message: compiled.reason } };
  const imports: Record<string, Record<string, unknown>> = {
    env: { trap: (n: number) => { throw { dmirTrap: TRAP_NUMBERS[n] }; }, ...(memory ? { memory } : {}) },
    host: Object.fromEntries(hostFns.map((h, i) => [String(i), h])),
  };
  const inst = new WA.Instance(new WA.Module(compiled.bytes), imports);
  const ex = inst.exports;
  const gasG = ex['gas'] as WasmGlobal;
  const stackG = ex['stack'] as WasmGlobal;

  const call = (fn: () => unknown, gas: bigint, resultTypes: readonly ValType[]): { outcome: EngineOutcome; gasLeft: bigint } => {
    gasG.value = BigInt.asIntN(64, gas);
    stackG.value = 0;
    try {
      const r = fn();
      const gasLeft = BigInt.asUintN(64, gasG.value as bigint);
            const raw = resultTypes.length === 1 ? [r] : resultTypes.length === 0 ? [] : [...(r as Iterable<unknown>)];
      return { outcome: { kind: 'return', values: raw.map((x, i) => toBits(resultTypes[i]!, x as number | bigint)) }, gasLeft };
    } catch (e) {
      const code = trapOfError(e);
      if (code === null) throw e;
      if (code === 'host-stack') {
        // The host's own stack ran out before the stack-cost budget; the engine then reports the
        // harness-only STEP_LIMIT, never a consensus outcome (an interpreter fallback removes it).
        return { outcome: { kind: 'trap', code: 'Dmir.Trap.STEP_LIMIT' }, gasLeft: BigInt.asUintN(64, gasG.value as bigint) };
      }
      return { outcome: { kind: 'trap', code }, gasLeft: BigInt.asUintN(64, gasG.value as bigint) };
    }
  };

  if (startOutcome.kind === 'return' && m.start !== null) {
    startOutcome = call(() => (ex['start'] as () => unknown)(), opts.gas, []).outcome;
  }

  return {
    ok: true,
    value: {
      module: m,
      startOutcome,
      invoke: (name, args, gas) => {
        const e = m.exports.find((x) => x.kind === 'func' && x.name === name)!;
        const t = m.funcs[e.index]!.type;
        return call(() => (ex[`f:${name}`] as (...a: unknown[]) => unknown)(...args), gas, t.results);
      },
      memory: () => (memory === null ? null : new Uint8Array(memory.buffer).slice()),
    },
  };
};
