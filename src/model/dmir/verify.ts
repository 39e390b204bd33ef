/**
 * The dMIR verifier: a module is executable only if every function is well typed, every index
 * is in range and every trapping instruction has its exception block.
 */
import { fail, ok, type Result } from '../encoding/result.js';
import {
  bitWidth, isFloatType, isIntType, VAL_TYPES,
  type Block, type DefinedFunc, type Expr, type Module, type ScalarType, type Stmt, type TrapCode, type ValType,
} from './ir.js';

export const VERIFY_ERROR_CODES = [
  'Dmir.Verify.TYPE_MISMATCH',
  'Dmir.Verify.BAD_INDEX',
  'Dmir.Verify.BAD_OPERATOR',
  'Dmir.Verify.MISSING_EXCEPTION_BLOCK',
  'Dmir.Verify.BAD_EXCEPTION_BLOCK',
  'Dmir.Verify.BAD_SIGNATURE',
  'Dmir.Verify.IMMUTABLE_GLOBAL',
  'Dmir.Verify.NO_MEMORY',
  'Dmir.Verify.NO_TABLE',
  'Dmir.Verify.DUPLICATE_EXPORT',
  'Dmir.Verify.BAD_FRAME_COST',
] as const;

/** A verification failure raised inside the walk; converted to a `Result` at the boundary. */
interface VerifyError { readonly verifyError: true; readonly code: string; readonly message: string }
const bad = (code: string, message: string): VerifyError => ({ verifyError: true, code, message });
const isVerifyError = (e: unknown): e is VerifyError =>
  typeof e === 'object' && e !== null && (e as { verifyError?: unknown }).verifyError === true;

/**
 * The trap codes an expression may raise (its trap edges), collected into `out`.
 *
 * @spec DMIR-VERIFY-TRAPEDGE.1
 */
export const exprTrapCodes = (e: Expr, out: Set<TrapCode>): void => {
  switch (e.op) {
    case 'const': case 'dread': case 'global_get': case 'memory_size': return;
    case 'unary': exprTrapCodes(e.arg, out); return;
    case 'binary':
      exprTrapCodes(e.lhs, out);
      exprTrapCodes(e.rhs, out);
      if (e.kind === 'sdiv' || e.kind === 'udiv' || e.kind === 'srem' || e.kind === 'urem') out.add('Dmir.Trap.INTEGER_DIVIDE_BY_ZERO');
      if (e.kind === 'sdiv' || e.kind.startsWith('wasm_')) out.add('Dmir.Trap.INTEGER_OVERFLOW');
      return;
    case 'convert':
      exprTrapCodes(e.arg, out);
      if (e.kind === 'wasm_fptosi' || e.kind === 'wasm_fptoui') {
        out.add('Dmir.Trap.INVALID_CONVERSION_TO_INTEGER');
        out.add('Dmir.Trap.INTEGER_OVERFLOW');
      }
      return;
    case 'cmp': exprTrapCodes(e.lhs, out); exprTrapCodes(e.rhs, out); return;
    case 'select': exprTrapCodes(e.cond, out); exprTrapCodes(e.ifTrue, out); exprTrapCodes(e.ifFalse, out); return;
    case 'load': exprTrapCodes(e.base, out); out.add('Dmir.Trap.MEMORY_OUT_OF_BOUNDS'); return;
  }
};

/** @spec DMIR-VERIFY-TRAPEDGE.1 */
export const stmtTrapCodes = (s: Stmt, out: Set<TrapCode>): void => {
  switch (s.op) {
    case 'dassign': exprTrapCodes(s.value, out); return;
    case 'store': exprTrapCodes(s.base, out); exprTrapCodes(s.value, out); out.add('Dmir.Trap.MEMORY_OUT_OF_BOUNDS'); return;
    case 'global_set': exprTrapCodes(s.value, out); return;
    case 'call': s.args.forEach((a) => exprTrapCodes(a, out)); return;
    case 'icall':
      exprTrapCodes(s.index, out);
      s.args.forEach((a) => exprTrapCodes(a, out));
      out.add('Dmir.Trap.TABLE_OUT_OF_BOUNDS');
      out.add('Dmir.Trap.UNINITIALIZED_ELEMENT');
      out.add('Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH');
      return;
    case 'memory_grow': exprTrapCodes(s.delta, out); return;
    case 'use_gas': exprTrapCodes(s.amount, out); out.add('Dmir.Trap.OUT_OF_GAS'); return;
  }
};

const expect = (got: ScalarType, want: ScalarType, where: string): void => {
  if (got !== want) throw bad('Dmir.Verify.TYPE_MISMATCH', `${where}: expected ${want}, found ${got}`);
};

