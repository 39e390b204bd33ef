/**
 * Validation of a decoded module: the WebAssembly MVP typing rules with multi-value (operand
 * stack, control frames with parameters and results, indices, constant expressions) plus the profile's own rules on limits.
 */
import { fail, ok, type Result } from '../../encoding/result.js';
import type { FuncType, ValType } from '../ir.js';
import { DWASM_LIMITS, type BlockType, type Code, type Instr, type WasmModule } from './decode.js';
import { OP_BY_CODE } from './opcodes.js';

export const VALIDATE_ERROR_CODES = [
  'Wasm.Validate.TYPE_MISMATCH', 'Wasm.Validate.UNKNOWN_LOCAL', 'Wasm.Validate.UNKNOWN_GLOBAL', 'Wasm.Validate.UNKNOWN_FUNC',
  'Wasm.Validate.UNKNOWN_TYPE', 'Wasm.Validate.UNKNOWN_LABEL', 'Wasm.Validate.UNKNOWN_MEMORY', 'Wasm.Validate.UNKNOWN_TABLE',
  'Wasm.Validate.IMMUTABLE_GLOBAL', 'Wasm.Validate.BAD_ALIGNMENT', 'Wasm.Validate.BAD_LIMITS', 'Wasm.Validate.BAD_START',
  'Wasm.Validate.DUPLICATE_EXPORT', 'Wasm.Validate.CONSTANT_EXPRESSION_REQUIRED',
] as const;

interface ValidateError { readonly validateError: true; readonly code: string; readonly message: string }
const err = (code: string, message: string): ValidateError => ({ validateError: true, code, message });
const isValidateError = (e: unknown): e is ValidateError =>
  typeof e === 'object' && e !== null && (e as { validateError?: unknown }).validateError === true;

type StackType = ValType | 'unknown';

interface Ctrl {
  readonly kind: 'block' | 'loop' | 'if' | 'else' | 'func';
  readonly params: readonly ValType[];
  readonly result: readonly ValType[];
  readonly height: number;
  unreachable: boolean;
}

/**
 * The parameters and results of a block type: none, one result, or a function type of the
 * module (multi-value). An unknown type index is `null`.
 *
 * @spec DMIR-WASM-MULTI.1
 */
export const blockSignature = (m: WasmModule, bt: BlockType | undefined): FuncType | null => {
  if (bt === undefined || bt === null) return { params: [], results: [] };
  if (typeof bt === 'number') return m.types[bt] ?? null;
  return { params: [], results: [bt] };
};

/** The type of every function index: imports first, then defined functions. */
export const funcTypes = (m: WasmModule): FuncType[] =>
  [...m.imports.map((i) => m.types[i.typeIndex]!), ...m.funcs.map((t) => m.types[t]!)];

/**
 * Validates one function body with the standard operand-stack algorithm.
 *
 * @spec DMIR-WASM-VALIDATE.1 DMIR-WASM-MULTI.1
 */
