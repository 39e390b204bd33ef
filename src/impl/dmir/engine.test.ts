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
      fc.property(wasmModule(), ({ module, calls }) => {
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
});