/** Checks one expression tree and returns its type. @spec DMIR-VERIFY-TYPES.1 */
const checkExpr = (m: Module, f: DefinedFunc, e: Expr, where: string): ScalarType => {
  switch (e.op) {
    case 'const': {
      const isBig = typeof e.value === 'bigint';
      if (!VAL_TYPES.includes(e.type) || isBig !== (e.type === 'i64' || e.type === 'f64')) throw bad('Dmir.Verify.TYPE_MISMATCH', `${where}: const value does not fit ${e.type}`);
      return e.type;
    }
    case 'dread': {
      const t = f.vars[e.variable];
      if (t === undefined) throw bad('Dmir.Verify.BAD_INDEX', `${where}: variable ${e.variable} does not exist`);
      expect(e.type, t, `${where}: dread ${e.variable}`);
      return t;
    }
    case 'unary': {
      expect(checkExpr(m, f, e.arg, where), e.type, `${where}: ${e.kind} operand`);
      const intOp = e.kind === 'clz' || e.kind === 'ctz' || e.kind === 'popcnt' || e.kind === 'not';
      if (intOp !== isIntType(e.type)) throw bad('Dmir.Verify.BAD_OPERATOR', `${where}: ${e.kind} does not apply to ${e.type}`);
      return e.type;
    }
    case 'binary': {
      expect(checkExpr(m, f, e.lhs, where), e.type, `${where}: ${e.kind} lhs`);
      expect(checkExpr(m, f, e.rhs, where), e.type, `${where}: ${e.kind} rhs`);
      const both = e.kind === 'add' || e.kind === 'sub' || e.kind === 'mul';
      const floatOp = e.kind.startsWith('fp');
      if (!both && floatOp !== isFloatType(e.type)) throw bad('Dmir.Verify.BAD_OPERATOR', `${where}: ${e.kind} does not apply to ${e.type}`);
      return e.type;
    }
    case 'convert': {
      const from = checkExpr(m, f, e.arg, where);
      const to = e.type;
      const okConv = ((): boolean => {
        switch (e.kind) {
          case 'trunc': return isIntType(from) && isIntType(to) && bitWidth(to) < bitWidth(from);
          case 'sext': case 'uext': return isIntType(from) && (to === 'i32' || to === 'i64') && bitWidth(to) > bitWidth(from);
          case 'fptrunc': return from === 'f64' && to === 'f32';
          case 'fpext': return from === 'f32' && to === 'f64';
          case 'sitofp': case 'uitofp': return (from === 'i32' || from === 'i64') && isFloatType(to);
          case 'bitcast': return from !== to && bitWidth(from) === bitWidth(to) && bitWidth(to) >= 32;
          case 'wasm_fptosi': case 'wasm_fptoui': case 'wasm_fptosi_sat': case 'wasm_fptoui_sat':
            return isFloatType(from) && (to === 'i32' || to === 'i64');
        }
      })();
      if (!okConv) throw bad('Dmir.Verify.BAD_OPERATOR', `${where}: ${e.kind} from ${from} to ${to}`);
      return to;
    }
    case 'cmp': {
      const t = checkExpr(m, f, e.lhs, where);
      expect(checkExpr(m, f, e.rhs, where), t, `${where}: cmp rhs`);
      if (!VAL_TYPES.includes(t as ValType) || e.pred.startsWith('f') !== isFloatType(t)) throw bad('Dmir.Verify.BAD_OPERATOR', `${where}: cmp ${e.pred} on ${t}`);
      expect(e.type, 'i32', `${where}: cmp result`);
      return 'i32';
    }
    case 'select':
      expect(checkExpr(m, f, e.cond, where), 'i32', `${where}: select condition`);
      expect(checkExpr(m, f, e.ifTrue, where), e.type, `${where}: select first`);
      expect(checkExpr(m, f, e.ifFalse, where), e.type, `${where}: select second`);
      return e.type;
    case 'load':
      if (m.memory === null) throw bad('Dmir.Verify.NO_MEMORY', `${where}: load without a memory`);
      expect(checkExpr(m, f, e.base, where), 'i32', `${where}: load base`);
      if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > 0xffffffff) throw bad('Dmir.Verify.BAD_INDEX', `${where}: load offset ${e.offset}`);
      return e.type;
    case 'global_get': {
      const g = m.globals[e.index];
      if (g === undefined) throw bad('Dmir.Verify.BAD_INDEX', `${where}: global ${e.index} does not exist`);
      expect(e.type, g.type, `${where}: global_get ${e.index}`);
      return g.type;
    }
    case 'memory_size':
      if (m.memory === null) throw bad('Dmir.Verify.NO_MEMORY', `${where}: memory_size without a memory`);
      return 'i32';
  }
};