const validateBody = (m: WasmModule, fts: readonly FuncType[], fi: number, type: FuncType, code: Code): void => {
  const where = `function ${fi}`;
  const locals: ValType[] = [...type.params, ...code.locals];
  const vals: StackType[] = [];
  const ctrls: Ctrl[] = [{ kind: 'func', params: [], result: type.results, height: 0, unreachable: false }];
  const top = (): Ctrl => ctrls[ctrls.length - 1]!;
  const mismatch = (what: string): ValidateError => err('Wasm.Validate.TYPE_MISMATCH', `${where}: type mismatch: ${what}`);
  const pop = (): StackType => {
    const c = top();
    if (vals.length === c.height) {
      if (c.unreachable) return 'unknown';
      throw mismatch('operand stack is empty');
    }
    return vals.pop()!;
  };
  const popExpect = (t: ValType): void => {
    const a = pop();
    if (a !== t && a !== 'unknown') throw mismatch(`expected ${t}, found ${a}`);
  };
  const popAll = (ts: readonly ValType[]): void => { for (let i = ts.length - 1; i >= 0; i--) popExpect(ts[i]!); };
  const labelTypes = (c: Ctrl): readonly ValType[] => (c.kind === 'loop' ? c.params : c.result);
  const label = (depth: number): Ctrl => {
    const c = ctrls[ctrls.length - 1 - depth];
    if (c === undefined) throw err('Wasm.Validate.UNKNOWN_LABEL', `${where}: unknown label ${depth}`);
    return c;
  };
  const setUnreachable = (): void => {
    vals.length = top().height;
    top().unreachable = true;
  };
  const needMemory = (): void => {
    if (m.memories.length === 0) throw err('Wasm.Validate.UNKNOWN_MEMORY', `${where}: unknown memory 0`);
  };
  const endFrame = (): Ctrl => {
    const c = top();
    popAll(c.result);
    if (vals.length !== c.height) throw mismatch(`${vals.length - c.height} values left at the end of a block`);
    ctrls.pop();
    return c;
  };

  for (const ins of code.body) {
    const op = ins.op;
    const info = OP_BY_CODE.get(op)!;
    switch (op) {
      case 0x00: setUnreachable(); break;
      case 0x01: break;
      case 0x02: case 0x03: case 0x04: {
        const sig = blockSignature(m, ins.bt);
        if (sig === null) throw err('Wasm.Validate.UNKNOWN_TYPE', `${where}: unknown block type ${String(ins.bt)}`);
        if (op === 0x04) popExpect('i32');
        popAll(sig.params);
        ctrls.push({ kind: op === 0x02 ? 'block' : op === 0x03 ? 'loop' : 'if', params: sig.params, result: sig.results, height: vals.length, unreachable: false });
        vals.push(...sig.params);
        break;
      }
      case 0x05: {
        const c = endFrame();
        if (c.kind !== 'if') throw err('Wasm.Validate.TYPE_MISMATCH', `${where}: else without if`);
        ctrls.push({ kind: 'else', params: c.params, result: c.result, height: vals.length, unreachable: false });
        vals.push(...c.params);
        break;
      }
      case 0x0b: {
        const c = endFrame();
        // Without an else the parameters fall through the missing arm, so they must be the results.
        if (c.kind === 'if' && (c.params.length !== c.result.length || c.params.some((p, i) => p !== c.result[i]))) throw mismatch('if without else must have the same parameters and results');
        vals.push(...c.result);
        break;
      }
      case 0x0c: popAll(labelTypes(label(ins.a!))); setUnreachable(); break;
      case 0x0d: {
        popExpect('i32');
        const ts = labelTypes(label(ins.a!));
        popAll(ts);
        vals.push(...ts);
        break;
      }
      case 0x0e: {
        popExpect('i32');
        // Each target is checked against the operands on its own, so targets of different types
        // are valid in unreachable code (the operands are then of unknown type).
        const def = labelTypes(label(ins.a!));
        for (const t of ins.targets!) {
          const ts = labelTypes(label(t));
          if (ts.length !== def.length) throw mismatch('br_table targets have different arities');
          const popped: StackType[] = [];
          for (let k = ts.length - 1; k >= 0; k--) {
            const a = pop();
            if (a !== ts[k] && a !== 'unknown') throw mismatch(`br_table operand: expected ${ts[k]}, found ${a}`);
            popped.unshift(a);
          }
          vals.push(...popped);
        }
        popAll(def);
        setUnreachable();
        break;
      }
      case 0x0f: popAll(type.results); setUnreachable(); break;
      case 0x10: {
        const ft = fts[ins.a!];
        if (ft === undefined) throw err('Wasm.Validate.UNKNOWN_FUNC', `${where}: unknown function ${ins.a}`);
        popAll(ft.params);
        vals.push(...ft.results);
        break;
      }
      case 0x11: {
        if (m.tables.length === 0 || ins.b !== 0) throw err('Wasm.Validate.UNKNOWN_TABLE', `${where}: unknown table ${ins.b}`);
        const ft = m.types[ins.a!];
        if (ft === undefined) throw err('Wasm.Validate.UNKNOWN_TYPE', `${where}: unknown type ${ins.a}`);
        popExpect('i32');
        popAll(ft.params);
        vals.push(...ft.results);
        break;
      }
      case 0x1a: pop(); break;
      case 0x1b: {
        popExpect('i32');
        const a = pop();
        const b = pop();
        if (a !== b && a !== 'unknown' && b !== 'unknown') throw mismatch(`select operands ${b} and ${a}`);
        vals.push(a === 'unknown' ? b : a);
        break;
      }
      case 0x20: case 0x21: case 0x22: {
        const t = locals[ins.a!];
        if (t === undefined) throw err('Wasm.Validate.UNKNOWN_LOCAL', `${where}: unknown local ${ins.a}`);
        if (op === 0x20) vals.push(t);
        else {
          popExpect(t);
          if (op === 0x22) vals.push(t);
        }
        break;
      }
      case 0x23: case 0x24: {
        const g = m.globals[ins.a!];
        if (g === undefined) throw err('Wasm.Validate.UNKNOWN_GLOBAL', `${where}: unknown global ${ins.a}`);
        if (op === 0x23) vals.push(g.type);
        else {
          if (!g.mutable) throw err('Wasm.Validate.IMMUTABLE_GLOBAL', `${where}: global ${ins.a} is immutable`);
          popExpect(g.type);
        }
        break;
      }
      case 0x3f: case 0x40:
        needMemory();
        if (ins.b !== 0) throw err('Wasm.Validate.UNKNOWN_MEMORY', `${where}: unknown memory ${ins.b}`);
        if (op === 0x40) popExpect('i32');
        vals.push('i32');
        break;
      case 0x41: vals.push('i32'); break;
      case 0x42: vals.push('i64'); break;
      case 0x43: vals.push('f32'); break;
      case 0x44: vals.push('f64'); break;
      default: {
        if (info.imm === 'memarg') {
          needMemory();
          if (2 ** ins.a! > info.size!) throw err('Wasm.Validate.BAD_ALIGNMENT', `${where}: alignment must not be larger than natural (${info.name})`);
        }
        popAll(info.params!);
        if (info.result) vals.push(info.result);
      }
    }
  }
  if (ctrls.length !== 0) throw mismatch('function body does not close every block');
};

