import { Schema } from 'effect';
import fc from 'fast-check';
import { type Result, bytesToHex, hexToBytes, HexString } from '../../model/encoding/index.js';
import type { Module, Val, ValType } from '../../model/dmir/ir.js';
import { TRAP_CODE_LIST } from '../../model/dmir/ir.js';
import { VERIFY_ERROR_CODES } from '../../model/dmir/verify.js';
import { LINK_ERROR_CODES } from '../../model/dmir/interp.js';
import { DECODE_ERROR_CODES, LIMIT_ERROR_CODES, PROFILE_ERROR_CODES, type WasmModule } from '../../model/dmir/wasm/decode.js';
import { VALIDATE_ERROR_CODES } from '../../model/dmir/wasm/validate.js';
import { INVOKE_ERROR_CODES, instantiateWasm, invokeExport, loadWasm } from '../../model/dmir/wasm/index.js';
import { valueText } from './dmir-json.js';
import { encodeModule } from '../../model/dmir/wasm/encode.js';
import { OPS } from '../../model/dmir/wasm/opcodes.js';
import { loadWasmBytes } from '../../impl/dmir/wasm-lower.js';
import { parseModuleFields } from '../wast/wat.js';
import { parseSExprs } from '../wast/sexpr.js';
import { wasmModule } from '../wast/gen.js';
import { type CaseDraft, defineKind } from './kind.js';
import { dmirCoreKinds, engineCall } from './dmir-core.js';
import { prng } from '../vectors/prng.js';

const Hex = HexString.annotations({ jsonSchema: { type: 'string', pattern: '^0x([0-9a-f]{2})*$' } });
const Dec = Schema.String.pipe(Schema.pattern(/^-?(0|[1-9][0-9]*)$/)).annotations({ jsonSchema: { type: 'string', pattern: '^-?(0|[1-9][0-9]*)$' } });
/** An argument or result: a decimal integer for i32/i64, the IEEE bit pattern as 0x-hex for f32/f64. */
const Value = Schema.String.pipe(Schema.pattern(/^(-?(0|[1-9][0-9]*)|0x[0-9a-f]{8}|0x[0-9a-f]{16})$/))
  .annotations({ jsonSchema: { type: 'string', pattern: '^(-?(0|[1-9][0-9]*)|0x[0-9a-f]{8}|0x[0-9a-f]{16})$' } });

const bytes = (h: string): Uint8Array => {
  const r = hexToBytes(h);
  return r.ok ? r.value : new Uint8Array();
};
const draft = (id: string, description: string, requirements: readonly string[], input: unknown): CaseDraft => ({ id, description, requirements, input });
const fail = (code: string, message: string): Result<never> => ({ ok: false, error: { code, message } });

const LOAD_ERRORS = [...DECODE_ERROR_CODES, ...PROFILE_ERROR_CODES, ...LIMIT_ERROR_CODES, ...VALIDATE_ERROR_CODES, ...VERIFY_ERROR_CODES];
/** Values and traps are outcomes; an instantiation that traps (a start function or a segment) is an error of the case. */
const RUN_ERRORS = [...LOAD_ERRORS, ...LINK_ERROR_CODES, ...INVOKE_ERROR_CODES, 'Wasm.Invoke.BAD_VALUE', ...TRAP_CODE_LIST.filter((c) => c !== 'Dmir.Trap.STEP_LIMIT')];

/** The unsigned 2^64 - 1: the gas of an unmetered run. */
const UNMETERED = (1n << 64n) - 1n;

// ---------------------------------------------------------------------------------------------
// Value text: decimal integers, float bit patterns in hex.

const parseValue = (t: ValType, s: string): Val | null => {
  const isHex = s.startsWith('0x');
  if (t === 'i32' || t === 'i64') {
    if (isHex) return null;
    const v = BigInt(s);
    const bits = t === 'i32' ? 32n : 64n;
    if (v < -(1n << (bits - 1n)) || v >= 1n << bits) return null; // signed or unsigned reading of the bits
    return t === 'i32' ? Number(BigInt.asIntN(32, v)) : BigInt.asIntN(64, v);
  }
  if (!isHex || s.length !== (t === 'f32' ? 10 : 18)) return null;
  return t === 'f32' ? Number.parseInt(s.slice(2), 16) : BigInt(s);
};


// ---------------------------------------------------------------------------------------------
// The two paths: the model (decode, validate, lower, verify, interpret) and the engine (its own
// reader, validation, lowering and verifier, then its interpreter tier and compiled code).

/** The engine's load path: its own reader, validation, lowering and verifier (no model code). */
const implLoad = (b: Uint8Array): Result<Module> => loadWasmBytes(b);

interface Call { readonly module: string; readonly function: string; readonly args: readonly string[] }
interface Outcome { readonly values: readonly string[] | null; readonly trap: string | null; readonly gasUsed: string }

/** Finds the export and converts the argument text; the same checks on both paths. */
const prepare = (m: Module, c: Call): Result<{ readonly params: readonly ValType[]; readonly results: readonly ValType[]; readonly args: readonly Val[] }> => {
  const e = m.exports.find((x) => x.kind === 'func' && x.name === c.function);
  if (e === undefined) return fail('Wasm.Invoke.UNKNOWN_EXPORT', `no exported function ${JSON.stringify(c.function)}`);
  const t = m.funcs[e.index]!.type;
  if (c.args.length !== t.params.length) return fail('Wasm.Invoke.BAD_ARGUMENTS', `${c.function} takes ${t.params.length} arguments, given ${c.args.length}`);
  const args: Val[] = [];
  for (const [i, s] of c.args.entries()) {
    const v = parseValue(t.params[i]!, s);
    if (v === null) return fail('Wasm.Invoke.BAD_VALUE', `argument ${i} ${JSON.stringify(s)} is not a ${t.params[i]} value`);
    args.push(v);
  }
  return { ok: true, value: { params: t.params, results: t.results, args } };
};

