/**
 * The WebAssembly MVP binary decoder, as the DWASM profile accepts it: one memory, one table,
 * imports of functions only, multi-value, and the DWASM load limits. Decoding is
 * structural only; typing is `validate.ts`.
 */
import { fail, ok, type Result } from '../../encoding/result.js';
import type { FuncType, Limits, Val, ValType } from '../ir.js';
import { OP_BY_CODE, PREFIX_FC } from './opcodes.js';

/** One decoded instruction; which fields are set depends on the opcode's immediate shape. */
export interface Instr {
  readonly op: number;
  /** label, function, type, local or global index, memory alignment, or br_table default. */
  readonly a?: number;
  /** call_indirect table index, memory offset, memory index. */
  readonly b?: number;
  readonly value?: Val;
  readonly targets?: readonly number[];
  /** Block type: `null` (empty), one result type, or a type index (multi-value: params and results). */
  readonly bt?: BlockType;
}

/** A block type: empty, a single result, or the index of a function type giving params and results. */
export type BlockType = ValType | null | number;

export interface Import { readonly module: string; readonly field: string; readonly typeIndex: number }
export interface Global { readonly type: ValType; readonly mutable: boolean; readonly init: readonly Instr[] }
export interface WasmExport { readonly name: string; readonly kind: 'func' | 'table' | 'memory' | 'global'; readonly index: number }
export interface ElemSegment { readonly offset: readonly Instr[]; readonly funcs: readonly number[] }
export interface DataSegment { readonly offset: readonly Instr[]; readonly bytes: Uint8Array }
export interface Code { readonly locals: readonly ValType[]; readonly body: readonly Instr[] }

export interface WasmModule {
  readonly types: readonly FuncType[];
  readonly imports: readonly Import[];
  /** Type index of each defined function (the function section). */
  readonly funcs: readonly number[];
  readonly tables: readonly Limits[];
  readonly memories: readonly Limits[];
  readonly globals: readonly Global[];
  readonly exports: readonly WasmExport[];
  readonly start: number | null;
  readonly elems: readonly ElemSegment[];
  readonly datas: readonly DataSegment[];
  readonly codes: readonly Code[];
}

/**
 * The DWASM load limits, with DTVM's numeric error code where one is public.
 *
 * @spec DMIR-WASM-LIMITS.1
 */
export const DWASM_LIMITS = {
  moduleBytes: 16 * 1024 * 1024,
  types: 10240,
  imports: 10240,
  funcs: 10240,
  globals: 10240,
  elems: 10240,
  exports: 1024,
  datas: 1024,
  locals: 10240,
  tableSize: 10240,
  opcodesPerFunc: 102400,
  childBlocks: 1024,
  blockDepth: 1024,
  initMemoryPages: 256,
} as const;

export const LIMIT_ERROR_NUMBERS: Readonly<Record<string, number>> = {
  'Wasm.Limit.FUNC_BODY_TOO_LARGE': 10040,
  'Wasm.Limit.BLOCK_NESTED_TOO_DEEP': 10050,
  'Wasm.Limit.BLOCK_TOO_LARGE': 10060,
  'Wasm.Limit.LOCALS_TOO_MANY': 10070,
  'Wasm.Limit.INIT_MEMORY_TOO_LARGE': 10099,
  'Wasm.Limit.MODULE_TOO_LARGE': 10100,
};

