/**
 * The binary encoder: the inverse of `decodeModule` for modules inside the profile. Used by the
 * text assembler and by the generators of the property tests.
 */
import type { FuncType, Limits, ValType } from '../ir.js';
import type { Instr, WasmModule } from './decode.js';
import { OP_BY_CODE, opcodeBytes } from './opcodes.js';

const VALTYPE_BYTE: Readonly<Record<ValType, number>> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c };

export const uleb = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
};

export const sleb = (n: bigint): number[] => {
  const out: number[] = [];
  let v = n;
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};

const name = (s: string): number[] => {
  const b = new TextEncoder().encode(s);
  return [...uleb(b.length), ...b];
};

const vec = <T>(xs: readonly T[], f: (x: T) => number[]): number[] => [...uleb(xs.length), ...xs.flatMap(f)];

const limits = (l: Limits): number[] => (l.max === null ? [0, ...uleb(l.min)] : [1, ...uleb(l.min), ...uleb(l.max)]);

const funcType = (t: FuncType): number[] => [0x60, ...vec(t.params, (p) => [VALTYPE_BYTE[p]]), ...vec(t.results, (r) => [VALTYPE_BYTE[r]])];

export const encodeInstr = (i: Instr): number[] => {
  const info = OP_BY_CODE.get(i.op)!;
  switch (info.imm) {
    case 'none': return opcodeBytes(i.op);
    case 'block': return [i.op, ...(i.bt === undefined || i.bt === null ? [0x40] : typeof i.bt === 'number' ? sleb(BigInt(i.bt)) : [VALTYPE_BYTE[i.bt]])];
    case 'label': case 'func': case 'local': case 'global': return [i.op, ...uleb(i.a!)];
    case 'br_table': return [i.op, ...vec(i.targets!, uleb), ...uleb(i.a!)];
    case 'call_indirect': return [i.op, ...uleb(i.a!), ...uleb(i.b ?? 0)];
    case 'memarg': return [i.op, ...uleb(i.a!), ...uleb(i.b!)];
    case 'memory': return [i.op, ...uleb(i.b ?? 0)];
    case 'i32': return [i.op, ...sleb(BigInt(i.value as number))];
    case 'i64': return [i.op, ...sleb(i.value as bigint)];
    case 'f32': {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, i.value as number, true);
      return [i.op, ...b];
    }
    case 'f64': {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, i.value as bigint, true);
      return [i.op, ...b];
    }
  }
};

const expr = (is: readonly Instr[]): number[] => is.flatMap(encodeInstr);

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Encodes a module; sections that would be empty are left out. */
export const encodeModule = (m: WasmModule): Uint8Array => {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const add = (id: number, present: boolean, body: () => number[]): void => {
    // A loop rather than push(...): a spread of a large section would overflow the host stack.
    if (present) for (const b of section(id, body())) out.push(b);
  };
  add(1, m.types.length > 0, () => vec(m.types, funcType));
  add(2, m.imports.length > 0, () => vec(m.imports, (i) => [...name(i.module), ...name(i.field), 0, ...uleb(i.typeIndex)]));
  add(3, m.funcs.length > 0, () => vec(m.funcs, uleb));
  add(4, m.tables.length > 0, () => vec(m.tables, (t) => [0x70, ...limits(t)]));
  add(5, m.memories.length > 0, () => vec(m.memories, limits));
  add(6, m.globals.length > 0, () => vec(m.globals, (g) => [VALTYPE_BYTE[g.type], g.mutable ? 1 : 0, ...expr(g.init)]));
  const kinds = { func: 0, table: 1, memory: 2, global: 3 } as const;
  add(7, m.exports.length > 0, () => vec(m.exports, (e) => [...name(e.name), kinds[e.kind], ...uleb(e.index)]));
  add(8, m.start !== null, () => uleb(m.start!));
  add(9, m.elems.length > 0, () => vec(m.elems, (e) => [0, ...expr(e.offset), ...vec(e.funcs, uleb)]));
  add(10, m.codes.length > 0, () =>
    vec(m.codes, (c) => {
      // Runs of equal local types are grouped, as a producer normally writes them.
      const groups: { n: number; t: ValType }[] = [];
      for (const t of c.locals) {
        const last = groups[groups.length - 1];
        if (last !== undefined && last.t === t) last.n++;
        else groups.push({ n: 1, t });
      }
      const body = [...vec(groups, (g) => [...uleb(g.n), VALTYPE_BYTE[g.t]]), ...expr(c.body)];
      return [...uleb(body.length), ...body];
    }));
  add(11, m.datas.length > 0, () => vec(m.datas, (d) => [0, ...expr(d.offset), ...uleb(d.bytes.length), ...d.bytes]));
  return Uint8Array.from(out);
};