const modelRun = (c: Call, gas: bigint): Result<Outcome> => {
  const loaded = loadWasm(bytes(c.module));
  if (!loaded.ok) return loaded;
  const p = prepare(loaded.value, c);
  if (!p.ok) return p;
  const inst = instantiateWasm(loaded.value, () => undefined, { gas });
  if (!inst.ok) return inst;
  if (inst.value.outcome.kind === 'trap') return fail(inst.value.outcome.code, 'instantiation trapped');
  const r = invokeExport(inst.value.instance, c.function, p.value.args, { gas });
  if (!r.ok) return r;
  const o = r.value.outcome;
  const gasUsed = String(gas - r.value.gasLeft);
  return { ok: true, value: o.kind === 'return'
    ? { values: o.values.map((v, i) => valueText(p.value.results[i]!, v)), trap: null, gasUsed }
    : { values: null, trap: o.code, gasUsed } };
};

const implRun = (c: Call, gas: bigint): Result<Outcome> => {
  const loaded = implLoad(bytes(c.module));
  if (!loaded.ok) return loaded;
  const p = prepare(loaded.value, c);
  if (!p.ok) return p;
  // The engine's interpreter tier and its compiled code must agree (DMIR-ENGINE-EQUIV.1).
  const e = engineCall(loaded.value, c.function, p.value.args, gas);
  if (!e.ok) return e;
  const r = e.value;
  const o = r.outcome;
  const gasUsed = String(gas - r.gasLeft);
  return { ok: true, value: o.kind === 'return'
    ? { values: o.values.map((v, i) => valueText(p.value.results[i]!, v)), trap: null, gasUsed }
    : { values: null, trap: o.code, gasUsed } };
};

const exportsOf = (m: Module): { exports: { name: string; kind: string }[]; imports: { module: string; field: string }[] } => ({
  exports: m.exports.map((e) => ({ name: e.name, kind: e.kind })),
  imports: m.funcs.flatMap((f) => (f.kind === 'host' ? [{ module: f.module, field: f.field }] : [])),
});

// ---------------------------------------------------------------------------------------------
// Modules of the hand-picked suites, in the text format, encoded by the profile's encoder.

const wat = (src: string): string => {
  try {
    return bytesToHex(encodeModule(parseModuleFields(parseSExprs(src))));
  } catch (e) {
    throw new Error(`suite module does not parse: ${JSON.stringify(e)} in ${src.slice(0, 80)}`);
  }
};

const M = {
  arith: wat(`(func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
    (func (export "mul64") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
    (func (export "div_u64") (param i64 i64) (result i64) (i64.div_u (local.get 0) (local.get 1)))
    (func (export "clz") (param i64) (result i64) (i64.clz (local.get 0)))
    (func (export "rotl") (param i32 i32) (result i32) (i32.rotl (local.get 0) (local.get 1)))
    (func (export "ext8") (param i32) (result i32) (i32.extend8_s (local.get 0)))`),
  floats: wat(`(func (export "fadd") (param f32 f32) (result f32) (f32.add (local.get 0) (local.get 1)))
    (func (export "fdiv64") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
    (func (export "fmin") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
    (func (export "neg") (param f32) (result f32) (f32.neg (local.get 0)))
    (func (export "copysign") (param f64 f64) (result f64) (f64.copysign (local.get 0) (local.get 1)))
    (func (export "nearest") (param f32) (result f32) (f32.nearest (local.get 0)))
    (func (export "trunc_s") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
    (func (export "trunc_u64") (param f32) (result i64) (i64.trunc_f32_u (local.get 0)))
    (func (export "convert_u") (param i64) (result f32) (f32.convert_i64_u (local.get 0)))
    (func (export "demote") (param f64) (result f32) (f32.demote_f64 (local.get 0)))`),
  memory: wat(`(memory 1 2) (data (i32.const 16) "\\01\\02\\03\\04\\ff")
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "load8_s") (param i32) (result i32) (i32.load8_s offset=4 (local.get 0)))
    (func (export "store_load") (param i32 i64) (result i64) (i64.store (local.get 0) (local.get 1)) (i64.load (local.get 0)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "size") (result i32) (memory.size))`),
  control: wat(`(func $fac (export "fac") (param i64) (result i64)
      (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1)) (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
    (func (export "switch") (param i32) (result i32)
      (block $d (block $c (block $b (block $a (br_table $a $b $c $d (local.get 0))) (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12))) (i32.const 13))
    (func (export "loop_sum") (param i32) (result i32) (local i32)
      (block (loop (br_if 1 (i32.eqz (local.get 0))) (local.set 1 (i32.add (local.get 1) (local.get 0))) (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0))) (local.get 1))
    (func (export "unreachable") (unreachable))
    (func (export "select") (param i32) (result i64) (select (i64.const 7) (i64.const 9) (local.get 0)))`),
  table: wat(`(type $ii (func (param i32) (result i32))) (type $v (func))
    (table 4 funcref) (elem (i32.const 0) $inc $dbl $nop)
    (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
    (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
    (func $nop (type $v))
    (func (export "call") (param i32 i32) (result i32) (call_indirect (type $ii) (local.get 1) (local.get 0)))`),
  globals: wat(`(global $g (mut i64) (i64.const -5)) (global (export "k") f32 (f32.const 1.5))
    (func (export "bump") (param i64) (result i64) (global.set $g (i64.add (global.get $g) (local.get 0))) (global.get $g))`),
  gas: wat(`(func $gas (export "__instrumented_use_gas") (param i64) (unreachable))
    (func (export "loop") (param i32) (result i32) (local i32)
      (block (loop (br_if 1 (i32.eqz (local.get 0)))
        (call $gas (i64.const 7))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
      (local.get 1))
    (func (export "charge") (param i64) (call $gas (local.get 0)))`),
  // Each frame of $deep costs 8 * 1000 + 64 + 8 * 2 bytes for its 1000 i64 locals, so the 8 MiB
  // budget ends the recursion after about a thousand frames, well inside any host stack.
  stack: wat(`(func $deep (export "deep") (param i32) (result i32) (local ${'i64 '.repeat(999)})
      (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0)) (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))`),
  start: wat(`(memory 1) (func $s (i32.store (i32.const 70000) (i32.const 1))) (start $s) (func (export "f") (result i32) (i32.const 1))`),
  imports: wat(`(import "env" "log" (func $log (param i32))) (func (export "f") (call $log (i32.const 1)))`),
  sat: wat(['i32', 'i64'].flatMap((to) => ['f32', 'f64'].flatMap((from) => ['s', 'u'].map((sign) =>
    `(func (export "${to}_${from}_${sign}") (param ${from}) (result ${to}) (${to}.trunc_sat_${from}_${sign} (local.get 0)))`))).join('\n')),
};

