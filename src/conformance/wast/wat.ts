/**
 * The WebAssembly text format (MVP subset) to a decoded-module structure: named and numeric
 * indices, inline exports and imports, type uses, folded and flat instructions, inline table
 * elements and memory data. Features outside the profile fail with a `Wasm.Profile.*` code.
 */
import type { FuncType, Limits, ValType } from '../../model/dmir/ir.js';
import type { BlockType, Code, DataSegment, ElemSegment, Global, Import, Instr, WasmExport, WasmModule } from '../../model/dmir/wasm/decode.js';
import { OP_BY_NAME, POST_MVP_NAMES } from '../../model/dmir/wasm/opcodes.js';
import { encodeModule } from '../../model/dmir/wasm/encode.js';
import { parseFloatBits, parseInt_, parseSExprs, parseU32, textError, type SExpr } from './sexpr.js';

const VALTYPES: ReadonlySet<string> = new Set(['i32', 'i64', 'f32', 'f64']);
const profile = (what: string): never => { throw textError('Wasm.Profile.UNSUPPORTED_FEATURE', `${what} is outside the MVP profile`); };
const syntax = (what: string): never => { throw textError('Wasm.Text.SYNTAX', what); };

const atomText = (e: SExpr | undefined): string | null => (e?.kind === 'atom' ? e.text : null);
const isList = (e: SExpr | undefined, head?: string): e is Extract<SExpr, { kind: 'list' }> =>
  e?.kind === 'list' && (head === undefined || atomText(e.items[0]) === head);
const isId = (e: SExpr | undefined): boolean => atomText(e)?.startsWith('$') === true;

const valtype = (e: SExpr | undefined): ValType => {
  const t = atomText(e);
  if (t !== null && VALTYPES.has(t)) return t as ValType;
  if (t === 'v128' || t === 'funcref' || t === 'externref' || isList(e, 'ref')) return profile(`value type ${t ?? 'ref'}`);
  return syntax(`unexpected value type ${t ?? 'list'}`);
};

const stringBytes = (e: SExpr): Uint8Array => (e.kind === 'string' ? e.bytes : syntax('expected a string'));
const text = (e: SExpr | undefined): string => (e?.kind === 'string' ? new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(e.bytes) : syntax('expected a name string'));

/** A name-to-index map of one index space. */
interface Space { readonly names: Map<string, number>; count: number }
const space = (): Space => ({ names: new Map(), count: 0 });
const bind = (s: Space, id: string | null): number => {
  const i = s.count++;
  if (id !== null) {
    if (s.names.has(id)) syntax(`duplicate identifier ${id}`);
    s.names.set(id, i);
  }
  return i;
};
const resolve = (s: Space, e: SExpr | undefined, what: string): number => {
  const t = atomText(e);
  if (t === null) return syntax(`expected a ${what} index`);
  if (t.startsWith('$')) {
    const i = s.names.get(t);
    if (i === undefined) throw textError('Wasm.Text.UNKNOWN_ID', `unknown ${what} ${t}`);
    return i;
  }
  const n = parseU32(t);
  return n === null ? syntax(`expected a ${what} index, found ${t}`) : n;
};

interface Ctx {
  readonly types: FuncType[];
  readonly typeSpace: Space;
  readonly funcs: Space;
  readonly tables: Space;
  readonly mems: Space;
  readonly globals: Space;
}

const sameType = (a: FuncType, b: FuncType): boolean =>
  a.params.length === b.params.length && a.results.length === b.results.length &&
  a.params.every((p, i) => p === b.params[i]) && a.results.every((r, i) => r === b.results[i]);

