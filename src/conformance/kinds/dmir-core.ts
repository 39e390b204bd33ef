/**
 * Vector kinds of the dMIR core, independent of any source profile: `dmir/verify` (a module in
 * its JSON form, accepted or rejected with the verifier's code) and `dmir/execute` (a module, a
 * function index, arguments and gas; the outcome and the gas left). Modules come from three
 * places: written here in dMIR directly (opcodes and control flow no WebAssembly lowering
 * produces: checked arithmetic, unordered float predicates, irreducible loops, several results),
 * lowered from generated WebAssembly modules, and seeded corruptions of those.
 *
 * The implementation answers `dmir/execute` with the engine (`src/impl/dmir/engine.ts`): the
 * call runs on the interpreter tier of one deployment and on compiled code of a second one, and
 * the two must agree before the answer is given.
 */
import { Schema } from 'effect';
import fc from 'fast-check';
import type { Block, DefinedFunc, Expr, Func, FuncType, Module, Stmt, TrapCode, Val, ValType } from '../../model/dmir/ir.js';
import { TRAP_CODE_LIST } from '../../model/dmir/ir.js';
import { VERIFY_ERROR_CODES, verifyModule } from '../../model/dmir/verify.js';
import { instantiate, invokeFunction, LINK_ERROR_CODES } from '../../model/dmir/interp.js';
import { loadWasm } from '../../model/dmir/wasm/index.js';
import { encodeModule } from '../../model/dmir/wasm/encode.js';
import type { Result } from '../../model/encoding/index.js';
import { deployEngine, manualCompiler, type EngineOutcome } from '../../impl/dmir/engine.js';
import { verifyDmir } from '../../impl/dmir/interp-verify.js';
import { wasmModule } from '../wast/gen.js';
import { prng } from '../vectors/prng.js';
import { type CaseDraft, defineKind } from './kind.js';
import { DMIR_JSON_ERROR_CODES, moduleFromJson, moduleToJson, parseValueText, valueText } from './dmir-json.js';

const draft = (id: string, description: string, requirements: readonly string[], input: unknown): CaseDraft => ({ id, description, requirements, input });
const fail = (code: string, message: string): Result<never> => ({ ok: false, error: { code, message } });

const Dec = Schema.String.pipe(Schema.pattern(/^(0|[1-9][0-9]*)$/)).annotations({ jsonSchema: { type: 'string', pattern: '^(0|[1-9][0-9]*)$' } });
const Value = Schema.String.pipe(Schema.pattern(/^(-?(0|[1-9][0-9]*)|0x[0-9a-f]{8}|0x[0-9a-f]{16})$/))
  .annotations({ jsonSchema: { type: 'string', pattern: '^(-?(0|[1-9][0-9]*)|0x[0-9a-f]{8}|0x[0-9a-f]{16})$' } });
/** A dMIR module in the JSON form of `dmir-json.ts`; its shape is checked by the kind, not the schema. */
const ModuleJson = Schema.Unknown.annotations({ jsonSchema: { type: 'object', description: 'a dMIR module in the JSON form of the dMIR chapter' } });

export const EXECUTE_ERROR_CODES = ['Dmir.Execute.UNKNOWN_FUNCTION', 'Dmir.Execute.BAD_ARGUMENTS'] as const;

// ---------------------------------------------------------------------------------------------
// Building modules by hand.

const K = (type: ValType, value: Val): Expr => ({ op: 'const', type, value });
const R = (type: ValType, variable: number): Expr => ({ op: 'dread', type, variable });
const bin = (kind: Extract<Expr, { op: 'binary' }>['kind'], type: ValType, lhs: Expr, rhs: Expr): Expr => ({ op: 'binary', kind, type, lhs, rhs });
const cmp = (pred: Extract<Expr, { op: 'cmp' }>['pred'], lhs: Expr, rhs: Expr): Expr => ({ op: 'cmp', pred, type: 'i32', lhs, rhs });
const ret = (...values: Expr[]): Block => ({ stmts: [], term: { op: 'return', values } });
const trapBlock = (code: TrapCode): Block => ({ stmts: [], term: { op: 'trap', code } });
const set = (variable: number, value: Expr): Stmt => ({ op: 'dassign', variable, value });

const cells = (t: ValType): number => (t === 'i64' || t === 'f64' ? 2 : 1);
const fn = (name: string, type: FuncType, locals: readonly ValType[], blocks: readonly Block[]): DefinedFunc => {
  const vars = [...type.params, ...locals];
  // The frame cost of DMIR-STACK-COST.1 with an operand stack of two slots.
  return { kind: 'defined', name, type, vars, blocks, frameCost: 4 * vars.reduce((n, t) => n + cells(t), 0) + 64 + 16 };
};
const mod = (funcs: readonly Func[], extra: Partial<Module> = {}): Module => ({
  types: funcs.map((f) => f.type), funcs, globals: [], memory: null, table: null, elems: [], datas: [], start: null,
  exports: funcs.map((f, i) => ({ name: f.name, kind: 'func' as const, index: i })), ...extra,
});

