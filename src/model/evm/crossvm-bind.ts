/**
 * Binding the DTVM-style `env` imports of a WASM contract to a host that never addresses the
 * instance's linear memory. A dMIR host function sees only argument values (DMIR-EXEC-HOST.1), while
 * `env` functions such as `callDataCopy(resultOffset, dataOffset, length)` take pointers into the
 * contract's memory. Each such import is therefore replaced, at the same function index, by a dMIR
 * function (a *shim*) that moves the bytes itself with `load`/`store` and talks to three primitive
 * host functions of module `crossvm`:
 *
 * - `in(byte: i32)` appends one byte to the host's input buffer;
 * - `out(index: i32) -> i32` reads byte `index` of the host's output buffer (0 past its end);
 * - `op.<field>(scalars...) -> results` performs the import on the input buffer, filling the output
 *   buffer.
 *
 * Gas metering moves to the host as well: every `use_gas(amount)` becomes a call of
 * `crossvm.gas(amount: i64)`, so the host holds the one gas counter of the frame and can charge the
 * EVM costs of storage, calls and logs against it and answer `getGasLeft`. The rewrite keeps the
 * meaning of `use_gas` (trap OUT_OF_GAS when the amount exceeds the gas left, else subtract).
 *
 * @spec EVM-XVM-BIND.1 EVM-XVM-GAS.1
 */
import { fail, type Result } from '../encoding/result.js';
import type { Block, DefinedFunc, Expr, Func, HostFunc, Module, Stmt, ValType } from '../dmir/ir.js';
import { verifyModule } from '../dmir/verify.js';

/** The module name of the primitive host functions the shims call. */
export const CROSSVM_MODULE = 'crossvm';

/** A memory region an import reads or writes: a pointer parameter and a fixed or parameter length. */
interface Region {
  readonly ptr: number;
  readonly len: number | { readonly param: number };
  /** Only when parameter `count.param` is above `count.k` (emitLogEvent's topics). */
  readonly count?: { readonly param: number; readonly k: number };
}

/** How one `env` import moves bytes: regions copied in before the operation, out after it. */
interface ImportShape {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  readonly ins: readonly Region[];
  readonly outs: readonly Region[];
  /** Parameters passed to the host operation as values (lengths, counts, gas). */
  readonly scalars: readonly number[];
}

const I = 'i32' as const, L = 'i64' as const;

/**
 * The supported `env` imports with their DTVM signatures (pointer parameters are i32 offsets into
 * linear memory; addresses are 20 bytes, words 32 bytes big-endian).
 *
 * @spec EVM-XVM-IMPORTS.1
 */
export const ENV_IMPORTS: Readonly<Record<string, ImportShape>> = {
  getAddress: { params: [I], results: [], ins: [], outs: [{ ptr: 0, len: 20 }], scalars: [] },
  getCaller: { params: [I], results: [], ins: [], outs: [{ ptr: 0, len: 20 }], scalars: [] },
  getCallValue: { params: [I], results: [], ins: [], outs: [{ ptr: 0, len: 32 }], scalars: [] },
  getCallDataSize: { params: [], results: [I], ins: [], outs: [], scalars: [] },
  callDataCopy: { params: [I, I, I], results: [], ins: [], outs: [{ ptr: 0, len: { param: 2 } }], scalars: [1, 2] },
  storageLoad: { params: [I, I], results: [], ins: [{ ptr: 0, len: 32 }], outs: [{ ptr: 1, len: 32 }], scalars: [] },
  storageStore: { params: [I, I], results: [], ins: [{ ptr: 0, len: 32 }, { ptr: 1, len: 32 }], outs: [], scalars: [] },
  getGasLeft: { params: [], results: [L], ins: [], outs: [], scalars: [] },
  getReturnDataSize: { params: [], results: [I], ins: [], outs: [], scalars: [] },
  returnDataCopy: { params: [I, I, I], results: [], ins: [], outs: [{ ptr: 0, len: { param: 2 } }], scalars: [1, 2] },
  emitLogEvent: {
    params: [I, I, I, I, I, I, I], results: [],
    ins: [{ ptr: 0, len: { param: 1 } }, ...[0, 1, 2, 3].map((k) => ({ ptr: 3 + k, len: 32, count: { param: 2, k } }))],
    outs: [], scalars: [1, 2],
  },
  callContract: { params: [L, I, I, I, I], results: [I], ins: [{ ptr: 1, len: 20 }, { ptr: 2, len: 32 }, { ptr: 3, len: { param: 4 } }], outs: [], scalars: [0, 4] },
  callStatic: { params: [L, I, I, I], results: [I], ins: [{ ptr: 1, len: 20 }, { ptr: 2, len: { param: 3 } }], outs: [], scalars: [0, 3] },
  callDelegate: { params: [L, I, I, I], results: [I], ins: [{ ptr: 1, len: 20 }, { ptr: 2, len: { param: 3 } }], outs: [], scalars: [0, 3] },
  finish: { params: [I, I], results: [], ins: [{ ptr: 0, len: { param: 1 } }], outs: [], scalars: [1] },
  revert: { params: [I, I], results: [], ins: [{ ptr: 0, len: { param: 1 } }], outs: [], scalars: [1] },
  invalid: { params: [], results: [], ins: [], outs: [], scalars: [] },
};

