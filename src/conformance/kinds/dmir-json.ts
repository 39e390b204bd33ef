/**
 * The JSON form of a dMIR module used by the `dmir/*` vectors. It is the IR of
 * `src/model/dmir/ir.ts` field for field, with the values a JSON file cannot hold exactly written
 * as strings: constants and global initial values as decimal integers (i32, i64) or 0x-hex bit
 * patterns of 8 or 16 digits (f32, f64), data segment bytes as 0x-hex. Reading checks the shape
 * only (every field present with the right JSON type, known opcode names and types); whether the
 * module makes sense is the verifier's question. A shape error is `Dmir.Json.MALFORMED` with the
 * path of the offending field.
 */
import type {
  Block, DataSegment, ElemSegment, Export, Expr, Func, FuncType, Global, Limits, Module, Stmt, Terminator, TrapCode, Val, ValType,
} from '../../model/dmir/ir.js';
import { BINARY_OPS, CMP_PREDICATES, CONVERT_OPS, TRAP_CODE_LIST, UNARY_OPS } from '../../model/dmir/ir.js';
import { bytesToHex, hexToBytes, type Result } from '../../model/encoding/index.js';

export const DMIR_JSON_ERROR_CODES = ['Dmir.Json.MALFORMED'] as const;

// ---------------------------------------------------------------------------------------------
// Writing

export const valueText = (t: ValType, v: Val): string =>
  t === 'i32' || t === 'i64' ? String(v)
    : t === 'f32' ? `0x${(v as number).toString(16).padStart(8, '0')}` : `0x${(v as bigint).toString(16).padStart(16, '0')}`;

const exprJson = (e: Expr): unknown => {
  switch (e.op) {
    case 'const': return { op: 'const', type: e.type, value: valueText(e.type, e.value) };
    case 'unary': return { ...e, arg: exprJson(e.arg) };
    case 'binary': case 'cmp': return { ...e, lhs: exprJson(e.lhs), rhs: exprJson(e.rhs) };
    case 'convert': return { ...e, arg: exprJson(e.arg) };
    case 'select': return { ...e, cond: exprJson(e.cond), ifTrue: exprJson(e.ifTrue), ifFalse: exprJson(e.ifFalse) };
    case 'load': return { ...e, base: exprJson(e.base) };
    default: return e;
  }
};

const stmtJson = (s: Stmt): unknown => {
  switch (s.op) {
    case 'dassign': case 'global_set': return { ...s, value: exprJson(s.value) };
    case 'store': return { ...s, base: exprJson(s.base), value: exprJson(s.value) };
    case 'call': return { ...s, args: s.args.map(exprJson) };
    case 'icall': return { ...s, index: exprJson(s.index), args: s.args.map(exprJson) };
    case 'memory_grow': return { ...s, delta: exprJson(s.delta) };
    case 'use_gas': return { ...s, amount: exprJson(s.amount) };
  }
};

const termJson = (t: Terminator): unknown => {
  switch (t.op) {
    case 'br_if': return { ...t, cond: exprJson(t.cond) };
    case 'switch': return { ...t, index: exprJson(t.index) };
    case 'return': return { ...t, values: t.values.map(exprJson) };
    default: return t;
  }
};

/** A module in its JSON form. */
export const moduleToJson = (m: Module): unknown => ({
  types: m.types,
  funcs: m.funcs.map((f) => (f.kind === 'host' ? f : { ...f, blocks: f.blocks.map((b) => ({ stmts: b.stmts.map(stmtJson), term: termJson(b.term) })) })),
  globals: m.globals.map((g) => ({ type: g.type, mutable: g.mutable, init: valueText(g.type, g.init) })),
  memory: m.memory,
  table: m.table,
  elems: m.elems,
  datas: m.datas.map((d) => ({ offset: d.offset, bytes: bytesToHex(d.bytes) })),
  start: m.start,
  exports: m.exports,
});

// ---------------------------------------------------------------------------------------------
// Reading

class Malformed { constructor(readonly path: string, readonly what: string) {} }
const bad = (path: string, what: string): never => { throw new Malformed(path, what); };

