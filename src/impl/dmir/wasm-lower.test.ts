/**
 * The engine's own load path from bytes (reader, validation, lowering, verifier, deployment)
 * against the model's (decode, validate, lower, verify, interpret): the same accept/reject
 * decision with the same error code, the same stack cost per function, and for accepted modules
 * the same invocation outcomes, gas left and memory.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deployWasm, loadWasmBytes } from './wasm-lower.js';
import type { CompileDriver, LazyEngineInstance } from './engine.js';
import { instantiateWasm, invokeExport, loadWasm } from '../../model/dmir/wasm/index.js';
import { encodeModule } from '../../model/dmir/wasm/encode.js';
import type { BlockType, Instr, WasmModule } from '../../model/dmir/wasm/decode.js';
import type { Module, Val, ValType } from '../../model/dmir/ir.js';
import { wasmModule } from '../../conformance/wast/gen.js';

const RUNS = Number(process.env['DMIR_LOWER_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 20_000 : 2_000));
const BUDGET = 1 << 14;
const MAX_STEPS = 200_000;
/** The engine stays on its interpreter tier: this test is about what is deployed, not the compiler. */
const NEVER: CompileDriver = { start: () => undefined };

const I = (op: number, f: Partial<Instr> = {}): Instr => ({ op, ...f });

/**
 * Adds an exported `__instrumented_use_gas` and a charge at the start of every body (and before
 * every loop back edge's block), so gas left is observable.
 */
const withGas = (m: WasmModule, charge: number): WasmModule => {
  const gasType = m.types.length;
  const gasFunc = m.imports.length + m.funcs.length;
  const call = [I(0x42, { value: BigInt(charge) }), I(0x10, { a: gasFunc })];
  return {
    ...m,
    types: [...m.types, { params: ['i64'], results: [] }],
    funcs: [...m.funcs, gasType],
    exports: [...m.exports, { name: '__instrumented_use_gas', kind: 'func', index: gasFunc }],
    codes: [
      ...m.codes.map((c) => ({ locals: c.locals, body: [...call, ...c.body.flatMap((i) => (i.op === 0x03 ? [i, ...call] : [i]))] })),
      { locals: [], body: [I(0x0b)] },
    ],
  };
};

const zero = (t: ValType): Val => (t === 'i64' || t === 'f64' ? 0n : 0);

/** Loads on both paths and compares the decision, and the stack cost of every function. */
const bothLoad = (bytes: Uint8Array): Module | null => {
  const want = loadWasm(bytes);
  const got = loadWasmBytes(bytes);
  expect(got.ok ? 'ok' : got.error.code).toBe(want.ok ? 'ok' : want.error.code);
  if (!want.ok || !got.ok) return null;
  expect(got.value.funcs.map((f) => (f.kind === 'defined' ? f.frameCost : -1))).toEqual(want.value.funcs.map((f) => (f.kind === 'defined' ? f.frameCost : -1)));
  return want.value;
};

/** Runs the calls on the model and on the engine deployed from the bytes; compares everything observable. */
const compareRuns = (bytes: Uint8Array, m: Module, calls: readonly { readonly name: string; readonly args: readonly Val[] }[], gas: bigint): void => {
  const opts = { gas, stackBudget: BUDGET, maxSteps: MAX_STEPS };
  const model = instantiateWasm(m, () => undefined, opts);
  const deployed = deployWasm(bytes, () => undefined, { ...opts, compiler: NEVER });
  expect(deployed.ok).toBe(model.ok);
  if (!model.ok || !deployed.ok) return;
  const engine: LazyEngineInstance = deployed.value;
  expect(engine.startOutcome).toEqual(model.value.outcome);
  if (model.value.outcome.kind === 'trap') return;
  let inst = model.value.instance;
  for (const c of calls) {
    const want = invokeExport(inst, c.name, c.args, opts);
    if (!want.ok) throw new Error(want.error.message);
    inst = want.value.instance;
    const got = engine.invoke(c.name, c.args, gas);
    // A step bound is a harness limit counted differently by the two interpreters: stop there.
    if (want.value.outcome.kind === 'trap' && want.value.outcome.code === 'Dmir.Trap.STEP_LIMIT') return;
    if (got.outcome.kind === 'trap' && got.outcome.code === 'Dmir.Trap.STEP_LIMIT') return;
    expect(got.outcome).toEqual(want.value.outcome);
    expect(got.gasLeft).toBe(want.value.gasLeft);
    expect(Buffer.compare(Buffer.from(engine.memory() ?? []), Buffer.from(inst.memory ?? []))).toBe(0);
    expect(engine.globals()).toEqual(inst.globals);
  }
};