/** One binary opcode with its trap edge: f(a, b) = a op b. */
const binaryModule = (kind: Extract<Expr, { op: 'binary' }>['kind'], t: ValType, traps: readonly TrapCode[]): Module =>
  mod([fn(`${kind}_${t}`, { params: [t, t], results: [t] }, [], [ret(bin(kind, t, R(t, 0), R(t, 1))), ...traps.map(trapBlock)])]);

/** One comparison: f(a, b) = cmp pred a b. */
const cmpModule = (pred: Extract<Expr, { op: 'cmp' }>['pred'], t: ValType): Module =>
  mod([fn(`${pred}_${t}`, { params: [t, t], results: ['i32'] }, [], [ret(cmp(pred, R(t, 0), R(t, 1)))])]);

const M = {
  not64: mod([fn('not', { params: ['i64'], results: ['i64'] }, [], [ret({ op: 'unary', kind: 'not', type: 'i64', arg: R('i64', 0) })])]),
  // Two entries into one loop (blocks 1 and 2): a graph no structured WebAssembly lowers to.
  irreducible: mod([fn('irreducible', { params: ['i32'], results: ['i32'] }, ['i32'], [
    { stmts: [set(1, R('i32', 0))], term: { op: 'br_if', cond: bin('and', 'i32', R('i32', 0), K('i32', 1)), then: 1, else: 2 } },
    { stmts: [set(1, bin('add', 'i32', R('i32', 1), K('i32', 3)))], term: { op: 'br_if', cond: cmp('islt', R('i32', 1), K('i32', 100)), then: 2, else: 3 } },
    { stmts: [set(1, bin('mul', 'i32', R('i32', 1), K('i32', 2)))], term: { op: 'br', target: 1 } },
    ret(R('i32', 1)),
  ])]),
  switch: mod([fn('switch', { params: ['i32'], results: ['i32'] }, [], [
    { stmts: [], term: { op: 'switch', index: R('i32', 0), targets: [1, 2, 1], default: 3 } },
    ret(K('i32', 10)), ret(K('i32', 20)), ret(K('i32', 30)),
  ])]),
  gas: mod([fn('charge', { params: ['i64'], results: ['i32'] }, [], [
    { stmts: [{ op: 'use_gas', amount: R('i64', 0) }, { op: 'use_gas', amount: K('i64', 1n) }], term: { op: 'return', values: [K('i32', 1)] } },
    trapBlock('Dmir.Trap.OUT_OF_GAS'),
  ])]),
  // A callee with two results assigned to two destinations; the caller combines them.
  multi: (() => {
    const pair = fn('pair', { params: ['i32'], results: ['i32', 'i64'] }, [], [ret(bin('mul', 'i32', R('i32', 0), K('i32', 3)), K('i64', -1n))]);
    const use = fn('use', { params: ['i32'], results: ['i64'] }, ['i32', 'i64'], [
      { stmts: [{ op: 'call', func: 0, args: [R('i32', 0)], dests: [1, 2] }], term: { op: 'return', values: [bin('add', 'i64', R('i64', 2), { op: 'convert', kind: 'sext', type: 'i64', arg: R('i32', 1) })] } },
    ]);
    return mod([pair, use]);
  })(),
  memory: mod([fn('mem', { params: ['i32', 'i32'], results: ['i32'] }, ['i32'], [
    { stmts: [
      { op: 'store', type: 'i16', base: R('i32', 0), offset: 2, value: { op: 'convert', kind: 'trunc', type: 'i16', arg: R('i32', 1) } },
      { op: 'memory_grow', delta: K('i32', 1), dest: 2 },
      { op: 'memory_grow', delta: K('i32', 1), dest: 2 },
    ], term: { op: 'return', values: [bin('add', 'i32', { op: 'convert', kind: 'sext', type: 'i32', arg: { op: 'load', type: 'i16', base: R('i32', 0), offset: 2 } }, R('i32', 2))] } },
    trapBlock('Dmir.Trap.MEMORY_OUT_OF_BOUNDS'),
  ])], { memory: { min: 1, max: 2 } }),
  icall: (() => {
    const inc = fn('inc', { params: ['i32'], results: ['i32'] }, [], [ret(bin('add', 'i32', R('i32', 0), K('i32', 1)))]);
    const wide = fn('wide', { params: ['i64'], results: ['i64'] }, [], [ret(R('i64', 0))]);
    const via = fn('via', { params: ['i32', 'i32'], results: ['i32'] }, ['i32'], [
      { stmts: [{ op: 'icall', typeIndex: 0, index: R('i32', 0), args: [R('i32', 1)], dests: [2] }], term: { op: 'return', values: [R('i32', 2)] } },
      trapBlock('Dmir.Trap.TABLE_OUT_OF_BOUNDS'), trapBlock('Dmir.Trap.UNINITIALIZED_ELEMENT'), trapBlock('Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH'),
    ]);
    return mod([inc, wide, via], { table: { min: 3, max: null }, elems: [{ offset: 0, funcs: [0, 1] }] });
  })(),
  // A frame cost of 1,000,000 bytes: the 8 MiB budget holds eight frames, so the ninth call traps.
  recurse: mod([{ ...fn('recurse', { params: ['i32'], results: ['i32'] }, ['i32'], [
    { stmts: [], term: { op: 'br_if', cond: cmp('ieq', R('i32', 0), K('i32', 0)), then: 1, else: 2 } },
    ret(K('i32', 0)),
    { stmts: [{ op: 'call', func: 0, args: [bin('sub', 'i32', R('i32', 0), K('i32', 1))], dests: [1] }], term: { op: 'return', values: [bin('add', 'i32', R('i32', 1), K('i32', 1))] } },
  ]), frameCost: 1_000_000 }]),
  globals: mod([fn('acc', { params: ['f32'], results: ['f32'] }, [], [
    { stmts: [{ op: 'global_set', index: 0, value: bin('add', 'f32', { op: 'global_get', type: 'f32', index: 0 }, R('f32', 0)) }], term: { op: 'return', values: [{ op: 'global_get', type: 'f32', index: 0 }] } },
  ])], { globals: [{ type: 'f32', mutable: true, init: 0x3fc00000 }] }),
};

