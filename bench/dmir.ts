/**
 * dMIR benchmarks: integer kernels on Node's WebAssembly directly (the peer) against the compiled
 * dMIR engine, and the engine against the reference interpreter.
 */
import { encodeModule } from '../src/model/dmir/wasm/encode.js';
import { instantiateWasm, invokeExport, loadWasm } from '../src/model/dmir/wasm/index.js';
import { parseModuleFields } from '../src/conformance/wast/wat.js';
import { parseSExprs } from '../src/conformance/wast/sexpr.js';
import { instantiateEngine } from '../src/impl/dmir/engine.js';
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

export const dmirComparisons = (): readonly Comparison[] =>
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