/** A constant expression: exactly one constant of the expected type. @spec DMIR-WASM-VALIDATE.1 */
const validateConst = (init: readonly Instr[], want: ValType, where: string, globalIndex: number, m: WasmModule): void => {
  const [first, second] = init;
  if (init.length === 2 && first !== undefined && second?.op === 0x0b) {
    const t = first.op === 0x41 ? 'i32' : first.op === 0x42 ? 'i64' : first.op === 0x43 ? 'f32' : first.op === 0x44 ? 'f64' : null;
    if (t !== null) {
      if (t !== want) throw err('Wasm.Validate.TYPE_MISMATCH', `${where}: constant of type ${t} where ${want} is expected`);
      return;
    }
    if (first.op === 0x23) {
      const g = m.globals[first.a!];
      if (g !== undefined && first.a! < globalIndex && !g.mutable) throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `${where}: global.get of a defined global in a constant expression (extended constants) is outside the profile`);
      throw err('Wasm.Validate.UNKNOWN_GLOBAL', `${where}: unknown global ${first.a} in a constant expression (no global may be imported)`);
    }
  }
  const extended = init.some((i) => i.op === 0x6a || i.op === 0x6b || i.op === 0x6c || i.op === 0x7c || i.op === 0x7d || i.op === 0x7e);
  if (extended && init.every((i) => i.op === 0x0b || (i.op >= 0x41 && i.op <= 0x42) || i.op === 0x6a || i.op === 0x6b || i.op === 0x6c || i.op === 0x7c || i.op === 0x7d || i.op === 0x7e)) {
    throw err('Wasm.Profile.UNSUPPORTED_FEATURE', `${where}: arithmetic in a constant expression (extended constants) is outside the profile`);
  }
  const consts = init.filter((i) => i.op !== 0x0b);
  if (consts.length !== 1 || consts.every((i) => i.op >= 0x41 && i.op <= 0x44)) {
    throw err('Wasm.Validate.TYPE_MISMATCH', `${where}: a constant expression must produce exactly one ${want}`);
  }
  throw err('Wasm.Validate.CONSTANT_EXPRESSION_REQUIRED', `${where}: constant expression required`);
};

