/**
 * dMIR benchmarks: integer kernels on Node's WebAssembly directly (the peer) against the compiled
 * dMIR engine, and the engine against the reference interpreter.
 */
import { encodeModule } from '../src/model/dmir/wasm/encode.js';
import { instantiateWasm, invokeExport, loadWasm } from '../src/model/dmir/wasm/index.js';
import { parseModuleFields } from '../src/conformance/wast/wat.js';
import { parseSExprs } from '../src/conformance/wast/sexpr.js';
import { deployEngine, instantiateEngine, type CompileDriver } from '../src/impl/dmir/engine.js';
import { compileModule } from '../src/impl/dmir/compile.js';
import { deployWasm, loadWasmBytes } from '../src/impl/dmir/wasm-lower.js';
import type { Module } from '../src/model/dmir/ir.js';
import type { Comparison } from './harness.js';

interface NodeWasm {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { readonly WebAssembly: NodeWasm }).WebAssembly;

const KERNELS: readonly { name: string; src: string; fn: string; arg: number; interpArg: number }[] = [
  {
    name: 'recursive fib', fn: 'fib', arg: 20, interpArg: 12,
    src: `(func $fib (export "fib") (param i32) (result i32)
      (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
        (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2)))))))`,
  },
  {
    name: 'arithmetic loop', fn: 'arith', arg: 20000, interpArg: 2000,
    src: `(func (export "arith") (param i32) (result i32) (local i32 i32)
      (block (loop (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 31)) (i32.xor (local.get 1) (i32.shr_u (local.get 2) (i32.const 3)))))
        (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br 0)))
      (local.get 2))`,
  },
  {
    name: 'hash-like mixing (i64)', fn: 'mix', arg: 20000, interpArg: 2000,
    src: `(func (export "mix") (param i32) (result i64) (local i64)
      (local.set 1 (i64.const 0x9e3779b97f4a7c15))
      (block (loop (br_if 1 (i32.eqz (local.get 0)))
        (local.set 1 (i64.xor (local.get 1) (i64.shr_u (local.get 1) (i64.const 33))))
        (local.set 1 (i64.mul (local.get 1) (i64.const 0xff51afd7ed558ccd)))
        (local.set 1 (i64.rotl (local.get 1) (i64.extend_i32_u (local.get 0))))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
      (local.get 1))`,
  },
  {
    name: 'memory insertion sort', fn: 'sort', arg: 300, interpArg: 60,
    src: `(memory 1)
      (func (export "sort") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $v i32)
        ;; fill with a descending sequence, then insertion-sort it
        (local.set $i (i32.const 0))
        (block (loop (br_if 1 (i32.ge_u (local.get $i) (local.get $n)))
          (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.sub (local.get $n) (local.get $i)))
          (local.set $i (i32.add (local.get $i) (i32.const 1))) (br 0)))
        (local.set $i (i32.const 1))
        (block (loop (br_if 1 (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $v (i32.load (i32.shl (local.get $i) (i32.const 2))))
          (local.set $j (local.get $i))
          (block (loop
            (br_if 1 (i32.eqz (local.get $j)))
            (br_if 1 (i32.le_s (i32.load (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2))) (local.get $v)))
            (i32.store (i32.shl (local.get $j) (i32.const 2)) (i32.load (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2))))
            (local.set $j (i32.sub (local.get $j) (i32.const 1))) (br 0)))
          (i32.store (i32.shl (local.get $j) (i32.const 2)) (local.get $v))
          (local.set $i (i32.add (local.get $i) (i32.const 1))) (br 0)))
        (i32.load (i32.const 0)))`,
  },
];