export const DECODE_ERROR_CODES = [
  'Wasm.Decode.UNEXPECTED_END', 'Wasm.Decode.BAD_MAGIC', 'Wasm.Decode.BAD_VERSION', 'Wasm.Decode.BAD_SECTION_ID',
  'Wasm.Decode.SECTION_SIZE_MISMATCH', 'Wasm.Decode.SECTION_ORDER', 'Wasm.Decode.LEB_TOO_LONG', 'Wasm.Decode.LEB_TOO_LARGE',
  'Wasm.Decode.BAD_UTF8', 'Wasm.Decode.BAD_VALTYPE', 'Wasm.Decode.BAD_IMPORT_KIND', 'Wasm.Decode.BAD_EXPORT_KIND',
  'Wasm.Decode.BAD_MUTABILITY', 'Wasm.Decode.BAD_LIMITS_FLAG', 'Wasm.Decode.ILLEGAL_OPCODE', 'Wasm.Decode.FUNC_CODE_MISMATCH',
  'Wasm.Decode.TOO_MANY_LOCALS', 'Wasm.Decode.BAD_FUNC_TYPE_FORM', 'Wasm.Decode.END_EXPECTED', 'Wasm.Decode.BAD_BLOCK_TYPE',
  'Wasm.Decode.ZERO_BYTE_EXPECTED', 'Wasm.Decode.BAD_ELEM_TYPE',
] as const;
export const PROFILE_ERROR_CODES = [
  'Wasm.Profile.UNSUPPORTED_FEATURE', 'Wasm.Profile.UNSUPPORTED_IMPORT', 'Wasm.Profile.MULTIPLE_MEMORIES',
  'Wasm.Profile.MULTIPLE_TABLES', 'Wasm.Profile.MULTI_VALUE',
] as const;
export const LIMIT_ERROR_CODES = [
  'Wasm.Limit.MODULE_TOO_LARGE', 'Wasm.Limit.FUNC_BODY_TOO_LARGE', 'Wasm.Limit.BLOCK_NESTED_TOO_DEEP',
  'Wasm.Limit.BLOCK_TOO_LARGE', 'Wasm.Limit.LOCALS_TOO_MANY', 'Wasm.Limit.INIT_MEMORY_TOO_LARGE',
  'Wasm.Limit.TOO_MANY_ENTRIES', 'Wasm.Limit.TABLE_TOO_LARGE',
] as const;

interface DecodeError { readonly decodeError: true; readonly code: string; readonly message: string }
const err = (code: string, message: string): DecodeError => ({ decodeError: true, code, message });
const isDecodeError = (e: unknown): e is DecodeError =>
  typeof e === 'object' && e !== null && (e as { decodeError?: unknown }).decodeError === true;

/** A read position bounded by `end` (the end of the current section or body). */
interface Cursor { readonly bytes: Uint8Array; pos: number; end: number }

const at = (c: Cursor): string => `at byte ${c.pos}`;

const byte = (c: Cursor): number => {
  if (c.pos >= c.end) throw err('Wasm.Decode.UNEXPECTED_END', `unexpected end ${at(c)}`);
  return c.bytes[c.pos++]!;
};

/** Unsigned LEB128 of at most `bits` bits (32); the unused bits of the last byte must be zero. */
const u32 = (c: Cursor): number => {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    const b = byte(c);
    if (i === 4) {
      if (b & 0x80) throw err('Wasm.Decode.LEB_TOO_LONG', `integer representation too long ${at(c)}`);
      if (b & 0x70) throw err('Wasm.Decode.LEB_TOO_LARGE', `integer too large ${at(c)}`);
    }
    result += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return result;
  }
  return result;
};

/** Signed LEB128 of `bits` bits (32 or 64); unused bits of the last byte must extend the sign. */
const sleb = (c: Cursor, bits: 32 | 33 | 64): bigint => {
  const maxBytes = Math.ceil(bits / 7);
  let result = 0n;
  for (let i = 0; i < maxBytes; i++) {
    const b = byte(c);
    if (i === maxBytes - 1) {
      if (b & 0x80) throw err('Wasm.Decode.LEB_TOO_LONG', `integer representation too long ${at(c)}`);
      const used = bits - 7 * i; // meaningful bits in this byte
      const rest = (b & 0x7f) >> (used - 1); // the sign bit and the unused bits above it
      const all = (1 << (8 - used)) - 1;
      if (rest !== 0 && rest !== all) throw err('Wasm.Decode.LEB_TOO_LARGE', `integer too large ${at(c)}`);
    }
    result |= BigInt(b & 0x7f) << BigInt(7 * i);
    if ((b & 0x80) === 0) {
      const width = BigInt(7 * (i + 1));
      if (b & 0x40) result -= 1n << width;
      return BigInt.asIntN(bits, result);
    }
  }
  return BigInt.asIntN(bits, result);
};

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const name = (c: Cursor): string => {
  const len = u32(c);
  if (len > c.end - c.pos) throw err('Wasm.Decode.UNEXPECTED_END', `name of ${len} bytes runs past the end ${at(c)}`);
  const bytes = c.bytes.subarray(c.pos, c.pos + len);
  c.pos += len;
  try {
    return utf8.decode(bytes);
  } catch {
    throw err('Wasm.Decode.BAD_UTF8', `malformed UTF-8 encoding in a name ending ${at(c)}`);
  }
};