const checkArgs = (m: Module, f: DefinedFunc, args: readonly Expr[], params: readonly ValType[], where: string): void => {
  if (args.length !== params.length) throw bad('Dmir.Verify.BAD_SIGNATURE', `${where}: ${args.length} arguments for ${params.length} parameters`);
  args.forEach((a, i) => expect(checkExpr(m, f, a, where), params[i]!, `${where}: argument ${i}`));
};

/** A call assigns every result or none: one destination variable per result, of its type. */
const checkDests = (f: DefinedFunc, dests: readonly number[], results: readonly ValType[], where: string): void => {
  if (dests.length === 0) return;
  if (dests.length !== results.length) throw bad('Dmir.Verify.BAD_SIGNATURE', `${where}: ${dests.length} destinations for ${results.length} results`);
  dests.forEach((d, i) => {
    const t = f.vars[d];
    if (t === undefined) throw bad('Dmir.Verify.BAD_INDEX', `${where}: variable ${d} does not exist`);
    expect(results[i]!, t, `${where}: call result ${i}`);
  });
};

/** @spec DMIR-VERIFY-TYPES.1 */
const checkStmt = (m: Module, f: DefinedFunc, s: Stmt, where: string): void => {
  switch (s.op) {
    case 'dassign': {
      const t = f.vars[s.variable];
      if (t === undefined) throw bad('Dmir.Verify.BAD_INDEX', `${where}: variable ${s.variable} does not exist`);
      expect(checkExpr(m, f, s.value, where), t, `${where}: dassign ${s.variable}`);
      return;
    }
    case 'store': {
      if (m.memory === null) throw bad('Dmir.Verify.NO_MEMORY', `${where}: store without a memory`);
      expect(checkExpr(m, f, s.base, where), 'i32', `${where}: store base`);
      expect(checkExpr(m, f, s.value, where), s.type, `${where}: store value`);
      if (!Number.isInteger(s.offset) || s.offset < 0 || s.offset > 0xffffffff) throw bad('Dmir.Verify.BAD_INDEX', `${where}: store offset ${s.offset}`);
      return;
    }
    case 'global_set': {
      const g = m.globals[s.index];
      if (g === undefined) throw bad('Dmir.Verify.BAD_INDEX', `${where}: global ${s.index} does not exist`);
      if (!g.mutable) throw bad('Dmir.Verify.IMMUTABLE_GLOBAL', `${where}: global ${s.index} is immutable`);
      expect(checkExpr(m, f, s.value, where), g.type, `${where}: global_set ${s.index}`);
      return;
    }
    case 'call': {
      const callee = m.funcs[s.func];
      if (callee === undefined) throw bad('Dmir.Verify.BAD_INDEX', `${where}: function ${s.func} does not exist`);
      checkArgs(m, f, s.args, callee.type.params, where);
      checkDests(f, s.dests, callee.type.results, where);
      return;
    }
    case 'icall': {
      if (m.table === null) throw bad('Dmir.Verify.NO_TABLE', `${where}: icall without a table`);
      const t = m.types[s.typeIndex];
      if (t === undefined) throw bad('Dmir.Verify.BAD_INDEX', `${where}: type ${s.typeIndex} does not exist`);
      expect(checkExpr(m, f, s.index, where), 'i32', `${where}: icall index`);
      checkArgs(m, f, s.args, t.params, where);
      checkDests(f, s.dests, t.results, where);
      return;
    }
    case 'memory_grow':
      if (m.memory === null) throw bad('Dmir.Verify.NO_MEMORY', `${where}: memory_grow without a memory`);
      expect(checkExpr(m, f, s.delta, where), 'i32', `${where}: memory_grow delta`);
      if (f.vars[s.dest] !== 'i32') throw bad('Dmir.Verify.TYPE_MISMATCH', `${where}: memory_grow destination must be an i32 variable`);
      return;
    case 'use_gas':
      expect(checkExpr(m, f, s.amount, where), 'i64', `${where}: use_gas amount`);
      return;
  }
};

const checkTarget = (f: DefinedFunc, target: number, where: string): void => {
  if (!Number.isInteger(target) || target < 0 || target >= f.blocks.length) throw bad('Dmir.Verify.BAD_INDEX', `${where}: block ${target} does not exist`);
};