const I32_MAX = '2147483647';
const I32_MIN = '-2147483648';
const I64_MAX = '9223372036854775807';
const I64_MIN = '-9223372036854775808';
const OVF = ['Dmir.Trap.INTEGER_OVERFLOW'] as const;
const NAN64 = '0x7ff8000000000000';
const ONE64 = '0x3ff0000000000000';
const TWO64 = '0x4000000000000000';

/** Hand-written cases: [id, description, requirements, module, function, args, gas]. */
const EXEC_HAND: readonly (readonly [string, string, readonly string[], Module, number, readonly string[], string])[] = [
  ...([
    ['wasm_sadd_overflow', 'i32', [I32_MAX, '1'], true], ['wasm_sadd_overflow', 'i32', [I32_MAX, '-1'], false],
    ['wasm_uadd_overflow', 'i32', ['-1', '1'], true], ['wasm_uadd_overflow', 'i32', ['-2', '1'], false],
    ['wasm_ssub_overflow', 'i32', [I32_MIN, '1'], true], ['wasm_usub_overflow', 'i32', ['0', '1'], true],
    ['wasm_smul_overflow', 'i32', ['65536', '32768'], true], ['wasm_smul_overflow', 'i32', ['-65536', '32768'], false],
    ['wasm_umul_overflow', 'i32', ['65536', '65536'], true], ['wasm_umul_overflow', 'i32', ['65535', '65537'], false],
    ['wasm_sadd_overflow', 'i64', [I64_MAX, '1'], true], ['wasm_uadd_overflow', 'i64', ['-1', '1'], true],
    ['wasm_ssub_overflow', 'i64', [I64_MIN, '1'], true], ['wasm_usub_overflow', 'i64', ['5', '3'], false],
    ['wasm_smul_overflow', 'i64', ['4294967296', '2147483648'], true], ['wasm_umul_overflow', 'i64', ['4294967296', '4294967295'], false],
  ] as const).map(([kind, t, args, traps], i) => [
    `checked-${kind.slice(5, -9)}-${t}-${traps ? 'overflow' : 'in-range'}-${i}`,
    `${kind} on ${t} with (${args.join(', ')}): ${traps ? 'outside the range, INTEGER_OVERFLOW' : 'inside the range'}`,
    ['DMIR-OP-BINARY.1', 'DMIR-VERIFY-TRAPEDGE.1'], binaryModule(kind, t, OVF), 0, args, '0',
  ] as const),
  ...([
    ['fueq', [NAN64, ONE64]], ['fueq', [ONE64, TWO64]], ['fone', [ONE64, TWO64]], ['fone', [NAN64, ONE64]],
    ['ford', [ONE64, NAN64]], ['funo', [ONE64, NAN64]], ['fult', [NAN64, ONE64]], ['fuge', [ONE64, TWO64]],
    ['ftrue', [NAN64, NAN64]], ['ffalse', [ONE64, ONE64]],
  ] as const).map(([pred, args], i) => [
    `cmp-${pred}-${i}`, `cmp ${pred} on f64 (${args.join(', ')})`, ['DMIR-OP-CMP.1'], cmpModule(pred, 'f64'), 0, args, '0',
  ] as const),
  ['unary-not-i64', 'not flips every bit', ['DMIR-OP-UNARY.1'], M.not64, 0, ['81985529216486895'], '0'],
  ['control-irreducible-odd', 'An irreducible loop entered at its first block', ['DMIR-EXEC-STEP.1'], M.irreducible, 0, ['7'], '0'],
  ['control-irreducible-even', 'An irreducible loop entered at its second block', ['DMIR-EXEC-STEP.1'], M.irreducible, 0, ['8'], '0'],
  ...['0', '1', '2', '3', '-1'].map((a) => [`control-switch-${a.replace('-', 'minus-')}`, `switch on ${a} (unsigned; past the targets takes the default)`, ['DMIR-EXEC-STEP.1'], M.switch, 0, [a], '0'] as const),
  ['gas-enough', 'Two charges within the gas', ['DMIR-GAS-USE.1'], M.gas, 0, ['5'], '10'],
  ['gas-exact', 'Two charges using all the gas', ['DMIR-GAS-USE.1'], M.gas, 0, ['9'], '10'],
  ['gas-one-short', 'The second charge fails: OUT_OF_GAS and no gas left', ['DMIR-GAS-USE.1'], M.gas, 0, ['10'], '10'],
  ['gas-unsigned-amount', 'A charge of -1 is 2^64 - 1', ['DMIR-GAS-USE.1'], M.gas, 0, ['-1'], '18446744073709551615'],
  ['call-multi-result', 'A call assigns two results to two variables', ['DMIR-STRUCT-MULTI.1', 'DMIR-EXEC-CALL.1'], M.multi, 1, ['7'], '0'],
  ['memory-sub-word-and-grow', 'An i16 store and sign-extending load; the second growth passes the maximum', ['DMIR-OP-MEMORY.1', 'DMIR-OP-MEMORY-GROW.1'], M.memory, 0, ['100', '65535'], '0'],
  ['memory-store-out-of-bounds', 'A store ending past the memory traps', ['DMIR-OP-MEMORY.1'], M.memory, 0, ['65533', '1'], '0'],
  ['icall-ok', 'An indirect call of an element of the expected type', ['DMIR-EXEC-CALL.1'], M.icall, 2, ['0', '41'], '0'],
  ['icall-type-mismatch', 'An element of another type', ['DMIR-EXEC-CALL.1'], M.icall, 2, ['1', '0'], '0'],
  ['icall-uninitialized', 'An empty element', ['DMIR-EXEC-CALL.1'], M.icall, 2, ['2', '0'], '0'],
  ['icall-out-of-bounds', 'An index past the table', ['DMIR-EXEC-CALL.1'], M.icall, 2, ['3', '0'], '0'],
  ['stack-within-budget', 'Eight frames of 1,000,000 bytes fit the 8 MiB budget', ['DMIR-STACK-COST.1', 'DMIR-STACK-BUDGET.1'], M.recurse, 0, ['7'], '0'],
  ['stack-exhausted', 'The ninth frame of 1,000,000 bytes passes the budget: CALL_STACK_EXHAUSTED', ['DMIR-STACK-BUDGET.1', 'DMIR-EXEC-TRAP.1'], M.recurse, 0, ['8'], '0'],
  ['global-float', 'A float global is read and written', ['DMIR-OP-BINARY.1'], M.globals, 0, ['0x40000000'], '0'],
  ['error-unknown-function', 'A function index past the module', ['DMIR-EXEC-INVOKE.1'], M.not64, 1, [], '0'],
  ['error-argument-count', 'Too few arguments', ['DMIR-EXEC-INVOKE.1'], M.not64, 0, [], '0'],
  ['error-argument-type', 'A float argument for an i64 parameter', ['DMIR-EXEC-INVOKE.1'], M.not64, 0, ['0x3ff0000000000000'], '0'],
];