/** Reads `(param ...)*` and `(result ...)*` starting at `i`; returns the signature and param names. */
const signature = (items: readonly SExpr[], start: number): { type: FuncType; names: (string | null)[]; next: number } => {
  const params: ValType[] = [];
  const names: (string | null)[] = [];
  const results: ValType[] = [];
  let i = start;
  while (isList(items[i], 'param')) {
    const p = (items[i] as Extract<SExpr, { kind: 'list' }>).items;
    if (isId(p[1])) {
      if (p.length !== 3) syntax('a named parameter has exactly one type');
      params.push(valtype(p[2]));
      names.push(atomText(p[1]));
    } else {
      for (const t of p.slice(1)) { params.push(valtype(t)); names.push(null); }
    }
    i++;
  }
  while (isList(items[i], 'result')) {
    for (const t of (items[i] as Extract<SExpr, { kind: 'list' }>).items.slice(1)) results.push(valtype(t));
    i++;
  }
  if (isList(items[i], 'param')) syntax('param after result');
  return { type: { params, results }, names, next: i };
};

/** A type use: `(type x)?` followed by an optional inline signature. */
const typeUse = (ctx: Ctx, items: readonly SExpr[], start: number): { index: number; names: (string | null)[]; next: number } => {
  let i = start;
  let explicit: number | null = null;
  if (isList(items[i], 'type')) {
    explicit = resolve(ctx.typeSpace, (items[i] as Extract<SExpr, { kind: 'list' }>).items[1], 'type');
    i++;
  }
  const sig = signature(items, i);
  const inline = sig.next > i;
  if (explicit !== null) {
    const t = ctx.types[explicit];
    if (inline && (t === undefined || !sameType(t, sig.type))) syntax('inline function type does not match the referenced type');
    const names = inline ? sig.names : new Array<string | null>(t?.params.length ?? 0).fill(null);
    return { index: explicit, names, next: sig.next };
  }
  let idx = ctx.types.findIndex((t) => sameType(t, sig.type));
  if (idx < 0) idx = ctx.types.push(sig.type) - 1;
  return { index: idx, names: sig.names, next: sig.next };
};

interface FuncCtx {
  readonly ctx: Ctx;
  readonly locals: Space;
  readonly labels: (string | null)[];
  readonly out: Instr[];
}

const labelIndex = (fc: FuncCtx, e: SExpr | undefined): number => {
  const t = atomText(e);
  if (t === null) return syntax('expected a label');
  if (t.startsWith('$')) {
    for (let d = fc.labels.length - 1; d >= 0; d--) if (fc.labels[d] === t) return fc.labels.length - 1 - d;
    throw textError('Wasm.Text.UNKNOWN_ID', `unknown label ${t}`);
  }
  const n = parseU32(t);
  return n === null ? syntax(`expected a label, found ${t}`) : n;
};

/**
 * A block type: empty or one result when that says it all, otherwise a type index (multi-value),
 * the referenced type or the first type equal to the inline signature (added if there is none).
 * Block parameters have no names.
 */
const blockType = (fc: FuncCtx, items: readonly SExpr[], start: number): { bt: BlockType; next: number } => {
  let i = start;
  let explicit: number | null = null;
  if (isList(items[i], 'type')) {
    explicit = resolve(fc.ctx.typeSpace, (items[i] as Extract<SExpr, { kind: 'list' }>).items[1], 'type');
    i++;
  }
  const sig = signature(items, i);
  if (sig.names.some((n) => n !== null)) syntax('a block parameter cannot be named');
  if (explicit !== null) {
    const t = fc.ctx.types[explicit];
    if (sig.next > i && (t === undefined || !sameType(t, sig.type))) syntax('inline block type does not match the referenced type');
    return { bt: explicit, next: sig.next };
  }
  const t = sig.type;
  if (t.params.length === 0 && t.results.length <= 1) return { bt: t.results[0] ?? null, next: sig.next };
  let idx = fc.ctx.types.findIndex((x) => sameType(x, t));
  if (idx < 0) idx = fc.ctx.types.push(t) - 1;
  return { bt: idx, next: sig.next };
};

const MEM_ALIGN: Readonly<Record<number, number>> = { 1: 0, 2: 1, 4: 2, 8: 3, 16: 4, 32: 5, 64: 6 };

/**
 * Parses the immediates of a plain instruction named `name` from `items[start..]`, appending the
 * instruction; returns the next position.
 */
