import { describe, expect, it } from 'vitest';
import type { DefinedFunc, Expr, Module } from './ir.js';
import { evalBinary, evalConvert, evalUnary, f32ToBits, f64ToBits } from './numeric.js';
import { verifyModule } from './verify.js';
import { instantiate } from './interp.js';
import { instantiateWasm, invokeExport, loadWasm } from './wasm/index.js';
import { encodeModule } from './wasm/encode.js';
import { parseModuleFields } from '../../conformance/wast/wat.js';
import { parseSExprs } from '../../conformance/wast/sexpr.js';

const wat = (src: string): Module => {
  const r = loadWasm(encodeModule(parseModuleFields(parseSExprs(src))));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const run = (m: Module, name: string, args: (number | bigint)[], gas = 0n) => {
  const inst = instantiateWasm(m, () => undefined, { gas });
  if (!inst.ok) throw new Error(inst.error.message);
  const r = invokeExport(inst.value.instance, name, args, { gas });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('dMIR opcode semantics', () => {
  // @spec DMIR-OP-DIV.1 DMIR-DET-WIDTH.1
  it('division traps and truncates toward zero (DMIR-OP-DIV.1)', () => {
    expect(evalBinary('sdiv', 'i32', -7, 2)).toBe(-3);
    expect(evalBinary('srem', 'i32', -7, 2)).toBe(-1);
    expect(evalBinary('udiv', 'i32', -1, 2)).toBe(0x7fffffff);
    expect(evalBinary('sdiv', 'i32', 1, 0)).toBe('Dmir.Trap.INTEGER_DIVIDE_BY_ZERO');
    expect(evalBinary('sdiv', 'i32', -0x80000000, -1)).toBe('Dmir.Trap.INTEGER_OVERFLOW');
    expect(evalBinary('srem', 'i32', -0x80000000, -1)).toBe(0);
    expect(evalBinary('sdiv', 'i64', -(1n << 63n), -1n)).toBe('Dmir.Trap.INTEGER_OVERFLOW');
    expect(evalBinary('urem', 'i64', -1n, 10n)).toBe(5n); // 2^64 - 1 = 18446744073709551615
  });

  // @spec DMIR-DET-NAN.1
  it('canonicalises NaN results of arithmetic and keeps payloads of bit operations (DMIR-DET-NAN.1)', () => {
    const snan = 0x7fa00000;
    expect(evalBinary('add', 'f32', snan, 0)).toBe(0x7fc00000);
    expect(evalBinary('fpdiv', 'f32', 0, 0)).toBe(0x7fc00000);
    expect(evalUnary('fpsqrt', 'f64', f64ToBits(-1))).toBe(0x7ff8000000000000n);
    expect(evalUnary('fpneg', 'f32', snan)).toBe(0xffa00000);
    expect(evalUnary('fpabs', 'f32', 0xffa00000)).toBe(snan);
    expect(evalConvert('fpext', 'f64', 'f32', snan)).toBe(0x7ff8000000000000n);
  });

  // @spec DMIR-OP-UNARY.1 DMIR-OP-CONVERT.1
  it('rounds halves to even and converts with one rounding (DMIR-OP-UNARY.1, DMIR-OP-CONVERT.1)', () => {
    expect(evalUnary('fpround_nearest', 'f64', f64ToBits(2.5))).toBe(f64ToBits(2));
    expect(evalUnary('fpround_nearest', 'f64', f64ToBits(-0.5))).toBe(f64ToBits(-0));
    expect(evalUnary('clz', 'i64', 1n)).toBe(63n);
    expect(evalUnary('ctz', 'i32', 0)).toBe(32);
    // 2^24 + 1 is a tie between 2^24 and 2^24 + 2: even wins. 2^53 + 2^29 + 1 rounds up in one step
    // but would round down if it went through a double first.
    expect(evalConvert('sitofp', 'f32', 'i64', (1n << 24n) + 1n)).toBe(f32ToBits(16777216));
    expect(evalConvert('sitofp', 'f32', 'i64', (1n << 53n) + (1n << 29n) + 1n)).toBe(f32ToBits(2 ** 53 + 2 ** 30));
    expect(evalConvert('uitofp', 'f64', 'i32', -1)).toBe(f64ToBits(4294967295));
  });

  // @spec DMIR-DET-FPTOINT.1
  it('traps on NaN and out-of-range float-to-int (DMIR-DET-FPTOINT.1)', () => {
    expect(evalConvert('wasm_fptosi', 'i32', 'f32', 0x7fc00000)).toBe('Dmir.Trap.INVALID_CONVERSION_TO_INTEGER');
    expect(evalConvert('wasm_fptosi', 'i32', 'f64', f64ToBits(2147483648))).toBe('Dmir.Trap.INTEGER_OVERFLOW');
    expect(evalConvert('wasm_fptosi', 'i32', 'f64', f64ToBits(-2147483648.9))).toBe(-2147483648);
    expect(evalConvert('wasm_fptoui', 'i32', 'f64', f64ToBits(-0.9))).toBe(0);
    expect(evalConvert('wasm_fptoui', 'i64', 'f32', f32ToBits(Infinity))).toBe('Dmir.Trap.INTEGER_OVERFLOW');
  });

  // @spec DMIR-OP-CONVERT-SAT.1
  it('saturating conversions give 0 for NaN and clamp to the range (DMIR-OP-CONVERT-SAT.1)', () => {
    const s32 = (bits: number): unknown => evalConvert('wasm_fptosi_sat', 'i32', 'f32', bits);
    const u32 = (bits: number): unknown => evalConvert('wasm_fptoui_sat', 'i32', 'f32', bits);
    expect([0x7fc00000, 0xffc00000, 0x7f800000, 0xff800000, 0x4f000000, 0xcf000001, 0x3ff33333, 0xbff33333].map(s32))
      .toEqual([0, 0, 0x7fffffff, -0x80000000, 0x7fffffff, -0x80000000, 1, -1]);
    // Unsigned i32 results are carried as signed integers: 0xffffffff is -1, 0xffffff00 is -256.
    expect([0xbf800000, 0xbf7fffff, 0x4f800000, 0x4f7fffff, 0x7f800000, 0x7fa00000].map(u32)).toEqual([0, 0, -1, -256, -1, 0]);
    expect(evalConvert('wasm_fptosi_sat', 'i64', 'f64', 0x43e0000000000000n)).toBe((1n << 63n) - 1n); // 2^63
    expect(evalConvert('wasm_fptosi_sat', 'i64', 'f64', 0xc3e0000000000001n)).toBe(-(1n << 63n)); // just below -2^63
    expect(evalConvert('wasm_fptosi_sat', 'i64', 'f64', 0xc3dfffffffffffffn)).toBe(-9223372036854774784n);
    expect(evalConvert('wasm_fptoui_sat', 'i64', 'f64', 0x43f0000000000000n)).toBe(-1n); // 2^64 saturates to 2^64 - 1
    expect(evalConvert('wasm_fptoui_sat', 'i64', 'f64', 0xbfe0000000000000n)).toBe(0n); // -0.5
    expect(evalConvert('wasm_fptoui_sat', 'i64', 'f32', 0x5f000000)).toBe(-(1n << 63n)); // 2^63 read unsigned
  });
});

describe('dMIR verifier', () => {
  const base = (f: DefinedFunc): Module => ({ types: [], funcs: [f], globals: [{ type: 'i32', mutable: false, init: 0 }], memory: null, table: null, elems: [], datas: [], start: null, exports: [] });
  const fn = (body: Expr, extra: Partial<DefinedFunc> = {}): DefinedFunc => ({
    kind: 'defined', name: 'f', type: { params: [], results: ['i32'] }, vars: [], frameCost: 64,
    blocks: [{ stmts: [], term: { op: 'return', values: [body] } }], ...extra,
  });

  // @spec DMIR-VERIFY-TYPES.1
  it('rejects an operand of the wrong type (DMIR-VERIFY-TYPES.1)', () => {
    const r = verifyModule(base(fn({ op: 'binary', kind: 'add', type: 'i32', lhs: { op: 'const', type: 'i32', value: 1 }, rhs: { op: 'const', type: 'i64', value: 1n } })));
    expect(r.ok ? 'ok' : r.error.code).toBe('Dmir.Verify.TYPE_MISMATCH');
  });

  // @spec DMIR-VERIFY-TRAPEDGE.1
  it('requires an exception block for every trap an instruction may raise (DMIR-VERIFY-TRAPEDGE.1)', () => {
    const div: Expr = { op: 'binary', kind: 'udiv', type: 'i32', lhs: { op: 'const', type: 'i32', value: 1 }, rhs: { op: 'const', type: 'i32', value: 0 } };
    const missing = verifyModule(base(fn(div)));
    expect(missing.ok ? 'ok' : missing.error.code).toBe('Dmir.Verify.MISSING_EXCEPTION_BLOCK');
    const withEdge = base(fn(div, { blocks: [{ stmts: [], term: { op: 'return', values: [div] } }, { stmts: [], term: { op: 'trap', code: 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO' } }] }));
    expect(verifyModule(withEdge).ok).toBe(true);
    const inst = instantiate(withEdge, () => undefined, { gas: 0n });
    expect(inst.ok).toBe(true);
  });

  // @spec DMIR-VERIFY-CFG.1 DMIR-VERIFY-TYPES.1
  it('rejects branches to missing blocks and writes to immutable globals (DMIR-VERIFY-CFG.1)', () => {
    const br = verifyModule(base(fn({ op: 'const', type: 'i32', value: 0 }, { blocks: [{ stmts: [], term: { op: 'br', target: 3 } }] })));
    expect(br.ok ? 'ok' : br.error.code).toBe('Dmir.Verify.BAD_INDEX');
    const g = verifyModule(base(fn({ op: 'const', type: 'i32', value: 0 }, { blocks: [{ stmts: [{ op: 'global_set', index: 0, value: { op: 'const', type: 'i32', value: 1 } }], term: { op: 'return', values: [{ op: 'const', type: 'i32', value: 0 }] } }] })));
    expect(g.ok ? 'ok' : g.error.code).toBe('Dmir.Verify.IMMUTABLE_GLOBAL');
  });
});

describe('dMIR execution', () => {
  // @spec DMIR-STACK-COST.1 DMIR-STACK-BUDGET.1
  it('traps at the depth the stack-cost budget allows (DMIR-STACK-COST.1, DMIR-STACK-BUDGET.1)', () => {
    // $r has no parameters or locals and an operand stack of height 2: 64 + 2 * 8 = 80 bytes a
    // frame, so floor(8 MiB / 80) = 104857 frames fit and the next entry traps.
    const m = wat(`(global $d (mut i32) (i32.const 0))
      (func $r (export "r") (global.set $d (i32.add (global.get $d) (i32.const 1))) (call $r))
      (func (export "d") (result i32) (global.get $d))`);
    const r = run(m, 'r', []);
    expect(r.outcome).toEqual({ kind: 'trap', code: 'Dmir.Trap.CALL_STACK_EXHAUSTED' });
    expect(r.instance.globals[0]).toBe(Math.floor((8 * 1024 * 1024) / 80));
  });

  // @spec DMIR-GAS-INTRINSIC.1 DMIR-GAS-USE.1
  it('charges __instrumented_use_gas inline and zeroes gas when it runs out (DMIR-GAS-USE.1)', () => {
    const m = wat(`(func $gas (export "__instrumented_use_gas") (param i64) (unreachable))
      (func (export "f") (result i32) (call $gas (i64.const 10)) (call $gas (i64.const 10)) (call $gas (i64.const 10)) (i32.const 7))`);
    expect(run(m, 'f', [], 100n)).toMatchObject({ outcome: { kind: 'return', values: [7] }, gasLeft: 70n });
    expect(run(m, 'f', [], 30n)).toMatchObject({ outcome: { kind: 'return', values: [7] }, gasLeft: 0n });
    expect(run(m, 'f', [], 25n)).toMatchObject({ outcome: { kind: 'trap', code: 'Dmir.Trap.OUT_OF_GAS' }, gasLeft: 0n });
    // Called indirectly or directly under another name, the function is an ordinary call.
    const plain = wat(`(func $gas (param i64) (unreachable)) (func (export "f") (call $gas (i64.const 1)))`);
    expect(run(plain, 'f', [], 100n).outcome).toEqual({ kind: 'trap', code: 'Dmir.Trap.UNREACHABLE' });
  });

  // @spec DMIR-OP-MEMORY-GROW.1 DMIR-LIMIT-MEMORY.1
  it('grows memory up to the 256-page ceiling whatever the declared maximum (DMIR-LIMIT-MEMORY.1)', () => {
    const m = wat(`(memory 1) (func (export "g") (param i32) (result i32) (memory.grow (local.get 0)))`);
    expect(run(m, 'g', [255]).outcome).toEqual({ kind: 'return', values: [1] });
    expect(run(m, 'g', [256]).outcome).toEqual({ kind: 'return', values: [-1] });
  });

  // @spec DMIR-EXEC-INSTANTIATE.1
  it('traps at instantiation when a data segment does not fit (DMIR-EXEC-INSTANTIATE.1)', () => {
    const m = wat(`(memory 1) (data (i32.const 65535) "ab")`);
    const r = instantiateWasm(m, () => undefined, { gas: 0n });
    expect(r.ok && r.value.outcome).toEqual({ kind: 'trap', code: 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS' });
    const unlinked = instantiateWasm(wat(`(import "env" "f" (func))`), () => undefined, { gas: 0n });
    expect(unlinked.ok ? 'ok' : unlinked.error.code).toBe('Dmir.Link.UNLINKED_IMPORT');
  });
});