const c32 = (value: number): Expr => ({ op: 'const', type: 'i32', value });
const rd = (variable: number, type: ValType): Expr => ({ op: 'dread', type, variable });
const bin = (kind: 'add' | 'mul', type: ValType, lhs: Expr, rhs: Expr): Expr => ({ op: 'binary', kind, type, lhs, rhs });
const u64 = (e: Expr): Expr => ({ op: 'convert', kind: 'uext', type: 'i64', arg: e });

/** Builds the shim for one import at `index`, calling host functions `inFn`, `outFn` and `opFn`. */
const buildShim = (name: string, shape: ImportShape, inFn: number, outFn: number, opFn: number): DefinedFunc => {
  const np = shape.params.length;
  const counter = np, tmp = np + 1;
  const resultVars = shape.results.map((_, i) => np + 2 + i);
  const vars: ValType[] = [...shape.params, 'i32', 'i32', ...shape.results];
  const blocks: { stmts: Stmt[]; term: Block['term'] | null }[] = [];
  const open = (): number => { blocks.push({ stmts: [], term: null }); return blocks.length - 1; };
  // Block 0 is the entry; block 1 the exception block of the out-of-bounds checks.
  let cur = open();
  const TRAP = 1;
  blocks.push({ stmts: [], term: { op: 'trap', code: 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS' } });
  const lenOf = (r: Region): Expr => (typeof r.len === 'number' ? c32(r.len) : rd(r.len.param, 'i32'));
  const addr = (r: Region): Expr => bin('add', 'i32', rd(r.ptr, 'i32'), rd(counter, 'i32'));

  /** Copies one region byte by byte; `body` gives the statements for one byte. */
  const loop = (r: Region, body: (a: Expr) => Stmt[]): void => {
    const skipTo = r.count === undefined ? null : open();
    if (r.count !== undefined) {
      // Only the first `count` topics are read; a topic pointer past them is never touched.
      const guarded = open();
      blocks[cur]!.term = { op: 'br_if', cond: { op: 'cmp', pred: 'iugt', type: 'i32', lhs: rd(r.count.param, 'i32'), rhs: c32(r.count.k) }, then: guarded, else: skipTo! };
      cur = guarded;
    }
    // The whole region must lie inside memory, so a huge length cannot wrap the 32-bit address.
    const inBounds = open();
    const end = bin('add', 'i64', u64(rd(r.ptr, 'i32')), u64(lenOf(r)));
    const size = bin('mul', 'i64', u64({ op: 'memory_size', type: 'i32' }), { op: 'const', type: 'i64', value: 65536n });
    blocks[cur]!.term = { op: 'br_if', cond: { op: 'cmp', pred: 'iugt', type: 'i32', lhs: end, rhs: size }, then: TRAP, else: inBounds };
    blocks[inBounds]!.stmts.push({ op: 'dassign', variable: counter, value: c32(0) });
    const head = open(), bodyBlock = open(), after = open();
    blocks[inBounds]!.term = { op: 'br', target: head };
    blocks[head]!.term = { op: 'br_if', cond: { op: 'cmp', pred: 'iult', type: 'i32', lhs: rd(counter, 'i32'), rhs: lenOf(r) }, then: bodyBlock, else: after };
    blocks[bodyBlock]!.stmts.push(...body(addr(r)), { op: 'dassign', variable: counter, value: bin('add', 'i32', rd(counter, 'i32'), c32(1)) });
    blocks[bodyBlock]!.term = { op: 'br', target: head };
    cur = after;
    if (skipTo !== null) { blocks[cur]!.term = { op: 'br', target: skipTo }; cur = skipTo; }
  };

  for (const r of shape.ins) {
    loop(r, (a) => [{ op: 'call', func: inFn, args: [{ op: 'convert', kind: 'uext', type: 'i32', arg: { op: 'load', type: 'i8', base: a, offset: 0 } }], dests: [] }]);
  }
  blocks[cur]!.stmts.push({ op: 'call', func: opFn, args: shape.scalars.map((p) => rd(p, shape.params[p]!)), dests: resultVars });
  for (const r of shape.outs) {
    loop(r, (a) => [
      { op: 'call', func: outFn, args: [rd(counter, 'i32')], dests: [tmp] },
      { op: 'store', type: 'i8', base: a, offset: 0, value: { op: 'convert', kind: 'trunc', type: 'i8', arg: rd(tmp, 'i32') } },
    ]);
  }
  blocks[cur]!.term = { op: 'return', values: resultVars.map((v, i) => rd(v, shape.results[i]!)) };
  return {
    kind: 'defined', name: `env.${name}`, type: { params: shape.params, results: shape.results }, vars,
    blocks: blocks.map((b) => ({ stmts: b.stmts, term: b.term! })),
    // The shim's frame: its variables at 8 bytes each, as a lowered function of that size would cost.
    frameCost: vars.length * 8,
  };
};

const sameSig = (a: readonly ValType[], b: readonly ValType[]): boolean => a.length === b.length && a.every((t, i) => t === b[i]);

const rewriteGas = (stmts: readonly Stmt[], gasFn: number): Stmt[] =>
  stmts.map((s) => (s.op === 'use_gas' ? { op: 'call', func: gasFn, args: [s.amount], dests: [] } : s));

/**
 * Rewrites a loaded WASM contract for the cross-VM host: each `env` import becomes a shim at its
 * own index, the primitive host functions are appended, and `use_gas` calls the host. An import
 * outside `ENV_IMPORTS` or with another signature is `Evm.CrossVm.BAD_IMPORT`; a pointer import in a
 * module without memory is `Evm.CrossVm.NO_MEMORY`. The result passes the dMIR verifier.
 *
 * @spec EVM-XVM-BIND.1 EVM-XVM-IMPORTS.1 EVM-XVM-GAS.1
 */
export const bindEnvImports = (m: Module): Result<Module> => {
  const funcs: Func[] = [...m.funcs];
  const add = (field: string, params: readonly ValType[], results: readonly ValType[]): number => {
    const h: HostFunc = { kind: 'host', name: `${CROSSVM_MODULE}.${field}`, module: CROSSVM_MODULE, field, type: { params, results } };
    funcs.push(h);
    return funcs.length - 1;
  };
  const inFn = add('in', ['i32'], []);
  const outFn = add('out', ['i32'], ['i32']);
  const gasFn = add('gas', ['i64'], []);
  for (let i = 0; i < m.funcs.length; i++) {
    const f = m.funcs[i]!;
    if (f.kind !== 'host') continue;
    const shape = f.module === 'env' ? ENV_IMPORTS[f.field] : undefined;
    if (shape === undefined || !sameSig(shape.params, f.type.params) || !sameSig(shape.results, f.type.results)) {
      return fail('Evm.CrossVm.BAD_IMPORT', `import ${f.module}.${f.field} (${f.type.params.join(' ')}) -> (${f.type.results.join(' ')}) is not an env import of the cross-VM host`);
    }
    if ((shape.ins.length > 0 || shape.outs.length > 0) && m.memory === null) {
      return fail('Evm.CrossVm.NO_MEMORY', `import env.${f.field} passes memory offsets but the module has no memory`);
    }
    const opFn = add(`op.${f.field}`, shape.scalars.map((p) => shape.params[p]!), shape.results);
    funcs[i] = buildShim(f.field, shape, inFn, outFn, opFn);
  }
  for (let i = 0; i < m.funcs.length; i++) {
    const f = funcs[i]!;
    if (f.kind === 'defined' && f.blocks.some((b) => b.stmts.some((s) => s.op === 'use_gas'))) {
      funcs[i] = { ...f, blocks: f.blocks.map((b) => ({ stmts: rewriteGas(b.stmts, gasFn), term: b.term })) };
    }
  }
  return verifyModule({ ...m, funcs });
};
