/**
 * The WebAssembly MVP instruction set: opcode, text name, immediate shape and, for the numeric
 * instructions, the operand and result types. Both the decoder and the lowering read this table.
 *
 * @spec DMIR-WASM-OPCODES.1
 */
import type { ValType } from '../ir.js';

export type Immediate =
  | 'none' | 'block' | 'label' | 'br_table' | 'func' | 'call_indirect' | 'local' | 'global' | 'memarg'
  | 'memory' | 'i32' | 'i64' | 'f32' | 'f64';

export interface OpInfo {
  readonly op: number;
  readonly name: string;
  readonly imm: Immediate;
  /** Operand and result types of a numeric, load or store instruction. */
  readonly params?: readonly ValType[];
  readonly result?: ValType | null;
  /** Access width in bytes of a load or store. */
  readonly size?: number;
}

const info: OpInfo[] = [
  { op: 0x00, name: 'unreachable', imm: 'none' },
  { op: 0x01, name: 'nop', imm: 'none' },
  { op: 0x02, name: 'block', imm: 'block' },
  { op: 0x03, name: 'loop', imm: 'block' },
  { op: 0x04, name: 'if', imm: 'block' },
  { op: 0x05, name: 'else', imm: 'none' },
  { op: 0x0b, name: 'end', imm: 'none' },
  { op: 0x0c, name: 'br', imm: 'label' },
  { op: 0x0d, name: 'br_if', imm: 'label' },
  { op: 0x0e, name: 'br_table', imm: 'br_table' },
  { op: 0x0f, name: 'return', imm: 'none' },
  { op: 0x10, name: 'call', imm: 'func' },
  { op: 0x11, name: 'call_indirect', imm: 'call_indirect' },
  { op: 0x1a, name: 'drop', imm: 'none' },
  { op: 0x1b, name: 'select', imm: 'none' },
  { op: 0x20, name: 'local.get', imm: 'local' },
  { op: 0x21, name: 'local.set', imm: 'local' },
  { op: 0x22, name: 'local.tee', imm: 'local' },
  { op: 0x23, name: 'global.get', imm: 'global' },
  { op: 0x24, name: 'global.set', imm: 'global' },
  { op: 0x3f, name: 'memory.size', imm: 'memory' },
  { op: 0x40, name: 'memory.grow', imm: 'memory' },
  { op: 0x41, name: 'i32.const', imm: 'i32' },
  { op: 0x42, name: 'i64.const', imm: 'i64' },
  { op: 0x43, name: 'f32.const', imm: 'f32' },
  { op: 0x44, name: 'f64.const', imm: 'f64' },
];

const mem = (op: number, name: string, t: ValType, size: number, store: boolean): OpInfo =>
  store
    ? { op, name, imm: 'memarg', params: ['i32', t], result: null, size }
    : { op, name, imm: 'memarg', params: ['i32'], result: t, size };
info.push(
  mem(0x28, 'i32.load', 'i32', 4, false), mem(0x29, 'i64.load', 'i64', 8, false),
  mem(0x2a, 'f32.load', 'f32', 4, false), mem(0x2b, 'f64.load', 'f64', 8, false),
  mem(0x2c, 'i32.load8_s', 'i32', 1, false), mem(0x2d, 'i32.load8_u', 'i32', 1, false),
  mem(0x2e, 'i32.load16_s', 'i32', 2, false), mem(0x2f, 'i32.load16_u', 'i32', 2, false),
  mem(0x30, 'i64.load8_s', 'i64', 1, false), mem(0x31, 'i64.load8_u', 'i64', 1, false),
  mem(0x32, 'i64.load16_s', 'i64', 2, false), mem(0x33, 'i64.load16_u', 'i64', 2, false),
  mem(0x34, 'i64.load32_s', 'i64', 4, false), mem(0x35, 'i64.load32_u', 'i64', 4, false),
  mem(0x36, 'i32.store', 'i32', 4, true), mem(0x37, 'i64.store', 'i64', 8, true),
  mem(0x38, 'f32.store', 'f32', 4, true), mem(0x39, 'f64.store', 'f64', 8, true),
  mem(0x3a, 'i32.store8', 'i32', 1, true), mem(0x3b, 'i32.store16', 'i32', 2, true),
  mem(0x3c, 'i64.store8', 'i64', 1, true), mem(0x3d, 'i64.store16', 'i64', 2, true),
  mem(0x3e, 'i64.store32', 'i64', 4, true),
);