type J = Readonly<Record<string, unknown>>;
const obj = (x: unknown, path: string): J => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as J) : bad(path, 'an object'));
const arr = (x: unknown, path: string): readonly unknown[] => (Array.isArray(x) ? x : bad(path, 'an array'));
const str = (x: unknown, path: string): string => (typeof x === 'string' ? x : bad(path, 'a string'));
const bool = (x: unknown, path: string): boolean => (typeof x === 'boolean' ? x : bad(path, 'a boolean'));
/** A non-negative integer that JSON holds exactly. */
const nat = (x: unknown, path: string): number => (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x : bad(path, 'a non-negative integer'));
/** Any integer JSON holds exactly; its range is the verifier's question. */
const int = (x: unknown, path: string): number => (typeof x === 'number' && Number.isSafeInteger(x) ? x : bad(path, 'an integer'));
const oneOf = <T extends string>(xs: readonly T[], x: unknown, path: string): T =>
  (typeof x === 'string' && (xs as readonly string[]).includes(x) ? (x as T) : bad(path, `one of ${xs.join(', ')}`));
const field = (o: J, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);
/** Only the listed fields may be present: a misspelt field is an error, not ignored. */
const only = (o: J, keys: readonly string[], path: string): void => {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`${path}.${k}`, 'absent (unknown field)');
};

const VALTYPES = ['i32', 'i64', 'f32', 'f64'] as const;
const SCALARS = ['i8', 'i16', 'i32', 'i64', 'f32', 'f64'] as const;

/** Reads a value of type t from its text; the inverse of `valueText`. */
export const parseValueText = (t: ValType, s: string): Val | null => {
  if (t === 'i32' || t === 'i64') {
    if (!/^-?(0|[1-9][0-9]*)$/.test(s) || s === '-0') return null;
    const v = BigInt(s);
    const w = t === 'i32' ? 32n : 64n;
    if (v < -(1n << (w - 1n)) || v >= 1n << (w - 1n)) return null;
    return t === 'i32' ? Number(v) : v;
  }
  if (!(t === 'f32' ? /^0x[0-9a-f]{8}$/ : /^0x[0-9a-f]{16}$/).test(s)) return null;
  return t === 'f32' ? Number.parseInt(s.slice(2), 16) : BigInt(s);
};

const value = (t: ValType, x: unknown, path: string): Val => {
  const v = parseValueText(t, str(x, path));
  return v === null ? bad(path, `a ${t} value (decimal in range for integers, 8 or 16 lowercase hex digits for floats)`) : v;
};

const funcType = (x: unknown, path: string): FuncType => {
  const o = obj(x, path);
  only(o, ['params', 'results'], path);
  return {
    params: arr(field(o, 'params'), `${path}.params`).map((t, i) => oneOf(VALTYPES, t, `${path}.params[${i}]`)),
    results: arr(field(o, 'results'), `${path}.results`).map((t, i) => oneOf(VALTYPES, t, `${path}.results[${i}]`)),
  };
};

const expr = (x: unknown, path: string, depth: number): Expr => {
  if (depth > 200) bad(path, 'an expression nested at most 200 deep');
  const o = obj(x, path);
  const op = str(field(o, 'op'), `${path}.op`);
  const sub = (k: string): Expr => expr(field(o, k), `${path}.${k}`, depth + 1);
  const vt = (): ValType => oneOf(VALTYPES, field(o, 'type'), `${path}.type`);
  switch (op) {
    case 'const': { only(o, ['op', 'type', 'value'], path); const t = vt(); return { op, type: t, value: value(t, field(o, 'value'), `${path}.value`) }; }
    case 'dread': only(o, ['op', 'type', 'variable'], path); return { op, type: vt(), variable: nat(field(o, 'variable'), `${path}.variable`) };
    case 'global_get': only(o, ['op', 'type', 'index'], path); return { op, type: vt(), index: nat(field(o, 'index'), `${path}.index`) };
    case 'memory_size': only(o, ['op', 'type'], path); return { op, type: oneOf(['i32'] as const, field(o, 'type'), `${path}.type`) };
    case 'unary': only(o, ['op', 'kind', 'type', 'arg'], path); return { op, kind: oneOf(UNARY_OPS, field(o, 'kind'), `${path}.kind`), type: vt(), arg: sub('arg') };
    case 'binary': only(o, ['op', 'kind', 'type', 'lhs', 'rhs'], path); return { op, kind: oneOf(BINARY_OPS, field(o, 'kind'), `${path}.kind`), type: vt(), lhs: sub('lhs'), rhs: sub('rhs') };
    case 'convert': only(o, ['op', 'kind', 'type', 'arg'], path); return { op, kind: oneOf(CONVERT_OPS, field(o, 'kind'), `${path}.kind`), type: oneOf(SCALARS, field(o, 'type'), `${path}.type`), arg: sub('arg') };
    case 'cmp': only(o, ['op', 'pred', 'type', 'lhs', 'rhs'], path); return { op, pred: oneOf(CMP_PREDICATES, field(o, 'pred'), `${path}.pred`), type: oneOf(['i32'] as const, field(o, 'type'), `${path}.type`), lhs: sub('lhs'), rhs: sub('rhs') };
    case 'select': only(o, ['op', 'type', 'cond', 'ifTrue', 'ifFalse'], path); return { op, type: vt(), cond: sub('cond'), ifTrue: sub('ifTrue'), ifFalse: sub('ifFalse') };
    case 'load': only(o, ['op', 'type', 'base', 'offset'], path); return { op, type: oneOf(SCALARS, field(o, 'type'), `${path}.type`), base: sub('base'), offset: nat(field(o, 'offset'), `${path}.offset`) };
    default: return bad(`${path}.op`, 'an expression opcode');
  }
};

