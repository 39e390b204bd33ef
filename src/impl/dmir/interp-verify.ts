/**
 * The engine's own dMIR verifier: the engine deploys only modules that pass it, so its
 * translators may assume well-typed code with every index in range. It checks the rules of the
 * dMIR chapter's verifier section in a fixed order (functions in order; in a function the
 * parameters, the frame cost, then each block's statements and terminator, then the exception
 * blocks; then the start function, element and data segments and exports), so that a module with
 * several problems is reported with the code of the first.
 */
import type { DefinedFunc, Expr, FuncType, Module, ScalarType, Stmt, TrapCode, ValType } from '../../model/dmir/ir.js';
import type { Result } from '../../model/encoding/result.js';

class Rejected {
  constructor(readonly code: string, readonly message: string) {}
}
const reject = (code: string, message: string): never => {
  throw new Rejected(`Dmir.Verify.${code}`, message);
};

const VALUE_TYPES: ReadonlySet<string> = new Set(['i32', 'i64', 'f32', 'f64']);
const width = (t: ScalarType): number => ({ i8: 8, i16: 16, i32: 32, i64: 64, f32: 32, f64: 64 })[t];
const isInt = (t: ScalarType): boolean => t[0] === 'i';
const isFloat = (t: ScalarType): boolean => t[0] === 'f';
const INT_UNARY: ReadonlySet<string> = new Set(['clz', 'ctz', 'popcnt', 'not']);
const EITHER_BINARY: ReadonlySet<string> = new Set(['add', 'sub', 'mul']);
const DIVISIONS: ReadonlySet<string> = new Set(['sdiv', 'udiv', 'srem', 'urem']);

const same = (got: ScalarType, want: ScalarType, where: string): void => {
  if (got !== want) reject('TYPE_MISMATCH', `${where}: ${want} expected, ${got} found`);
};

/** Whether a conversion from one type to another is one the opcode allows. */
const conversionAllowed = (kind: string, from: ScalarType, to: ScalarType): boolean => {
  switch (kind) {
    case 'trunc': return isInt(from) && isInt(to) && width(to) < width(from);
    case 'sext': case 'uext': return isInt(from) && (to === 'i32' || to === 'i64') && width(to) > width(from);
    case 'fptrunc': return from === 'f64' && to === 'f32';
    case 'fpext': return from === 'f32' && to === 'f64';
    case 'sitofp': case 'uitofp': return (from === 'i32' || from === 'i64') && isFloat(to);
    case 'bitcast': return from !== to && width(from) === width(to) && width(to) >= 32;
    case 'wasm_fptosi': case 'wasm_fptoui': case 'wasm_fptosi_sat': case 'wasm_fptoui_sat':
      return isFloat(from) && (to === 'i32' || to === 'i64');
    default: return false;
  }
};

/**
 * Verifies a module; on success the engine may deploy it.
 *
 * @spec DMIR-VERIFY-MODULE.1 DMIR-VERIFY-TYPES.1 DMIR-VERIFY-CFG.1 DMIR-VERIFY-TRAPEDGE.1
 */
export const verifyDmir = (m: Module): Result<Module> => {
  try {
    m.funcs.forEach((f, i) => { if (f.kind === 'defined') verifyFunction(m, f, i); });
    if (m.start !== null) {
      const s = m.funcs[m.start];
      if (s === undefined) reject('BAD_INDEX', `the start function ${m.start} is missing`);
      if (s!.type.params.length !== 0 || s!.type.results.length !== 0) reject('BAD_SIGNATURE', `the start function ${m.start} must be [] -> []`);
    }
    for (const [i, seg] of m.elems.entries()) {
      if (m.table === null) reject('NO_TABLE', `element segment ${i} needs a table`);
      for (const fi of seg.funcs) if (m.funcs[fi] === undefined) reject('BAD_INDEX', `element segment ${i} names the missing function ${fi}`);
    }
    if (m.datas.length > 0 && m.memory === null) reject('NO_MEMORY', 'data segments need a memory');
    const seen = new Set<string>();
    for (const e of m.exports) {
      if (seen.has(e.name)) reject('DUPLICATE_EXPORT', `the export name ${JSON.stringify(e.name)} is used twice`);
      seen.add(e.name);
      const count = { func: m.funcs.length, global: m.globals.length, memory: m.memory === null ? 0 : 1, table: m.table === null ? 0 : 1 }[e.kind];
      if (e.index >= count) reject('BAD_INDEX', `the export ${JSON.stringify(e.name)} names the missing ${e.kind} ${e.index}`);
    }
    return { ok: true, value: m };
  } catch (e) {
    if (e instanceof Rejected) return { ok: false, error: { code: e.code, message: e.message } };
    throw e;
  }
};

