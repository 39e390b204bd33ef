/**
 * The compiled engine against the reference interpreter: exact agreement on results (NaN bits
 * included), trap codes, gas left and memory, on generated modules and on gas-instrumented code.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instantiateEngine } from './engine.js';
import { instantiateWasm, invokeExport, loadWasm } from '../../model/dmir/wasm/index.js';
import { encodeModule } from '../../model/dmir/wasm/encode.js';
import { parseModuleFields } from '../../conformance/wast/wat.js';
import { parseSExprs } from '../../conformance/wast/sexpr.js';
import { wasmModule } from '../../conformance/wast/gen.js';
import type { Module } from '../../model/dmir/ir.js';

const RUNS = Number(process.env['DMIR_ENGINE_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 20_000 : 2_000));
const BUDGET = 1 << 16;

const wat = (src: string): Module => {
  const r = loadWasm(encodeModule(parseModuleFields(parseSExprs(src))));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('compiled dMIR engine against the reference interpreter', () => {
  // @spec DMIR-EXEC-MODE.1 DMIR-DET-NAN.1 DMIR-EXEC-TRAP.1 DMIR-STACK-BUDGET.1
  it(`agrees exactly on ${RUNS} generated modules (DMIR-EXEC-MODE.1)`, () => {
    fc.assert(
      fc.property(wasmModule({ saturating: true }), ({ module, calls }) => {
        const loaded = loadWasm(encodeModule(module));
        if (!loaded.ok) throw new Error(loaded.error.message);
        const m = loaded.value;
        const model = instantiateWasm(m, () => undefined, { gas: 0n, stackBudget: BUDGET });
        const engine = instantiateEngine(m, () => undefined, { gas: 0n, stackBudget: BUDGET });
        if (!model.ok || !engine.ok) throw new Error('instantiation failed');
        expect(engine.value.startOutcome).toEqual(model.value.outcome);
        let inst = model.value.instance;
        for (const c of calls) {
          const want = invokeExport(inst, c.name, c.args, { gas: 0n, stackBudget: BUDGET, maxSteps: 5_000_000 });
          if (!want.ok) throw new Error(want.error.message);
          inst = want.value.instance;
          const got = engine.value.invoke(c.name, c.args, 0n);
          expect(got.outcome).toEqual(want.value.outcome);
          expect(got.gasLeft).toBe(want.value.gasLeft);
          expect(Buffer.compare(Buffer.from(engine.value.memory()!), Buffer.from(inst.memory!))).toBe(0);
        }
      }),
      { numRuns: RUNS, seed: 424242 },
    );
  });

  // @spec DMIR-GAS-USE.1 DMIR-GAS-INTRINSIC.1
  it('charges instrumented gas like the interpreter (DMIR-GAS-USE.1)', () => {
    const m = wat(`(func $gas (export "__instrumented_use_gas") (param i64) (unreachable))
      (func (export "loop") (param i32) (result i32) (local i32)
        (block (loop (br_if 1 (i32.eqz (local.get 0)))
          (call $gas (i64.const 7))
          (local.set 1 (i32.add (local.get 1) (local.get 0)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
        (local.get 1))`);
    for (const [n, gas] of [[10, 1000n], [10, 70n], [10, 69n], [0, 0n], [100, 350n]] as const) {
      const model = instantiateWasm(m, () => undefined, { gas })!;
      const engine = instantiateEngine(m, () => undefined, { gas });
      if (!model.ok || !engine.ok) throw new Error('instantiation failed');
      const want = invokeExport(model.value.instance, 'loop', [n], { gas });
      const got = engine.value.invoke('loop', [n], gas);
      expect(want.ok && { outcome: want.value.outcome, gasLeft: want.value.gasLeft }).toEqual(got);
    }
  });

  // @spec DMIR-STACK-COST.1 DMIR-STACK-BUDGET.1
  it('traps at the same recursion depth under the stack-cost budget (DMIR-STACK-COST.1)', () => {
    const m = wat(`(memory 1) (func $r (export "r") (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1))) (call $r))`);
    const model = instantiateWasm(m, () => undefined, { gas: 0n, stackBudget: BUDGET });
    const engine = instantiateEngine(m, () => undefined, { gas: 0n, stackBudget: BUDGET });
    if (!model.ok || !engine.ok) throw new Error('instantiation failed');
    const want = invokeExport(model.value.instance, 'r', [], { gas: 0n, stackBudget: BUDGET });
    const got = engine.value.invoke('r', [], 0n);
    expect(got.outcome).toEqual({ kind: 'trap', code: 'Dmir.Trap.CALL_STACK_EXHAUSTED' });
    expect(want.ok && want.value.outcome).toEqual(got.outcome);
    const depth = new DataView(engine.value.memory()!.buffer).getInt32(0, true);
    expect(depth).toBe(new DataView(want.ok ? want.value.instance.memory!.buffer : new ArrayBuffer(4)).getInt32(0, true));
    expect(depth).toBeGreaterThan(100);
  });

  // @spec DMIR-STACK-BUDGET.1 DMIR-EXEC-MODE.1 DMIR-GAS-USE.1 DMIR-ENGINE-DEEP.1
  it('recurses to the full 8 MiB budget like the interpreter, with gas, globals and memory (DMIR-STACK-BUDGET.1)', () => {
    const m = wat(`(memory 1) (global $g (mut i32) (i32.const 0))
      (func $gas (export "__instrumented_use_gas") (param i64) (unreachable))
      (func $r (export "r") (call $gas (i64.const 3))
        (global.set $g (i32.add (global.get $g) (i32.const 1)))
        (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 2)))
        (call $r))
      (func $down (export "down") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (global.get $g))
          (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))`);
    // Runs out of budget (gas plenty), out of gas deep in the recursion, and returns from 80,000 frames.
    for (const [name, args, gas] of [['r', [], 10n ** 9n], ['r', [], 150_000n], ['down', [80_000], 0n]] as const) {
      const model = instantiateWasm(m, () => undefined, { gas });
      const engine = instantiateEngine(m, () => undefined, { gas });
      if (!model.ok || !engine.ok) throw new Error('instantiation failed');
      const want = invokeExport(model.value.instance, name, args, { gas });
      if (!want.ok) throw new Error(want.error.message);
      const got = engine.value.invoke(name, args, gas);
      expect(got).toEqual({ outcome: want.value.outcome, gasLeft: want.value.gasLeft });
      expect(engine.value.globals()).toEqual(want.value.instance.globals);
      expect(Buffer.compare(Buffer.from(engine.value.memory()!), Buffer.from(want.value.instance.memory!))).toBe(0);
    }
    const deepest = instantiateEngine(m, () => undefined, { gas: 10n ** 9n });
    if (!deepest.ok) throw new Error('instantiation failed');
    expect(deepest.value.invoke('r', [], 10n ** 9n).outcome).toEqual({ kind: 'trap', code: 'Dmir.Trap.CALL_STACK_EXHAUSTED' });
    // Each frame of $r costs 64 + 8 * 3 (the store's address, the load's address, the constant):
    // the budget allows floor(8,388,608 / 88) = 95,325 of them.
    expect(deepest.value.globals()).toEqual([95_325]);
  });
});