// ---------------------------------------------------------------------------------------------
// Generated modules: WebAssembly from the profile generator, lowered to dMIR.

const lowered = (seed: number, n: number): { m: Module; fi: number; args: string[] }[] =>
  fc.sample(wasmModule({ depth: 3 }), { seed, numRuns: n }).flatMap((g) => {
    const r = loadWasm(encodeModule(g.module));
    if (!r.ok) return [];
    const c = g.calls[0]!;
    const fi = Number(c.name.slice(1));
    const t = r.value.funcs[fi]!.type;
    return [{ m: r.value, fi, args: c.args.map((a, i) => valueText(t.params[i]!, a)) }];
  });

// ---------------------------------------------------------------------------------------------
// Execution on both sides.

interface ExecIn { readonly module: unknown; readonly function: number; readonly args: readonly string[]; readonly gas: string }
interface ExecOut { readonly values: readonly string[] | null; readonly trap: string | null; readonly gasLeft: string }

const prepare = (c: ExecIn, verify: (m: Module) => Result<Module>): Result<{ m: Module; args: Val[]; results: readonly ValType[] }> => {
  const parsed = moduleFromJson(c.module);
  if (!parsed.ok) return parsed;
  const v = verify(parsed.value);
  if (!v.ok) return v;
  const f = v.value.funcs[c.function];
  if (f === undefined) return fail('Dmir.Execute.UNKNOWN_FUNCTION', `function ${c.function} does not exist`);
  if (c.args.length !== f.type.params.length) return fail('Dmir.Execute.BAD_ARGUMENTS', `function ${c.function} takes ${f.type.params.length} arguments, given ${c.args.length}`);
  const args: Val[] = [];
  for (const [i, s] of c.args.entries()) {
    const x = parseValueText(f.type.params[i]!, s);
    if (x === null) return fail('Dmir.Execute.BAD_ARGUMENTS', `argument ${i} ${JSON.stringify(s)} is not a ${f.type.params[i]} value`);
    args.push(x);
  }
  return { ok: true, value: { m: v.value, args, results: f.type.results } };
};