/** Calls every exported function once with zero arguments (for modules whose calls are unknown). */
const exportCalls = (m: Module): { name: string; args: Val[] }[] =>
  m.exports.flatMap((e) => (e.kind === 'func' ? [{ name: e.name, args: m.funcs[e.index]!.type.params.map(zero) }] : []));

const mutate = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 });

describe('engine load path from WebAssembly bytes against the model (DMIR-ENGINE-LOAD.1)', () => {
  // @spec DMIR-ENGINE-LOAD.1 DMIR-WASM-LOWER.1 DMIR-STACK-COST.1 DMIR-GAS-INTRINSIC.1
  it(`agrees on ${RUNS} generated modules, with and without gas (DMIR-ENGINE-LOAD.1)`, () => {
    fc.assert(
      fc.property(wasmModule(), fc.integer({ min: 0, max: 40 }), fc.boolean(), ({ module, calls }, charge, gas) => {
        const bytes = encodeModule(gas ? withGas(module, charge) : module);
        const m = bothLoad(bytes);
        expect(m).not.toBeNull();
        compareRuns(bytes, m!, calls, gas ? 400n : 0n);
      }),
      { numRuns: RUNS, seed: 8812 },
    );
  });

  // @spec DMIR-ENGINE-LOAD.1 DMIR-WASM-LOWER.1
  it(`agrees on ${RUNS} generated modules with saturating conversions (DMIR-ENGINE-LOAD.1)`, () => {
    fc.assert(
      fc.property(wasmModule({ saturating: true }), ({ module, calls }) => {
        const bytes = encodeModule(module);
        const m = bothLoad(bytes);
        expect(m).not.toBeNull();
        compareRuns(bytes, m!, calls, 0n);
      }),
      { numRuns: RUNS, seed: 8813 },
    );
  });

  // @spec DMIR-ENGINE-LOAD.1 DMIR-WASM-VALIDATE.1 DMIR-WASM-LIMITS.1
  it(`agrees on ${RUNS} mutated modules: same error code, or same behaviour (DMIR-WASM-VALIDATE.1)`, () => {
    let accepted = 0;
    fc.assert(
      fc.property(wasmModule({ saturating: true }), mutate, ({ module }, edits) => {
        const bytes = encodeModule(module).slice();
        for (const [at, v] of edits) bytes[at % bytes.length] = v;
        const m = bothLoad(bytes);
        if (m !== null) {
          accepted++;
          compareRuns(bytes, m, exportCalls(m), 0n);
        }
      }),
      { numRuns: RUNS, seed: 8814 },
    );
    // The mutations must leave some modules valid, or behaviour would go unchecked.
    expect(accepted).toBeGreaterThan(0);
  });

  // @spec DMIR-ENGINE-LOAD.1 DMIR-WASM-VALIDATE.1 DMIR-WASM-MULTI.1
  it(`agrees on ${RUNS} modules with instructions replaced: typing, indices and unreachable code (DMIR-WASM-VALIDATE.1)`, () => {
    // Byte mutations mostly break the encoding; these keep it well formed and break the typing.
    const instr: fc.Arbitrary<Instr> = fc.oneof(
      fc.constantFrom(I(0x00), I(0x01), I(0x0f), I(0x1a), I(0x1b), I(0x05), I(0x0b), I(0x6a), I(0x7c), I(0x92), I(0xa7), I(0x45), I(0xfc00)),
      fc.nat(6).map((a) => I(0x0c, { a })), fc.nat(6).map((a) => I(0x0d, { a })),
      fc.tuple(fc.nat(4), fc.array(fc.nat(4), { maxLength: 3 })).map(([a, targets]) => I(0x0e, { a, targets })),
      fc.constantFrom<BlockType>(null, 'i32', 'i64', 'f64', 0, 1, 2, 9).chain((bt) => fc.constantFrom(0x02, 0x03, 0x04).map((op) => I(op, { bt }))),
      fc.nat(8).chain((a) => fc.constantFrom(0x20, 0x21, 0x22, 0x23, 0x24, 0x10).map((op) => I(op, { a }))),
      fc.tuple(fc.nat(5), fc.nat(1)).map(([a, b]) => I(0x11, { a, b })),
      fc.tuple(fc.integer({ min: 0x28, max: 0x3e }), fc.nat(4)).map(([op, a]) => I(op, { a, b: 0 })),
      fc.constantFrom(I(0x41, { value: 1 }), I(0x42, { value: 1n }), I(0x43, { value: 0 }), I(0x44, { value: 0n }), I(0x40, { b: 0 }), I(0x3f, { b: 0 })),
    );
    let accepted = 0;
    fc.assert(
      fc.property(wasmModule({ saturating: true }), fc.array(fc.tuple(fc.nat(), fc.nat(), instr, fc.boolean()), { minLength: 1, maxLength: 3 }), ({ module }, edits) => {
        const codes = module.codes.map((c) => ({ locals: c.locals, body: [...c.body] }));
        for (const [f, at, ins, insert] of edits) {
          const body = codes[f % codes.length]!.body;
          const k = at % body.length;
          // The final `end` stays, so the body still decodes.
          if (insert) body.splice(k, 0, ins); else if (k < body.length - 1) body[k] = ins;
        }
        const bytes = encodeModule({ ...module, codes });
        const m = bothLoad(bytes);
        if (m !== null) {
          accepted++;
          compareRuns(bytes, m, exportCalls(m), 0n);
        }
      }),
      { numRuns: RUNS, seed: 8817 },
    );
    expect(accepted).toBeGreaterThan(0);
  });

  // @spec DMIR-ENGINE-LOAD.1
  it('agrees on random bytes and truncations (DMIR-ENGINE-LOAD.1)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        bothLoad(Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...tail]));
        bothLoad(tail);
      }),
      { numRuns: RUNS, seed: 8815 },
    );
    fc.assert(
      fc.property(wasmModule(), fc.nat(), ({ module }, cut) => {
        const bytes = encodeModule(module);
        bothLoad(bytes.subarray(0, cut % bytes.length));
      }),
      { numRuns: 300, seed: 8816 },
    );
  });

  // @spec DMIR-WASM-VALIDATE.1
  it('rejects each validation rule with the model code (DMIR-WASM-VALIDATE.1)', () => {
    const base: WasmModule = {
      types: [{ params: [], results: ['i32'] }], imports: [], funcs: [0], tables: [], memories: [], globals: [],
      exports: [{ name: 'f', kind: 'func', index: 0 }], start: null, elems: [], datas: [], codes: [],
    };
    const body = (...ins: Instr[]): WasmModule => ({ ...base, codes: [{ locals: [], body: [...ins, I(0x0b)] }] });
    const cases: [WasmModule, string][] = [
      [body(I(0x42, { value: 1n })), 'Wasm.Validate.TYPE_MISMATCH'],
      [body(I(0x20, { a: 0 })), 'Wasm.Validate.UNKNOWN_LOCAL'],
      [body(I(0x23, { a: 0 })), 'Wasm.Validate.UNKNOWN_GLOBAL'],
      [body(I(0x10, { a: 3 })), 'Wasm.Validate.UNKNOWN_FUNC'],
      [body(I(0x0c, { a: 1 })), 'Wasm.Validate.UNKNOWN_LABEL'],
      [body(I(0x3f, { b: 0 })), 'Wasm.Validate.UNKNOWN_MEMORY'],
      [body(I(0x41, { value: 0 }), I(0x11, { a: 0, b: 0 })), 'Wasm.Validate.UNKNOWN_TABLE'],
      [{ ...body(I(0x41, { value: 0 }), I(0x28, { a: 3, b: 0 })), memories: [{ min: 1, max: null }] }, 'Wasm.Validate.BAD_ALIGNMENT'],
      [{ ...body(I(0x41, { value: 0 }), I(0x24, { a: 0 }), I(0x41, { value: 0 })), globals: [{ type: 'i32', mutable: false, init: [I(0x41, { value: 0 }), I(0x0b)] }] }, 'Wasm.Validate.IMMUTABLE_GLOBAL'],
      [{ ...body(I(0x41, { value: 0 })), memories: [{ min: 2, max: 1 }] }, 'Wasm.Validate.BAD_LIMITS'],
      [{ ...body(I(0x41, { value: 0 })), memories: [{ min: 300, max: null }] }, 'Wasm.Limit.INIT_MEMORY_TOO_LARGE'],
      [{ ...body(I(0x41, { value: 0 })), start: 0 }, 'Wasm.Validate.BAD_START'],
      [{ ...body(I(0x41, { value: 0 })), exports: [base.exports[0]!, base.exports[0]!] }, 'Wasm.Validate.DUPLICATE_EXPORT'],
      [{ ...body(I(0x41, { value: 0 })), globals: [{ type: 'i32', mutable: false, init: [I(0x01), I(0x0b)] }] }, 'Wasm.Validate.CONSTANT_EXPRESSION_REQUIRED'],
      [{ ...body(I(0x41, { value: 0 })), globals: [{ type: 'i32', mutable: false, init: [I(0x41, { value: 1 }), I(0x41, { value: 1 }), I(0x6a), I(0x0b)] }] }, 'Wasm.Profile.UNSUPPORTED_FEATURE'],
      // Unreachable code: operands of any type, and br_table targets of different types.
      [body(I(0x00), I(0x6a)), 'ok'],
      [body(I(0x00), I(0x41, { value: 0 }), I(0x42, { value: 0n }), I(0x41, { value: 0 }), I(0x1b), I(0x1a)), 'Wasm.Validate.TYPE_MISMATCH'],
      [body(I(0x41, { value: 0 }), I(0x42, { value: 0n }), I(0x41, { value: 0 }), I(0x1b)), 'Wasm.Validate.TYPE_MISMATCH'],
      // br_if leaves its label's types, even in unreachable code.
      [body(I(0x02, { bt: 'i64' }), I(0x00), I(0x41, { value: 0 }), I(0x0d, { a: 0 }), I(0x45), I(0x1a), I(0x42, { value: 0n }), I(0x0b), I(0x1a), I(0x41, { value: 0 })), 'Wasm.Validate.TYPE_MISMATCH'],
      [body(I(0x02, { bt: 'i64' }), I(0x00), I(0x41, { value: 0 }), I(0x0d, { a: 0 }), I(0x0b), I(0x1a), I(0x41, { value: 0 })), 'ok'],
      [{ ...body(I(0x02, { bt: 'i32' }), I(0x02, { bt: 'i64' }), I(0x41, { value: 0 }), I(0x00), I(0x0e, { a: 0, targets: [1] }), I(0x0b), I(0x1a), I(0x41, { value: 0 }), I(0x0b)) }, 'ok'],
    ];
    for (const [m, code] of cases) {
      const bytes = encodeModule(m);
      const want = loadWasm(bytes);
      expect(want.ok ? 'ok' : want.error.code).toBe(code);
      bothLoad(bytes);
    }
  });
});