const F32 = { nan: '0x7fc00000', nanPayload: '0x7fa00001', negNan: '0xffc00000', one: '0x3f800000', inf: '0x7f800000', negInf: '0xff800000', zero: '0x00000000', negZero: '0x80000000', half: '0x3f000000', oneHalf: '0x3fc00000', twoHalf: '0x40200000', big: '0x5f800000' };
const F64 = { nan: '0x7ff8000000000000', nanPayload: '0x7ff4000000000001', one: '0x3ff0000000000000', zero: '0x0000000000000000', negZero: '0x8000000000000000', inf: '0x7ff0000000000000', two: '0x4000000000000000', max32: '0x41dfffffffc00000', over32: '0x41e0000000000000', minus: '0xbff8000000000000', big: '0x47efffffe0000000' };

const OPS_R = ['DMIR-OP-BINARY.1', 'DMIR-EXEC-INVOKE.1'];

/** Hand-picked invocations: [id, description, requirements, module, function, args]. */
const HAND: readonly (readonly [string, string, readonly string[], string, string, readonly string[]])[] = [
  ['i32-add-wraps', 'i32.add is modulo 2^32', [...OPS_R, 'DMIR-DET-WIDTH.1'], M.arith, 'add', ['2147483647', '1']],
  ['i32-add-unsigned-argument', 'An i32 argument may be written as its unsigned reading', OPS_R, M.arith, 'add', ['4294967295', '2']],
  ['i32-div-s-truncates', 'div_s truncates toward zero', ['DMIR-OP-DIV.1'], M.arith, 'div_s', ['-7', '2']],
  ['i32-div-s-by-zero', 'Division by zero traps', ['DMIR-OP-DIV.1', 'DMIR-EXEC-TRAP.1'], M.arith, 'div_s', ['1', '0']],
  ['i32-div-s-overflow', 'MIN / -1 traps with INTEGER_OVERFLOW', ['DMIR-OP-DIV.1'], M.arith, 'div_s', ['-2147483648', '-1']],
  ['i32-rem-s-min-by-minus-one', 'MIN rem -1 is 0, no trap', ['DMIR-OP-DIV.1'], M.arith, 'rem_s', ['-2147483648', '-1']],
  ['i32-rem-s-sign', 'The remainder has the sign of the dividend', ['DMIR-OP-DIV.1'], M.arith, 'rem_s', ['-7', '2']],
  ['i64-mul-wraps', 'i64.mul keeps the low 64 bits', [...OPS_R, 'DMIR-DET-WIDTH.1'], M.arith, 'mul64', ['9223372036854775807', '3']],
  ['i64-div-u-large', 'div_u reads operands as unsigned', ['DMIR-OP-DIV.1'], M.arith, 'div_u64', ['-1', '3']],
  ['i64-clz-zero', 'clz of 0 is the width', ['DMIR-OP-UNARY.1'], M.arith, 'clz', ['0']],
  ['i32-rotl-count-modulo', 'Rotate counts are taken modulo the width', OPS_R, M.arith, 'rotl', ['-2147483647', '33']],
  ['i32-extend8-s', 'extend8_s sign-extends the low byte', ['DMIR-WASM-LOWER.1', 'DMIR-OP-CONVERT.1'], M.arith, 'ext8', ['384']],
  ['f32-add', 'f32.add of 1 and 1.5', OPS_R, M.floats, 'fadd', [F32.one, F32.oneHalf]],
  ['f32-add-nan-canonical', 'An arithmetic NaN result is the canonical NaN, whatever the input payload', ['DMIR-DET-NAN.1'], M.floats, 'fadd', [F32.nanPayload, F32.one]],
  ['f32-add-inf-minus-inf', 'inf + -inf is the canonical NaN', ['DMIR-DET-NAN.1'], M.floats, 'fadd', [F32.inf, F32.negInf]],
  ['f64-div-by-zero', 'Float division by zero is infinity, not a trap', ['DMIR-OP-BINARY.1'], M.floats, 'fdiv64', [F64.one, F64.zero]],
  ['f64-div-zero-by-zero', '0/0 is the canonical NaN', ['DMIR-DET-NAN.1'], M.floats, 'fdiv64', [F64.zero, F64.zero]],
  ['f64-min-zeros', 'min orders -0 below +0', ['DMIR-OP-BINARY.1'], M.floats, 'fmin', [F64.zero, F64.negZero]],
  ['f64-min-nan', 'min with a NaN operand is the canonical NaN', ['DMIR-OP-BINARY.1', 'DMIR-DET-NAN.1'], M.floats, 'fmin', [F64.nanPayload, F64.one]],
  ['f32-neg-keeps-payload', 'neg flips only the sign bit of a NaN', ['DMIR-OP-UNARY.1', 'DMIR-DET-NAN.1'], M.floats, 'neg', [F32.nanPayload]],
  ['f64-copysign-nan', 'copysign keeps the payload and takes the sign', ['DMIR-OP-BINARY.1', 'DMIR-DET-NAN.1'], M.floats, 'copysign', [F64.nanPayload, F64.minus]],
  ['f32-nearest-half-even', 'nearest rounds 2.5 to 2', ['DMIR-OP-UNARY.1'], M.floats, 'nearest', [F32.twoHalf]],
  ['f32-nearest-neg-half', 'nearest of -0.5 is -0', ['DMIR-OP-UNARY.1'], M.floats, 'nearest', ['0xbf000000']],
  ['f64-trunc-s-in-range', 'trunc_s of 2^31 - 1', ['DMIR-OP-CONVERT.1', 'DMIR-DET-FPTOINT.1'], M.floats, 'trunc_s', [F64.max32]],
  ['f64-trunc-s-overflow', 'trunc_s of 2^31 traps with INTEGER_OVERFLOW', ['DMIR-DET-FPTOINT.1'], M.floats, 'trunc_s', [F64.over32]],
  ['f64-trunc-s-nan', 'trunc_s of NaN traps with INVALID_CONVERSION_TO_INTEGER', ['DMIR-DET-FPTOINT.1'], M.floats, 'trunc_s', [F64.nan]],
  ['f64-trunc-s-inf', 'trunc_s of infinity traps with INTEGER_OVERFLOW', ['DMIR-DET-FPTOINT.1'], M.floats, 'trunc_s', [F64.inf]],
  ['f32-trunc-u64-negative', 'trunc_u of -1.5 traps', ['DMIR-DET-FPTOINT.1'], M.floats, 'trunc_u64', ['0xbfc00000']],
  ['f32-trunc-u64-minus-half', 'trunc_u of -0.5 is 0 (truncation first)', ['DMIR-DET-FPTOINT.1'], M.floats, 'trunc_u64', ['0xbf000000']],
  ['f32-convert-u64-rounding', 'convert_u of 2^64 - 1 rounds to 2^64 once', ['DMIR-OP-CONVERT.1'], M.floats, 'convert_u', ['-1']],
  ['f64-demote-nan', 'demote of a NaN is the canonical NaN', ['DMIR-OP-CONVERT.1', 'DMIR-DET-NAN.1'], M.floats, 'demote', [F64.nanPayload]],
  ['f64-demote-overflow', 'demote of a large double is infinity', ['DMIR-OP-CONVERT.1'], M.floats, 'demote', [F64.big]],
  ['memory-load-data', 'Loads read the data segment little-endian', ['DMIR-OP-MEMORY.1', 'DMIR-EXEC-INSTANTIATE.1'], M.memory, 'load', ['16']],
  ['memory-load8-s-offset', 'load8_s with a static offset sign-extends', ['DMIR-WASM-LOWER-MEMORY.1'], M.memory, 'load8_s', ['16']],
  ['memory-load-last-word', 'A load ending at the last byte succeeds', ['DMIR-OP-MEMORY.1'], M.memory, 'load', ['65532']],
  ['memory-load-past-end', 'A load one byte past the end traps', ['DMIR-OP-MEMORY.1'], M.memory, 'load', ['65533']],
  ['memory-load-high-address', 'The base is unsigned: -1 is 4 GiB - 1, out of bounds', ['DMIR-OP-MEMORY.1'], M.memory, 'load', ['-1']],
  ['memory-store-load-i64', 'A stored i64 reads back', ['DMIR-OP-MEMORY.1'], M.memory, 'store_load', ['100', '-81985529216486896']],
  ['memory-grow-within-max', 'grow within the declared maximum returns the old size', ['DMIR-OP-MEMORY-GROW.1'], M.memory, 'grow', ['1']],
  ['memory-grow-past-max', 'grow past the declared maximum returns -1', ['DMIR-OP-MEMORY-GROW.1'], M.memory, 'grow', ['2']],
  ['memory-size', 'memory.size is the size in pages', ['DMIR-OP-MEMORY-GROW.1'], M.memory, 'size', []],
  ['control-fac', 'Recursive factorial of 20', ['DMIR-EXEC-CALL.1', 'DMIR-WASM-LOWER-CONTROL.1'], M.control, 'fac', ['20']],
  ['control-fac-wraps', 'Factorial of 25 wraps modulo 2^64', ['DMIR-EXEC-CALL.1', 'DMIR-DET-WIDTH.1'], M.control, 'fac', ['25']],
  ...['0', '2', '3', '-1'].map((i) => [`control-br-table-${i.replace('-', 'minus-')}`, `br_table with index ${i}`, ['DMIR-WASM-LOWER-CONTROL.1', 'DMIR-EXEC-STEP.1'], M.control, 'switch', [i]] as const),
  ['control-loop-sum', 'A counted loop', ['DMIR-WASM-LOWER-CONTROL.1'], M.control, 'loop_sum', ['100']],
  ['control-unreachable', 'unreachable traps', ['DMIR-WASM-LOWER.1', 'DMIR-EXEC-TRAP.1'], M.control, 'unreachable', []],
  ['control-select', 'select picks by an i32 condition', ['DMIR-WASM-LOWER.1'], M.control, 'select', ['0']],
  ['table-call', 'call_indirect through the table', ['DMIR-EXEC-CALL.1'], M.table, 'call', ['1', '20']],
  ['table-out-of-bounds', 'An index beyond the table traps', ['DMIR-EXEC-CALL.1'], M.table, 'call', ['4', '0']],
  ['table-uninitialized', 'An empty element traps', ['DMIR-EXEC-CALL.1'], M.table, 'call', ['3', '0']],
  ['table-type-mismatch', 'An element of another type traps', ['DMIR-EXEC-CALL.1'], M.table, 'call', ['2', '0']],
  ['globals-bump', 'A mutable global is read and written', ['DMIR-WASM-LOWER.1'], M.globals, 'bump', ['7']],
  // Recursion up to the 8 MiB budget needs a deeper host stack than the compiled engine has, so
  // CALL_STACK_EXHAUSTED is tested on the model and the spec suite, not in these vectors.
  ['stack-shallow', 'Recursion within the stack budget', ['DMIR-STACK-COST.1', 'DMIR-STACK-BUDGET.1'], M.stack, 'deep', ['100']],
  ['error-unknown-export', 'Invoking a name that is not exported', ['DMIR-EXEC-INVOKE.1'], M.arith, 'sub', ['1', '2']],
  ['error-argument-count', 'Too few arguments', ['DMIR-EXEC-INVOKE.1'], M.arith, 'add', ['1']],
  ['error-argument-type', 'A float argument where an integer is expected', ['DMIR-EXEC-INVOKE.1'], M.arith, 'add', ['0x3f800000', '1']],
  ['error-argument-range', 'An i32 argument beyond 32 bits', ['DMIR-EXEC-INVOKE.1'], M.arith, 'add', ['4294967296', '1']],
  ['error-start-traps', 'A start function that traps makes instantiation fail', ['DMIR-EXEC-INSTANTIATE.1'], M.start, 'f', []],
  ['error-unlinked-import', 'No host provides the import', ['DMIR-EXEC-INSTANTIATE.1'], M.imports, 'f', []],
];