const output = (o: EngineOutcome, gasLeft: bigint, results: readonly ValType[]): ExecOut => (o.kind === 'return'
  ? { values: o.values.map((x, i) => valueText(results[i]!, x)), trap: null, gasLeft: String(gasLeft) }
  : { values: null, trap: o.code, gasLeft: String(gasLeft) });

const modelExecute = (c: ExecIn): Result<ExecOut> => {
  const p = prepare(c, verifyModule);
  if (!p.ok) return p;
  const gas = BigInt(c.gas);
  const inst = instantiate(p.value.m, () => undefined, { gas });
  if (!inst.ok) return inst;
  if (inst.value.outcome.kind === 'trap') return fail(inst.value.outcome.code, 'instantiation trapped');
  const r = invokeFunction(inst.value.instance, c.function, p.value.args, { gas });
  return { ok: true, value: output(r.outcome, r.gasLeft, p.value.results) };
};

/** A function index as the engine invokes it: by an export name, added when the function has none. */
const withExport = (m: Module, fi: number): { m: Module; name: string } => {
  const e = m.exports.find((x) => x.kind === 'func' && x.index === fi);
  if (e !== undefined) return { m, name: e.name };
  const name = `\u0000function ${fi}`;
  return { m: { ...m, exports: [...m.exports, { name, kind: 'func', index: fi }] }, name };
};

/**
 * The engine's answer to one call on a fresh instance: two deployments of the module, the call on
 * the interpreter tier of the first and on compiled code of the second; the answer stands only if
 * both agree (DMIR-ENGINE-EQUIV.1). A module the compiler cannot translate stays on the
 * interpreter (DMIR-ENGINE-FAIL.1) and has the interpreter's answer.
 */
export const engineCall = (m: Module, name: string, args: readonly Val[], gas: bigint): Result<{ outcome: EngineOutcome; gasLeft: bigint }> => {
  const answers: { outcome: EngineOutcome; gasLeft: bigint }[] = [];
  for (const tier of ['interpreter', 'native'] as const) {
    const compiler = manualCompiler();
    const d = deployEngine(m, () => undefined, { gas, compiler });
    if (!d.ok) return d;
    if (d.value.startOutcome.kind === 'trap') return fail(d.value.startOutcome.code, 'instantiation trapped');
    if (tier === 'native') {
      compiler.finishNext();
      if (d.value.compileState() === 'failed') continue;
    }
    answers.push(d.value.invoke(name, args, gas));
  }
  const [a, b] = answers;
  const show = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  if (b !== undefined && show(a) !== show(b)) return fail('Dmir.Engine.TIER_MISMATCH', `interpreter tier ${show(a)} but compiled code ${show(b)}`);
  return { ok: true, value: a! };
};

const implExecute = (c: ExecIn): Result<ExecOut> => {
  const p = prepare(c, verifyDmir);
  if (!p.ok) return p;
  const gas = BigInt(c.gas);
  const { m, name } = withExport(p.value.m, c.function);
  const r = engineCall(m, name, p.value.args, gas);
  return r.ok ? { ok: true, value: output(r.value.outcome, r.value.gasLeft, p.value.results) } : r;
};

const EXEC_ERRORS = [
  ...DMIR_JSON_ERROR_CODES, ...VERIFY_ERROR_CODES, ...LINK_ERROR_CODES, ...EXECUTE_ERROR_CODES,
  ...TRAP_CODE_LIST.filter((c) => c !== 'Dmir.Trap.STEP_LIMIT'),
];

