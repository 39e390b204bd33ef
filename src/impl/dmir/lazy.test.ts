/**
 * The lazy engine: deployment runs calls on the interpreter tier, background compilation
 * switches the instance to compiled code at the next call, and every result is the reference
 * interpreter's whatever the compile state (DMIR-EXEC-MODE.1). Compile timing is under the
 * test's control through a manual compile driver.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deployEngine, manualCompiler, type LazyEngineInstance } from './engine.js';
import { instantiateWasm, invokeExport, loadWasm } from '../../model/dmir/wasm/index.js';
import { encodeModule } from '../../model/dmir/wasm/encode.js';
import { parseModuleFields } from '../../conformance/wast/wat.js';
import { parseSExprs } from '../../conformance/wast/sexpr.js';
import { wasmModule } from '../../conformance/wast/gen.js';
import type { Module, Val } from '../../model/dmir/ir.js';
import type { Instance } from '../../model/dmir/interp.js';

const INTERP_RUNS = Number(process.env['DMIR_INTERP_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 20_000 : 1_000));
const LAZY_RUNS = Number(process.env['DMIR_LAZY_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 5_000 : 400));
const BUDGET = 1 << 16;

const wat = (src: string): Module => {
  const r = loadWasm(encodeModule(parseModuleFields(parseSExprs(src))));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

const deploy = (m: Module, gas: bigint, budget?: number) => {
  const compiler = manualCompiler();
  const r = deployEngine(m, () => undefined, { gas, compiler, ...(budget === undefined ? {} : { stackBudget: budget }) });
  if (!r.ok) throw new Error(r.error.message);
  return { engine: r.value, compiler };
};

/** The state a call leaves behind, in one comparable value. */
const observed = (o: { outcome: unknown; gasLeft: bigint }, memory: Uint8Array | null, globals: readonly Val[]) => ({
  outcome: o.outcome, gasLeft: o.gasLeft, memory: memory === null ? null : Buffer.from(memory).toString('hex'), globals,
});
const ofEngine = (e: LazyEngineInstance, o: { outcome: unknown; gasLeft: bigint }) => observed(o, e.memory(), e.globals());
const ofModel = (inst: Instance, o: { outcome: unknown; gasLeft: bigint }) => observed(o, inst.memory, inst.globals);