const indices = (x: unknown, path: string): number[] => arr(x, path).map((v, i) => nat(v, `${path}[${i}]`));
const exprs = (x: unknown, path: string): Expr[] => arr(x, path).map((v, i) => expr(v, `${path}[${i}]`, 0));

const stmt = (x: unknown, path: string): Stmt => {
  const o = obj(x, path);
  const op = str(field(o, 'op'), `${path}.op`);
  const e = (k: string): Expr => expr(field(o, k), `${path}.${k}`, 0);
  const n = (k: string): number => nat(field(o, k), `${path}.${k}`);
  switch (op) {
    case 'dassign': only(o, ['op', 'variable', 'value'], path); return { op, variable: n('variable'), value: e('value') };
    case 'store': only(o, ['op', 'type', 'base', 'offset', 'value'], path); return { op, type: oneOf(SCALARS, field(o, 'type'), `${path}.type`), base: e('base'), offset: n('offset'), value: e('value') };
    case 'global_set': only(o, ['op', 'index', 'value'], path); return { op, index: n('index'), value: e('value') };
    case 'call': only(o, ['op', 'func', 'args', 'dests'], path); return { op, func: n('func'), args: exprs(field(o, 'args'), `${path}.args`), dests: indices(field(o, 'dests'), `${path}.dests`) };
    case 'icall': only(o, ['op', 'typeIndex', 'index', 'args', 'dests'], path); return { op, typeIndex: n('typeIndex'), index: e('index'), args: exprs(field(o, 'args'), `${path}.args`), dests: indices(field(o, 'dests'), `${path}.dests`) };
    case 'memory_grow': only(o, ['op', 'delta', 'dest'], path); return { op, delta: e('delta'), dest: n('dest') };
    case 'use_gas': only(o, ['op', 'amount'], path); return { op, amount: e('amount') };
    default: return bad(`${path}.op`, 'a statement opcode');
  }
};

const term = (x: unknown, path: string): Terminator => {
  const o = obj(x, path);
  const op = str(field(o, 'op'), `${path}.op`);
  const n = (k: string): number => nat(field(o, k), `${path}.${k}`);
  switch (op) {
    case 'br': only(o, ['op', 'target'], path); return { op, target: n('target') };
    case 'br_if': only(o, ['op', 'cond', 'then', 'else'], path); return { op, cond: expr(field(o, 'cond'), `${path}.cond`, 0), then: n('then'), else: n('else') };
    case 'switch': only(o, ['op', 'index', 'targets', 'default'], path); return { op, index: expr(field(o, 'index'), `${path}.index`, 0), targets: indices(field(o, 'targets'), `${path}.targets`), default: n('default') };
    case 'return': only(o, ['op', 'values'], path); return { op, values: exprs(field(o, 'values'), `${path}.values`) };
    case 'trap': only(o, ['op', 'code'], path); return { op, code: oneOf(TRAP_CODE_LIST, field(o, 'code'), `${path}.code`) as TrapCode };
    default: return bad(`${path}.op`, 'a terminator opcode');
  }
};