const verifyFunction = (m: Module, f: DefinedFunc, fi: number): void => {
  const at = `function ${fi} (${f.name})`;
  const params = f.type.params;
  if (f.vars.length < params.length || params.some((p, i) => f.vars[i] !== p)) reject('BAD_SIGNATURE', `${at}: its variables must begin with its parameters`);
  if (!Number.isInteger(f.frameCost) || f.frameCost < 0) reject('BAD_FRAME_COST', `${at}: frame cost ${f.frameCost}`);
  if (f.blocks.length === 0) reject('BAD_INDEX', `${at}: it has no blocks`);

  /** The trap codes the function's instructions may raise, and the exception blocks it has. */
  const raised = new Set<TrapCode>();
  const exits = new Set<TrapCode>();
  const target = (b: number, where: string): void => {
    if (!Number.isInteger(b) || b < 0 || b >= f.blocks.length) reject('BAD_INDEX', `${where}: no block ${b}`);
  };
  const variable = (v: number, where: string): ValType => {
    const t = f.vars[v];
    return t === undefined ? reject('BAD_INDEX', `${where}: no variable ${v}`) : t;
  };

  /** The type of an expression, after checking it; its trap codes are added to `raised`. */
  const typeOf = (e: Expr, where: string): ScalarType => {
    switch (e.op) {
      case 'const':
        if (!VALUE_TYPES.has(e.type) || (typeof e.value === 'bigint') !== (e.type === 'i64' || e.type === 'f64')) reject('TYPE_MISMATCH', `${where}: constant of type ${e.type}`);
        return e.type;
      case 'dread':
        same(variable(e.variable, where), e.type, `${where}: dread ${e.variable}`);
        return e.type;
      case 'global_get': {
        const g = m.globals[e.index];
        if (g === undefined) reject('BAD_INDEX', `${where}: no global ${e.index}`);
        same(e.type, g!.type, `${where}: global_get ${e.index}`);
        return g!.type;
      }
      case 'memory_size':
        if (m.memory === null) reject('NO_MEMORY', `${where}: memory_size needs a memory`);
        return 'i32';
      case 'unary':
        same(typeOf(e.arg, where), e.type, `${where}: operand of ${e.kind}`);
        if (INT_UNARY.has(e.kind) !== isInt(e.type)) reject('BAD_OPERATOR', `${where}: ${e.kind} on ${e.type}`);
        return e.type;
      case 'binary':
        same(typeOf(e.lhs, where), e.type, `${where}: left operand of ${e.kind}`);
        same(typeOf(e.rhs, where), e.type, `${where}: right operand of ${e.kind}`);
        if (!EITHER_BINARY.has(e.kind) && e.kind.startsWith('fp') !== isFloat(e.type)) reject('BAD_OPERATOR', `${where}: ${e.kind} on ${e.type}`);
        if (DIVISIONS.has(e.kind)) raised.add('Dmir.Trap.INTEGER_DIVIDE_BY_ZERO');
        if (e.kind === 'sdiv' || e.kind.startsWith('wasm_')) raised.add('Dmir.Trap.INTEGER_OVERFLOW');
        return e.type;
      case 'convert': {
        const from = typeOf(e.arg, where);
        if (!conversionAllowed(e.kind, from, e.type)) reject('BAD_OPERATOR', `${where}: ${e.kind} ${from} -> ${e.type}`);
        if (e.kind === 'wasm_fptosi' || e.kind === 'wasm_fptoui') {
          raised.add('Dmir.Trap.INVALID_CONVERSION_TO_INTEGER');
          raised.add('Dmir.Trap.INTEGER_OVERFLOW');
        }
        return e.type;
      }
      case 'cmp': {
        const t = typeOf(e.lhs, where);
        same(typeOf(e.rhs, where), t, `${where}: right operand of cmp`);
        if (!VALUE_TYPES.has(t) || (e.pred[0] === 'f') !== isFloat(t)) reject('BAD_OPERATOR', `${where}: cmp ${e.pred} on ${t}`);
        same(e.type, 'i32', `${where}: result of cmp`);
        return 'i32';
      }
      case 'select':
        same(typeOf(e.cond, where), 'i32', `${where}: select condition`);
        same(typeOf(e.ifTrue, where), e.type, `${where}: select first value`);
        same(typeOf(e.ifFalse, where), e.type, `${where}: select second value`);
        return e.type;
      case 'load':
        if (m.memory === null) reject('NO_MEMORY', `${where}: load needs a memory`);
        same(typeOf(e.base, where), 'i32', `${where}: load address`);
        offset(e.offset, where);
        raised.add('Dmir.Trap.MEMORY_OUT_OF_BOUNDS');
        return e.type;
    }
  };
  const offset = (o: number, where: string): void => {
    if (!Number.isInteger(o) || o < 0 || o > 0xffffffff) reject('BAD_INDEX', `${where}: offset ${o}`);
  };
  const call = (args: readonly Expr[], dests: readonly number[], t: FuncType, where: string): void => {
    if (args.length !== t.params.length) reject('BAD_SIGNATURE', `${where}: ${args.length} arguments, ${t.params.length} parameters`);
    args.forEach((a, i) => same(typeOf(a, where), t.params[i]!, `${where}: argument ${i}`));
    if (dests.length === 0) return;
    if (dests.length !== t.results.length) reject('BAD_SIGNATURE', `${where}: ${dests.length} destinations, ${t.results.length} results`);
    dests.forEach((d, i) => same(t.results[i]!, variable(d, where), `${where}: result ${i}`));
  };

  const statement = (s: Stmt, where: string): void => {
    switch (s.op) {
      case 'dassign': {
        const t = variable(s.variable, where);
        same(typeOf(s.value, where), t, `${where}: dassign ${s.variable}`);
        return;
      }
      case 'store':
        if (m.memory === null) reject('NO_MEMORY', `${where}: store needs a memory`);
        same(typeOf(s.base, where), 'i32', `${where}: store address`);
        same(typeOf(s.value, where), s.type, `${where}: stored value`);
        offset(s.offset, where);
        raised.add('Dmir.Trap.MEMORY_OUT_OF_BOUNDS');
        return;
      case 'global_set': {
        const g = m.globals[s.index];
        if (g === undefined) reject('BAD_INDEX', `${where}: no global ${s.index}`);
        if (!g!.mutable) reject('IMMUTABLE_GLOBAL', `${where}: global ${s.index} is immutable`);
        same(typeOf(s.value, where), g!.type, `${where}: global_set ${s.index}`);
        return;
      }
      case 'call': {
        const callee = m.funcs[s.func];
        if (callee === undefined) reject('BAD_INDEX', `${where}: no function ${s.func}`);
        call(s.args, s.dests, callee!.type, where);
        return;
      }
      case 'icall': {
        if (m.table === null) reject('NO_TABLE', `${where}: icall needs a table`);
        const t = m.types[s.typeIndex];
        if (t === undefined) reject('BAD_INDEX', `${where}: no type ${s.typeIndex}`);
        same(typeOf(s.index, where), 'i32', `${where}: icall index`);
        call(s.args, s.dests, t!, where);
        raised.add('Dmir.Trap.TABLE_OUT_OF_BOUNDS');
        raised.add('Dmir.Trap.UNINITIALIZED_ELEMENT');
        raised.add('Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH');
        return;
      }
      case 'memory_grow':
        if (m.memory === null) reject('NO_MEMORY', `${where}: memory_grow needs a memory`);
        same(typeOf(s.delta, where), 'i32', `${where}: memory_grow delta`);
        if (f.vars[s.dest] !== 'i32') reject('TYPE_MISMATCH', `${where}: memory_grow needs an i32 destination`);
        return;
      case 'use_gas':
        same(typeOf(s.amount, where), 'i64', `${where}: use_gas amount`);
        raised.add('Dmir.Trap.OUT_OF_GAS');
        return;
    }
  };

  f.blocks.forEach((b, bi) => {
    const where = `${at} block ${bi}`;
    b.stmts.forEach((s, si) => statement(s, `${where} statement ${si}`));
    const t = b.term;
    switch (t.op) {
      case 'br': target(t.target, where); break;
      case 'br_if':
        same(typeOf(t.cond, where), 'i32', `${where}: br_if condition`);
        target(t.then, where);
        target(t.else, where);
        break;
      case 'switch':
        same(typeOf(t.index, where), 'i32', `${where}: switch index`);
        for (const x of t.targets) target(x, where);
        target(t.default, where);
        break;
      case 'return':
        if (t.values.length !== f.type.results.length) reject('BAD_SIGNATURE', `${where}: ${t.values.length} values returned, ${f.type.results.length} results`);
        t.values.forEach((v, i) => same(typeOf(v, where), f.type.results[i]!, `${where}: returned value ${i}`));
        break;
      case 'trap':
        if (b.stmts.length !== 0) reject('BAD_EXCEPTION_BLOCK', `${where}: an exception block has statements`);
        if (exits.has(t.code)) reject('BAD_EXCEPTION_BLOCK', `${where}: a second exception block for ${t.code}`);
        exits.add(t.code);
        break;
    }
  });
  for (const code of raised) {
    if (!exits.has(code)) reject('MISSING_EXCEPTION_BLOCK', `${at}: ${code} may be raised but has no exception block`);
  }
};