const plainImmediates = (fc: FuncCtx, name: string, items: readonly SExpr[], start: number): number => {
  const info = OP_BY_NAME.get(name);
  if (info === undefined) {
    const feature = POST_MVP_NAMES.get(name);
    if (feature !== undefined) return profile(`instruction ${name} (${feature})`);
    if (/^(v128|i8x16|i16x8|i32x4|i64x2|f32x4|f64x2)\./.test(name)) return profile(`SIMD instruction ${name}`);
    return syntax(`unknown operator ${name}`);
  }
  const op = info.op;
  let i = start;
  switch (info.imm) {
    case 'none': fc.out.push({ op }); return i;
    case 'label': fc.out.push({ op, a: labelIndex(fc, items[i]) }); return i + 1;
    case 'br_table': {
      const ls: number[] = [];
      while (atomText(items[i]) !== null && (isId(items[i]) || parseU32(atomText(items[i])!) !== null)) ls.push(labelIndex(fc, items[i++]));
      if (ls.length === 0) syntax('br_table needs at least one label');
      const def = ls.pop()!;
      fc.out.push({ op, targets: ls, a: def });
      return i;
    }
    case 'func': fc.out.push({ op, a: resolve(fc.ctx.funcs, items[i], 'function') }); return i + 1;
    case 'call_indirect': {
      let table = 0;
      const t = atomText(items[i]);
      if (t !== null && (t.startsWith('$') || parseU32(t) !== null)) { table = resolve(fc.ctx.tables, items[i], 'table'); i++; }
      const tu = typeUse(fc.ctx, items, i);
      if (tu.names.some((n) => n !== null)) syntax('call_indirect parameters cannot be named');
      fc.out.push({ op, a: tu.index, b: table });
      return tu.next;
    }
    case 'local': fc.out.push({ op, a: resolve(fc.locals, items[i], 'local') }); return i + 1;
    case 'global': fc.out.push({ op, a: resolve(fc.ctx.globals, items[i], 'global') }); return i + 1;
    case 'memory': {
      let mem = 0;
      const t = atomText(items[i]);
      if (t !== null && (t.startsWith('$') || parseU32(t) !== null)) { mem = resolve(fc.ctx.mems, items[i], 'memory'); i++; }
      fc.out.push({ op, b: mem });
      return i;
    }
    case 'memarg': {
      let t = atomText(items[i]);
      if (t !== null && (t.startsWith('$') || parseU32(t) !== null)) profile('a memory index in a memory instruction (multi-memory)');
      let offset = 0;
      let align = MEM_ALIGN[info.size!]!;
      if (t?.startsWith('offset=')) {
        const n = parseU32(t.slice(7));
        if (n === null) syntax(`malformed offset ${t}`);
        offset = n!;
        t = atomText(items[++i]);
      }
      if (t?.startsWith('align=')) {
        const n = parseU32(t.slice(6));
        const a = n === null ? undefined : MEM_ALIGN[n];
        if (a === undefined) syntax(`alignment must be a power of two: ${t}`);
        align = a!;
        i++;
      }
      fc.out.push({ op, a: align, b: offset });
      return i;
    }
    case 'i32': case 'i64': {
      const t = atomText(items[i]);
      if (t === null) syntax(`${name} needs a literal`);
      const v = parseInt_(t!, info.imm === 'i32' ? 32 : 64);
      fc.out.push({ op, value: info.imm === 'i32' ? Number(v) : v });
      return i + 1;
    }
    case 'f32': case 'f64': {
      const t = atomText(items[i]);
      if (t === null) syntax(`${name} needs a literal`);
      const v = parseFloatBits(t!, info.imm === 'f32' ? 32 : 64);
      fc.out.push({ op, value: info.imm === 'f32' ? Number(v) : v });
      return i + 1;
    }
    case 'block': return syntax('block instructions are handled by the caller');
  }
};