/**
 * The eight saturating conversions (DMIR-OP-CONVERT-SAT.1), each on NaN (a negative one with a
 * payload too), both infinities, -0, and the bit patterns at the ends of the target range: the
 * largest value inside it, the first one above, and at the lower end the minimum itself and the
 * next value below (or -1 for the unsigned targets, whose lower end is 0).
 */
const SAT_CASES: readonly (readonly [string, string, string, readonly string[]])[] = (() => {
  const specials = { f32: { nan: F32.nan, 'neg-nan-payload': '0xffa00001', inf: F32.inf, 'neg-inf': F32.negInf, 'neg-zero': F32.negZero, 'minus-0.5': '0xbf000000' },
    f64: { nan: F64.nan, 'neg-nan-payload': '0xfff4000000000001', inf: F64.inf, 'neg-inf': '0xfff0000000000000', 'neg-zero': F64.negZero, 'minus-0.5': '0xbfe0000000000000' } };
  // [largest below the upper limit, the upper limit (2^31, 2^32, 2^63, 2^64), the lower limit or -1, just below the lower limit]
  const edges: Record<string, readonly (readonly [string, string])[]> = {
    'i32_f32_s': [['max-in-range', '0x4effffff'], ['two-pow-31', '0x4f000000'], ['min', '0xcf000000'], ['below-min', '0xcf000001']],
    'i32_f32_u': [['max-in-range', '0x4f7fffff'], ['two-pow-32', '0x4f800000'], ['minus-one', '0xbf800000']],
    'i32_f64_s': [['max-in-range', '0x41dfffffffffffff'], ['two-pow-31', '0x41e0000000000000'], ['min', '0xc1e0000000000000'], ['min-minus-half', '0xc1e0000000100000'], ['below-min', '0xc1e0000000200000']],
    'i32_f64_u': [['max-in-range', '0x41efffffffffffff'], ['two-pow-32', '0x41f0000000000000'], ['minus-one', '0xbff0000000000000']],
    'i64_f32_s': [['max-in-range', '0x5effffff'], ['two-pow-63', '0x5f000000'], ['min', '0xdf000000'], ['below-min', '0xdf000001']],
    'i64_f32_u': [['max-in-range', '0x5f7fffff'], ['two-pow-64', '0x5f800000'], ['minus-one', '0xbf800000']],
    'i64_f64_s': [['max-in-range', '0x43dfffffffffffff'], ['two-pow-63', '0x43e0000000000000'], ['min', '0xc3e0000000000000'], ['below-min', '0xc3e0000000000001']],
    'i64_f64_u': [['max-in-range', '0x43efffffffffffff'], ['two-pow-64', '0x43f0000000000000'], ['minus-one', '0xbff0000000000000']],
  };
  return Object.entries(edges).flatMap(([fn, ends]) => {
    const [to, from, sign] = fn.split('_') as [string, 'f32' | 'f64', string];
    const name = `${to}.trunc_sat_${from}_${sign}`;
    return [...Object.entries(specials[from]), ...ends].map(([what, bits]) =>
      [`sat-${fn.replaceAll('_', '-')}-${what.replace('.', '')}`, `${name} of ${what.replaceAll('-', ' ')} (${bits})`, fn, [bits]] as const);
  });
})();