const VALTYPES: Readonly<Record<number, ValType>> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };
const POST_MVP_TYPES: Readonly<Record<number, string>> = { 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref', 0x64: 'ref', 0x63: 'ref null' };

const valtype = (c: Cursor): ValType => {
  const b = byte(c);
  const t = VALTYPES[b];
  if (t !== undefined) return t;
  if (POST_MVP_TYPES[b] !== undefined) throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `value type ${POST_MVP_TYPES[b]} is outside the MVP profile ${at(c)}`);
  throw err('Wasm.Decode.BAD_VALTYPE', `malformed value type 0x${b.toString(16)} ${at(c)}`);
};

/** A count followed by that many items; the count is checked against the bytes left first. */
const vec = <T>(c: Cursor, item: (c: Cursor) => T, limit?: number, what?: string): T[] => {
  const n = u32(c);
  if (limit !== undefined && n > limit) throw err('Wasm.Limit.TOO_MANY_ENTRIES', `${n} ${what ?? 'entries'} exceed the DWASM limit ${limit} ${at(c)}`);
  if (n > c.end - c.pos) throw err('Wasm.Decode.UNEXPECTED_END', `count ${n} exceeds the remaining bytes ${at(c)}`);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(item(c));
  return out;
};

const limits = (c: Cursor, memory: boolean): Limits => {
  const flag = byte(c);
  if (flag > 1) {
    if (flag <= 7 && memory) throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `memory limits flag ${flag} (shared or 64-bit memory) is outside the MVP profile ${at(c)}`);
    throw err('Wasm.Decode.BAD_LIMITS_FLAG', `malformed limits flag ${flag} ${at(c)}`);
  }
  const min = u32(c);
  const max = flag === 1 ? u32(c) : null;
  return { min, max };
};

const tableType = (c: Cursor): Limits => {
  const t = byte(c);
  if (t === 0x6f) throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `externref tables are outside the MVP profile ${at(c)}`);
  if (t !== 0x70) throw err('Wasm.Decode.BAD_ELEM_TYPE', `malformed table element type 0x${t.toString(16)} ${at(c)}`);
  return limits(c, false);
};

/** A block type: 0x40, a value type, or a non-negative signed 33-bit type index (multi-value). */
const blockType = (c: Cursor): BlockType => {
  const start = c.pos;
  const b = byte(c);
  if (b === 0x40) return null;
  const t = VALTYPES[b];
  if (t !== undefined) return t;
  if (POST_MVP_TYPES[b] !== undefined) throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `block type ${POST_MVP_TYPES[b]} is outside the MVP profile ${at(c)}`);
  c.pos = start;
  const index = sleb(c, 33);
  if (index < 0n) throw err('Wasm.Decode.BAD_BLOCK_TYPE', `malformed block type at byte ${start}`);
  return Number(index);
};

const PREFIX_FEATURES: Readonly<Record<number, string>> = {
  0x1c: 'typed select (reference types)', 0x25: 'table.get (reference types)', 0x26: 'table.set (reference types)',
  0xd0: 'reference types', 0xd1: 'reference types', 0xd2: 'reference types', 0xd3: 'typed function references', 0xd4: 'typed function references', 0xd5: 'typed function references', 0xd6: 'typed function references',
  0xfc: 'bulk memory or saturating conversions', 0xfd: 'SIMD', 0xfe: 'threads', 0xfb: 'GC',
  0x06: 'exceptions', 0x07: 'exceptions', 0x08: 'exceptions', 0x09: 'exceptions', 0x0a: 'exceptions', 0x18: 'exceptions', 0x19: 'exceptions', 0x1f: 'exceptions',
  0x12: 'tail calls', 0x13: 'tail calls', 0x14: 'typed function references', 0x15: 'typed function references',
};

/**
 * Reads an opcode: one byte, or the 0xFC prefix and an unsigned LEB128 sub-opcode. Of the 0xFC
 * space the profile has the saturating conversions (0 to 7); 8 to 17 (bulk memory, table
 * instructions) are later features, anything else is malformed.
 */