const num = (op: number, name: string, params: readonly ValType[], result: ValType): OpInfo => ({ op, name, imm: 'none', params, result });
const addRange = (start: number, prefix: string, names: string[], params: readonly ValType[], result: ValType): void => {
  names.forEach((n, i) => info.push(num(start + i, `${prefix}.${n}`, params, result)));
};
info.push(num(0x45, 'i32.eqz', ['i32'], 'i32'));
addRange(0x46, 'i32', ['eq', 'ne', 'lt_s', 'lt_u', 'gt_s', 'gt_u', 'le_s', 'le_u', 'ge_s', 'ge_u'], ['i32', 'i32'], 'i32');
info.push(num(0x50, 'i64.eqz', ['i64'], 'i32'));
addRange(0x51, 'i64', ['eq', 'ne', 'lt_s', 'lt_u', 'gt_s', 'gt_u', 'le_s', 'le_u', 'ge_s', 'ge_u'], ['i64', 'i64'], 'i32');
addRange(0x5b, 'f32', ['eq', 'ne', 'lt', 'gt', 'le', 'ge'], ['f32', 'f32'], 'i32');
addRange(0x61, 'f64', ['eq', 'ne', 'lt', 'gt', 'le', 'ge'], ['f64', 'f64'], 'i32');
addRange(0x67, 'i32', ['clz', 'ctz', 'popcnt'], ['i32'], 'i32');
addRange(0x6a, 'i32', ['add', 'sub', 'mul', 'div_s', 'div_u', 'rem_s', 'rem_u', 'and', 'or', 'xor', 'shl', 'shr_s', 'shr_u', 'rotl', 'rotr'], ['i32', 'i32'], 'i32');
addRange(0x79, 'i64', ['clz', 'ctz', 'popcnt'], ['i64'], 'i64');
addRange(0x7c, 'i64', ['add', 'sub', 'mul', 'div_s', 'div_u', 'rem_s', 'rem_u', 'and', 'or', 'xor', 'shl', 'shr_s', 'shr_u', 'rotl', 'rotr'], ['i64', 'i64'], 'i64');
addRange(0x8b, 'f32', ['abs', 'neg', 'ceil', 'floor', 'trunc', 'nearest', 'sqrt'], ['f32'], 'f32');
addRange(0x92, 'f32', ['add', 'sub', 'mul', 'div', 'min', 'max', 'copysign'], ['f32', 'f32'], 'f32');
addRange(0x99, 'f64', ['abs', 'neg', 'ceil', 'floor', 'trunc', 'nearest', 'sqrt'], ['f64'], 'f64');
addRange(0xa0, 'f64', ['add', 'sub', 'mul', 'div', 'min', 'max', 'copysign'], ['f64', 'f64'], 'f64');
info.push(
  num(0xa7, 'i32.wrap_i64', ['i64'], 'i32'),
  num(0xa8, 'i32.trunc_f32_s', ['f32'], 'i32'), num(0xa9, 'i32.trunc_f32_u', ['f32'], 'i32'),
  num(0xaa, 'i32.trunc_f64_s', ['f64'], 'i32'), num(0xab, 'i32.trunc_f64_u', ['f64'], 'i32'),
  num(0xac, 'i64.extend_i32_s', ['i32'], 'i64'), num(0xad, 'i64.extend_i32_u', ['i32'], 'i64'),
  num(0xae, 'i64.trunc_f32_s', ['f32'], 'i64'), num(0xaf, 'i64.trunc_f32_u', ['f32'], 'i64'),
  num(0xb0, 'i64.trunc_f64_s', ['f64'], 'i64'), num(0xb1, 'i64.trunc_f64_u', ['f64'], 'i64'),
  num(0xb2, 'f32.convert_i32_s', ['i32'], 'f32'), num(0xb3, 'f32.convert_i32_u', ['i32'], 'f32'),
  num(0xb4, 'f32.convert_i64_s', ['i64'], 'f32'), num(0xb5, 'f32.convert_i64_u', ['i64'], 'f32'),
  num(0xb6, 'f32.demote_f64', ['f64'], 'f32'),
  num(0xb7, 'f64.convert_i32_s', ['i32'], 'f64'), num(0xb8, 'f64.convert_i32_u', ['i32'], 'f64'),
  num(0xb9, 'f64.convert_i64_s', ['i64'], 'f64'), num(0xba, 'f64.convert_i64_u', ['i64'], 'f64'),
  num(0xbb, 'f64.promote_f32', ['f32'], 'f64'),
  num(0xbc, 'i32.reinterpret_f32', ['f32'], 'i32'), num(0xbd, 'i64.reinterpret_f64', ['f64'], 'i64'),
  num(0xbe, 'f32.reinterpret_i32', ['i32'], 'f32'), num(0xbf, 'f64.reinterpret_i64', ['i64'], 'f64'),
  // The sign-extension operators are part of the profile (DMIR-WASM-PROFILE.1).
  num(0xc0, 'i32.extend8_s', ['i32'], 'i32'), num(0xc1, 'i32.extend16_s', ['i32'], 'i32'),
  num(0xc2, 'i64.extend8_s', ['i64'], 'i64'), num(0xc3, 'i64.extend16_s', ['i64'], 'i64'), num(0xc4, 'i64.extend32_s', ['i64'], 'i64'),
);