/** Hand-picked gas cases: [id, description, function, args, gas]. */
const GAS: readonly (readonly [string, string, string, readonly string[], string])[] = [
  ['loop-enough', 'Ten iterations at 7 gas each with gas to spare', 'loop', ['10'], '1000'],
  ['loop-exact', 'Exactly enough gas', 'loop', ['10'], '70'],
  ['loop-one-short', 'One unit short: the last charge traps and gas left is 0', 'loop', ['10'], '69'],
  ['loop-no-iterations', 'No charge, no gas needed', 'loop', ['0'], '0'],
  ['charge-unsigned', 'The amount is read as unsigned: -1 is 2^64 - 1', 'charge', ['-1'], '18446744073709551615'],
  ['charge-unsigned-short', 'An amount of 2^64 - 1 with one unit less traps', 'charge', ['-1'], '18446744073709551614'],
  ['charge-zero', 'A zero charge always succeeds', 'charge', ['0'], '0'],
];

/** Generated modules of the profile's generator, one case per module (its first call). */
const generated = (seed: number, n: number) => fc.sample(wasmModule({ depth: 3 }), { seed, numRuns: n });

/** Generated calls, without those that recurse (through the table) up to the stack budget. */
const generatedCalls = (seed: number, n: number) => generated(seed, n).flatMap((g) => {
  const call = { module: bytesToHex(encodeModule(g.module)), function: g.calls[0]!.name, args: argText(g.module, g.calls[0]!.name, g.calls[0]!.args) };
  const r = modelRun(call, UNMETERED);
  return r.ok && r.value.trap === 'Dmir.Trap.CALL_STACK_EXHAUSTED' ? [] : [{ g, call }];
});