const opcode = (c: Cursor, start: number): number => {
  const op = byte(c);
  if (op !== 0xfc) return op;
  const sub = u32(c);
  if (OP_BY_CODE.has(PREFIX_FC + sub)) return PREFIX_FC + sub;
  if (sub <= 17) throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `opcode 0xfc ${sub} (bulk memory or table instructions) is outside the profile at byte ${start}`);
  throw err('Wasm.Decode.ILLEGAL_OPCODE', `illegal opcode 0xfc ${sub} at byte ${start}`);
};

/**
 * Decodes one instruction sequence up to the `end` that closes it, counting opcodes, nesting
 * and same-level child blocks against the DWASM limits.
 *
 * @spec DMIR-WASM-DECODE.1 DMIR-WASM-LIMITS.1
 */
const expr = (c: Cursor, checkLimits: boolean): Instr[] => {
  const out: Instr[] = [];
  const children: number[] = [0];
  for (;;) {
    const start = c.pos;
    const op = opcode(c, start);
    const info = OP_BY_CODE.get(op);
    if (info === undefined) {
      const feature = PREFIX_FEATURES[op];
      if (feature !== undefined) throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `opcode 0x${op.toString(16)} (${feature}) is outside the MVP profile at byte ${start}`);
      throw err('Wasm.Decode.ILLEGAL_OPCODE', `illegal opcode 0x${op.toString(16)} at byte ${start}`);
    }
    if (checkLimits && out.length + 1 > DWASM_LIMITS.opcodesPerFunc) throw err('Wasm.Limit.FUNC_BODY_TOO_LARGE', `function body has more than ${DWASM_LIMITS.opcodesPerFunc} instructions at byte ${start}`);
    switch (info.imm) {
      case 'none': out.push({ op }); break;
      case 'block': {
        out.push({ op, bt: blockType(c) });
        const k = children.length - 1;
        children[k] = children[k]! + 1;
        if (checkLimits && children[k]! > DWASM_LIMITS.childBlocks) throw err('Wasm.Limit.BLOCK_TOO_LARGE', `more than ${DWASM_LIMITS.childBlocks} blocks at one level at byte ${start}`);
        children.push(0);
        if (checkLimits && children.length - 1 > DWASM_LIMITS.blockDepth) throw err('Wasm.Limit.BLOCK_NESTED_TOO_DEEP', `blocks nested deeper than ${DWASM_LIMITS.blockDepth} at byte ${start}`);
        break;
      }
      case 'label': case 'func': case 'local': case 'global': out.push({ op, a: u32(c) }); break;
      case 'br_table': {
        const targets = vec(c, u32);
        out.push({ op, targets, a: u32(c) });
        break;
      }
      case 'call_indirect': { const a = u32(c); out.push({ op, a, b: u32(c) }); break; }
      case 'memarg': {
        const align = u32(c);
        if (align >= 64) throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `memory index in memarg (multi-memory) is outside the profile at byte ${start}`);
        out.push({ op, a: align, b: u32(c) });
        break;
      }
      case 'memory': out.push({ op, b: u32(c) }); break;
      case 'i32': out.push({ op, value: Number(sleb(c, 32)) }); break;
      case 'i64': out.push({ op, value: sleb(c, 64) }); break;
      case 'f32': {
        if (c.end - c.pos < 4) throw err('Wasm.Decode.UNEXPECTED_END', `f32 constant runs past the end ${at(c)}`);
        const dv = new DataView(c.bytes.buffer, c.bytes.byteOffset + c.pos, 4);
        out.push({ op, value: dv.getUint32(0, true) });
        c.pos += 4;
        break;
      }
      case 'f64': {
        if (c.end - c.pos < 8) throw err('Wasm.Decode.UNEXPECTED_END', `f64 constant runs past the end ${at(c)}`);
        const dv = new DataView(c.bytes.buffer, c.bytes.byteOffset + c.pos, 8);
        out.push({ op, value: dv.getBigUint64(0, true) });
        c.pos += 8;
        break;
      }
    }
    if (op === 0x0b) {
      children.pop();
      if (children.length === 0) return out;
    }
  }
};