/** Parses a sequence of instructions (flat and folded) from `items[start..]`. */
const instrs = (fc: FuncCtx, items: readonly SExpr[], start: number): void => {
  let i = start;
  while (i < items.length) {
    const e = items[i]!;
    if (e.kind === 'list') { folded(fc, e.items); i++; continue; }
    const name = atomText(e);
    if (name === null) syntax('unexpected string among instructions');
    i++;
    if (name === 'block' || name === 'loop' || name === 'if') {
      const label = isId(items[i]) ? atomText(items[i++]) : null;
      const bt = blockType(fc, items, i);
      i = bt.next;
      fc.out.push({ op: OP_BY_NAME.get(name!)!.op, bt: bt.bt });
      fc.labels.push(label);
      continue;
    }
    if (name === 'end' || name === 'else') {
      if (fc.labels.length === 0) syntax(`${name} without a block`);
      if (isId(items[i])) {
        if (atomText(items[i]) !== fc.labels[fc.labels.length - 1]) syntax(`mismatching label on ${name}`);
        i++;
      }
      fc.out.push({ op: name === 'end' ? 0x0b : 0x05 });
      if (name === 'end') fc.labels.pop();
      continue;
    }
    if (name === 'select' && isList(items[i], 'result')) profile('typed select (reference types)');
    i = plainImmediates(fc, name!, items, i);
  }
};

/** A folded instruction `(op immediates operands*)`, `(block ...)`, `(loop ...)` or `(if ...)`. */
const folded = (fc: FuncCtx, items: readonly SExpr[]): void => {
  const name = atomText(items[0]);
  if (name === null) syntax('a folded instruction starts with its name');
  let i = 1;
  if (name === 'block' || name === 'loop') {
    const label = isId(items[i]) ? atomText(items[i++]) : null;
    const bt = blockType(fc, items, i);
    fc.out.push({ op: name === 'block' ? 0x02 : 0x03, bt: bt.bt });
    fc.labels.push(label);
    instrs(fc, items, bt.next);
    fc.labels.pop();
    fc.out.push({ op: 0x0b });
    return;
  }
  if (name === 'if') {
    const label = isId(items[i]) ? atomText(items[i++]) : null;
    const bt = blockType(fc, items, i);
    i = bt.next;
    while (i < items.length && !isList(items[i], 'then')) {
      if (items[i]!.kind !== 'list') syntax('if condition must be folded');
      folded(fc, (items[i] as Extract<SExpr, { kind: 'list' }>).items);
      i++;
    }
    const thenE = items[i];
    if (!isList(thenE, 'then')) return syntax('if without then');
    fc.out.push({ op: 0x04, bt: bt.bt });
    fc.labels.push(label);
    instrs(fc, thenE.items, 1);
    const elseE = items[i + 1];
    if (elseE !== undefined) {
      if (!isList(elseE, 'else') || i + 2 < items.length) return syntax('malformed if');
      fc.out.push({ op: 0x05 });
      instrs(fc, elseE.items, 1);
    }
    fc.labels.pop();
    fc.out.push({ op: 0x0b });
    return;
  }
  if (name === 'select' && isList(items[1], 'result')) profile('typed select (reference types)');
  // Immediates go to a scratch list first: the operands must be emitted before the instruction.
  const scratch: FuncCtx = { ...fc, out: [] };
  const next = plainImmediates(scratch, name!, items, i);
  for (const operand of items.slice(next)) {
    if (operand.kind !== 'list') syntax(`unexpected token among the operands of ${name}`);
    folded(fc, (operand as Extract<SExpr, { kind: 'list' }>).items);
  }
  fc.out.push(...scratch.out);
};

const constExpr = (ctx: Ctx, items: readonly SExpr[], start: number): Instr[] => {
  const fc: FuncCtx = { ctx, locals: space(), labels: [], out: [] };
  instrs(fc, items, start);
  fc.out.push({ op: 0x0b });
  return fc.out;
};

/** Inline `(export "name")` clauses at `items[i..]`. */
const inlineExports = (items: readonly SExpr[], start: number, kind: WasmExport['kind'], index: number, out: WasmExport[]): number => {
  let i = start;
  while (isList(items[i], 'export')) {
    out.push({ name: text((items[i] as Extract<SExpr, { kind: 'list' }>).items[1]), kind, index });
    i++;
  }
  return i;
};