const kernelComparisons = (): readonly Comparison[] =>
  KERNELS.flatMap((k) => {
    const bytes = encodeModule(parseModuleFields(parseSExprs(k.src)));
    const loaded = loadWasm(bytes);
    if (!loaded.ok) throw new Error(`${k.name}: ${loaded.error.message}`);
    const engine = instantiateEngine(loaded.value, () => undefined, { gas: 0n });
    if (!engine.ok) throw new Error(`${k.name}: ${engine.error.message}`);
    const native = new WA.Instance(new WA.Module(bytes)).exports[k.fn] as (n: number) => unknown;
    const model = instantiateWasm(loaded.value, () => undefined, { gas: 0n });
    if (!model.ok) throw new Error(k.name);
    const inst = model.value.instance;
    const e = engine.value;
    return [
      {
        name: `${k.name} (n=${k.arg}): compiled engine vs Node WebAssembly`, unit: `${k.fn}(${k.arg})`,
        ours: { name: 'dMIR compiled engine', run: () => e.invoke(k.fn, [k.arg], 0n) },
        peer: { name: 'Node WebAssembly', run: () => native(k.arg) },
      },
      {
        name: `${k.name} (n=${k.interpArg}): compiled engine vs reference interpreter`, unit: `${k.fn}(${k.interpArg})`,
        ours: { name: 'dMIR compiled engine', run: () => e.invoke(k.fn, [k.interpArg], 0n) },
        peer: { name: 'dMIR reference interpreter', run: () => invokeExport(inst, k.fn, [k.interpArg], { gas: 0n }) },
      },
    ];
  });

// ---------------------------------------------------------------------------------------------
// Deployment latency and compile throughput of the lazy engine.

/** First-call arguments: small enough that the call measures latency rather than throughput. */
const FIRST_CALL_ARG: Readonly<Record<string, number>> = { fib: 10, arith: 100, mix: 100, sort: 20 };

/**
 * A copy of a module made unique by a custom section holding a counter. Node caches compiled
 * modules by their bytes, so compiling the same bytes twice would measure a cache hit, not a
 * compilation; a chain deploys a new contract each time.
 */
let deployments = 0;
const unique = (bytes: Uint8Array): Uint8Array => {
  const tag = new Uint8Array(8);
  new DataView(tag.buffer).setBigUint64(0, BigInt(++deployments), true);
  return Uint8Array.from([...bytes, 0x00, 10, 1, 0x6e, ...tag]);
};
/** A module made unique for the same reason: an unused constant global holding a counter changes the emitted code. */
const uniqueModule = (m: Module): Module => ({ ...m, globals: [...m.globals, { type: 'i64', mutable: false, init: BigInt(++deployments) }] });

/** A compile driver that never finishes: the first call is measured on the interpreter tier. */
const NEVER: CompileDriver = { start: () => undefined };

/** The engine's load path from bytes: its own reader, validation, lowering and verifier. */
const load = (bytes: Uint8Array): Module => {
  const m = loadWasmBytes(bytes);
  if (!m.ok) throw new Error(m.error.message);
  return m.value;
};

/**
 * Deploy and first call: decode, validate, lower, verify, set up the instance and call once on
 * the interpreter (compilation left to the background), against Node's `new WebAssembly.Module`,
 * `new WebAssembly.Instance` and a first call; and against the eager engine, which compiles the
 * module before its first call.
 */
const firstCallComparisons = (): readonly Comparison[] =>
  KERNELS.flatMap((k) => {
    const bytes = encodeModule(parseModuleFields(parseSExprs(k.src)));
    const arg = FIRST_CALL_ARG[k.fn]!;
    const lazy = (): unknown => {
      const e = deployWasm(unique(bytes), () => undefined, { gas: 0n, compiler: NEVER });
      if (!e.ok) throw new Error(e.error.message);
      return e.value.invoke(k.fn, [arg], 0n);
    };
    return [
      {
        name: `first call after deployment, ${k.name}: lazy engine vs Node WebAssembly`, unit: `deploy + ${k.fn}(${arg})`,
        ours: { name: 'dMIR lazy engine (interpreter tier)', run: lazy },
        peer: { name: 'Node WebAssembly', run: () => (new WA.Instance(new WA.Module(unique(bytes))).exports[k.fn] as (n: number) => unknown)(arg) },
      },
      {
        name: `first call after deployment, ${k.name}: lazy engine vs eager compiled engine`, unit: `deploy + ${k.fn}(${arg})`,
        ours: { name: 'dMIR lazy engine (interpreter tier)', run: lazy },
        peer: {
          name: 'dMIR eager compiled engine',
          run: () => {
            const e = instantiateEngine(uniqueModule(load(unique(bytes))), () => undefined, { gas: 0n });
            if (!e.ok) throw new Error(e.error.message);
            return e.value.invoke(k.fn, [arg], 0n);
          },
        },
      },
    ];
  });