/** @spec DMIR-VERIFY-CFG.1 DMIR-VERIFY-TYPES.1 DMIR-VERIFY-TRAPEDGE.1 DMIR-STRUCT-MULTI.1 */
const checkFunc = (m: Module, f: DefinedFunc, fi: number): void => {
  const at = `function ${fi} (${f.name})`;
  if (f.vars.length < f.type.params.length || f.type.params.some((p, i) => f.vars[i] !== p)) throw bad('Dmir.Verify.BAD_SIGNATURE', `${at}: the first variables must be the parameters`);
  if (!Number.isInteger(f.frameCost) || f.frameCost < 0) throw bad('Dmir.Verify.BAD_FRAME_COST', `${at}: frame cost ${f.frameCost}`);
  if (f.blocks.length === 0) throw bad('Dmir.Verify.BAD_INDEX', `${at}: no entry block`);
  const exceptionBlocks = new Set<TrapCode>();
  const raised = new Set<TrapCode>();
  f.blocks.forEach((b: Block, bi) => {
    const where = `${at} block ${bi}`;
    b.stmts.forEach((s, si) => {
      checkStmt(m, f, s, `${where} statement ${si}`);
      stmtTrapCodes(s, raised);
    });
    const t = b.term;
    switch (t.op) {
      case 'br': checkTarget(f, t.target, where); break;
      case 'br_if':
        expect(checkExpr(m, f, t.cond, where), 'i32', `${where}: br_if condition`);
        exprTrapCodes(t.cond, raised);
        checkTarget(f, t.then, where);
        checkTarget(f, t.else, where);
        break;
      case 'switch':
        expect(checkExpr(m, f, t.index, where), 'i32', `${where}: switch index`);
        exprTrapCodes(t.index, raised);
        t.targets.forEach((x) => checkTarget(f, x, where));
        checkTarget(f, t.default, where);
        break;
      case 'return':
        if (t.values.length !== f.type.results.length) throw bad('Dmir.Verify.BAD_SIGNATURE', `${where}: return of ${t.values.length} values for ${f.type.results.length} results`);
        t.values.forEach((v, i) => {
          expect(checkExpr(m, f, v, where), f.type.results[i]!, `${where}: return value ${i}`);
          exprTrapCodes(v, raised);
        });
        break;
      case 'trap':
        if (b.stmts.length > 0) throw bad('Dmir.Verify.BAD_EXCEPTION_BLOCK', `${where}: an exception block has no statements`);
        if (exceptionBlocks.has(t.code)) throw bad('Dmir.Verify.BAD_EXCEPTION_BLOCK', `${where}: second exception block for ${t.code}`);
        exceptionBlocks.add(t.code);
        break;
    }
  });
  for (const code of raised) {
    if (!exceptionBlocks.has(code)) throw bad('Dmir.Verify.MISSING_EXCEPTION_BLOCK', `${at}: an instruction may raise ${code} but the function has no exception block for it`);
  }
};

/**
 * Verifies a module. On success the interpreter may run it without further checks.
 *
 * @spec DMIR-VERIFY-MODULE.1 DMIR-VERIFY-TYPES.1 DMIR-VERIFY-CFG.1 DMIR-VERIFY-TRAPEDGE.1
 */
export const verifyModule = (m: Module): Result<Module> => {
  try {
    m.funcs.forEach((f, i) => {
      if (f.kind === 'defined') checkFunc(m, f, i);
    });
    if (m.start !== null) {
      const s = m.funcs[m.start];
      if (s === undefined) throw bad('Dmir.Verify.BAD_INDEX', `start function ${m.start} does not exist`);
      if (s.type.params.length > 0 || s.type.results.length > 0) throw bad('Dmir.Verify.BAD_SIGNATURE', 'the start function takes no parameters and returns nothing');
    }
    m.elems.forEach((seg, i) => {
      if (m.table === null) throw bad('Dmir.Verify.NO_TABLE', `element segment ${i} without a table`);
      seg.funcs.forEach((fi) => {
        if (m.funcs[fi] === undefined) throw bad('Dmir.Verify.BAD_INDEX', `element segment ${i}: function ${fi} does not exist`);
      });
    });
    if (m.datas.length > 0 && m.memory === null) throw bad('Dmir.Verify.NO_MEMORY', 'data segments without a memory');
    const names = new Set<string>();
    for (const e of m.exports) {
      if (names.has(e.name)) throw bad('Dmir.Verify.DUPLICATE_EXPORT', `export ${JSON.stringify(e.name)} appears twice`);
      names.add(e.name);
      const n = e.kind === 'func' ? m.funcs.length : e.kind === 'global' ? m.globals.length : e.kind === 'memory' ? (m.memory ? 1 : 0) : m.table ? 1 : 0;
      if (e.index >= n) throw bad('Dmir.Verify.BAD_INDEX', `export ${JSON.stringify(e.name)}: ${e.kind} ${e.index} does not exist`);
    }
    return ok(m);
  } catch (e) {
    if (isVerifyError(e)) return fail(e.code, e.message);
    throw e;
  }
};