const limitsAt = (items: readonly SExpr[], start: number): { l: Limits; next: number } => {
  const min = parseU32(atomText(items[start]) ?? '');
  if (min === null) return syntax('expected a size');
  const maxT = atomText(items[start + 1]);
  const max = maxT === null ? null : parseU32(maxT);
  return { l: { min, max }, next: start + (max === null ? 1 : 2) };
};

/**
 * Parses the fields of a text module (the items after `module` and its optional name).
 *
 * @spec DMIR-WASM-TEXT.1
 */
export const parseModuleFields = (fields: readonly SExpr[]): WasmModule => {
  const ctx: Ctx = { types: [], typeSpace: space(), funcs: space(), tables: space(), mems: space(), globals: space() };
  const lists = fields.map((f) => (f.kind === 'list' ? f : syntax('a module field is a list')));
  const head = (l: Extract<SExpr, { kind: 'list' }>): string => atomText(l.items[0]) ?? '';
  const idOf = (l: Extract<SExpr, { kind: 'list' }>): string | null => (isId(l.items[1]) ? atomText(l.items[1]) : null);
  const importOf = (l: Extract<SExpr, { kind: 'list' }>): Extract<SExpr, { kind: 'list' }> | undefined =>
    l.items.find((x): x is Extract<SExpr, { kind: 'list' }> => isList(x, 'import'));

  // Pass 1: explicit types and the names of every index space (imports come first by rule).
  let seenDefinition = { func: false, table: false, memory: false, global: false };
  for (const l of lists) {
    const h = head(l);
    if (h === 'type') {
      const f = l.items[isId(l.items[1]) ? 2 : 1];
      if (!isList(f, 'func')) syntax('a type definition is a func type');
      const sig = signature((f as Extract<SExpr, { kind: 'list' }>).items, 1);
      if (sig.next !== (f as Extract<SExpr, { kind: 'list' }>).items.length) syntax('malformed function type');
      bind(ctx.typeSpace, idOf(l));
      ctx.types.push(sig.type);
    } else if (h === 'func' || h === 'table' || h === 'memory' || h === 'global') {
      const isImport = importOf(l) !== undefined;
      if (isImport && seenDefinition[h]) syntax(`import after ${h} definition`);
      if (!isImport) seenDefinition = { ...seenDefinition, [h]: true };
      const s = h === 'func' ? ctx.funcs : h === 'table' ? ctx.tables : h === 'memory' ? ctx.mems : ctx.globals;
      bind(s, idOf(l));
    } else if (h === 'import') {
      const d = l.items[3];
      if (!isList(d)) return syntax('malformed import');
      const k = head(d);
      const s = k === 'func' ? ctx.funcs : k === 'table' ? ctx.tables : k === 'memory' ? ctx.mems : k === 'global' ? ctx.globals : null;
      if (s === null) return k === 'tag' ? profile('tag import (exceptions)') : syntax(`malformed import kind ${k}`);
      if (seenDefinition[k as 'func']) syntax(`import after ${k} definition`);
      bind(s, idOf(d));
    } else if (!['export', 'start', 'elem', 'data'].includes(h)) {
      if (h === 'tag' || h === 'rec') profile(`${h} field`);
      syntax(`unknown module field ${h}`);
    }
  }

  const imports: Import[] = [];
  const funcs: number[] = [];
  const codes: Code[] = [];
  const tables: Limits[] = [];
  const memories: Limits[] = [];
  const globals: Global[] = [];
  const exports: WasmExport[] = [];
  const elems: ElemSegment[] = [];
  const datas: DataSegment[] = [];
  let start: number | null = null;
  let funcIndex = 0;
  let tableIndex = 0;
  let memIndex = 0;
  let globalIndex = 0;
  const bodies: (() => void)[] = [];

  for (const l of lists) {
    const h = head(l);
    const items = l.items;
    let i = isId(items[1]) ? 2 : 1;
    switch (h) {
      case 'type': break;
      case 'import': {
        const module = text(items[1]);
        const field = text(items[2]);
        const d = items[3] as Extract<SExpr, { kind: 'list' }>;
        if (head(d) !== 'func') throw textError('Wasm.Profile.UNSUPPORTED_IMPORT', `import ${module}.${field}: only functions may be imported`);
        const tu = typeUse(ctx, d.items, isId(d.items[1]) ? 2 : 1);
        if (tu.next !== d.items.length) syntax('malformed imported function');
        imports.push({ module, field, typeIndex: tu.index });
        funcIndex++;
        break;
      }
      case 'func': {
        const index = funcIndex++;
        i = inlineExports(items, i, 'func', index, exports);
        const imp = importOf(l);
        if (imp !== undefined) {
          i++;
          const tu = typeUse(ctx, items, i);
          if (tu.next !== items.length) syntax('an imported function has no body');
          imports.push({ module: text(imp.items[1]), field: text(imp.items[2]), typeIndex: tu.index });
          break;
        }
        const tu = typeUse(ctx, items, i);
        funcs.push(tu.index);
        const slot = codes.push({ locals: [], body: [] }) - 1;
        const bodyStart = tu.next;
        // Bodies are parsed after every type use is known, so implicit types keep their order.
        bodies.push(() => {
          const locals = space();
          const nParams = ctx.types[tu.index]?.params.length ?? 0;
          for (let k = 0; k < nParams; k++) bind(locals, tu.names[k] ?? null);
          const localTypes: ValType[] = [];
          let j = bodyStart;
          while (isList(items[j], 'local')) {
            const p = (items[j] as Extract<SExpr, { kind: 'list' }>).items;
            if (isId(p[1])) {
              if (p.length !== 3) syntax('a named local has exactly one type');
              bind(locals, atomText(p[1]));
              localTypes.push(valtype(p[2]));
            } else {
              for (const t of p.slice(1)) { bind(locals, null); localTypes.push(valtype(t)); }
            }
            j++;
          }
          const fc: FuncCtx = { ctx, locals, labels: [], out: [] };
          instrs(fc, items, j);
          if (fc.labels.length > 0) syntax('unclosed block');
          fc.out.push({ op: 0x0b });
          codes[slot] = { locals: localTypes, body: fc.out };
        });
        break;
      }
      case 'table': {
        const index = tableIndex++;
        i = inlineExports(items, i, 'table', index, exports);
        if (importOf(l) !== undefined) throw textError('Wasm.Profile.UNSUPPORTED_IMPORT', 'only functions may be imported');
        if (atomText(items[i]) === 'funcref' && isList(items[i + 1], 'elem')) {
          const el = (items[i + 1] as Extract<SExpr, { kind: 'list' }>).items.slice(1);
          if (el.some((x) => x.kind === 'list')) profile('element expressions (reference types)');
          const fs = el.map((x) => resolve(ctx.funcs, x, 'function'));
          tables.push({ min: fs.length, max: fs.length });
          elems.push({ offset: [{ op: 0x41, value: 0 }, { op: 0x0b }], funcs: fs });
          break;
        }
        const lim = limitsAt(items, i);
        const rt = atomText(items[lim.next]);
        if (rt === 'externref' || isList(items[lim.next], 'ref')) profile('externref tables');
        if (rt !== 'funcref' && rt !== 'anyfunc') syntax('malformed table type');
        if (lim.next + 1 !== items.length) profile('table initialiser expression');
        tables.push(lim.l);
        break;
      }
      case 'memory': {
        const index = memIndex++;
        i = inlineExports(items, i, 'memory', index, exports);
        if (importOf(l) !== undefined) throw textError('Wasm.Profile.UNSUPPORTED_IMPORT', 'only functions may be imported');
        if (atomText(items[i]) === 'i64') profile('64-bit memory');
        if (isList(items[i], 'data')) {
          const bytes = concat((items[i] as Extract<SExpr, { kind: 'list' }>).items.slice(1).map(stringBytes));
          const pages = Math.ceil(bytes.length / 65536);
          memories.push({ min: pages, max: pages });
          datas.push({ offset: [{ op: 0x41, value: 0 }, { op: 0x0b }], bytes });
          break;
        }
        const lim = limitsAt(items, i);
        if (atomText(items[lim.next]) === 'shared') profile('shared memory');
        if (lim.next !== items.length) syntax('malformed memory');
        memories.push(lim.l);
        break;
      }
      case 'global': {
        const index = globalIndex++;
        i = inlineExports(items, i, 'global', index, exports);
        if (importOf(l) !== undefined) throw textError('Wasm.Profile.UNSUPPORTED_IMPORT', 'only functions may be imported');
        let mutable = false;
        let type: ValType;
        if (isList(items[i], 'mut')) {
          mutable = true;
          type = valtype((items[i] as Extract<SExpr, { kind: 'list' }>).items[1]);
        } else {
          type = valtype(items[i]);
        }
        globals.push({ type, mutable, init: constExpr(ctx, items, i + 1) });
        break;
      }
      case 'export': {
        const d = items[2];
        if (!isList(d)) return syntax('malformed export');
        const k = head(d);
        const kind = k === 'func' ? 'func' : k === 'table' ? 'table' : k === 'memory' ? 'memory' : k === 'global' ? 'global' : null;
        if (kind === null) return syntax(`malformed export kind ${k}`);
        const s = kind === 'func' ? ctx.funcs : kind === 'table' ? ctx.tables : kind === 'memory' ? ctx.mems : ctx.globals;
        exports.push({ name: text(items[1]), kind, index: resolve(s, d.items[1], kind) });
        break;
      }
      case 'start':
        if (start !== null) syntax('multiple start sections');
        start = resolve(ctx.funcs, items[1], 'function');
        break;
      case 'elem': {
        if (atomText(items[i]) === 'declare') profile('declarative element segment');
        if (isList(items[i], 'table')) { if (resolve(ctx.tables, (items[i] as Extract<SExpr, { kind: 'list' }>).items[1], 'table') !== 0) profile('a second table'); i++; }
        else if (atomText(items[i]) !== null && !isId(items[i]) && parseU32(atomText(items[i])!) !== null && isList(items[i + 1])) { i++; }
        let offset: Instr[];
        if (isList(items[i], 'offset')) offset = constExpr(ctx, (items[i] as Extract<SExpr, { kind: 'list' }>).items, 1);
        else if (isList(items[i]) && !isList(items[i], 'item')) offset = constExpr(ctx, [items[i]!], 0);
        else return profile('passive element segment');
        i++;
        if (atomText(items[i]) === 'func') i++;
        else if (atomText(items[i]) === 'funcref' || isList(items[i], 'ref')) profile('element expressions (reference types)');
        const rest = items.slice(i);
        if (rest.some((x) => x.kind === 'list')) profile('element expressions (reference types)');
        elems.push({ offset, funcs: rest.map((x) => resolve(ctx.funcs, x, 'function')) });
        break;
      }
      case 'data': {
        if (isList(items[i], 'memory')) { if (resolve(ctx.mems, (items[i] as Extract<SExpr, { kind: 'list' }>).items[1], 'memory') !== 0) profile('a second memory'); i++; }
        else if (atomText(items[i]) !== null && !isId(items[i])) { i++; }
        let offset: Instr[];
        if (isList(items[i], 'offset')) offset = constExpr(ctx, (items[i] as Extract<SExpr, { kind: 'list' }>).items, 1);
        else if (isList(items[i])) offset = constExpr(ctx, [items[i]!], 0);
        else return profile('passive data segment');
        datas.push({ offset, bytes: concat(items.slice(i + 1).map(stringBytes)) });
        break;
      }
    }
  }
  bodies.forEach((b) => b());
  return { types: ctx.types, imports, funcs, tables, memories, globals, exports, start, elems, datas, codes };
};

export const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

/** Compiles WebAssembly text (one module) with the project's text parser. */
export const watToWasm = (text: string): Uint8Array => {
  const forms = parseSExprs(text);
  const first = forms[0];
  const fields = forms.length === 1 && first?.kind === 'list' && first.items[0]?.kind === 'atom' && first.items[0].text === 'module'
    ? first.items.slice(first.items[1]?.kind === 'atom' && first.items[1].text.startsWith('$') ? 2 : 1)
    : forms;
  return encodeModule(parseModuleFields(fields));
};