describe('lazy dMIR engine', () => {
  // @spec DMIR-ENGINE-SWITCH.1 DMIR-ENGINE-STATE.1 DMIR-ENGINE-EQUIV.1 DMIR-EXEC-MODE.1
  it('runs a call on the interpreter before compilation ends and on compiled code after, with identical results (DMIR-ENGINE-SWITCH.1 DMIR-ENGINE-EQUIV.1)', () => {
    const m = wat(`(memory 1) (global $acc (mut i64) (i64.const 5)) (global $f (mut f64) (f64.const 0))
      (func $gas (export "__instrumented_use_gas") (param i64) (unreachable))
      (func (export "work") (param i32) (result i64) (local i32)
        (block (loop (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
          (call $gas (i64.const 3))
          (i32.store (i32.shl (local.get 1) (i32.const 2)) (i32.mul (local.get 1) (local.get 1)))
          (global.set $acc (i64.add (global.get $acc) (i64.extend_i32_u (local.get 1))))
          (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br 0)))
        (global.set $f (f64.div (f64.convert_i64_s (global.get $acc)) (f64.const 0)))
        (global.get $acc))`);
    // Two deployments of the same module: one for each tier, so both calls start from one state.
    const early = deploy(m, 0n);
    const late = deploy(m, 0n);
    expect(early.engine.compileState()).toBe('compiling');
    expect(early.compiler.pending()).toBe(1);

    const first = ofEngine(early.engine, early.engine.invoke('work', [50], 1000n));
    expect(early.engine.tierCounts()).toEqual({ interpreter: 1, native: 0 });

    expect(late.compiler.finishNext()).toBe(true);
    expect(late.engine.compileState()).toBe('ready');
    const second = ofEngine(late.engine, late.engine.invoke('work', [50], 1000n));
    expect(late.engine.compileState()).toBe('native');
    expect(late.engine.tierCounts()).toEqual({ interpreter: 0, native: 1 });

    // Both equal each other and the reference interpreter: value, gas left, memory and globals.
    const model = instantiateWasm(m, () => undefined, { gas: 0n });
    if (!model.ok) throw new Error(model.error.message);
    const want = invokeExport(model.value.instance, 'work', [50], { gas: 1000n });
    if (!want.ok) throw new Error(want.error.message);
    expect(first).toEqual(ofModel(want.value.instance, want.value));
    expect(second).toEqual(first);
    expect(first.gasLeft).toBe(850n);
    expect(first.globals).toEqual([5n + 1225n, 0x7ff0000000000000n]);
  });

  // @spec DMIR-ENGINE-SWITCH.1 DMIR-ENGINE-STATE.1 DMIR-ENGINE-SHARED.1
  it('switches one instance between calls and keeps its memory and globals across the switch (DMIR-ENGINE-SWITCH.1)', () => {
    const m = wat(`(memory 1) (global $n (mut i32) (i32.const 0)) (global $x (mut f32) (f32.const 0))
      (func (export "bump") (param f32) (result i32)
        (global.set $x (local.get 0))
        (i32.store (i32.mul (global.get $n) (i32.const 4)) (i32.add (global.get $n) (i32.const 100)))
        (global.set $n (i32.add (global.get $n) (i32.const 1)))
        (global.get $n))`);
    const { engine, compiler } = deploy(m, 0n);
    // A signalling NaN payload in an f32 global must survive the hand-over bit for bit.
    expect(engine.invoke('bump', [0x7fa00001], 0n).outcome).toEqual({ kind: 'return', values: [1] });
    expect(engine.invoke('bump', [0x7fa00002], 0n).outcome).toEqual({ kind: 'return', values: [2] });
    compiler.finishNext();
    expect(engine.globals()).toEqual([2, 0x7fa00002]);
    expect(engine.invoke('bump', [0x3f800000], 0n).outcome).toEqual({ kind: 'return', values: [3] });
    expect(engine.compileState()).toBe('native');
    expect(engine.tierCounts()).toEqual({ interpreter: 2, native: 1 });
    expect(engine.globals()).toEqual([3, 0x3f800000]);
    expect([...new Uint32Array(engine.memory()!.buffer, 0, 4)]).toEqual([100, 101, 102, 0]);
  });

  // @spec DMIR-EXEC-HOST.1 DMIR-ENGINE-SHARED.1 DMIR-ENGINE-EQUIV.1
  it('calls host functions alike on both tiers, host traps included (DMIR-ENGINE-SHARED.1)', () => {
    const m = wat(`(import "env" "mix" (func $mix (param i64 i32) (result i64)))
      (func (export "f") (param i64 i32) (result i64) (call $mix (local.get 0) (i32.add (local.get 1) (i32.const 1))))`);
    const seen: (readonly Val[])[] = [];
    const host = (mod: string, field: string) => (mod === 'env' && field === 'mix'
      ? (args: readonly Val[]) => {
        seen.push(args);
        const [a, b] = args as [bigint, number];
        return b === 0
          ? { ok: false as const, error: { code: 'Dmir.Trap.OUT_OF_GAS', message: 'host ran out of gas' } }
          : b === 1 ? { ok: false as const, error: { code: 'Host.Failed', message: 'any other failure' } }
            : { ok: true as const, value: [a * BigInt(b)] };
      }
      : undefined);
    const compiler = manualCompiler();
    const r = deployEngine(m, host, { gas: 0n, compiler });
    if (!r.ok) throw new Error(r.error.message);
    const e = r.value;
    const calls: [bigint, number][] = [[-3n, 4], [5n, -1], [7n, 0]];
    const interp = calls.map(([a, b]) => e.invoke('f', [a, b], 100n));
    compiler.finishNext();
    const native = calls.map(([a, b]) => e.invoke('f', [a, b], 100n));
    expect(e.tierCounts()).toEqual({ interpreter: 3, native: 3 });
    expect(native).toEqual(interp);
    expect(interp).toEqual([
      { outcome: { kind: 'return', values: [-15n] }, gasLeft: 100n },
      { outcome: { kind: 'trap', code: 'Dmir.Trap.OUT_OF_GAS' }, gasLeft: 0n },
      { outcome: { kind: 'trap', code: 'Dmir.Trap.HOST_ERROR' }, gasLeft: 100n },
    ]);
    expect(seen.slice(0, 3)).toEqual(seen.slice(3));
  });

  // @spec DMIR-ENGINE-SWITCH.1 DMIR-ENGINE-SHARED.1 DMIR-GAS-USE.1
  it('a host function may re-enter the instance: the inner call has its own gas and never switches tiers mid-invocation (DMIR-ENGINE-SWITCH.1)', () => {
    // outer: charge 5, store 1 at 0, call the host (which invokes inner), charge 7, return the
    // word at 0; inner: charge 100 from its own gas, add 10 to the word at 0.
    const m = wat(`(import "env" "reenter" (func $re)) (memory 1)
      (func $gas (export "__instrumented_use_gas") (param i64) (unreachable))
      (func (export "outer") (result i32)
        (call $gas (i64.const 5)) (i32.store (i32.const 0) (i32.const 1)) (call $re) (call $gas (i64.const 7)) (i32.load (i32.const 0)))
      (func (export "inner") (call $gas (i64.const 100)) (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 10))))`);
    const compiler = manualCompiler();
    let engine: LazyEngineInstance | null = null;
    const innerResults: unknown[] = [];
    const host = (mod: string, field: string) => (mod === 'env' && field === 'reenter'
      ? () => {
        // Compilation finishes while the outer invocation runs: the inner call must stay on the
        // outer call's tier, and the switch waits for the next top-level call.
        compiler.finishNext();
        innerResults.push(engine!.invoke('inner', [], 1000n));
        return { ok: true as const, value: [] };
      }
      : undefined);
    const r = deployEngine(m, host, { gas: 0n, compiler });
    if (!r.ok) throw new Error(r.error.message);
    engine = r.value;
    expect(engine.invoke('outer', [], 50n)).toEqual({ outcome: { kind: 'return', values: [11] }, gasLeft: 38n });
    expect(innerResults).toEqual([{ outcome: { kind: 'return', values: [] }, gasLeft: 900n }]);
    expect(engine.tierCounts()).toEqual({ interpreter: 2, native: 0 });
    expect(engine.compileState()).toBe('ready');
    // The next top-level call switches, and re-entry on compiled code behaves the same.
    expect(engine.invoke('outer', [], 50n)).toEqual({ outcome: { kind: 'return', values: [11] }, gasLeft: 38n });
    expect(innerResults[1]).toEqual({ outcome: { kind: 'return', values: [] }, gasLeft: 900n });
    expect(engine.tierCounts()).toEqual({ interpreter: 2, native: 2 });
  });

  // @spec DMIR-ENGINE-FAIL.1
  it('stays on the interpreter when the compiler cannot translate a module (DMIR-ENGINE-FAIL.1)', () => {
    const m = wat(`(func (export "f") (result i32) (i32.const 7))`);
    // A driver that reports every job as failed stands for a compiler error.
    const r = deployEngine(m, () => undefined, { gas: 0n, compiler: { start: (_emit, done) => queueMicrotask(() => done({ failed: 'no compiler' })) } });
    if (!r.ok) throw new Error(r.error.message);
    return Promise.resolve().then(() => {
      expect(r.value.compileState()).toBe('failed');
      expect(r.value.invoke('f', [], 0n).outcome).toEqual({ kind: 'return', values: [7] });
      expect(r.value.tierCounts()).toEqual({ interpreter: 1, native: 0 });
    });
  });

  // @spec DMIR-ENGINE-LAZY.1
  it('compiles in the background with the default driver and switches after WebAssembly.compile resolves (DMIR-ENGINE-LAZY.1)', async () => {
    const m = wat(`(func $fib (export "fib") (param i32) (result i32)
      (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
        (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2)))))))`);
    const r = deployEngine(m, () => undefined, { gas: 0n });
    if (!r.ok) throw new Error(r.error.message);
    const e = r.value;
    expect(e.invoke('fib', [15], 0n).outcome).toEqual({ kind: 'return', values: [610] });
    for (let i = 0; i < 200 && e.compileState() === 'compiling'; i++) await new Promise((res) => setTimeout(res, 5));
    expect(e.compileState()).toBe('ready');
    expect(e.invoke('fib', [15], 0n).outcome).toEqual({ kind: 'return', values: [610] });
    expect(e.tierCounts()).toEqual({ interpreter: 1, native: 1 });
  });

  // @spec DMIR-STACK-COST.1 DMIR-STACK-BUDGET.1 DMIR-ENGINE-INTERP.1
  it('the interpreter tier reaches the full 8 MiB stack budget without using the host stack (DMIR-ENGINE-INTERP.1)', () => {
    const m = wat(`(memory 1) (func $r (export "r") (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1))) (call $r))`);
    const { engine } = deploy(m, 0n);
    expect(engine.invoke('r', [], 0n).outcome).toEqual({ kind: 'trap', code: 'Dmir.Trap.CALL_STACK_EXHAUSTED' });
    const model = instantiateWasm(m, () => undefined, { gas: 0n });
    if (!model.ok) throw new Error(model.error.message);
    const want = invokeExport(model.value.instance, 'r', [], { gas: 0n });
    if (!want.ok) throw new Error(want.error.message);
    const depth = new DataView(engine.memory()!.buffer).getInt32(0, true);
    expect(depth).toBe(new DataView(want.value.instance.memory!.buffer).getInt32(0, true));
    expect(depth).toBeGreaterThan(50_000);
  });

  // @spec DMIR-ENGINE-INTERP.1 DMIR-EXEC-MODE.1 DMIR-DET-NAN.1
  it(`the interpreter tier agrees exactly with the reference interpreter on ${INTERP_RUNS} generated modules (DMIR-ENGINE-INTERP.1)`, () => {
    fc.assert(
      fc.property(wasmModule(), ({ module, calls }) => {
        const loaded = loadWasm(encodeModule(module));
        if (!loaded.ok) throw new Error(loaded.error.message);
        const m = loaded.value;
        const model = instantiateWasm(m, () => undefined, { gas: 0n, stackBudget: BUDGET });
        if (!model.ok) throw new Error(model.error.message);
        const { engine } = deploy(m, 0n, BUDGET);
        expect(engine.startOutcome).toEqual(model.value.outcome);
        let inst = model.value.instance;
        for (const c of calls) {
          const want = invokeExport(inst, c.name, c.args, { gas: 0n, stackBudget: BUDGET, maxSteps: 5_000_000 });
          if (!want.ok) throw new Error(want.error.message);
          inst = want.value.instance;
          expect(ofEngine(engine, engine.invoke(c.name, c.args, 0n))).toEqual(ofModel(inst, want.value));
        }
        expect(engine.tierCounts().native).toBe(0);
      }),
      { numRuns: INTERP_RUNS, seed: 97_531 },
    );
  });

  // @spec DMIR-EXEC-MODE.1 DMIR-ENGINE-EQUIV.1 DMIR-ENGINE-SWITCH.1 DMIR-ENGINE-STATE.1
  it(`random interleavings of compile completion and calls give the reference results on ${LAZY_RUNS} generated modules (DMIR-EXEC-MODE.1)`, () => {
    fc.assert(
      fc.property(wasmModule(), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), ({ module, calls }, finishBefore) => {
        const loaded = loadWasm(encodeModule(module));
        if (!loaded.ok) throw new Error(loaded.error.message);
        const m = loaded.value;
        const model = instantiateWasm(m, () => undefined, { gas: 0n, stackBudget: BUDGET });
        if (!model.ok) throw new Error(model.error.message);
        const { engine, compiler } = deploy(m, 0n, BUDGET);
        let inst = model.value.instance;
        let finished = false;
        for (const [i, c] of calls.entries()) {
          if (finishBefore[i] === true && !finished) { compiler.finishNext(); finished = true; }
          const want = invokeExport(inst, c.name, c.args, { gas: 0n, stackBudget: BUDGET, maxSteps: 5_000_000 });
          if (!want.ok) throw new Error(want.error.message);
          inst = want.value.instance;
          const got = engine.invoke(c.name, c.args, 0n);
          expect(engine.compileState()).toBe(finished ? 'native' : 'compiling');
          expect(ofEngine(engine, got)).toEqual(ofModel(inst, want.value));
        }
        const counts = engine.tierCounts();
        expect(counts.interpreter + counts.native).toBe(calls.length);
        expect(counts.native).toBe(finished ? calls.length - finishBefore.findIndex((b) => b) : 0);
      }),
      { numRuns: LAZY_RUNS, seed: 86_420 },
    );
  });
});
