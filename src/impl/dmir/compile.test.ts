/**
 * The compiler's control-flow layout: structured code for reducible block graphs, the dispatch
 * loop for irreducible ones, and no host-stack recursion on long or deeply nested functions. Every
 * result is checked against the reference interpreter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instantiateEngine } from './engine.js';
import { compileModule, deepImportNames } from './compile.js';
import { analyse, blockSuccessors } from './stackify.js';
import { instantiateWasm, invokeExport, loadWasm } from '../../model/dmir/wasm/index.js';
import { instantiate, invokeFunction } from '../../model/dmir/interp.js';
import { verifyModule } from '../../model/dmir/verify.js';
import { encodeModule } from '../../model/dmir/wasm/encode.js';
import { parseModuleFields } from '../../conformance/wast/wat.js';
import { parseSExprs } from '../../conformance/wast/sexpr.js';
import { wasmModule } from '../../conformance/wast/gen.js';
import type { DefinedFunc, Expr, Module } from '../../model/dmir/ir.js';

interface NodeWasm {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { readonly WebAssembly: NodeWasm }).WebAssembly;

const wat = (src: string): Module => {
  const r = loadWasm(encodeModule(parseModuleFields(parseSExprs(src))));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

const both = (m: Module, name: string, args: readonly (number | bigint)[]) => {
  const model = instantiateWasm(m, () => undefined, { gas: 0n });
  const engine = instantiateEngine(m, () => undefined, { gas: 0n });
  if (!model.ok || !engine.ok) throw new Error('instantiation failed');
  const want = invokeExport(model.value.instance, name, args, { gas: 0n });
  if (!want.ok) throw new Error(want.error.message);
  return { want: want.value.outcome, got: engine.value.invoke(name, args, 0n).outcome };
};

describe('stackifier analysis', () => {
  it('finds loop headers and merge nodes, and rejects an irreducible graph', () => {
    // 0 -> 1 -> 2 -> 1 (loop), 2 -> 3; 0 -> 3: 3 is a merge node, 1 a loop header.
    const s = analyse([[1, 3], [2], [1, 3], []])!;
    expect([...s.order]).toEqual([0, 1, 2, 3]);
    expect([...s.loopHeader]).toEqual([0, 1, 0, 0]);
    expect([...s.merge]).toEqual([0, 0, 0, 1]);
    expect(s.mergeChildren[0]).toEqual([3]);
    // Two edges from one block to the same target make it a merge node (its code is not duplicated).
    expect([...analyse([[1, 1], []])!.merge]).toEqual([0, 1]);
    // A loop with two entries (1 and 2 each reachable from 0 and from each other).
    expect(analyse([[1, 2], [2], [1]])).toBeNull();
  });
});

describe('compiled control flow against the reference interpreter', () => {
  // @spec DMIR-EXEC-MODE.1 DMIR-EXEC-STEP.1
  it('runs an irreducible dMIR graph on the dispatch loop with the interpreter\'s results (DMIR-EXEC-MODE.1)', () => {
    const c = (v: number): Expr => ({ op: 'const', type: 'i32', value: v });
    const x: Expr = { op: 'dread', type: 'i32', variable: 1 };
    const below10: Expr = { op: 'cmp', pred: 'islt', type: 'i32', lhs: x, rhs: c(10) };
    const add = (k: number) => ({ op: 'dassign' as const, variable: 1, value: { op: 'binary' as const, kind: 'add' as const, type: 'i32' as const, lhs: x, rhs: c(k) } });
    const f: DefinedFunc = {
      kind: 'defined', name: 'f', type: { params: ['i32'], results: ['i32'] }, vars: ['i32', 'i32'], frameCost: 72,
      blocks: [
        { stmts: [], term: { op: 'br_if', cond: { op: 'dread', type: 'i32', variable: 0 }, then: 1, else: 2 } },
        { stmts: [add(1)], term: { op: 'br_if', cond: below10, then: 2, else: 3 } },
        { stmts: [add(3)], term: { op: 'br_if', cond: below10, then: 1, else: 3 } },
        { stmts: [], term: { op: 'return', values: [x] } },
      ],
    };
    const m: Module = { types: [f.type], funcs: [f], globals: [], memory: null, table: null, elems: [], datas: [], start: null, exports: [{ name: 'f', kind: 'func', index: 0 }] };
    expect(verifyModule(m).ok).toBe(true);
    expect(analyse(blockSuccessors(f))).toBeNull();
    const model = instantiate(m, () => undefined, { gas: 0n });
    const engine = instantiateEngine(m, () => undefined, { gas: 0n });
    if (!model.ok || !engine.ok) throw new Error('instantiation failed');
    for (const p of [0, 1]) {
      const want = invokeFunction(model.value.instance, 0, [p], { gas: 0n }).outcome;
      expect(engine.value.invoke('f', [p], 0n).outcome).toEqual(want);
    }
    // The two entries give different sums: 1+3+1+3+1+3 = 12 from block 1, 3+1+3+1+3 = 11 from block 2.
    expect(engine.value.invoke('f', [1], 0n).outcome).toEqual({ kind: 'return', values: [12] });
    expect(engine.value.invoke('f', [0], 0n).outcome).toEqual({ kind: 'return', values: [11] });
  });

  // @spec DMIR-WASM-LOWER-CONTROL.1
  it('lays out every function lowered from generated modules as structured code (DMIR-WASM-LOWER-CONTROL.1)', () => {
    fc.assert(fc.property(wasmModule({ depth: 3, saturating: true }), ({ module }) => {
      const loaded = loadWasm(encodeModule(module));
      if (!loaded.ok) throw new Error(loaded.error.message);
      for (const f of loaded.value.funcs) if (f.kind === 'defined') expect(analyse(blockSuccessors(f))).not.toBeNull();
    }), { numRuns: 300, seed: 7 });
  });

  // @spec DMIR-EXEC-MODE.1
  it('runs a loop in both layouts, the structured one in fewer bytes (DMIR-EXEC-MODE.1)', () => {
    const m = wat(`(func (export "f") (param i32) (result i32) (local i32)
      (block (loop (br_if 1 (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
      (local.get 1))`);
    const s = compileModule(m, null, 1 << 20);
    const d = compileModule(m, null, 1 << 20, { control: 'dispatch' });
    if ('unsupported' in s || 'unsupported' in d) throw new Error('unsupported');
    expect(s.bytes.length).toBeLessThan(d.bytes.length);
    for (const bytes of [s.bytes, d.bytes]) {
      const inst = new WA.Instance(new WA.Module(bytes), { env: { trap: () => { throw new Error('trap'); } } });
      expect((inst.exports['f:f'] as (n: number) => number)(100)).toBe(5050);
    }
  });

  // @spec DMIR-EXEC-MODE.1 DMIR-WASM-LOWER-CONTROL.1
  it('compiles long block chains and deep nesting without exhausting the host stack (DMIR-EXEC-MODE.1)', () => {
    // 8,000 ifs in a row (in groups of 1,000: the profile allows 1,024 blocks at one level).
    const group = (g: number): string => `(block ${Array.from({ length: 1000 }, (_, k) => `(if (i32.and (local.get 0) (i32.const ${1 << (k % 8)})) (then (local.set 1 (i32.add (local.get 1) (i32.const ${g * 1000 + k})))))`).join('\n')})`;
    const ifs = Array.from({ length: 8 }, (_, g) => group(g)).join('\n');
    const opens = Array.from({ length: 1000 }, () => '(block').join(' ');
    const exits = Array.from({ length: 1000 }, (_, k) => `(br_if 0 (i32.eq (local.get 0) (i32.const ${k})))) (local.set 1 (i32.add (local.get 1) (i32.const 1)))`).join('\n');
    const m = wat(`(func (export "chain") (param i32) (result i32) (local i32) ${ifs} (local.get 1))
      (func (export "nest") (param i32) (result i32) (local i32) ${opens} ${exits} (local.get 1))`);
    for (const [name, arg] of [['chain', 0x55], ['chain', 0xff], ['nest', 0], ['nest', 500], ['nest', 5000]] as const) {
      const { want, got } = both(m, name, [arg]);
      expect(got).toEqual(want);
    }
  });

  // @spec DMIR-EXEC-MODE.1 DMIR-STACK-BUDGET.1 DMIR-STACK-COST.1
  it('hands calls above the deep-call limit to the host, so recursion reaches the budget, not the host stack (DMIR-STACK-BUDGET.1)', () => {
    const m = wat(`(func $down (export "down") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))
      (func $fdown (export "fdown") (param i32 f32) (result f32 i32)
        (if (result f32 i32) (i32.eqz (local.get 0)) (then (local.get 1) (i32.const 7))
          (else (call $fdown (i32.sub (local.get 0) (i32.const 1)) (local.get 1)))))
      (func $r (export "runaway") (call $r))`);
    const budget = 8 * 1024 * 1024;
    const c = compileModule(m, null, budget, { deepCalls: { stackCost: 4096 } });
    if ('unsupported' in c) throw new Error(c.reason);
    const model = instantiate(m, () => undefined, { gas: 0n });
    if (!model.ok) throw new Error(model.error.message);
    let deepCalls = 0;
    // The host side of a deep call: the reference interpreter entered at the caller's stack cost.
    const deep = (fi: number, ...rest: unknown[]): unknown => {
      deepCalls++;
      const f = m.funcs[fi]!;
      const sp = rest.pop() as number;
      const args = rest.map((a, i) => (f.type.params[i] === 'f32' ? (a as number) >>> 0 : f.type.params[i] === 'f64' ? BigInt.asUintN(64, a as bigint) : a)) as (number | bigint)[];
      const r = invokeFunction(model.value.instance, fi, args, { gas: 0n, stackBudget: budget - sp });
      if (r.outcome.kind === 'trap') throw { dmirTrap: r.outcome.code };
      const out = r.outcome.values.map((v, i) => (f.type.results[i] === 'f32' ? (v as number) | 0 : f.type.results[i] === 'f64' ? BigInt.asIntN(64, v as bigint) : v));
      return out.length === 1 ? out[0] : out;
    };
    const env: Record<string, unknown> = { trap: (n: number) => { throw { trapNumber: n }; } };
    for (const name of deepImportNames(m)) env[name] = deep;
    const ex = new WA.Instance(new WA.Module(c.bytes), { env }).exports;
    const run = (f: () => unknown): unknown => {
      try { return { kind: 'return', values: [f()] }; } catch (e) { return { kind: 'trap', code: (e as { dmirTrap: string }).dmirTrap }; }
    };
    // Frames of 92 bytes of stack cost: 80,000 fit the 8 MiB budget (far beyond Node's own stack),
    // 100,000 do not; the outcome is the interpreter's either way.
    for (const n of [80_000, 100_000]) {
      const want = invokeExport(model.value.instance, 'down', [n], { gas: 0n });
      expect(want.ok && run(() => (ex['f:down'] as (n: number) => number)(n))).toEqual(want.ok && want.value.outcome);
    }
    expect(run(() => (ex['f:down'] as (n: number) => number)(80_000))).toEqual({ kind: 'return', values: [80_000] });
    expect(deepCalls).toBe(3);
    // A signalling NaN payload crosses the deep call as bits (0x7fa00001 read back through f32 bits).
    const fdown = ex['f:fdown'] as (n: number, bits: number) => [number, number];
    expect(fdown(50_000, 0x7fa00001).map((x) => x >>> 0)).toEqual([0x7fa00001, 7]);
    let trapped: unknown = null;
    try { (ex['f:runaway'] as () => void)(); } catch (e) { trapped = e; }
    expect(trapped).toMatchObject({ dmirTrap: 'Dmir.Trap.CALL_STACK_EXHAUSTED' });
  });
});
