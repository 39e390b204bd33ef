/**
 * Every dMIR value opcode, one at a time, on the engine's interpreter tier and on compiled code
 * against the reference interpreter: random operands biased towards the edges (zeros, extremes,
 * infinities, NaNs with payloads, values next to the conversion limits), exact result bits or trap
 * codes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deployEngine, manualCompiler } from './engine.js';
import { fuseStatements } from './interp.js';
import { instantiate, invokeFunction } from '../../model/dmir/interp.js';
import { verifyModule } from '../../model/dmir/verify.js';
import {
  BINARY_OPS, CMP_PREDICATES, TRAP_CODE_LIST,
  type Block, type Expr, type Module, type ScalarType, type Stmt, type Val, type ValType,
} from '../../model/dmir/ir.js';

const RUNS = Number(process.env['DMIR_OP_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 5_000 : 400));

const F32_EDGES = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fa00001, 0xff800001, 1, 0x7f7fffff, 0x00800000,
  0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000, 0xc0200000, 0x4f000000, 0xcf000000, 0x4effffff, 0x4f800000, 0x5f000000, 0xdf000000, 0x5effffff, 0x5f800000, 0xbf7fffff];
const F64_EDGES = [0n, 0x8000000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff4000000000001n, 1n,
  0x7fefffffffffffffn, 0x3fe0000000000000n, 0xbfe0000000000000n, 0x4004000000000000n, 0x41dfffffffc00000n, 0x41e0000000000000n, 0xc1e0000000000000n,
  0xc1e0000000200000n, 0x41efffffffe00000n, 0x41f0000000000000n, 0x43e0000000000000n, 0xc3e0000000000000n, 0x43dfffffffffffffn, 0x43f0000000000000n,
  0x4330000000000001n, 0xbfefffffffffffffn, 0x3ff0000000000001n];

const f32Bits = (x: number): number => { const b = new DataView(new ArrayBuffer(4)); b.setFloat32(0, x); return b.getUint32(0); };
const f64Bits = (x: number): bigint => { const b = new DataView(new ArrayBuffer(8)); b.setFloat64(0, x); return b.getBigUint64(0); };

const arb: Record<ValType, fc.Arbitrary<Val>> = {
  i32: fc.oneof(fc.integer(), fc.constantFrom(0, 1, -1, 2, 31, 32, 33, -0x80000000, 0x7fffffff, 0x10000, 0xffff), fc.integer({ min: -70, max: 70 })),
  i64: fc.oneof(fc.bigInt(-(1n << 63n), (1n << 63n) - 1n), fc.constantFrom(0n, 1n, -1n, 63n, 64n, 65n, -(1n << 63n), (1n << 63n) - 1n, 1n << 32n, (1n << 53n) + 1n, -((1n << 53n) + 1n)),
    fc.bigInt(-70n, 70n), fc.bigInt(-(1n << 63n), (1n << 63n) - 1n).map((x) => x >> BigInt(Number(x & 63n)))),
  f32: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(...F32_EDGES), fc.float().map(f32Bits), fc.integer({ min: -300, max: 300 }).map((i) => f32Bits(i / 4))),
  f64: fc.oneof(fc.bigInt(0n, (1n << 64n) - 1n), fc.constantFrom(...F64_EDGES), fc.double().map(f64Bits), fc.integer({ min: -300, max: 300 }).map((i) => f64Bits(i / 4))),
};

const R = (type: ValType, variable: number): Expr => ({ op: 'dread', type, variable });
const ALL_TRAPS: Block[] = TRAP_CODE_LIST.filter((c) => c !== 'Dmir.Trap.STEP_LIMIT').map((code) => ({ stmts: [], term: { op: 'trap', code } }));

/** A module of one function whose body returns `body` over its parameters, with every exception block. */
const single = (params: readonly ValType[], result: ValType, body: Expr): Module => ({
  types: [{ params, results: [result] }],
  funcs: [{ kind: 'defined', name: 'op', type: { params, results: [result] }, vars: [...params], blocks: [{ stmts: [], term: { op: 'return', values: [body] } }, ...ALL_TRAPS], frameCost: 96 }],
  globals: [], memory: null, table: null, elems: [], datas: [], start: null, exports: [{ name: 'op', kind: 'func', index: 0 }],
});