const func = (x: unknown, path: string): Func => {
  const o = obj(x, path);
  const kind = oneOf(['defined', 'host'] as const, field(o, 'kind'), `${path}.kind`);
  const name = str(field(o, 'name'), `${path}.name`);
  const type = funcType(field(o, 'type'), `${path}.type`);
  if (kind === 'host') {
    only(o, ['kind', 'name', 'module', 'field', 'type'], path);
    return { kind, name, module: str(field(o, 'module'), `${path}.module`), field: str(field(o, 'field'), `${path}.field`), type };
  }
  only(o, ['kind', 'name', 'type', 'vars', 'blocks', 'frameCost'], path);
  const blocks: Block[] = arr(field(o, 'blocks'), `${path}.blocks`).map((b, i) => {
    const bp = `${path}.blocks[${i}]`;
    const bo = obj(b, bp);
    only(bo, ['stmts', 'term'], bp);
    return { stmts: arr(field(bo, 'stmts'), `${bp}.stmts`).map((s, k) => stmt(s, `${bp}.stmts[${k}]`)), term: term(field(bo, 'term'), `${bp}.term`) };
  });
  return {
    kind, name, type,
    vars: arr(field(o, 'vars'), `${path}.vars`).map((t, i) => oneOf(VALTYPES, t, `${path}.vars[${i}]`)),
    blocks,
    frameCost: int(field(o, 'frameCost'), `${path}.frameCost`),
  };
};

const limits = (x: unknown, path: string): Limits | null => {
  if (x === null) return null;
  const o = obj(x, path);
  only(o, ['min', 'max'], path);
  const max = field(o, 'max');
  return { min: nat(field(o, 'min'), `${path}.min`), max: max === null ? null : nat(max, `${path}.max`) };
};

/** Reads a module from its JSON form; never throws. */
export const moduleFromJson = (x: unknown): Result<Module> => {
  try {
    const o = obj(x, 'module');
    only(o, ['types', 'funcs', 'globals', 'memory', 'table', 'elems', 'datas', 'start', 'exports'], 'module');
    const globals: Global[] = arr(field(o, 'globals'), 'module.globals').map((g, i) => {
      const p = `module.globals[${i}]`;
      const go = obj(g, p);
      only(go, ['type', 'mutable', 'init'], p);
      const t = oneOf(VALTYPES, field(go, 'type'), `${p}.type`);
      return { type: t, mutable: bool(field(go, 'mutable'), `${p}.mutable`), init: value(t, field(go, 'init'), `${p}.init`) };
    });
    const elems: ElemSegment[] = arr(field(o, 'elems'), 'module.elems').map((e, i) => {
      const p = `module.elems[${i}]`;
      const eo = obj(e, p);
      only(eo, ['offset', 'funcs'], p);
      return { offset: nat(field(eo, 'offset'), `${p}.offset`), funcs: indices(field(eo, 'funcs'), `${p}.funcs`) };
    });
    const datas: DataSegment[] = arr(field(o, 'datas'), 'module.datas').map((d, i) => {
      const p = `module.datas[${i}]`;
      const dobj = obj(d, p);
      only(dobj, ['offset', 'bytes'], p);
      const b = hexToBytes(str(field(dobj, 'bytes'), `${p}.bytes`));
      return { offset: nat(field(dobj, 'offset'), `${p}.offset`), bytes: b.ok ? b.value : bad(`${p}.bytes`, '0x-hex bytes') };
    });
    const exports: Export[] = arr(field(o, 'exports'), 'module.exports').map((e, i) => {
      const p = `module.exports[${i}]`;
      const eo = obj(e, p);
      only(eo, ['name', 'kind', 'index'], p);
      return { name: str(field(eo, 'name'), `${p}.name`), kind: oneOf(['func', 'table', 'memory', 'global'] as const, field(eo, 'kind'), `${p}.kind`), index: nat(field(eo, 'index'), `${p}.index`) };
    });
    const start = field(o, 'start');
    return {
      ok: true,
      value: {
        types: arr(field(o, 'types'), 'module.types').map((t, i) => funcType(t, `module.types[${i}]`)),
        funcs: arr(field(o, 'funcs'), 'module.funcs').map((f, i) => func(f, `module.funcs[${i}]`)),
        globals,
        memory: limits(field(o, 'memory'), 'module.memory'),
        table: limits(field(o, 'table'), 'module.table'),
        elems,
        datas,
        start: start === null ? null : nat(start, 'module.start'),
        exports,
      },
    };
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, error: { code: 'Dmir.Json.MALFORMED', message: `${e.path} must be ${e.what}` } };
    throw e;
  }
};

