/**
 * The engine's own WebAssembly binary reader. It is written separately from the model's decoder
 * (it shares only the decoded module's interface type) so that the vectors and the differential
 * test compare two readings of the same bytes: structure, profile rules, DWASM limits and the
 * error code of the first problem met while reading front to back.
 */
import type { FuncType, Limits, Val, ValType } from '../../model/dmir/ir.js';
import type { Instr, WasmModule } from '../../model/dmir/wasm/decode.js';
import type { Result } from '../../model/encoding/result.js';

class Malformed {
  constructor(readonly code: string, readonly message: string) {}
}

const MAX = {
  bytes: 16 * 1024 * 1024, types: 10240, imports: 10240, funcs: 10240, globals: 10240, elems: 10240,
  exports: 1024, datas: 1024, locals: 10240, instrs: 102400, children: 1024, depth: 1024,
} as const;

const VT = new Map<number, ValType>([[0x7f, 'i32'], [0x7e, 'i64'], [0x7d, 'f32'], [0x7c, 'f64']]);
/** Type bytes of later proposals: a module using them is outside the profile, not malformed. */
const LATER_TYPES = new Set([0x7b, 0x70, 0x6f, 0x64, 0x63]);
/** Opcodes of later proposals (reference types, bulk memory, SIMD, threads, GC, exceptions, tail calls). */
const LATER_OPS = new Set([0x1c, 0x25, 0x26, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xfc, 0xfd, 0xfe, 0xfb,
  0x06, 0x07, 0x08, 0x09, 0x0a, 0x18, 0x19, 0x1f, 0x12, 0x13, 0x14, 0x15]);

type Imm = 'none' | 'block' | 'idx' | 'br_table' | 'call_indirect' | 'memarg' | 'memory' | 'i32' | 'i64' | 'f32' | 'f64';