interface Case { readonly name: string; readonly params: readonly ValType[]; readonly result: ValType; readonly body: Expr }
const cases: Case[] = [];
const INT: readonly ValType[] = ['i32', 'i64'];
const FLOAT: readonly ValType[] = ['f32', 'f64'];
for (const t of INT) {
  for (const kind of ['clz', 'ctz', 'popcnt', 'not'] as const) cases.push({ name: `${kind}.${t}`, params: [t], result: t, body: { op: 'unary', kind, type: t, arg: R(t, 0) } });
  for (const kind of BINARY_OPS.filter((k) => !k.startsWith('fp'))) cases.push({ name: `${kind}.${t}`, params: [t, t], result: t, body: { op: 'binary', kind, type: t, lhs: R(t, 0), rhs: R(t, 1) } });
  for (const pred of CMP_PREDICATES.filter((p) => p.startsWith('i'))) cases.push({ name: `cmp.${pred}.${t}`, params: [t, t], result: 'i32', body: { op: 'cmp', pred, type: 'i32', lhs: R(t, 0), rhs: R(t, 1) } });
}
for (const t of FLOAT) {
  for (const kind of ['fpabs', 'fpneg', 'fpsqrt', 'fpround_ceil', 'fpround_floor', 'fpround_trunc', 'fpround_nearest'] as const) cases.push({ name: `${kind}.${t}`, params: [t], result: t, body: { op: 'unary', kind, type: t, arg: R(t, 0) } });
  for (const kind of ['add', 'sub', 'mul', 'fpdiv', 'fpmin', 'fpmax', 'fpcopysign'] as const) cases.push({ name: `${kind}.${t}`, params: [t, t], result: t, body: { op: 'binary', kind, type: t, lhs: R(t, 0), rhs: R(t, 1) } });
  for (const pred of CMP_PREDICATES.filter((p) => p.startsWith('f'))) cases.push({ name: `cmp.${pred}.${t}`, params: [t, t], result: 'i32', body: { op: 'cmp', pred, type: 'i32', lhs: R(t, 0), rhs: R(t, 1) } });
}
const conv = (kind: Extract<Expr, { op: 'convert' }>['kind'], from: ValType, to: ScalarType, arg: Expr = R(from, 0)): Expr => ({ op: 'convert', kind, type: to, arg });
const convCases: [string, ValType, ValType, Expr][] = [
  ['trunc.i64.i32', 'i64', 'i32', conv('trunc', 'i64', 'i32')],
  ['sext.i32.i64', 'i32', 'i64', conv('sext', 'i32', 'i64')],
  ['uext.i32.i64', 'i32', 'i64', conv('uext', 'i32', 'i64')],
  ['sext.i8.i32', 'i32', 'i32', conv('sext', 'i32', 'i32', conv('trunc', 'i32', 'i8'))],
  ['uext.i16.i32', 'i32', 'i32', conv('uext', 'i32', 'i32', conv('trunc', 'i32', 'i16'))],
  ['sext.i16.i64', 'i64', 'i64', { op: 'convert', kind: 'sext', type: 'i64', arg: conv('trunc', 'i64', 'i16') }],
  ['uext.i8.i64', 'i64', 'i64', { op: 'convert', kind: 'uext', type: 'i64', arg: conv('trunc', 'i64', 'i8') }],
  ['fptrunc', 'f64', 'f32', conv('fptrunc', 'f64', 'f32')],
  ['fpext', 'f32', 'f64', conv('fpext', 'f32', 'f64')],
  ['bitcast.f32.i32', 'f32', 'i32', conv('bitcast', 'f32', 'i32')], ['bitcast.i32.f32', 'i32', 'f32', conv('bitcast', 'i32', 'f32')],
  ['bitcast.f64.i64', 'f64', 'i64', conv('bitcast', 'f64', 'i64')], ['bitcast.i64.f64', 'i64', 'f64', conv('bitcast', 'i64', 'f64')],
];
for (const kind of ['sitofp', 'uitofp'] as const) for (const from of INT) for (const to of FLOAT) convCases.push([`${kind}.${from}.${to}`, from, to, conv(kind, from, to)]);
for (const kind of ['wasm_fptosi', 'wasm_fptoui', 'wasm_fptosi_sat', 'wasm_fptoui_sat'] as const) for (const from of FLOAT) for (const to of INT) convCases.push([`${kind}.${from}.${to}`, from, to, conv(kind, from, to)]);
for (const [name, from, to, body] of convCases) cases.push({ name, params: [from], result: to, body });