/** Float instructions whose NaN results are canonicalised: engines without that rule differ on them. */
const CANONICALISING = new Set(OPS.filter((o) => /^f(32|64)\.(add|sub|mul|div|sqrt|min|max|ceil|floor|trunc|nearest|demote_f64|promote_f32)$/.test(o.name)).map((o) => o.op));
const usesCanonicalisingFloat = (m: WasmModule): boolean => m.codes.some((c) => c.body.some((i) => CANONICALISING.has(i.op)));

const argText = (m: WasmModule, name: string, args: readonly (number | bigint)[]): string[] => {
  const fi = Number(name.slice(1));
  const t = m.types[m.funcs[fi]!]!;
  return args.map((a, i) => valueText(t.params[i]!, a));
};

/** The trap codes Node's engine reports under one message with another code; the id says so. */
const AMBIGUOUS_ON_V8: ReadonlySet<string> = new Set(['Dmir.Trap.INVALID_CONVERSION_TO_INTEGER', 'Dmir.Trap.UNINITIALIZED_ELEMENT']);
const idSuffix = (c: Call): string => {
  const r = modelRun(c, UNMETERED);
  return r.ok && r.value.trap !== null && AMBIGUOUS_ON_V8.has(r.value.trap) ? `-trap-${r.value.trap.slice('Dmir.Trap.'.length).toLowerCase().replaceAll('_', '-')}` : '';
};

// ---------------------------------------------------------------------------------------------
// Malformed and out-of-profile binaries.

const B = (...xs: number[]): string => bytesToHex(Uint8Array.from(xs));
const HDR = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