/**
 * Instructions behind the 0xFC prefix are numbered `0xFC00 + sub-opcode` here; in the binary they
 * are the byte 0xFC followed by the sub-opcode as an unsigned LEB128 integer.
 */
export const PREFIX_FC = 0xfc00;
/** The byte sequence of an opcode: one byte, or the 0xFC prefix and the sub-opcode. */
export const opcodeBytes = (op: number): number[] => {
  if (op < PREFIX_FC) return [op];
  const out = [0xfc];
  let v = op - PREFIX_FC;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
};
// The saturating float-to-integer conversions are part of the profile (DMIR-WASM-PROFILE.1).
info.push(
  num(PREFIX_FC + 0, 'i32.trunc_sat_f32_s', ['f32'], 'i32'), num(PREFIX_FC + 1, 'i32.trunc_sat_f32_u', ['f32'], 'i32'),
  num(PREFIX_FC + 2, 'i32.trunc_sat_f64_s', ['f64'], 'i32'), num(PREFIX_FC + 3, 'i32.trunc_sat_f64_u', ['f64'], 'i32'),
  num(PREFIX_FC + 4, 'i64.trunc_sat_f32_s', ['f32'], 'i64'), num(PREFIX_FC + 5, 'i64.trunc_sat_f32_u', ['f32'], 'i64'),
  num(PREFIX_FC + 6, 'i64.trunc_sat_f64_s', ['f64'], 'i64'), num(PREFIX_FC + 7, 'i64.trunc_sat_f64_u', ['f64'], 'i64'),
);

export const OPS: readonly OpInfo[] = info;
export const OP_BY_CODE: ReadonlyMap<number, OpInfo> = new Map(info.map((i) => [i.op, i]));
export const OP_BY_NAME: ReadonlyMap<string, OpInfo> = new Map(info.map((i) => [i.name, i]));

/**
 * Instructions of later WebAssembly versions, known by name and opcode so that a module using
 * them is reported as outside the profile rather than as malformed.
 */
export const POST_MVP_NAMES: ReadonlyMap<string, string> = new Map([
  ...['ref.null', 'ref.is_null', 'ref.func', 'table.get', 'table.set', 'table.size', 'table.grow', 'table.fill', 'ref.as_non_null', 'br_on_null', 'br_on_non_null', 'call_ref', 'return_call_ref', 'ref.eq'].map((n) => [n, 'reference-types'] as const),
  ...['memory.copy', 'memory.fill', 'memory.init', 'data.drop', 'table.copy', 'table.init', 'elem.drop'].map((n) => [n, 'bulk-memory'] as const),
  ...['return_call', 'return_call_indirect'].map((n) => [n, 'tail-call'] as const),
  ...['try', 'catch', 'catch_all', 'throw', 'rethrow', 'delegate', 'try_table', 'throw_ref'].map((n) => [n, 'exceptions'] as const),
]);