describe('dMIR opcodes on the engine against the reference interpreter', () => {
  for (const tier of ['interpreter', 'compiled'] as const) {
    // @spec DMIR-ENGINE-INTERP.1 DMIR-ENGINE-EQUIV.1 DMIR-OP-UNARY.1 DMIR-OP-BINARY.1 DMIR-OP-DIV.1 DMIR-OP-CMP.1 DMIR-OP-CONVERT.1 DMIR-DET-NAN.1 DMIR-DET-FPTOINT.1
    it(`${cases.length} opcode forms, ${RUNS} operand sets each, on the ${tier} tier (DMIR-ENGINE-EQUIV.1)`, () => {
      for (const c of cases) {
        const m = single(c.params, c.result, c.body);
        const v = verifyModule(m);
        if (!v.ok) throw new Error(`${c.name}: ${v.error.message}`);
        const model = instantiate(m, () => undefined, { gas: 0n });
        if (!model.ok) throw new Error(model.error.message);
        const compiler = manualCompiler();
        const engine = deployEngine(m, () => undefined, { gas: 0n, compiler });
        if (!engine.ok) throw new Error(engine.error.message);
        if (tier === 'compiled') {
          // Every opcode form has a WebAssembly translation (DMIR-ENGINE-FAIL.1 never applies here).
          compiler.finishNext();
          expect(engine.value.compileState(), c.name).toBe('ready');
        }
        fc.assert(fc.property(fc.tuple(...c.params.map((t) => arb[t])), (args) => {
          const want = invokeFunction(model.value.instance, 0, args, { gas: 0n }).outcome;
          const got = engine.value.invoke('op', args, 0n).outcome;
          expect(got, `${c.name}(${args.join(', ')})`).toEqual(want);
        }), { numRuns: RUNS, seed: 3_141 });
        const ran = engine.value.tierCounts();
        // Every call ran on the tier under test.
        const [used, other] = tier === 'interpreter' ? [ran.interpreter, ran.native] : [ran.native, ran.interpreter];
        expect([used > 0, other], c.name).toEqual([true, 0]);
      }
    });
  }
});

describe('statement fusion of the interpreter tier', () => {
  const i32 = (value: number): Expr => ({ op: 'const', type: 'i32', value });
  const add = (lhs: Expr, rhs: Expr): Expr => ({ op: 'binary', kind: 'add', type: 'i32', lhs, rhs });
  // @spec DMIR-ENGINE-INTERP.1 DMIR-EXEC-STEP.1
  it('folds a definition into its single use and nowhere else (DMIR-ENGINE-INTERP.1)', () => {
    const stmts: Stmt[] = [
      { op: 'dassign', variable: 1, value: R('i32', 0) }, // blocked: v0 is written before the use
      { op: 'dassign', variable: 0, value: i32(5) },
      { op: 'dassign', variable: 1, value: add(R('i32', 1), R('i32', 0)) },
      { op: 'dassign', variable: 2, value: add(R('i32', 0), i32(1)) }, // blocked: read twice below
      { op: 'dassign', variable: 2, value: add(R('i32', 2), R('i32', 2)) },
      { op: 'dassign', variable: 3, value: { op: 'load', type: 'i32', base: i32(0), offset: 0 } }, // blocked: may trap
      { op: 'dassign', variable: 3, value: add(R('i32', 3), i32(1)) },
      { op: 'dassign', variable: 4, value: add(R('i32', 1), i32(7)) }, // folded across an unrelated statement
      { op: 'store', type: 'i32', base: i32(8), offset: 0, value: R('i32', 2) },
      { op: 'dassign', variable: 4, value: add(R('i32', 4), R('i32', 3)) },
    ];
    const fused = fuseStatements(stmts);
    expect(fused.length).toBe(stmts.length - 1);
    expect(fused[fused.length - 1]).toEqual({ op: 'dassign', variable: 4, value: add(add(R('i32', 1), i32(7)), R('i32', 3)) });
    const f: Module = {
      types: [{ params: ['i32'], results: ['i32', 'i32', 'i32', 'i32'] }],
      funcs: [{ kind: 'defined', name: 'f', type: { params: ['i32'], results: ['i32', 'i32', 'i32', 'i32'] }, vars: ['i32', 'i32', 'i32', 'i32', 'i32'],
        blocks: [{ stmts, term: { op: 'return', values: [R('i32', 1), R('i32', 2), R('i32', 3), R('i32', 4)] } }, ...ALL_TRAPS], frameCost: 100 }],
      globals: [], memory: { min: 1, max: null }, table: null, elems: [], datas: [{ offset: 0, bytes: Uint8Array.from([9, 0, 0, 0]) }], start: null,
      exports: [{ name: 'f', kind: 'func', index: 0 }],
    };
    expect(verifyModule(f).ok).toBe(true);
    const model = instantiate(f, () => undefined, { gas: 0n });
    const engine = deployEngine(f, () => undefined, { gas: 0n, compiler: manualCompiler() });
    if (!model.ok || !engine.ok) throw new Error('instantiation failed');
    const want = invokeFunction(model.value.instance, 0, [20], { gas: 0n }).outcome;
    expect(want).toEqual({ kind: 'return', values: [25, 12, 10, 42] });
    expect(engine.value.invoke('f', [20], 0n).outcome).toEqual(want);
  });
});