/** Copies of every kernel in one module: a compile job of several dozen functions. */
const COPIES = 16;
const manyFunctions = (): string =>
  `(memory 1) ${Array.from({ length: COPIES }, (_, i) => KERNELS.map((k) => k.src
    .replace('(memory 1)', '')
    .replaceAll('$fib', `$fib_${i}`)
    .replace(/\(export "([a-z]+)"\)/, `(export "$1_${i}")`)).join('\n')).join('\n')}`;

/**
 * Compile throughput (functions per second = functions / time per unit): emitting WebAssembly
 * from dMIR and compiling it with `new WebAssembly.Module`, against Node compiling the original
 * WebAssembly module of the same functions. Both sides compile bytes never seen before; Node's
 * default compilation strategy applies to both alike.
 */
const compileComparisons = (): readonly Comparison[] => {
  const bytes = encodeModule(parseModuleFields(parseSExprs(manyFunctions())));
  const m = load(bytes);
  const n = m.funcs.length;
  return [{
    name: `compile throughput: ${n} functions, dMIR to native vs Node compiling the WebAssembly`, unit: `compile ${n} functions`,
    ours: {
      name: 'dMIR compiler + WebAssembly.Module',
      run: () => {
        const c = compileModule(uniqueModule(m), null, 8 * 1024 * 1024);
        if ('unsupported' in c) throw new Error(c.reason);
        return new WA.Module(c.bytes);
      },
    },
    peer: { name: 'Node WebAssembly.Module', run: () => new WA.Module(unique(bytes)) },
  }];
};

/** The engine's interpreter tier (the first calls after deployment) against the reference interpreter on the kernels. */
const interpreterTierComparisons = (): readonly Comparison[] =>
  KERNELS.map((k) => {
    const m = load(encodeModule(parseModuleFields(parseSExprs(k.src))));
    const e = deployEngine(m, () => undefined, { gas: 0n, compiler: NEVER });
    if (!e.ok) throw new Error(e.error.message);
    const model = instantiateWasm(m, () => undefined, { gas: 0n });
    if (!model.ok) throw new Error(model.error.message);
    const inst = model.value.instance;
    return {
      name: `${k.name} (n=${k.interpArg}): engine interpreter tier vs reference interpreter`, unit: `${k.fn}(${k.interpArg})`,
      ours: { name: 'dMIR engine interpreter tier', run: () => e.value.invoke(k.fn, [k.interpArg], 0n) },
      peer: { name: 'dMIR reference interpreter', run: () => invokeExport(inst, k.fn, [k.interpArg], { gas: 0n }) },
    };
  });

/** Loading bytes to verified dMIR: the engine's single-pass path against the model's decode, validate, lower and verify. */
const loadComparisons = (): readonly Comparison[] => {
  const bytes = encodeModule(parseModuleFields(parseSExprs(manyFunctions())));
  return [{
    name: 'load (decode, validate, lower, verify): engine path vs model path', unit: `load ${load(bytes).funcs.length} functions`,
    ours: { name: 'dMIR engine load path', run: () => loadWasmBytes(bytes) },
    peer: { name: 'dMIR model load path', run: () => loadWasm(bytes) },
  }];
};

export const dmirComparisons = (): readonly Comparison[] => [
  ...kernelComparisons(), ...interpreterTierComparisons(), ...firstCallComparisons(), ...loadComparisons(), ...compileComparisons(),
];