const DECODE_HAND: readonly (readonly [string, string, readonly string[], string])[] = [
  ['empty-module', 'The smallest module: header only', ['DMIR-WASM-DECODE.1'], B(...HDR)],
  ['empty-input', 'No bytes at all', ['DMIR-WASM-DECODE.1'], '0x'],
  ['bad-magic', 'A wrong magic number', ['DMIR-WASM-DECODE.1'], B(0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0)],
  ['bad-version', 'Version 2', ['DMIR-WASM-DECODE.1'], B(0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0)],
  ['truncated-version', 'The version is cut short', ['DMIR-WASM-DECODE.1'], B(0x00, 0x61, 0x73, 0x6d, 1, 0)],
  ['section-past-end', 'A section longer than the input', ['DMIR-WASM-DECODE.1'], B(...HDR, 1, 10, 0)],
  ['bad-section-id', 'Section id 14', ['DMIR-WASM-DECODE.1'], B(...HDR, 14, 0)],
  ['section-order', 'The function section before the type section', ['DMIR-WASM-DECODE.1'], B(...HDR, 3, 1, 0, 1, 1, 0)],
  ['section-size-mismatch', 'A type section with a byte left over', ['DMIR-WASM-DECODE.1'], B(...HDR, 1, 2, 0, 0)],
  ['leb-too-long', 'A count of six LEB128 bytes', ['DMIR-WASM-DECODE.1'], B(...HDR, 1, 6, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)],
  ['leb-unused-bits', 'A 32-bit LEB128 whose fifth byte sets unused bits', ['DMIR-WASM-DECODE.1'], B(...HDR, 1, 5, 0x80, 0x80, 0x80, 0x80, 0x70)],
  ['bad-utf8-name', 'An export name that is not UTF-8', ['DMIR-WASM-DECODE.1'], B(...HDR, 7, 5, 1, 1, 0xff, 0, 0)],
  ['bad-func-type-form', 'A type entry without 0x60', ['DMIR-WASM-DECODE.1'], B(...HDR, 1, 4, 1, 0x61, 0, 0)],
  ['bad-valtype', 'Value type 0x7a', ['DMIR-WASM-DECODE.1'], B(...HDR, 1, 5, 1, 0x60, 1, 0x7a, 0)],
  ['func-without-code', 'A function section without a code section', ['DMIR-WASM-DECODE.1'], B(...HDR, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0)],
  ['illegal-opcode', 'Opcode 0xc5 in a body', ['DMIR-WASM-DECODE.1'], B(...HDR, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 5, 1, 3, 0, 0xc5, 0x0b)],
  ['body-trailing-bytes', 'A body with bytes after its end', ['DMIR-WASM-DECODE.1'], B(...HDR, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 5, 1, 3, 0, 0x0b, 0x01)],
  ['multi-value-type', 'A function type with two results loads: multi-value is in the profile', ['DMIR-WASM-PROFILE.1', 'DMIR-WASM-MULTI.1'], B(...HDR, 1, 6, 1, 0x60, 0, 2, 0x7f, 0x7f)],
  ['profile-memory-import', 'An imported memory', ['DMIR-WASM-PROFILE.1'], B(...HDR, 2, 9, 1, 1, 0x6d, 1, 0x6d, 2, 0, 1, 0)],
  ['profile-two-memories', 'Two memories', ['DMIR-WASM-PROFILE.1'], B(...HDR, 5, 5, 2, 0, 1, 0, 1)],
  ['saturating-conversion', 'i32.trunc_sat_f32_s (0xfc 0) loads: the saturating conversions are in the profile', ['DMIR-WASM-PROFILE.1'], B(...HDR, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 10, 11, 1, 9, 0, 0x43, 0, 0, 0, 0, 0xfc, 0, 0x0b)],
  ['profile-data-count', 'A data count section', ['DMIR-WASM-PROFILE.1'], B(...HDR, 12, 1, 0)],
  ['limit-initial-memory', 'An initial memory of 257 pages', ['DMIR-WASM-LIMITS.1', 'DMIR-LIMIT-MEMORY.1'], B(...HDR, 5, 4, 1, 0, 0x81, 0x02)],
  ['limit-memory-at-ceiling', 'An initial memory of exactly 256 pages loads', ['DMIR-WASM-LIMITS.1'], B(...HDR, 5, 4, 1, 0, 0x80, 0x02)],
  ['limit-exports', '1,025 exports', ['DMIR-WASM-LIMITS.1'], B(...HDR, 7, 2, 0x81, 0x08)],
  ['limit-locals', '10,241 locals', ['DMIR-WASM-LIMITS.1'], B(...HDR, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 7, 1, 5, 1, 0x81, 0x50, 0x7f, 0x0b)],
  ['validate-type-mismatch', 'A function returning i64 where i32 is declared', ['DMIR-WASM-VALIDATE.1'], wat('(func (result i32) (i64.const 1))')],
  ['validate-unknown-local', 'local.get of a missing local', ['DMIR-WASM-VALIDATE.1'], B(...HDR, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 7, 1, 5, 0, 0x20, 3, 0x1a, 0x0b)],
  ['validate-immutable-global', 'global.set of a constant global', ['DMIR-WASM-VALIDATE.1'], B(...HDR, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 6, 6, 1, 0x7f, 0, 0x41, 0, 0x0b, 10, 8, 1, 6, 0, 0x41, 1, 0x24, 0, 0x0b)],
  ['validate-duplicate-export', 'Two exports with one name', ['DMIR-WASM-VALIDATE.1'], wat('(func (export "a")) (func (export "a"))')],
  ['validate-bad-alignment', 'An alignment above natural', ['DMIR-WASM-VALIDATE.1'], wat('(memory 1) (func (drop (i32.load align=8 (i32.const 0))))')],
  ['validate-start-with-params', 'A start function with a parameter', ['DMIR-WASM-VALIDATE.1'], wat('(func $s (param i32)) (start $s)')],
  ['valid-exports', 'A module exporting a function, memory, table and global', ['DMIR-WASM-LOAD.1'], wat('(func (export "f")) (memory (export "m") 1) (table (export "t") 1 funcref) (global (export "g") i32 (i32.const 0))')],
  ['valid-imports', 'An imported function is listed', ['DMIR-WASM-LOAD.1'], M.imports],
];