const SECTION_ORDER: Readonly<Record<number, number>> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 10: 11, 11: 12 };

/**
 * Decodes a binary module. Failures carry `Wasm.Decode.*` (malformed), `Wasm.Profile.*`
 * (well-formed but outside the DWASM profile) or `Wasm.Limit.*` (a DWASM load limit) codes.
 *
 * @spec DMIR-WASM-DECODE.1 DMIR-WASM-PROFILE.1 DMIR-WASM-LIMITS.1
 */
export const decodeModule = (bytes: Uint8Array): Result<WasmModule> => {
  if (bytes.length > DWASM_LIMITS.moduleBytes) return fail('Wasm.Limit.MODULE_TOO_LARGE', `module of ${bytes.length} bytes exceeds ${DWASM_LIMITS.moduleBytes}`);
  const c: Cursor = { bytes, pos: 0, end: bytes.length };
  try {
    if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw err('Wasm.Decode.BAD_MAGIC', 'magic header not detected');
    c.pos = 4;
    if (bytes.length < 8) throw err('Wasm.Decode.UNEXPECTED_END', 'unexpected end in the version');
    if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw err('Wasm.Decode.BAD_VERSION', 'unknown binary version');
    c.pos = 8;
    let types: FuncType[] = [];
    let imports: Import[] = [];
    let funcs: number[] = [];
    let tables: Limits[] = [];
    let memories: Limits[] = [];
    let globals: Global[] = [];
    let exports: WasmExport[] = [];
    let start: number | null = null;
    let elems: ElemSegment[] = [];
    let datas: DataSegment[] = [];
    let codes: Code[] | null = null;
    let last = 0;
    while (c.pos < bytes.length) {
      const idStart = c.pos;
      const id = byte(c);
      const size = u32(c);
      if (size > bytes.length - c.pos) throw err('Wasm.Decode.UNEXPECTED_END', `section ${id} of ${size} bytes runs past the end at byte ${idStart}`);
      const s: Cursor = { bytes, pos: c.pos, end: c.pos + size };
      c.pos += size;
      if (id === 0) {
        name(s);
        continue;
      }
      if (id === 12) throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `data count section (bulk memory) is outside the MVP profile at byte ${idStart}`);
      if (id === 13) throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `tag section (exceptions) is outside the MVP profile at byte ${idStart}`);
      const order = SECTION_ORDER[id];
      if (order === undefined) throw err('Wasm.Decode.BAD_SECTION_ID', `malformed section id ${id} at byte ${idStart}`);
      if (order <= last) throw err('Wasm.Decode.SECTION_ORDER', `unexpected content after last section: section ${id} at byte ${idStart} is out of order`);
      last = order;
      switch (id) {
        case 1:
          types = vec(s, (x) => {
            const form = byte(x);
            if (form !== 0x60) throw err('Wasm.Decode.BAD_FUNC_TYPE_FORM', `malformed function type form 0x${form.toString(16)} ${at(x)}`);
            const params = vec(x, valtype);
            const results = vec(x, valtype);
            return { params, results };
          }, DWASM_LIMITS.types, 'types');
          break;
        case 2:
          imports = vec(s, (x) => {
            const module = name(x);
            const field = name(x);
            const kind = byte(x);
            if (kind === 0) return { module, field, typeIndex: u32(x) };
            if (kind <= 4) throw err('Wasm.Profile.UNSUPPORTED_IMPORT', `import ${module}.${field}: only functions may be imported ${at(x)}`);
            throw err('Wasm.Decode.BAD_IMPORT_KIND', `malformed import kind ${kind} ${at(x)}`);
          }, DWASM_LIMITS.imports, 'imports');
          break;
        case 3: funcs = vec(s, u32, DWASM_LIMITS.funcs, 'functions'); break;
        case 4:
          tables = vec(s, tableType);
          if (tables.length > 1) throw err('Wasm.Profile.MULTIPLE_TABLES', `${tables.length} tables; the profile allows one`);
          break;
        case 5:
          memories = vec(s, (x) => limits(x, true));
          if (memories.length > 1) throw err('Wasm.Profile.MULTIPLE_MEMORIES', `${memories.length} memories; the profile allows one`);
          break;
        case 6:
          globals = vec(s, (x) => {
            const type = valtype(x);
            const m = byte(x);
            if (m > 1) throw err('Wasm.Decode.BAD_MUTABILITY', `malformed mutability ${m} ${at(x)}`);
            return { type, mutable: m === 1, init: expr(x, false) };
          }, DWASM_LIMITS.globals, 'globals');
          break;
        case 7:
          exports = vec(s, (x) => {
            const n = name(x);
            const kind = byte(x);
            const k = (['func', 'table', 'memory', 'global'] as const)[kind];
            if (k === undefined) throw err(kind === 4 ? 'Wasm.Profile.UNSUPPORTED_FEATURE' : 'Wasm.Decode.BAD_EXPORT_KIND', `malformed export kind ${kind} ${at(x)}`);
            return { name: n, kind: k, index: u32(x) };
          }, DWASM_LIMITS.exports, 'exports');
          break;
        case 8: start = u32(s); break;
        case 9:
          elems = vec(s, (x) => {
            const flags = u32(x);
            if (flags !== 0) throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `element segment kind ${flags} (bulk memory or reference types) is outside the MVP profile ${at(x)}`);
            return { offset: expr(x, false), funcs: vec(x, u32) };
          }, DWASM_LIMITS.elems, 'element segments');
          break;
        case 10: {
          const bodies = vec(s, (x) => {
            const size2 = u32(x);
            if (size2 > x.end - x.pos) throw err('Wasm.Decode.UNEXPECTED_END', `function body of ${size2} bytes runs past the section ${at(x)}`);
            const b: Cursor = { bytes, pos: x.pos, end: x.pos + size2 };
            x.pos += size2;
            const groups = vec(b, (y) => ({ n: u32(y), t: valtype(y) }));
            const total = groups.reduce((acc, g) => acc + g.n, 0);
            if (total > 0xffffffff) throw err('Wasm.Decode.TOO_MANY_LOCALS', `too many locals (${total}) in a function body ending at byte ${b.end}`);
            if (total > DWASM_LIMITS.locals) throw err('Wasm.Limit.LOCALS_TOO_MANY', `${total} locals exceed the DWASM limit ${DWASM_LIMITS.locals}`);
            const locals: ValType[] = groups.flatMap((g) => new Array<ValType>(g.n).fill(g.t));
            const body = expr(b, true);
            if (b.pos !== b.end) throw err('Wasm.Decode.SECTION_SIZE_MISMATCH', `function body has bytes after its final end at byte ${b.pos}`);
            return { locals, body };
          });
          if (bodies.length !== funcs.length) throw err('Wasm.Decode.FUNC_CODE_MISMATCH', `function and code section have inconsistent lengths (${funcs.length} and ${bodies.length})`);
          codes = bodies;
          break;
        }
        case 11:
          datas = vec(s, (x) => {
            const flags = u32(x);
            if (flags !== 0) throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `data segment kind ${flags} (bulk memory) is outside the MVP profile ${at(x)}`);
            const offset = expr(x, false);
            const len = u32(x);
            if (len > x.end - x.pos) throw err('Wasm.Decode.UNEXPECTED_END', `data segment of ${len} bytes runs past the section ${at(x)}`);
            const data = bytes.slice(x.pos, x.pos + len);
            x.pos += len;
            return { offset, bytes: data };
          }, DWASM_LIMITS.datas, 'data segments');
          break;
      }
      if (s.pos !== s.end) throw err('Wasm.Decode.SECTION_SIZE_MISMATCH', `section ${id} at byte ${idStart} declares ${size} bytes but its contents end at byte ${s.pos}`);
    }
    if (codes === null && funcs.length > 0) throw err('Wasm.Decode.FUNC_CODE_MISMATCH', `function and code section have inconsistent lengths (${funcs.length} and 0)`);
    return ok({ types, imports, funcs, tables, memories, globals, exports, start, elems, datas, codes: codes ?? [] });
  } catch (e) {
    if (isDecodeError(e)) return fail(e.code, e.message);
    // A RangeError from a typed-array view is still malformed input, reported with a stable code.
    if (e instanceof RangeError) return fail('Wasm.Decode.UNEXPECTED_END', `unexpected end: ${e.message}`);
    throw e;
  }
};