const validateLimits = (min: number, max: number | null, bound: number, what: string): void => {
  if (min > bound) throw err('Wasm.Validate.BAD_LIMITS', `${what} size must be at most ${bound}`);
  if (max !== null && max > bound) throw err('Wasm.Validate.BAD_LIMITS', `${what} size must be at most ${bound}`);
  if (max !== null && min > max) throw err('Wasm.Validate.BAD_LIMITS', `${what}: size minimum must not be greater than maximum`);
};

/**
 * Validates a decoded module and checks the limits that need the whole module.
 *
 * @spec DMIR-WASM-VALIDATE.1 DMIR-WASM-LIMITS.1
 */
export const validateModule = (m: WasmModule): Result<WasmModule> => {
  try {
    m.imports.forEach((imp, i) => {
      if (m.types[imp.typeIndex] === undefined) throw err('Wasm.Validate.UNKNOWN_TYPE', `import ${i}: unknown type ${imp.typeIndex}`);
    });
    m.funcs.forEach((t, i) => {
      if (m.types[t] === undefined) throw err('Wasm.Validate.UNKNOWN_TYPE', `function ${m.imports.length + i}: unknown type ${t}`);
    });
    for (const t of m.tables) {
      validateLimits(t.min, t.max, 0xffffffff, 'table');
      if (t.min > DWASM_LIMITS.tableSize) throw err('Wasm.Limit.TABLE_TOO_LARGE', `table of ${t.min} elements exceeds the DWASM limit ${DWASM_LIMITS.tableSize}`);
    }
    for (const mem of m.memories) {
      validateLimits(mem.min, mem.max, 65536, 'memory');
      if (mem.min > DWASM_LIMITS.initMemoryPages) throw err('Wasm.Limit.INIT_MEMORY_TOO_LARGE', `initial memory of ${mem.min} pages exceeds the DWASM limit ${DWASM_LIMITS.initMemoryPages}`);
    }
    m.globals.forEach((g, i) => validateConst(g.init, g.type, `global ${i}`, i, m));
    const fts = funcTypes(m);
    const names = new Set<string>();
    m.exports.forEach((e) => {
      if (names.has(e.name)) throw err('Wasm.Validate.DUPLICATE_EXPORT', `duplicate export name ${JSON.stringify(e.name)}`);
      names.add(e.name);
      const n = e.kind === 'func' ? fts.length : e.kind === 'global' ? m.globals.length : e.kind === 'memory' ? m.memories.length : m.tables.length;
      if (e.index >= n) {
        const code = e.kind === 'func' ? 'Wasm.Validate.UNKNOWN_FUNC' : e.kind === 'global' ? 'Wasm.Validate.UNKNOWN_GLOBAL' : e.kind === 'memory' ? 'Wasm.Validate.UNKNOWN_MEMORY' : 'Wasm.Validate.UNKNOWN_TABLE';
        throw err(code, `export ${JSON.stringify(e.name)}: unknown ${e.kind} ${e.index}`);
      }
    });
    if (m.start !== null) {
      const ft = fts[m.start];
      if (ft === undefined) throw err('Wasm.Validate.UNKNOWN_FUNC', `start: unknown function ${m.start}`);
      if (ft.params.length > 0 || ft.results.length > 0) throw err('Wasm.Validate.BAD_START', 'the start function must take no parameters and return nothing');
    }
    m.elems.forEach((e, i) => {
      if (m.tables.length === 0) throw err('Wasm.Validate.UNKNOWN_TABLE', `element segment ${i}: unknown table 0`);
      validateConst(e.offset, 'i32', `element segment ${i}`, m.globals.length, m);
      e.funcs.forEach((f) => {
        if (f >= fts.length) throw err('Wasm.Validate.UNKNOWN_FUNC', `element segment ${i}: unknown function ${f}`);
      });
    });
    m.datas.forEach((d, i) => {
      if (m.memories.length === 0) throw err('Wasm.Validate.UNKNOWN_MEMORY', `data segment ${i}: unknown memory 0`);
      validateConst(d.offset, 'i32', `data segment ${i}`, m.globals.length, m);
    });
    m.codes.forEach((c, i) => validateBody(m, fts, m.imports.length + i, m.types[m.funcs[i]!]!, c));
    return ok(m);
  } catch (e) {
    if (isValidateError(e)) return fail(e.code, e.message);
    throw e;
  }
};
