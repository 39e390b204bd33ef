/**
 * Differential property test: generated modules run on the dMIR reference interpreter (through
 * decode, validate, lower, verify) and on Node's own WebAssembly engine must agree on every
 * result, on the trap kind of every trapping call, and on the memory contents after each call.
 * NaNs are compared by class (V8 does not canonicalise NaN bits).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeModule } from './encode.js';
import { instantiateWasm, invokeExport, loadWasm } from './index.js';
import { f32ToBits, f64ToBits } from '../numeric.js';
import type { TrapCode, Val } from '../ir.js';
import { canonicaliseNans, wasmModule } from '../../../conformance/wast/gen.js';

/** Node's WebAssembly API, typed locally (the project's lib settings do not declare it). */
interface NodeWasm {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { readonly WebAssembly: NodeWasm }).WebAssembly;

const RUNS = Number(process.env['DMIR_DIFF_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 50_000 : 5_000));

/** The trap classes V8's messages can tell apart. */
const v8Class = (e: unknown): string => {
  const msg = e instanceof Error ? e.message : String(e);
  if (msg.includes('unreachable')) return 'unreachable';
  if (msg.includes('memory access out of bounds')) return 'memory';
  if (msg.includes('by zero')) return 'div0';
  if (msg.includes('divide result unrepresentable')) return 'overflow';
  if (msg.includes('float unrepresentable')) return 'conversion';
  if (msg.includes('table index is out of bounds')) return 'table';
  // Unbounded recursion exhausts both: ours at the stack-cost budget, V8's at the host stack.
  if (msg.includes('Maximum call stack')) return 'stack';
  if (msg.includes('signature mismatch') || msg.includes('null function')) return 'indirect';
  return `other: ${msg}`;
};
const modelClass = (code: TrapCode): string => {
  switch (code) {
    case 'Dmir.Trap.UNREACHABLE': return 'unreachable';
    case 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS': return 'memory';
    case 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO': return 'div0';
    // V8 reports float-to-int overflow and NaN with one message; integer overflow of division
    // with its own. Both models' INTEGER_OVERFLOW is therefore accepted for either message.
    case 'Dmir.Trap.INTEGER_OVERFLOW': return 'overflow|conversion';
    case 'Dmir.Trap.INVALID_CONVERSION_TO_INTEGER': return 'conversion';
    case 'Dmir.Trap.TABLE_OUT_OF_BOUNDS': return 'table';
    case 'Dmir.Trap.CALL_STACK_EXHAUSTED': return 'stack';
    case 'Dmir.Trap.UNINITIALIZED_ELEMENT': case 'Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH': return 'indirect';
    default: return code;
  }
};

const isNan32 = (b: number): boolean => (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
const isNan64 = (b: bigint): boolean => (b & 0x7ff0000000000000n) === 0x7ff0000000000000n && (b & 0xfffffffffffffn) !== 0n;

/** Node's value in the model's representation for the export's result type. */
const fromNode = (t: string, v: unknown): Val => {
  switch (t) {
    case 'i32': return v as number;
    case 'i64': return BigInt.asIntN(64, v as bigint);
    case 'f32': return f32ToBits(v as number);
    default: return f64ToBits(v as number);
  }
};
const toNode = (t: string, v: Val): unknown => {
  if (t === 'f32') { const b = new DataView(new ArrayBuffer(4)); b.setUint32(0, v as number, true); return b.getFloat32(0, true); }
  if (t === 'f64') { const b = new DataView(new ArrayBuffer(8)); b.setBigUint64(0, v as bigint, true); return b.getFloat64(0, true); }
  return v;
};

describe('dMIR WASM profile against Node WebAssembly', () => {
  // @spec DMIR-EXEC-MODE.1 DMIR-DET-NAN.1 DMIR-WASM-LOWER.1 DMIR-EXEC-TRAP.1 DMIR-VERIFY-MODULE.1 DMIR-TRAP-CODES.1
  // @spec DMIR-STRUCT-EXPR.1 DMIR-STRUCT-FUNC.1 DMIR-VALUES.1
  it(`agrees on ${RUNS} generated modules (DMIR-WASM-LOWER.1, DMIR-EXEC-TRAP.1)`, () => {
    let traps = 0;
    let returns = 0;
    fc.assert(
      fc.property(wasmModule({ saturating: true }), ({ module, calls }) => {
        const bytes = encodeModule(module);
        const loaded = loadWasm(bytes);
        expect(loaded.ok ? 'ok' : loaded.error).toBe('ok');
        if (!loaded.ok) return;
        const inst0 = instantiateWasm(loaded.value, () => undefined, { gas: 0n });
        if (!inst0.ok) throw new Error(inst0.error.message);
        let inst = inst0.value.instance;
        const node = new WA.Instance(new WA.Module(encodeModule(canonicaliseNans(module))));
        const nodeMem = node.exports['memory'] as { readonly buffer: ArrayBuffer };
        for (const call of calls) {
          const fi = Number(call.name.slice(1));
          const ft = module.types[module.funcs[fi]!]!;
          // Float arguments cross JavaScript as numbers, which keep no NaN payload: both sides get
          // the value as it arrives in Node.
          const args = call.args.map((a, i) => fromNode(ft.params[i]!, toNode(ft.params[i]!, a)));
          const r = invokeExport(inst, call.name, args, { gas: 0n, maxSteps: 5_000_000, stackBudget: 1 << 16 });
          if (!r.ok) throw new Error(r.error.message);
          let nodeOut: { kind: 'return'; value: unknown } | { kind: 'trap'; cls: string };
          try {
            nodeOut = { kind: 'return', value: (node.exports[call.name] as (...a: unknown[]) => unknown)(...args.map((a, i) => toNode(ft.params[i]!, a))) };
          } catch (e) {
            nodeOut = { kind: 'trap', cls: v8Class(e) };
          }
          const out = r.value.outcome;
          if (out.kind === 'trap') {
            traps++;
            expect(nodeOut.kind).toBe('trap');
            if (nodeOut.kind === 'trap') expect(modelClass(out.code).split('|')).toContain(nodeOut.cls);
          } else {
            returns++;
            expect(nodeOut.kind).toBe('return');
            if (nodeOut.kind !== 'return') return;
            const t = ft.results[0]!;
            const got = out.values[0]!;
            const want = fromNode(t, nodeOut.value);
            if (t === 'f32' && isNan32(want as number)) expect(isNan32(got as number)).toBe(true);
            else if (t === 'f64' && isNan64(want as bigint)) expect(isNan64(got as bigint)).toBe(true);
            else expect(got).toBe(want);
          }
          // Memory must agree after every call, trapped or not (a trap keeps earlier stores).
          inst = r.value.instance;
          const ours = inst.memory!;
          const theirs = new Uint8Array(nodeMem.buffer);
          expect(ours.length).toBe(theirs.length);
          expect(Buffer.compare(Buffer.from(ours), Buffer.from(theirs))).toBe(0);
        }
      }),
      { numRuns: RUNS, seed: 20260601 },
    );
    // The generator must exercise both outcomes, or the comparison proves little.
    expect(traps).toBeGreaterThan(RUNS / 20);
    expect(returns).toBeGreaterThan(RUNS / 2);
  });
});