const executeKind = defineKind({
  kind: 'dmir/execute',
  area: 'dmir',
  description: 'Verifies and instantiates a dMIR module (JSON form, no host imports) and calls function `function` (an index) with the arguments and gas: its results (integers in decimal, floats as bit patterns in hex) or its trap code, and the gas left.',
  input: Schema.Struct({ module: ModuleJson, function: Schema.Number, args: Schema.Array(Value), gas: Dec }),
  output: Schema.Struct({ values: Schema.NullOr(Schema.Array(Value)), trap: Schema.NullOr(Schema.String), gasLeft: Dec }),
  errorCodes: [...EXEC_ERRORS, 'Dmir.Engine.TIER_MISMATCH'],
  model: (c) => modelExecute(c),
  impl: (c) => implExecute(c),
  suites: [
    {
      suite: 'hand-picked', description: 'dMIR written directly: checked arithmetic, unordered float predicates, irreducible loops, switch, gas, several results, memory, indirect calls, globals', seed: 1,
      cases: () => EXEC_HAND.map(([id, d, req, m, f, args, gas]) => draft(id, d, req, { module: moduleToJson(m), function: f, args, gas })),
    },
    {
      suite: 'lowered', description: 'Generated WebAssembly modules lowered to dMIR: the first call of each, with gas (no instrumentation, so nothing is charged)', seed: 44,
      cases: (seed) => lowered(seed, 40).map(({ m, fi, args }, i) => draft(`module-${i}`, 'A lowered generated module', ['DMIR-EXEC-MODE.1', 'DMIR-EXEC-INVOKE.1'], { module: moduleToJson(m), function: fi, args, gas: '1000' })),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Verification.

/** The base module of the verifier cases: one function of each shape the rules talk about. */
const BASE = mod([
  fn('div', { params: ['i32', 'i32'], results: ['i32'] }, ['i64'], [
    { stmts: [set(2, { op: 'convert', kind: 'sext', type: 'i64', arg: bin('sdiv', 'i32', R('i32', 0), R('i32', 1)) })], term: { op: 'br', target: 1 } },
    { stmts: [{ op: 'global_set', index: 0, value: R('i64', 2) }], term: { op: 'return', values: [{ op: 'load', type: 'i32', base: R('i32', 0), offset: 4 }] } },
    trapBlock('Dmir.Trap.INTEGER_DIVIDE_BY_ZERO'), trapBlock('Dmir.Trap.INTEGER_OVERFLOW'), trapBlock('Dmir.Trap.MEMORY_OUT_OF_BOUNDS'),
  ]),
  fn('caller', { params: [], results: ['i32'] }, ['i32'], [
    { stmts: [{ op: 'call', func: 0, args: [K('i32', 8), K('i32', 2)], dests: [0] }], term: { op: 'return', values: [R('i32', 0)] } },
  ]),
], { memory: { min: 1, max: null }, globals: [{ type: 'i64', mutable: true, init: 0n }, { type: 'i32', mutable: false, init: 7 }] });

type J = Record<string, unknown>;
/** Applies an edit to a copy of the base module's JSON form. */
const edited = (edit: (m: J) => void): unknown => {
  const j = structuredClone(moduleToJson(BASE)) as J;
  edit(j);
  return j;
};
const fnJ = (m: J, i: number): J => (m['funcs'] as J[])[i]!;
const blockJ = (m: J, f: number, b: number): J => (fnJ(m, f)['blocks'] as J[])[b]!;
const stmtJ = (m: J, f: number, b: number, s: number): J => (blockJ(m, f, b)['stmts'] as J[])[s]!;

const VERIFY_HAND: readonly (readonly [string, string, readonly string[], unknown])[] = [
  ['valid-base', 'The base module verifies', ['DMIR-VERIFY-MODULE.1'], moduleToJson(BASE)],
  ['type-dassign', 'An i32 value assigned to an i64 variable', ['DMIR-VERIFY-TYPES.1'], edited((m) => { stmtJ(m, 0, 0, 0)['value'] = { op: 'const', type: 'i32', value: '1' }; })],
  ['type-return', 'A return value of the wrong type', ['DMIR-VERIFY-TYPES.1'], edited((m) => { (blockJ(m, 1, 0)['term'] as J)['values'] = [{ op: 'const', type: 'i64', value: '1' }]; })],
  ['type-dread', 'A dread whose recorded type differs from the variable', ['DMIR-VERIFY-TYPES.1'], edited((m) => { (blockJ(m, 1, 0)['term'] as J)['values'] = [{ op: 'dread', type: 'f32', variable: 0 }]; })],
  ['operator-float-on-int', 'fpsqrt on i32', ['DMIR-VERIFY-TYPES.1'], edited((m) => { (blockJ(m, 1, 0)['term'] as J)['values'] = [{ op: 'unary', kind: 'fpsqrt', type: 'i32', arg: { op: 'dread', type: 'i32', variable: 0 } }]; })],
  ['operator-bad-conversion', 'sext from i64 to i32', ['DMIR-VERIFY-TYPES.1'], edited((m) => { (blockJ(m, 1, 0)['term'] as J)['values'] = [{ op: 'convert', kind: 'sext', type: 'i32', arg: { op: 'const', type: 'i64', value: '1' } }]; })],
  ['index-variable', 'A dread of a variable that does not exist', ['DMIR-VERIFY-CFG.1'], edited((m) => { (blockJ(m, 1, 0)['term'] as J)['values'] = [{ op: 'dread', type: 'i32', variable: 9 }]; })],
  ['index-block', 'A branch to a block that does not exist', ['DMIR-VERIFY-CFG.1'], edited((m) => { (blockJ(m, 0, 0)['term'] as J)['target'] = 5; })],
  ['index-function', 'A call of a function that does not exist', ['DMIR-VERIFY-CFG.1'], edited((m) => { stmtJ(m, 1, 0, 0)['func'] = 7; })],
  ['index-global', 'A global_set of a global that does not exist', ['DMIR-VERIFY-CFG.1'], edited((m) => { stmtJ(m, 0, 1, 0)['index'] = 4; })],
  ['index-export', 'An export of a function that does not exist', ['DMIR-VERIFY-MODULE.1'], edited((m) => { (m['exports'] as J[])[0]!['index'] = 3; })],
  ['index-start', 'A start function that does not exist', ['DMIR-VERIFY-MODULE.1'], edited((m) => { m['start'] = 9; })],
  ['signature-start', 'A start function with parameters', ['DMIR-VERIFY-CFG.1'], edited((m) => { m['start'] = 0; })],
  ['signature-call-args', 'A call with one argument for two parameters', ['DMIR-VERIFY-CFG.1'], edited((m) => { stmtJ(m, 1, 0, 0)['args'] = [{ op: 'const', type: 'i32', value: '8' }]; })],
  ['signature-call-dests', 'A call with two destinations for one result', ['DMIR-VERIFY-CFG.1', 'DMIR-STRUCT-MULTI.1'], edited((m) => { stmtJ(m, 1, 0, 0)['dests'] = [0, 0]; })],
  ['signature-return-count', 'A return of no values for one result', ['DMIR-VERIFY-CFG.1', 'DMIR-STRUCT-MULTI.1'], edited((m) => { (blockJ(m, 1, 0)['term'] as J)['values'] = []; })],
  ['signature-params-first', 'Variables that do not start with the parameters', ['DMIR-VERIFY-CFG.1'], edited((m) => { fnJ(m, 0)['vars'] = ['i64', 'i32', 'i32']; })],
  ['trap-edge-missing', 'sdiv without its INTEGER_OVERFLOW exception block', ['DMIR-VERIFY-TRAPEDGE.1'], edited((m) => { (fnJ(m, 0)['blocks'] as J[]).splice(3, 1); })],
  ['trap-edge-memory', 'A load without its MEMORY_OUT_OF_BOUNDS exception block', ['DMIR-VERIFY-TRAPEDGE.1'], edited((m) => { (fnJ(m, 0)['blocks'] as J[]).splice(4, 1); })],
  ['trap-edge-duplicate', 'Two exception blocks for one code', ['DMIR-VERIFY-TRAPEDGE.1'], edited((m) => { (fnJ(m, 0)['blocks'] as J[]).push({ stmts: [], term: { op: 'trap', code: 'Dmir.Trap.INTEGER_OVERFLOW' } }); })],
  ['trap-edge-statements', 'An exception block with a statement', ['DMIR-VERIFY-TRAPEDGE.1'], edited((m) => { blockJ(m, 0, 2)['stmts'] = [{ op: 'dassign', variable: 0, value: { op: 'const', type: 'i32', value: '0' } }]; })],
  ['immutable-global', 'A global_set of an immutable global', ['DMIR-VERIFY-TYPES.1'], edited((m) => { stmtJ(m, 0, 1, 0)['index'] = 1; })],
  ['no-memory', 'A load in a module without memory', ['DMIR-VERIFY-TYPES.1'], edited((m) => { m['memory'] = null; })],
  ['no-table', 'An icall in a module without a table', ['DMIR-VERIFY-TYPES.1'], edited((m) => { blockJ(m, 1, 0)['stmts'] = [{ op: 'icall', typeIndex: 1, index: { op: 'const', type: 'i32', value: '0' }, args: [], dests: [0] }]; })],
  ['duplicate-export', 'Two exports with one name', ['DMIR-VERIFY-MODULE.1'], edited((m) => { (m['exports'] as J[])[1]!['name'] = 'div'; })],
  ['frame-cost', 'A negative frame cost', ['DMIR-STACK-COST.1', 'DMIR-VERIFY-MODULE.1'], edited((m) => { fnJ(m, 0)['frameCost'] = -8; })],
  ['json-unknown-op', 'An opcode name the form does not know', ['DMIR-STRUCT-EXPR.1'], edited((m) => { (blockJ(m, 1, 0)['term'] as J)['values'] = [{ op: 'dup', type: 'i32' }]; })],
  ['json-unknown-field', 'A misspelt field is rejected, not ignored', ['DMIR-STRUCT-EXPR.1'], edited((m) => { stmtJ(m, 1, 0, 0)['dest'] = [0]; })],
  ['json-bad-value', 'An i32 constant out of range', ['DMIR-VALUES.1'], edited((m) => { (blockJ(m, 1, 0)['term'] as J)['values'] = [{ op: 'const', type: 'i32', value: '2147483648' }]; })],
];

/**
 * Seeded corruptions of a lowered module's JSON form: a type name, a variable, block or function
 * index, or a removed block, chosen by position among the fields of that kind.
 */
export const corrupt = (j: unknown, seed: number): unknown => {
  const r = prng(seed);
  const copy = structuredClone(j);
  const spots: { o: J; k: string }[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) { x.forEach(walk); return; }
    if (typeof x !== 'object' || x === null) return;
    const o = x as J;
    for (const [k, v] of Object.entries(o)) {
      if (['type', 'variable', 'target', 'then', 'else', 'func', 'index', 'kind', 'blocks', 'dests'].includes(k)) spots.push({ o, k });
      walk(v);
    }
  };
  walk((copy as J)['funcs']);
  if (spots.length === 0) return copy;
  const { o, k } = spots[r.below(spots.length)]!;
  const v = o[k];
  if (k === 'blocks' && Array.isArray(v) && v.length > 1) v.splice(r.below(v.length), 1);
  else if (k === 'dests' && Array.isArray(v)) v.push(r.below(4));
  else if (typeof v === 'number') o[k] = v + 1 + r.below(3);
  else if (k === 'type') o[k] = ['i32', 'i64', 'f32', 'f64'][r.below(4)]!;
  else if (k === 'kind' && typeof v === 'string' && v !== 'defined' && v !== 'host') o[k] = ['add', 'fpsqrt', 'clz', 'sdiv', 'trunc', 'fpext'][r.below(6)]!;
  return copy;
};

const verifyKind = defineKind({
  kind: 'dmir/verify',
  area: 'dmir',
  description: 'Reads a dMIR module in its JSON form and verifies it: the number of functions and blocks of a module that verifies, or the code of the first problem (its message names the function, block and statement).',
  input: Schema.Struct({ module: ModuleJson }),
  output: Schema.Struct({ functions: Schema.Number, blocks: Schema.Number }),
  errorCodes: [...DMIR_JSON_ERROR_CODES, ...VERIFY_ERROR_CODES],
  model: ({ module }) => {
    const p = moduleFromJson(module);
    const v = p.ok ? verifyModule(p.value) : p;
    return v.ok ? { ok: true, value: summary(v.value) } : v;
  },
  impl: ({ module }) => {
    const p = moduleFromJson(module);
    const v = p.ok ? verifyDmir(p.value) : p;
    return v.ok ? { ok: true, value: summary(v.value) } : v;
  },
  suites: [
    {
      suite: 'hand-picked', description: 'One broken rule per case, each an edit of one valid module', seed: 1,
      cases: () => VERIFY_HAND.map(([id, d, req, module]) => draft(id, d, req, { module })),
    },
    {
      suite: 'lowered', description: 'Generated WebAssembly modules lowered to dMIR (all verify)', seed: 45,
      cases: (seed) => lowered(seed, 20).map(({ m }, i) => draft(`module-${i}`, 'A lowered generated module', ['DMIR-WASM-LOAD.1', 'DMIR-VERIFY-MODULE.1'], { module: moduleToJson(m) })),
    },
    {
      suite: 'corrupted', description: 'Lowered modules with one seeded corruption: a type, an index, an operator or a removed block', seed: 46,
      cases: (seed) => lowered(seed, 60).map(({ m }, i) => draft(`corrupted-${i}`, 'A lowered module with one corruption', ['DMIR-VERIFY-TYPES.1', 'DMIR-VERIFY-CFG.1', 'DMIR-VERIFY-TRAPEDGE.1'], { module: corrupt(moduleToJson(m), seed * 1000 + i) })),
    },
  ],
});

const summary = (m: Module): { functions: number; blocks: number } => ({
  functions: m.funcs.length,
  blocks: m.funcs.reduce((n, f) => n + (f.kind === 'defined' ? f.blocks.length : 0), 0),
});

export const dmirCoreKinds = [verifyKind, executeKind];