/** A generated module with one to four seeded byte mutations (set, truncate, insert). */
const mutate = (b: Uint8Array, seed: number): Uint8Array => {
  const r = prng(seed);
  let out = b;
  for (let k = 1 + r.below(4); k > 0; k--) {
    const at = r.below(out.length + 1);
    const how = r.below(3);
    if (how === 0 && at < out.length) { out = out.slice(); out[at] = r.below(256); }
    if (how === 1) out = out.slice(0, at);
    if (how === 2) out = Uint8Array.from([...out.slice(0, at), r.below(256), ...out.slice(at)]);
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Kinds

const DecodeOut = Schema.Struct({
  imports: Schema.Array(Schema.Struct({ module: Schema.String, field: Schema.String })),
  exports: Schema.Array(Schema.Struct({ name: Schema.String, kind: Schema.Literal('func', 'table', 'memory', 'global') })),
});
type DecodeOutT = typeof DecodeOut.Type;

const decodeKind = defineKind({
  kind: 'wasm/decode',
  area: 'dmir',
  description: 'Loads a binary WebAssembly module under the DWASM profile (decode, profile rules, load limits, validation, lowering, verification): the imported functions and the exports, or the code of the first problem.',
  input: Schema.Struct({ module: Hex }),
  output: DecodeOut,
  errorCodes: LOAD_ERRORS,
  model: ({ module }) => {
    const r = loadWasm(bytes(module));
    return r.ok ? { ok: true, value: exportsOf(r.value) as DecodeOutT } : r;
  },
  impl: ({ module }) => {
    const r = implLoad(bytes(module));
    return r.ok ? { ok: true, value: exportsOf(r.value) as DecodeOutT } : r;
  },
  suites: [
    {
      suite: 'hand-picked', description: 'Malformed, out-of-profile, over-limit, invalid and valid modules, one rule each', seed: 1,
      cases: () => DECODE_HAND.map(([id, d, req, hex]) => draft(id, d, req, { module: hex })),
    },
    {
      suite: 'generated', description: 'Valid modules of the profile generator', seed: 40,
      cases: (seed) => generated(seed, 30).map((g, i) => draft(`module-${i}`, 'A generated module with functions, memory, a table and globals', ['DMIR-WASM-LOAD.1'], { module: bytesToHex(encodeModule(g.module)) })),
    },
    {
      suite: 'mutated', description: 'Generated modules with seeded byte mutations, and random bytes after a valid header', seed: 41,
      cases: (seed) => [
        ...generated(seed, 60).map((g, i) => draft(`mutated-${i}`, 'A generated module with one to four byte mutations', ['DMIR-WASM-DECODE.1', 'DMIR-WASM-VALIDATE.1'], { module: bytesToHex(mutate(encodeModule(g.module), seed * 1000 + i)) })),
        ...Array.from({ length: 20 }, (_, i) => {
          const r = prng(seed * 7 + i);
          return draft(`random-${i}`, 'Random bytes after the header', ['DMIR-WASM-DECODE.1'], { module: bytesToHex(Uint8Array.from([...HDR, ...r.bytes(1 + r.below(40))])) });
        }),
      ],
    },
  ],
});

const CallIn = Schema.Struct({ module: Hex, function: Schema.String, args: Schema.Array(Value) });
const RunOut = Schema.Struct({ values: Schema.NullOr(Schema.Array(Value)), trap: Schema.NullOr(Schema.String) });
type RunOutT = typeof RunOut.Type;
const InvokeOut = Schema.Struct({ values: Schema.NullOr(Schema.Array(Value)), trap: Schema.NullOr(Schema.String), gasUsed: Dec });
type InvokeOutT = typeof InvokeOut.Type;

const withoutGas = (r: Result<Outcome>): Result<RunOutT> => (r.ok ? { ok: true, value: { values: r.value.values, trap: r.value.trap } } : r);

const handDrafts = (filter: (module: string) => boolean) => HAND.filter((h) => filter(h[3])).map(([id, d, req, module, fn, args]) => draft(id, d, req, { module, function: fn, args }));

const runKind = defineKind({
  kind: 'wasm/run',
  area: 'dmir',
  description: 'Loads and instantiates a module without host imports and invokes an exported function unmetered (gas 2^64 - 1): its results (integers in decimal, floats as bit patterns in hex) or its trap code.',
  input: CallIn,
  output: RunOut,
  errorCodes: RUN_ERRORS,
  model: (c) => withoutGas(modelRun(c, UNMETERED)),
  impl: (c) => withoutGas(implRun(c, UNMETERED)),
  suites: [
    {
      suite: 'hand-picked', description: 'Integer, float, memory, control, table, global and stack rules, one case each', seed: 1,
      cases: () => handDrafts((m) => m !== M.gas),
    },
    {
      suite: 'saturating', description: 'The eight saturating conversions on NaN, infinities, -0 and both ends of the target range', seed: 1,
      cases: () => SAT_CASES.map(([id, d, fn, args]) => draft(id, d, ['DMIR-OP-CONVERT-SAT.1', 'DMIR-WASM-PROFILE.1', 'DMIR-WASM-LOWER.1'], { module: M.sat, function: fn, args })),
    },
    {
      suite: 'generated', description: 'Generated modules without NaN-producing float arithmetic: the first call of each', seed: 42,
      cases: (seed) => generatedCalls(seed, 400).filter(({ g }) => !usesCanonicalisingFloat(g.module)).slice(0, 60).map(({ call }, i) => {
        return draft(`module-${i}${idSuffix(call)}`, 'A generated module: loops, branches, memory traffic, calls and traps', ['DMIR-EXEC-MODE.1', 'DMIR-WASM-LOWER.1'], call);
      }),
    },
  ],
});

const invokeKind = defineKind({
  kind: 'wasm/invoke',
  area: 'dmir',
  description: 'Like wasm/run with a gas limit: gas is charged by calls to an exported __instrumented_use_gas (i64) -> (); the output adds the gas used (decimal).',
  input: Schema.Struct({ module: Hex, function: Schema.String, args: Schema.Array(Value), gas: Dec }),
  output: InvokeOut,
  errorCodes: RUN_ERRORS,
  model: (c) => modelRun(c, BigInt.asUintN(64, BigInt(c.gas))) as Result<InvokeOutT>,
  impl: (c) => implRun(c, BigInt.asUintN(64, BigInt(c.gas))) as Result<InvokeOutT>,
  suites: [
    {
      suite: 'gas', description: 'Instrumented gas: enough, exact, one short, unsigned amounts', seed: 1,
      cases: () => GAS.map(([id, d, fn, args, gas]) => draft(id, d, ['DMIR-GAS-USE.1', 'DMIR-GAS-INTRINSIC.1'], { module: M.gas, function: fn, args, gas })),
    },
    {
      suite: 'generated', description: 'Generated modules (with NaN arithmetic) under a zero gas limit: no instrumentation, nothing charged', seed: 43,
      cases: (seed) => generatedCalls(seed, 40).map(({ call }, i) => draft(`module-${i}`, 'A generated module, first call', ['DMIR-EXEC-MODE.1', 'DMIR-DET-NAN.1', 'DMIR-GAS-USE.1'], { ...call, gas: '0' })),
    },
  ],
});

export const dmirKinds = [decodeKind, runKind, invokeKind, ...dmirCoreKinds];