/** The immediate shape of an MVP opcode, from the layout of the opcode space; undefined if illegal. */
const immOf = (op: number): Imm | undefined => {
  if (op === 0x00 || op === 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b) return 'none';
  if (op >= 0x02 && op <= 0x04) return 'block';
  if (op === 0x0c || op === 0x0d || op === 0x10 || (op >= 0x20 && op <= 0x24)) return 'idx';
  if (op === 0x0e) return 'br_table';
  if (op === 0x11) return 'call_indirect';
  if (op >= 0x28 && op <= 0x3e) return 'memarg';
  if (op === 0x3f || op === 0x40) return 'memory';
  if (op === 0x41) return 'i32';
  if (op === 0x42) return 'i64';
  if (op === 0x43) return 'f32';
  if (op === 0x44) return 'f64';
  if (op >= 0x45 && op <= 0xc4) return 'none';
  // 0xFC 0..7, the saturating float-to-integer conversions, numbered 0xFC00 + sub-opcode.
  if (op >= 0xfc00 && op <= 0xfc07) return 'none';
  return undefined;
};

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads one module; every method throws `Malformed` at the first problem. */
const reader = (bytes: Uint8Array) => {
  let pos = 0;
  let end = bytes.length;
  const here = (): string => `at byte ${pos}`;
  const bad = (code: string, what: string): never => { throw new Malformed(code, `${what} ${here()}`); };

  const u8 = (): number => (pos < end ? bytes[pos++]! : bad('Wasm.Decode.UNEXPECTED_END', 'unexpected end'));

  const u32 = (): number => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = u8();
      if (shift === 28) {
        if (b & 0x80) bad('Wasm.Decode.LEB_TOO_LONG', 'integer representation too long');
        if (b & 0x70) bad('Wasm.Decode.LEB_TOO_LARGE', 'integer too large');
      }
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
    }
    return v;
  };

  const sN = (n: 32 | 33 | 64): bigint => {
    const last = Math.ceil(n / 7) - 1;
    let v = 0n;
    for (let i = 0; ; i++) {
      const b = u8();
      v |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (i === last) {
        if (b & 0x80) bad('Wasm.Decode.LEB_TOO_LONG', 'integer representation too long');
        // The bits of the last byte above the value's width must all copy its sign bit.
        const signAndAbove = (b & 0x7f) >> (n - 7 * i - 1);
        if (signAndAbove !== 0 && signAndAbove !== (1 << (8 - (n - 7 * i))) - 1) bad('Wasm.Decode.LEB_TOO_LARGE', 'integer too large');
      }
      if (!(b & 0x80)) {
        const bits = BigInt(7 * (i + 1));
        return BigInt.asIntN(n, b & 0x40 ? v - (1n << bits) : v);
      }
    }
  };

  const str = (): string => {
    const len = u32();
    if (len > end - pos) bad('Wasm.Decode.UNEXPECTED_END', `name of ${len} bytes runs past the end`);
    const s = bytes.subarray(pos, pos + len);
    pos += len;
    try { return utf8.decode(s); } catch { return bad('Wasm.Decode.BAD_UTF8', 'malformed UTF-8 encoding in a name ending'); }
  };

  const valtype = (): ValType => {
    const b = u8();
    const t = VT.get(b);
    if (t !== undefined) return t;
    return LATER_TYPES.has(b) ? bad('Wasm.Profile.UNSUPPORTED_FEATURE', `value type 0x${b.toString(16)} is outside the MVP profile`) : bad('Wasm.Decode.BAD_VALTYPE', `malformed value type 0x${b.toString(16)}`);
  };

  const many = <T>(item: () => T, limit?: number, what = 'entries'): T[] => {
    const n = u32();
    if (limit !== undefined && n > limit) bad('Wasm.Limit.TOO_MANY_ENTRIES', `${n} ${what} exceed the DWASM limit ${limit}`);
    if (n > end - pos) bad('Wasm.Decode.UNEXPECTED_END', `count ${n} exceeds the remaining bytes`);
    return Array.from({ length: n }, item);
  };

  const limits = (memory: boolean): Limits => {
    const flag = u8();
    if (flag > 1) {
      return flag <= 7 && memory ? bad('Wasm.Profile.UNSUPPORTED_FEATURE', `memory limits flag ${flag} is outside the MVP profile`) : bad('Wasm.Decode.BAD_LIMITS_FLAG', `malformed limits flag ${flag}`);
    }
    const min = u32();
    return { min, max: flag === 1 ? u32() : null };
  };

  /** Empty, one value type, or a signed 33-bit type index that must not be negative. */
  const blocktype = (): ValType | null | number => {
    const b = u8();
    if (b === 0x40) return null;
    const t = VT.get(b);
    if (t !== undefined) return t;
    if (LATER_TYPES.has(b)) return bad('Wasm.Profile.UNSUPPORTED_FEATURE', `block type 0x${b.toString(16)} is outside the MVP profile`);
    pos--;
    const index = sN(33);
    return index < 0n ? bad('Wasm.Decode.BAD_BLOCK_TYPE', 'malformed block type (negative type index)') : Number(index);
  };

  /** An instruction sequence up to its matching `end`; limits apply to function bodies only. */
  const code = (body: boolean): Instr[] => {
    const out: Instr[] = [];
    const open: number[] = [0]; // same-level child block count of every open block
    for (;;) {
      const at = pos;
      let op = u8();
      if (op === 0xfc) {
        // A prefixed opcode: the sub-opcode follows as an unsigned LEB128 integer. 8..17 are bulk
        // memory and table instructions (later features); larger ones do not exist.
        const sub = u32();
        if (sub <= 7) op = 0xfc00 + sub;
        else { pos = at; return sub <= 17 ? bad('Wasm.Profile.UNSUPPORTED_FEATURE', `opcode 0xfc ${sub} is outside the profile`) : bad('Wasm.Decode.ILLEGAL_OPCODE', `illegal opcode 0xfc ${sub}`); }
      }
      const imm = immOf(op);
      if (imm === undefined) {
        pos = at;
        return LATER_OPS.has(op) ? bad('Wasm.Profile.UNSUPPORTED_FEATURE', `opcode 0x${op.toString(16)} is outside the MVP profile`) : bad('Wasm.Decode.ILLEGAL_OPCODE', `illegal opcode 0x${op.toString(16)}`);
      }
      if (body && out.length >= MAX.instrs) { pos = at; bad('Wasm.Limit.FUNC_BODY_TOO_LARGE', `more than ${MAX.instrs} instructions`); }
      let ins: Instr;
      switch (imm) {
        case 'none': ins = { op }; break;
        case 'block': {
          const start = pos - 1;
          ins = { op, bt: blocktype() };
          const top = open.length - 1;
          open[top] = open[top]! + 1;
          if (body && open[top]! > MAX.children) { pos = start; bad('Wasm.Limit.BLOCK_TOO_LARGE', `more than ${MAX.children} blocks at one level`); }
          open.push(0);
          if (body && open.length - 1 > MAX.depth) { pos = start; bad('Wasm.Limit.BLOCK_NESTED_TOO_DEEP', `blocks nested deeper than ${MAX.depth}`); }
          break;
        }
        case 'idx': ins = { op, a: u32() }; break;
        case 'br_table': { const targets = many(u32); ins = { op, targets, a: u32() }; break; }
        case 'call_indirect': { const a = u32(); ins = { op, a, b: u32() }; break; }
        case 'memarg': {
          const a = u32();
          if (a >= 64) bad('Wasm.Profile.UNSUPPORTED_FEATURE', 'a memory index in memarg (multi-memory) is outside the profile');
          ins = { op, a, b: u32() };
          break;
        }
        case 'memory': ins = { op, b: u32() }; break;
        case 'i32': ins = { op, value: Number(sN(32)) }; break;
        case 'i64': ins = { op, value: sN(64) }; break;
        case 'f32': case 'f64': {
          const n = imm === 'f32' ? 4 : 8;
          if (end - pos < n) bad('Wasm.Decode.UNEXPECTED_END', `${imm} constant runs past the end`);
          const dv = new DataView(bytes.buffer, bytes.byteOffset + pos, n);
          const value: Val = n === 4 ? dv.getUint32(0, true) : dv.getBigUint64(0, true);
          pos += n;
          ins = { op, value };
          break;
        }
      }
      out.push(ins);
      if (op === 0x0b) {
        open.pop();
        if (open.length === 0) return out;
      }
    }
  };

  const functype = (): FuncType => {
    const form = u8();
    if (form !== 0x60) bad('Wasm.Decode.BAD_FUNC_TYPE_FORM', `malformed function type form 0x${form.toString(16)}`);
    const params = many(valtype);
    const results = many(valtype);
    return { params, results };
  };

  const module = (): WasmModule => {
    if (bytes.length > MAX.bytes) throw new Malformed('Wasm.Limit.MODULE_TOO_LARGE', `module of ${bytes.length} bytes exceeds ${MAX.bytes}`);
    const magic = [0x00, 0x61, 0x73, 0x6d];
    if (bytes.length < 4 || magic.some((b, i) => bytes[i] !== b)) throw new Malformed('Wasm.Decode.BAD_MAGIC', 'magic header not detected');
    if (bytes.length < 8) throw new Malformed('Wasm.Decode.UNEXPECTED_END', 'unexpected end in the version');
    if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new Malformed('Wasm.Decode.BAD_VERSION', 'unknown binary version');
    pos = 8;
    const m: { -readonly [K in keyof WasmModule]: WasmModule[K] } = {
      types: [], imports: [], funcs: [], tables: [], memories: [], globals: [], exports: [], start: null, elems: [], datas: [], codes: [],
    };
    let sawCode = false;
    let previous = 0;
    while (pos < bytes.length) {
      const sectionAt = pos;
      end = bytes.length;
      const id = u8();
      const size = u32();
      if (size > bytes.length - pos) bad('Wasm.Decode.UNEXPECTED_END', `section ${id} of ${size} bytes starting at byte ${sectionAt} runs past the end`);
      end = pos + size;
      const next = end;
      if (id === 0) { str(); pos = next; continue; }
      if (id === 12 || id === 13) { pos = sectionAt; bad('Wasm.Profile.UNSUPPORTED_FEATURE', `section ${id} (${id === 12 ? 'data count' : 'tags'}) is outside the MVP profile`); }
      // Known ids 1..11 must appear in increasing order; the data count id (12) sits between 9 and 10.
      const rank = id >= 1 && id <= 9 ? id : id === 10 ? 11 : id === 11 ? 12 : undefined;
      if (rank === undefined) { pos = sectionAt; bad('Wasm.Decode.BAD_SECTION_ID', `malformed section id ${id}`); }
      if (rank! <= previous) { pos = sectionAt; bad('Wasm.Decode.SECTION_ORDER', `section ${id} out of order`); }
      previous = rank!;
      if (id === 1) m.types = many(functype, MAX.types, 'types');
      else if (id === 2) {
        m.imports = many(() => {
          const module = str();
          const field = str();
          const kind = u8();
          if (kind === 0) return { module, field, typeIndex: u32() };
          return kind <= 4 ? bad('Wasm.Profile.UNSUPPORTED_IMPORT', `import ${module}.${field}: only functions may be imported`) : bad('Wasm.Decode.BAD_IMPORT_KIND', `malformed import kind ${kind}`);
        }, MAX.imports, 'imports');
      } else if (id === 3) m.funcs = many(u32, MAX.funcs, 'functions');
      else if (id === 4) {
        m.tables = many(() => {
          const t = u8();
          if (t === 0x6f) bad('Wasm.Profile.UNSUPPORTED_FEATURE', 'externref tables are outside the MVP profile');
          if (t !== 0x70) bad('Wasm.Decode.BAD_ELEM_TYPE', `malformed table element type 0x${t.toString(16)}`);
          return limits(false);
        });
        if (m.tables.length > 1) bad('Wasm.Profile.MULTIPLE_TABLES', `${m.tables.length} tables; the profile allows one`);
      } else if (id === 5) {
        m.memories = many(() => limits(true));
        if (m.memories.length > 1) bad('Wasm.Profile.MULTIPLE_MEMORIES', `${m.memories.length} memories; the profile allows one`);
      } else if (id === 6) {
        m.globals = many(() => {
          const type = valtype();
          const mut = u8();
          if (mut > 1) bad('Wasm.Decode.BAD_MUTABILITY', `malformed mutability ${mut}`);
          return { type, mutable: mut === 1, init: code(false) };
        }, MAX.globals, 'globals');
      } else if (id === 7) {
        m.exports = many(() => {
          const name = str();
          const k = u8();
          const kind = (['func', 'table', 'memory', 'global'] as const)[k];
          if (kind === undefined) bad(k === 4 ? 'Wasm.Profile.UNSUPPORTED_FEATURE' : 'Wasm.Decode.BAD_EXPORT_KIND', `malformed export kind ${k}`);
          return { name, kind: kind!, index: u32() };
        }, MAX.exports, 'exports');
      } else if (id === 8) m.start = u32();
      else if (id === 9) {
        m.elems = many(() => {
          if (u32() !== 0) bad('Wasm.Profile.UNSUPPORTED_FEATURE', 'element segment kinds other than 0 are outside the MVP profile');
          const offset = code(false);
          return { offset, funcs: many(u32) };
        }, MAX.elems, 'element segments');
      } else if (id === 10) {
        sawCode = true;
        const sectionEnd = end;
        m.codes = many(() => {
          const len = u32();
          if (len > end - pos) bad('Wasm.Decode.UNEXPECTED_END', `function body of ${len} bytes runs past the section`);
          const bodyEnd = pos + len;
          end = bodyEnd;
          const groups = many(() => ({ n: u32(), t: valtype() }));
          const total = groups.reduce((s, g) => s + g.n, 0);
          if (total > 0xffffffff) bad('Wasm.Decode.TOO_MANY_LOCALS', `too many locals (${total})`);
          if (total > MAX.locals) bad('Wasm.Limit.LOCALS_TOO_MANY', `${total} locals exceed the DWASM limit ${MAX.locals}`);
          const locals = groups.flatMap((g) => Array.from({ length: g.n }, () => g.t));
          const body = code(true);
          if (pos !== bodyEnd) bad('Wasm.Decode.SECTION_SIZE_MISMATCH', 'function body has bytes after its final end');
          end = sectionEnd;
          return { locals, body };
        });
        if (m.codes.length !== m.funcs.length) bad('Wasm.Decode.FUNC_CODE_MISMATCH', `function and code sections have ${m.funcs.length} and ${m.codes.length} entries`);
      } else if (id === 11) {
        m.datas = many(() => {
          if (u32() !== 0) bad('Wasm.Profile.UNSUPPORTED_FEATURE', 'data segment kinds other than 0 are outside the MVP profile');
          const offset = code(false);
          const len = u32();
          if (len > end - pos) bad('Wasm.Decode.UNEXPECTED_END', `data segment of ${len} bytes runs past the section`);
          const data = bytes.slice(pos, pos + len);
          pos += len;
          return { offset, bytes: data };
        }, MAX.datas, 'data segments');
      }
      if (pos !== next) bad('Wasm.Decode.SECTION_SIZE_MISMATCH', `section ${id} starting at byte ${sectionAt} declares ${size} bytes but its contents end`);
    }
    if (!sawCode && m.funcs.length > 0) throw new Malformed('Wasm.Decode.FUNC_CODE_MISMATCH', `${m.funcs.length} functions declared but no code section`);
    return m;
  };
  return { module };
};

/** Reads a binary module: its structure, or the code of the first problem and where it is. */
export const readWasm = (bytes: Uint8Array): Result<WasmModule> => {
  try {
    return { ok: true, value: reader(bytes).module() };
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, error: { code: e.code, message: e.message } };
    throw e;
  }
};
