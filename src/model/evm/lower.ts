/**
 * Lowering of EVM bytecode to dMIR, after DTVM's EVM frontend: one dMIR function per contract
 * (`run(gas) -> (status, gasLeft)`), 256-bit words as four `i64` limbs (least significant first),
 * the EVM stack as 1024 slots of 32 bytes at the start of linear memory with a byte stack pointer
 * in a variable, EVM memory after it, static gas charged once per chunk of straight-line code, and
 * everything outside the frame through the `env` imports of `host.ts`.
 */
import type { Block, Expr, FuncType, Module, Stmt, Terminator, ValType } from '../dmir/ir.js';
import { frameCost } from '../dmir/wasm/lower.js';
import { EVMC, HOST, HOST_IMPORTS, HOST_MODULE } from './host.js';
import { OPCODES } from './gas.js';

/** Linear-memory layout: the stack at [0, 32768), EVM memory from MEM_BASE. @spec EVM-LOWER-LAYOUT.1 */
export const STACK_SLOTS = 1024;
export const MEM_BASE = STACK_SLOTS * 32;
/** EVM memory ends at most here; beyond it an expansion is out of gas. @spec EVM-LOWER-MEMCAP.1 */
export const MEM_CAP = 15 * 1024 * 1024;

/**
 * Pops, pushes and static gas of every defined opcode (Cancun), from the interpreter's table; the
 * INVALID opcode (0xfe) is listed too, since lowering gives it its own halt.
 *
 * @spec EVM-LOWER-GAS.1
 */
const OPS: ReadonlyMap<number, readonly [number, number, number]> = new Map([
  ...[...OPCODES].map(([op, [pops, pushes, gas]]) => [op, [pops, pushes, Number(gas)]] as const),
  [0xfe, [0, 0, 0]] as const,
]);

/** Opcodes that end a basic block (the invalid and undefined opcodes too). */
const ENDS_BLOCK = new Set([0x00, 0x56, 0x57, 0xf3, 0xfd, 0xfe, 0xff]);
/** Opcodes that read the gas left or pass it on: a gas chunk ends right after them. @spec EVM-LOWER-GAS.1 */
const ENDS_CHUNK = new Set([0x5a, 0x55, 0xf0, 0xf1, 0xf2, 0xf4, 0xf5, 0xfa]);
/** Zero-operand environment reads answered by `env.context`. */
const CONTEXT_OPS = new Set([0x30, 0x32, 0x33, 0x34, 0x36, 0x3a, 0x3d, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x4a]);
/** One-operand reads answered by `env.query`. */
const QUERY_OPS = new Set([0x31, 0x35, 0x3b, 0x3f, 0x40, 0x49, 0x54, 0x5c]);
/** Arithmetic answered by the runtime import `env.arith`. */
const ARITH_OPS = new Set([0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x1a]);

export interface Instr { readonly pc: number; readonly op: number; readonly imm: bigint }
export interface BasicBlock {
  readonly start: number;
  readonly instrs: readonly Instr[];
  /** The pc control reaches when the block's last instruction falls through, or null. */
  readonly next: number | null;
}

/**
 * Bytecode analysis: instructions with their push data (zero-padded past the end), valid jump
 * destinations (JUMPDESTs outside push data) and basic blocks, which start at the code's start,
 * at every JUMPDEST and after every block-ending instruction.
 *
 * @spec EVM-LOWER-ANALYSIS.1 EVM-CODE-JUMPDEST.1
 */
export const analyze = (code: Uint8Array): { readonly blocks: readonly BasicBlock[]; readonly jumpdests: ReadonlySet<number> } => {
  const blocks: BasicBlock[] = [];
  const jumpdests = new Set<number>();
  let instrs: Instr[] = [];
  let start = 0;
  const close = (next: number | null, at: number): void => {
    if (instrs.length > 0) blocks.push({ start, instrs, next });
    instrs = [];
    start = at;
  };
  for (let pc = 0; pc < code.length;) {
    const op = code[pc]!;
    if (op === 0x5b) { jumpdests.add(pc); close(pc, pc); }
    let imm = 0n;
    let len = 1;
    if (op >= 0x60 && op <= 0x7f) {
      const n = op - 0x5f;
      for (let i = 1; i <= n; i++) imm = (imm << 8n) | BigInt(code[pc + i] ?? 0);
      len = 1 + n;
    }
    instrs.push({ pc, op, imm });
    pc += len;
    if (ENDS_BLOCK.has(op) || !OPS.has(op)) close(op === 0x57 ? pc : null, pc);
  }
  close(code.length, code.length);
  return { blocks, jumpdests };
};

// ---- expression constructors -------------------------------------------------------------------

const c64 = (v: bigint): Expr => ({ op: 'const', type: 'i64', value: BigInt.asIntN(64, v) });
const c32 = (v: number): Expr => ({ op: 'const', type: 'i32', value: v | 0 });
const rd = (variable: number, type: ValType = 'i64'): Expr => ({ op: 'dread', type, variable });
type Bin = 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor' | 'shl' | 'ushr' | 'rotl';
const bin = (kind: Bin, lhs: Expr, rhs: Expr, type: ValType = 'i64'): Expr => ({ op: 'binary', kind, type, lhs, rhs });
const add = (a: Expr, b: Expr): Expr => bin('add', a, b);
const cmp = (pred: 'ieq' | 'ine' | 'iult' | 'iugt' | 'iule' | 'islt' | 'isgt', lhs: Expr, rhs: Expr): Expr => ({ op: 'cmp', pred, type: 'i32', lhs, rhs });
const and32 = (a: Expr, b: Expr): Expr => bin('and', a, b, 'i32');
const or32 = (a: Expr, b: Expr): Expr => bin('or', a, b, 'i32');
const uext = (a: Expr): Expr => ({ op: 'convert', kind: 'uext', type: 'i64', arg: a });
const trunc32 = (a: Expr): Expr => ({ op: 'convert', kind: 'trunc', type: 'i32', arg: a });
const trunc8 = (a: Expr): Expr => ({ op: 'convert', kind: 'trunc', type: 'i8', arg: a });
const clz = (a: Expr): Expr => ({ op: 'unary', kind: 'clz', type: 'i64', arg: a });
const select = (cond: Expr, t: Expr, f: Expr, type: ValType = 'i64'): Expr => ({ op: 'select', type, cond, ifTrue: t, ifFalse: f });
const load = (base: Expr, offset: number, type: 'i64' | 'i8' = 'i64'): Expr => ({ op: 'load', type, base, offset });
const set = (variable: number, value: Expr): Stmt => ({ op: 'dassign', variable, value });
const store = (base: Expr, offset: number, value: Expr, type: 'i64' | 'i8' = 'i64'): Stmt => ({ op: 'store', type, base, offset, value });
const call = (func: number, args: readonly Expr[], dests: readonly number[] = []): Stmt => ({ op: 'call', func, args, dests });
const orAll = (xs: readonly Expr[]): Expr => xs.reduce((a, b) => bin('or', a, b));

/** A function body under construction: blocks with a current one that statements go to. */
interface Builder {
  readonly blocks: { stmts: Stmt[]; term: Terminator | null }[];
  cur: number;
}
const newBuilder = (): Builder => ({ blocks: [{ stmts: [], term: null }], cur: 0 });
const nb = (b: Builder): number => b.blocks.push({ stmts: [], term: null }) - 1;
const emit = (b: Builder, s: Stmt): void => { b.blocks[b.cur]!.stmts.push(s); };
const end = (b: Builder, t: Terminator): void => { b.blocks[b.cur]!.term = t; };
/** Ends the current block with a branch to `fail` when `cond` holds and continues in a new block. */
const guard = (b: Builder, cond: Expr, fail: number): void => {
  const next = nb(b);
  end(b, { op: 'br_if', cond, then: fail, else: next });
  b.cur = next;
};
const finishBlocks = (b: Builder): Block[] => b.blocks.map((x, i) => {
  if (x.term === null) throw new Error(`unterminated block ${i}`);
  return { stmts: x.stmts, term: x.term };
});

// ---- the runtime library ------------------------------------------------------------------------

const I64x = (n: number): ValType[] => Array.from({ length: n }, () => 'i64' as const);

/**
 * 256-bit multiplication modulo 2^256 from 64-bit limbs: schoolbook over the ten partial products
 * below 2^256; the high half of a 64×64 product is composed from 32-bit halves, as dMIR has no
 * widening multiply.
 *
 * @spec EVM-LOWER-ARITH.1
 */
const mulFunction = (): Module['funcs'][number] => {
  // vars: a0..a3 (0..3), b0..b3 (4..7), r0..r3 (8..11), carry 12, plo 13, phi 14, s 15, c 16, then 17..25 temps.
  const vars = I64x(26);
  const b = newBuilder();
  const M32 = c64(0xffffffffn);
  const mulhi = (x: Expr, y: Expr, dest: number): void => {
    const [xl, xh, yl, yh, ll, lh, hl, hh, mid] = [17, 18, 19, 20, 21, 22, 23, 24, 25] as const;
    emit(b, set(xl, bin('and', x, M32))); emit(b, set(xh, bin('ushr', x, c64(32n))));
    emit(b, set(yl, bin('and', y, M32))); emit(b, set(yh, bin('ushr', y, c64(32n))));
    emit(b, set(ll, bin('mul', rd(xl), rd(yl)))); emit(b, set(lh, bin('mul', rd(xl), rd(yh))));
    emit(b, set(hl, bin('mul', rd(xh), rd(yl)))); emit(b, set(hh, bin('mul', rd(xh), rd(yh))));
    emit(b, set(mid, add(add(bin('ushr', rd(ll), c64(32n)), bin('and', rd(lh), M32)), bin('and', rd(hl), M32))));
    emit(b, set(dest, add(add(add(rd(hh), bin('ushr', rd(lh), c64(32n))), bin('ushr', rd(hl), c64(32n))), bin('ushr', rd(mid), c64(32n)))));
  };
  for (let i = 0; i < 4; i++) {
    for (let j = 0; i + j < 4; j++) {
      const k = i + j;
      const r = 8 + k;
      emit(b, set(13, bin('mul', rd(i), rd(4 + j))));
      if (k < 3) mulhi(rd(i), rd(4 + j), 14);
      // s = r_k + plo (+ carry from the previous product of this row)
      emit(b, set(15, add(rd(r), rd(13))));
      emit(b, set(16, uext(cmp('iult', rd(15), rd(13)))));
      if (j > 0) {
        emit(b, set(15, add(rd(15), rd(12))));
        emit(b, set(16, add(rd(16), uext(cmp('iult', rd(15), rd(12))))));
      }
      emit(b, set(r, rd(15)));
      if (k < 3) emit(b, set(12, add(rd(14), rd(16))));
    }
  }
  end(b, { op: 'return', values: [rd(8), rd(9), rd(10), rd(11)] });
  return { kind: 'defined', name: 'mul256', type: { params: I64x(8), results: I64x(4) }, vars, blocks: finishBlocks(b), frameCost: frameCost(vars, 0) };
};

/**
 * Memory expansion to cover `end` bytes: charges the difference of 3·w + ⌊w²/512⌋, grows linear
 * memory when needed and zero-fills the new words (so an instance can be reused by the next
 * frame). Returns the new size and gas left, or gas −1 when the expansion is unaffordable or
 * passes MEM_CAP.
 *
 * @spec EVM-LOWER-MEMORY.1 EVM-MEM-COST.1 EVM-MEM-EXPAND.1 EVM-LOWER-MEMCAP.1
 */
const expandFunction = (): Module['funcs'][number] => {
  // vars: end 0, msize 1, gas 2, nw 3, ow 4, cost 5, addr 6, pages 7 (i32), want 8 (i32), r 9 (i32)
  const vars: ValType[] = ['i64', 'i64', 'i64', 'i64', 'i64', 'i64', 'i64', 'i32', 'i32', 'i32'];
  const b = newBuilder();
  const same = nb(b), oog = nb(b), trap = nb(b);
  b.blocks[same]!.term = { op: 'return', values: [rd(1), rd(2)] };
  b.blocks[oog]!.term = { op: 'return', values: [rd(1), c64(-1n)] };
  b.blocks[trap]!.term = { op: 'trap', code: 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS' };
  guard(b, cmp('iule', rd(0), rd(1)), same);
  guard(b, cmp('iugt', rd(0), c64(BigInt(MEM_CAP))), oog);
  emit(b, set(3, bin('ushr', add(rd(0), c64(31n)), c64(5n))));
  emit(b, set(4, bin('ushr', rd(1), c64(5n))));
  const cost = (w: Expr): Expr => add(bin('mul', w, c64(3n)), bin('ushr', bin('mul', w, w), c64(9n)));
  emit(b, set(5, bin('sub', cost(rd(3)), cost(rd(4)))));
  guard(b, cmp('iult', rd(2), rd(5)), oog);
  emit(b, set(2, bin('sub', rd(2), rd(5))));
  emit(b, set(8, trunc32(bin('ushr', add(bin('shl', rd(3), c64(5n)), c64(BigInt(MEM_BASE + 64 + 65535))), c64(16n)))));
  emit(b, set(7, { op: 'memory_size', type: 'i32' }));
  const grow = nb(b), fill = nb(b), body = nb(b), done = nb(b);
  end(b, { op: 'br_if', cond: cmp('iugt', rd(8, 'i32'), rd(7, 'i32')), then: grow, else: fill });
  b.cur = grow;
  emit(b, { op: 'memory_grow', delta: bin('sub', rd(8, 'i32'), rd(7, 'i32'), 'i32'), dest: 9 });
  end(b, { op: 'br_if', cond: cmp('ieq', rd(9, 'i32'), c32(-1)), then: oog, else: fill });
  // the loop starts at the old size, a multiple of 32
  const fillStart = nb(b);
  b.cur = fill;
  emit(b, set(6, rd(1)));
  end(b, { op: 'br', target: fillStart });
  b.cur = fillStart;
  end(b, { op: 'br_if', cond: cmp('iult', rd(6), bin('shl', rd(3), c64(5n))), then: body, else: done });
  b.cur = body;
  for (let k = 0; k < 4; k++) emit(b, store(trunc32(rd(6)), MEM_BASE + 8 * k, c64(0n)));
  emit(b, set(6, add(rd(6), c64(32n))));
  end(b, { op: 'br', target: fillStart });
  b.cur = done;
  end(b, { op: 'return', values: [bin('shl', rd(3), c64(5n)), rd(2)] });
  return { kind: 'defined', name: 'expand', type: { params: ['i64', 'i64', 'i64'], results: ['i64', 'i64'] }, vars, blocks: finishBlocks(b), frameCost: frameCost(vars, 0) };
};


/**
 * Appends EVM memory [off, off+size) to the host's input buffer: 32 bytes a `put4` call, then 8
 * bytes a `put` call (the consumer ignores bytes past `size`).
 *
 * @spec EVM-HOST-BUFFERS.1
 */
const streamInFunction = (): Module['funcs'][number] => {
  // vars: off 0, size 1, k 2 (words of 8 bytes done), n 3 (words to send)
  const vars = I64x(4);
  const b = newBuilder();
  const trap = nb(b);
  b.blocks[trap]!.term = { op: 'trap', code: 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS' };
  emit(b, set(3, bin('ushr', add(rd(1), c64(7n)), c64(3n))));
  const head4 = nb(b), body4 = nb(b), head1 = nb(b), body1 = nb(b), exit = nb(b);
  end(b, { op: 'br', target: head4 });
  b.cur = head4;
  end(b, { op: 'br_if', cond: cmp('iule', add(rd(2), c64(4n)), rd(3)), then: body4, else: head1 });
  b.cur = body4;
  const at = (): Expr => trunc32(add(rd(0), bin('shl', rd(2), c64(3n))));
  emit(b, call(HOST.put4, [0, 8, 16, 24].map((o) => load(at(), MEM_BASE + o))));
  emit(b, set(2, add(rd(2), c64(4n))));
  end(b, { op: 'br', target: head4 });
  b.cur = head1;
  end(b, { op: 'br_if', cond: cmp('iult', rd(2), rd(3)), then: body1, else: exit });
  b.cur = body1;
  emit(b, call(HOST.put, [load(at(), MEM_BASE)]));
  emit(b, set(2, add(rd(2), c64(1n))));
  end(b, { op: 'br', target: head1 });
  b.cur = exit;
  end(b, { op: 'return', values: [] });
  return { kind: 'defined', name: 'stream_in', type: { params: ['i64', 'i64'], results: [] }, vars, blocks: finishBlocks(b), frameCost: frameCost(vars, 0) };
};

/**
 * Writes the host's output buffer's first `len` bytes to EVM memory at `dst`: 8 bytes a `take`
 * call, the last partial word byte by byte.
 *
 * @spec EVM-HOST-BUFFERS.1
 */
const streamOutFunction = (): Module['funcs'][number] => {
  // vars: dst 0, len 1, k 2 (bytes done), t 3
  const vars = I64x(4);
  const b = newBuilder();
  const trap = nb(b);
  b.blocks[trap]!.term = { op: 'trap', code: 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS' };
  const head = nb(b), body = nb(b), tail = nb(b), fetch = nb(b), tailHead = nb(b), tailBody = nb(b), exit = nb(b);
  end(b, { op: 'br', target: head });
  b.cur = head;
  end(b, { op: 'br_if', cond: cmp('iule', add(rd(2), c64(8n)), rd(1)), then: body, else: tail });
  b.cur = body;
  emit(b, call(HOST.take, [bin('ushr', rd(2), c64(3n))], [3]));
  emit(b, store(trunc32(add(rd(0), rd(2))), MEM_BASE, rd(3)));
  emit(b, set(2, add(rd(2), c64(8n))));
  end(b, { op: 'br', target: head });
  b.cur = tail;
  end(b, { op: 'br_if', cond: cmp('iult', rd(2), rd(1)), then: fetch, else: exit });
  b.cur = fetch;
  emit(b, call(HOST.take, [bin('ushr', rd(2), c64(3n))], [3]));
  end(b, { op: 'br', target: tailHead });
  b.cur = tailHead;
  end(b, { op: 'br_if', cond: cmp('iult', rd(2), rd(1)), then: tailBody, else: exit });
  b.cur = tailBody;
  emit(b, store(trunc32(add(rd(0), rd(2))), MEM_BASE, trunc8(rd(3)), 'i8'));
  emit(b, set(3, bin('ushr', rd(3), c64(8n))));
  emit(b, set(2, add(rd(2), c64(1n))));
  end(b, { op: 'br', target: tailHead });
  b.cur = exit;
  end(b, { op: 'return', values: [] });
  return { kind: 'defined', name: 'stream_out', type: { params: ['i64', 'i64'], results: [] }, vars, blocks: finishBlocks(b), frameCost: frameCost(vars, 0) };
};


/**
 * SHL, SHR and SAR over limbs (`kind` 0, 1, 2): a shift of s = 64·q + b bits moves limb i + q
 * (SHR, SAR) or i − q (SHL) into limb i and carries the b bits crossing a limb boundary; shifts of
 * 256 or more give 0, or all ones for SAR of a negative value.
 *
 * @spec EVM-LOWER-ARITH.1 EVM-OP-BITWISE.1
 */
const shiftFunction = (): Module['funcs'][number] => {
  // vars: kind 0 (i32), s0..s3 1..4, x0..x3 5..8, q 9, b 10, fill 11, r0..r3 12..15
  const vars: ValType[] = ['i32', ...I64x(15)];
  const b = newBuilder();
  const x = (j: number): Expr => rd(5 + j);
  const q = rd(9), bits = rd(10), fill = rd(11);
  emit(b, set(9, bin('ushr', rd(1), c64(6n))));
  emit(b, set(10, bin('and', rd(1), c64(63n))));
  emit(b, set(11, select(and32(cmp('ieq', rd(0, 'i32'), c32(2)), cmp('islt', x(3), c64(0n))), c64(-1n), c64(0n))));
  const pick = (src: (j: number) => Expr, i: number, dir: 1 | -1): Expr =>
    select(cmp('ieq', q, c64(0n)), src(i), select(cmp('ieq', q, c64(1n)), src(i + dir), select(cmp('ieq', q, c64(2n)), src(i + 2 * dir), src(i + 3 * dir))));
  const right = (j: number): Expr => (j < 4 ? x(j) : fill);
  const left = (j: number): Expr => (j >= 0 ? x(j) : c64(0n));
  const noCarry = cmp('ieq', bits, c64(0n));
  const inv = bin('sub', c64(64n), bits);
  const big = or32(cmp('ine', orAll([rd(2), rd(3), rd(4)]), c64(0n)), cmp('iugt', rd(1), c64(255n)));
  for (let i = 0; i < 4; i++) {
    const r = bin('or', bin('ushr', pick(right, i, 1), bits), select(noCarry, c64(0n), bin('shl', pick(right, i + 1, 1), inv)));
    const l = bin('or', bin('shl', pick(left, i, -1), bits), select(noCarry, c64(0n), bin('ushr', pick(left, i - 1, -1), inv)));
    emit(b, set(12 + i, select(big, fill, select(cmp('ieq', rd(0, 'i32'), c32(0)), l, r))));
  }
  end(b, { op: 'return', values: [rd(12), rd(13), rd(14), rd(15)] });
  return { kind: 'defined', name: 'shift256', type: { params: ['i32', ...I64x(8)], results: I64x(4) }, vars, blocks: finishBlocks(b), frameCost: frameCost(vars, 0) };
};

/** The parts every lowered module shares: imports, runtime functions and the type list. */
const HOST_FUNCS: readonly Module['funcs'][number][] = HOST_IMPORTS.map((h) => ({ kind: 'host' as const, name: h.field, module: HOST_MODULE, field: h.field, type: h.type }));
const MUL_FN = mulFunction();
const EXPAND_FN = expandFunction();
const STREAM_IN_FN = streamInFunction();
const STREAM_OUT_FN = streamOutFunction();
const SHIFT_FN = shiftFunction();
const TYPES: readonly FuncType[] = (() => {
  const out: FuncType[] = [];
  for (const f of [...HOST_FUNCS, MUL_FN, EXPAND_FN, STREAM_IN_FN, STREAM_OUT_FN, SHIFT_FN, { type: { params: ['i64'], results: ['i32', 'i64'] } as FuncType }]) {
    if (!out.some((t) => JSON.stringify(t) === JSON.stringify(f.type))) out.push(f.type);
  }
  return out;
})();

// ---- the contract function ------------------------------------------------------------------

// Variables of `run`.
const GAS = 0, SPB = 1, MSIZE = 2, JD = 3, T = 4, X = 5, CARRY = 6, S = 7, END = 8;
const A = [9, 10, 11, 12] as const, B = [13, 14, 15, 16] as const, C = [17, 18, 19, 20] as const, D = [21, 22, 23, 24] as const, R = [25, 26, 27, 28] as const;
const RUN_VARS: ValType[] = ['i64', 'i32', 'i64', 'i32', ...I64x(25)];

/** Function indices: the imports, then `run`, `mul256` and `expand`. */
export const RUN_FUNC = HOST_IMPORTS.length;
const MUL_FUNC = RUN_FUNC + 1;
const EXPAND_FUNC = RUN_FUNC + 2;
const STREAM_IN_FUNC = RUN_FUNC + 3;
const STREAM_OUT_FUNC = RUN_FUNC + 4;
const SHIFT_FUNC = RUN_FUNC + 5;

/**
 * Lowers a contract's code to a dMIR module exporting `run(gas: i64) -> (status: i32, gasLeft: i64)`.
 * Status is an EVMC code: 0 success, 2 revert, any other an exceptional halt (gas left 0).
 *
 * @spec EVM-LOWER-MODULE.1 EVM-LOWER-LAYOUT.1 EVM-LOWER-GAS.1 EVM-LOWER-STACK.1 EVM-LOWER-JUMP.1 EVM-LOWER-ARITH.1 EVM-LOWER-STATUS.1
 */
export const lowerEvm = (code: Uint8Array): Module => {
  const { blocks: evmBlocks, jumpdests } = analyze(code);
  const b = newBuilder();
  // Fixed blocks: halts by status, the host-reported halt, the jump dispatch and the trap edge.
  const halt = (status: number): number => { const i = nb(b); b.blocks[i]!.term = { op: 'return', values: [c32(status), c64(0n)] }; return i; };
  const OOG = halt(EVMC.OUT_OF_GAS), UNDER = halt(EVMC.STACK_UNDERFLOW), OVER = halt(EVMC.STACK_OVERFLOW);
  const BADJUMP = halt(EVMC.BAD_JUMP_DESTINATION), INVALID = halt(EVMC.INVALID_INSTRUCTION), UNDEFINED = halt(EVMC.UNDEFINED_INSTRUCTION);
  const HOSTHALT = nb(b);
  b.blocks[HOSTHALT]!.term = { op: 'return', values: [trunc32(bin('sub', c64(0n), rd(GAS))), c64(0n)] };
  const SUCCESS = nb(b);
  b.blocks[SUCCESS]!.term = { op: 'return', values: [c32(EVMC.SUCCESS), rd(GAS)] };
  const DISPATCH = nb(b);
  const TRAP = nb(b);
  b.blocks[TRAP]!.term = { op: 'trap', code: 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS' };
  const entryOf = new Map<number, number>();
  for (const eb of evmBlocks) entryOf.set(eb.start, nb(b));
  const goto = (pc: number | null): Terminator => ({ op: 'br', target: pc === null || pc >= code.length ? SUCCESS : entryOf.get(pc)! });
  end(b, evmBlocks.length === 0 ? { op: 'br', target: SUCCESS } : goto(0));

  let delta = 0; // bytes the stack pointer moved since the block's entry, not yet written to SPB
  const slotBase = (depth: number): Expr => {
    const k = delta - 32 * (depth + 1);
    return k === 0 ? rd(SPB, 'i32') : bin('add', rd(SPB, 'i32'), c32(k), 'i32');
  };
  const slot = (depth: number, limb: number): Expr => load(slotBase(depth), 8 * limb);
  const slotLimbs = (depth: number): Expr[] => [0, 1, 2, 3].map((j) => slot(depth, j));
  const loadTo = (vs: readonly number[], depth: number): void => { vs.forEach((v, j) => emit(b, set(v, slot(depth, j)))); };
  const pop = (n: number): void => { delta -= 32 * n; };
  const push = (limbs: readonly Expr[]): void => {
    const base = delta === 0 ? rd(SPB, 'i32') : bin('add', rd(SPB, 'i32'), c32(delta), 'i32');
    limbs.forEach((l, j) => emit(b, store(base, 8 * j, l)));
    delta += 32;
  };
  const pushVars = (vs: readonly number[]): void => push(vs.map((v) => rd(v)));
  const pushFlag = (flag: Expr): void => push([uext(flag), c64(0n), c64(0n), c64(0n)]);
  const flush = (): void => { if (delta !== 0) emit(b, set(SPB, bin('add', rd(SPB, 'i32'), c32(delta), 'i32'))); delta = 0; };
  const charge = (amount: Expr): void => {
    guard(b, cmp('iult', rd(GAS), amount), OOG);
    emit(b, set(GAS, bin('sub', rd(GAS), amount)));
  };
  const hostGas = (): void => guard(b, cmp('islt', rd(GAS), c64(0n)), HOSTHALT);
  const zero4 = [c64(0n), c64(0n), c64(0n), c64(0n)];
  const words = (size: Expr): Expr => bin('ushr', add(size, c64(31n)), c64(5n));

  /** Expands memory over regions given as (offset, size) variable groups: only regions of non-zero size count. */
  const expandRegions = (regions: readonly (readonly [readonly number[], readonly number[]])[]): void => {
    emit(b, set(END, c64(0n)));
    for (const [off, size] of regions) {
      const check = nb(b), next = nb(b);
      end(b, { op: 'br_if', cond: cmp('ieq', orAll(size.map((v) => rd(v))), c64(0n)), then: next, else: check });
      b.cur = check;
      const big = orAll([off[1]!, off[2]!, off[3]!, size[1]!, size[2]!, size[3]!].map((v) => rd(v)));
      guard(b, or32(cmp('ine', big, c64(0n)), or32(cmp('iugt', rd(off[0]!), c64(BigInt(MEM_CAP))), cmp('iugt', rd(size[0]!), c64(BigInt(MEM_CAP))))), OOG);
      emit(b, set(X, add(rd(off[0]!), rd(size[0]!))));
      emit(b, set(END, select(cmp('iugt', rd(X), rd(END)), rd(X), rd(END))));
      end(b, { op: 'br', target: next });
      b.cur = next;
    }
    const grow = nb(b), after = nb(b);
    end(b, { op: 'br_if', cond: cmp('iugt', rd(END), rd(MSIZE)), then: grow, else: after });
    b.cur = grow;
    emit(b, call(EXPAND_FUNC, [rd(END), rd(MSIZE), rd(GAS)], [MSIZE, GAS]));
    guard(b, cmp('islt', rd(GAS), c64(0n)), OOG);
    end(b, { op: 'br', target: after });
    b.cur = after;
  };
  /** Appends memory [off, off+size) to the host's input buffer. */
  const streamIn = (off: number, size: number): void => emit(b, call(STREAM_IN_FUNC, [rd(off), rd(size)]));
  /** Writes the host's output buffer's first `len` bytes to memory at `dst`. */
  const streamOut = (dst: number, len: Expr): void => emit(b, call(STREAM_OUT_FUNC, [rd(dst), len]));
  /** Byte swap of a 64-bit value through T: memory is big-endian per word, limbs are not. */
  const bswapT = (): void => {
    const m8 = c64(0x00ff00ff00ff00ffn), m16 = c64(0x0000ffff0000ffffn);
    emit(b, set(T, bin('or', bin('and', bin('ushr', rd(T), c64(8n)), m8), bin('shl', bin('and', rd(T), m8), c64(8n)))));
    emit(b, set(T, bin('or', bin('and', bin('ushr', rd(T), c64(16n)), m16), bin('shl', bin('and', rd(T), m16), c64(16n)))));
    emit(b, set(T, bin('rotl', rd(T), c64(32n))));
  };
  /** A 256-bit unsigned a < b as an i32 flag, most significant limb first. */
  const lt = (a: readonly number[], bb: readonly number[], signed: boolean): Expr => {
    let e = cmp('iult', rd(a[0]!), rd(bb[0]!));
    for (let j = 1; j < 4; j++) e = or32(cmp(j === 3 && signed ? 'islt' : 'iult', rd(a[j]!), rd(bb[j]!)), and32(cmp('ieq', rd(a[j]!), rd(bb[j]!)), e));
    return e;
  };
  const jumpTo = (dest: readonly number[]): void => {
    const ok = and32(cmp('ieq', orAll([rd(dest[1]!), rd(dest[2]!), rd(dest[3]!)]), c64(0n)), cmp('iult', rd(dest[0]!), c64(BigInt(code.length))));
    emit(b, set(JD, select(ok, trunc32(rd(dest[0]!)), c32(-1), 'i32')));
    end(b, { op: 'br', target: DISPATCH });
  };

  for (const eb of evmBlocks) {
    b.cur = entryOf.get(eb.start)!;
    delta = 0;
    // Stack bounds for the whole block, checked once at entry. @spec EVM-LOWER-STACK.1
    let h = 0, minH = 0, maxH = 0;
    for (const ins of eb.instrs) {
      const info = OPS.get(ins.op);
      if (info === undefined) break;
      minH = Math.min(minH, h - info[0]);
      h += info[1] - info[0];
      maxH = Math.max(maxH, h);
    }
    if (minH < 0) guard(b, cmp('iult', rd(SPB, 'i32'), c32(-32 * minH)), UNDER);
    if (maxH > STACK_SLOTS) guard(b, c32(1), OVER);
    else if (maxH > 0) guard(b, cmp('iugt', rd(SPB, 'i32'), c32(32 * (STACK_SLOTS - maxH))), OVER);
    // Static gas per chunk, charged at the chunk's start. @spec EVM-LOWER-GAS.1
    const chunkGas = (from: number): number => {
      let g = 0;
      for (let i = from; i < eb.instrs.length; i++) {
        const info = OPS.get(eb.instrs[i]!.op);
        if (info === undefined) break;
        g += info[2];
        if (ENDS_CHUNK.has(eb.instrs[i]!.op)) break;
      }
      return g;
    };
    let terminated = false;
    eb.instrs.forEach((ins, idx) => {
      if (idx === 0 || ENDS_CHUNK.has(eb.instrs[idx - 1]!.op)) { const g = chunkGas(idx); if (g > 0) charge(c64(BigInt(g))); }
      const op = ins.op;
      if (!OPS.has(op)) { end(b, { op: 'br', target: UNDEFINED }); terminated = true; return; }
      if (op >= 0x60 && op <= 0x7f) { push([0, 1, 2, 3].map((j) => c64(ins.imm >> BigInt(64 * j)))); return; }
      if (op >= 0x80 && op <= 0x8f) { loadTo(A, op - 0x80); pushVars(A); return; }
      if (op >= 0x90 && op <= 0x9f) {
        const n = op - 0x8f;
        loadTo(A, 0); loadTo(B, n);
        [0, 1, 2, 3].forEach((j) => emit(b, store(slotBase(n), 8 * j, rd(A[j]!))));
        [0, 1, 2, 3].forEach((j) => emit(b, store(slotBase(0), 8 * j, rd(B[j]!))));
        return;
      }
      if (CONTEXT_OPS.has(op)) { emit(b, call(HOST.context, [c32(op)], [...R])); pushVars(R); return; }
      if (QUERY_OPS.has(op)) {
        emit(b, call(HOST.query, [rd(GAS), c32(op), ...slotLimbs(0)], [GAS, ...R]));
        hostGas(); pop(1); pushVars(R); return;
      }
      if (ARITH_OPS.has(op)) {
        const n = OPS.get(op)![0];
        loadTo(A, 0); loadTo(B, 1);
        if (n === 3) loadTo(C, 2);
        if (op === 0x0a) {
          // EXP: 50 gas per byte of the exponent. @spec EVM-OP-ARITH.1
          const bits = select(cmp('ine', rd(B[3]!), c64(0n)), bin('sub', c64(256n), clz(rd(B[3]!))),
            select(cmp('ine', rd(B[2]!), c64(0n)), bin('sub', c64(192n), clz(rd(B[2]!))),
              select(cmp('ine', rd(B[1]!), c64(0n)), bin('sub', c64(128n), clz(rd(B[1]!))), bin('sub', c64(64n), clz(rd(B[0]!))))));
          charge(bin('mul', bin('ushr', add(bits, c64(7n)), c64(3n)), c64(50n)));
        }
        emit(b, call(HOST.arith, [c32(op), ...A.map((v) => rd(v)), ...B.map((v) => rd(v)), ...(n === 3 ? C.map((v) => rd(v)) : zero4)], [...R]));
        pop(n); pushVars(R); return;
      }
      switch (op) {
        case 0x00: flush(); end(b, { op: 'br', target: SUCCESS }); terminated = true; return;
        case 0x01: case 0x03: {
          // ADD and SUB: carry (borrow) chain over the limbs. @spec EVM-LOWER-ARITH.1
          loadTo(A, 0); loadTo(B, 1);
          const isAdd = op === 0x01;
          for (let j = 0; j < 4; j++) {
            const a = rd(A[j]!), bb = rd(B[j]!);
            emit(b, set(S, bin(isAdd ? 'add' : 'sub', a, bb)));
            const c1 = isAdd ? cmp('iult', rd(S), a) : cmp('iult', a, bb);
            if (j === 0) { emit(b, set(R[0]!, rd(S))); emit(b, set(CARRY, uext(c1))); continue; }
            emit(b, set(X, uext(c1)));
            emit(b, set(R[j]!, bin(isAdd ? 'add' : 'sub', rd(S), rd(CARRY))));
            if (j < 3) emit(b, set(CARRY, bin('or', rd(X), uext(isAdd ? cmp('iult', rd(R[j]!), rd(S)) : cmp('iult', rd(S), rd(CARRY))))));
          }
          pop(2); pushVars(R); return;
        }
        case 0x1b: case 0x1c: case 0x1d:
          loadTo(A, 0); loadTo(B, 1);
          emit(b, call(SHIFT_FUNC, [c32(op - 0x1b), ...[...A, ...B].map((v) => rd(v))], [...R]));
          pop(2); pushVars(R); return;
        case 0x02: loadTo(A, 0); loadTo(B, 1); emit(b, call(MUL_FUNC, [...A, ...B].map((v) => rd(v)), [...R])); pop(2); pushVars(R); return;
        case 0x10: case 0x11: case 0x12: case 0x13: {
          loadTo(A, 0); loadTo(B, 1);
          const signed = op === 0x12 || op === 0x13;
          const flag = op === 0x10 || op === 0x12 ? lt(A, B, signed) : lt(B, A, signed);
          pop(2); pushFlag(flag); return;
        }
        case 0x14: loadTo(A, 0); loadTo(B, 1); pop(2); pushFlag(cmp('ieq', orAll(A.map((v, j) => bin('xor', rd(v), rd(B[j]!)))), c64(0n))); return;
        case 0x15: loadTo(A, 0); pop(1); pushFlag(cmp('ieq', orAll(A.map((v) => rd(v))), c64(0n))); return;
        case 0x16: case 0x17: case 0x18: {
          loadTo(A, 0); loadTo(B, 1); pop(2);
          const k: Bin = op === 0x16 ? 'and' : op === 0x17 ? 'or' : 'xor';
          push(A.map((v, j) => bin(k, rd(v), rd(B[j]!)))); return;
        }
        case 0x19: loadTo(A, 0); pop(1); push(A.map((v) => bin('xor', rd(v), c64(-1n)))); return;
        case 0x20: {
          // KECCAK256: 6 gas per word plus expansion; the bytes go to the host. @spec EVM-OP-KECCAK.1
          loadTo(A, 0); loadTo(B, 1);
          expandRegions([[A, B]]);
          charge(bin('mul', words(rd(B[0]!)), c64(6n)));
          streamIn(A[0]!, B[0]!);
          emit(b, call(HOST.keccak256, [rd(B[0]!)], [...R]));
          pop(2); pushVars(R); return;
        }
        case 0x37: case 0x39: case 0x3e: case 0x3c: {
          // Copies into memory: the host fills its output buffer, the lowered code writes it.
          const ext = op === 0x3c ? 1 : 0;
          loadTo(A, ext); loadTo(B, ext + 2);
          expandRegions([[A, B]]);
          charge(bin('mul', words(rd(B[0]!)), c64(3n)));
          emit(b, call(HOST.copy, [rd(GAS), c32(op), ...(ext ? slotLimbs(0) : zero4), ...slotLimbs(ext + 1), rd(B[0]!)], [GAS]));
          hostGas();
          streamOut(A[0]!, rd(B[0]!));
          pop(3 + ext); return;
        }
        case 0x38: push([c64(BigInt(code.length)), c64(0n), c64(0n), c64(0n)]); return;
        case 0x50: pop(1); return;
        case 0x51: {
          loadTo(A, 0);
          emit(b, set(B[0]!, c64(32n))); emit(b, set(B[1]!, c64(0n))); emit(b, set(B[2]!, c64(0n))); emit(b, set(B[3]!, c64(0n)));
          expandRegions([[A, B]]);
          pop(1);
          for (let j = 0; j < 4; j++) {
            emit(b, set(T, load(trunc32(rd(A[0]!)), MEM_BASE + 8 * (3 - j))));
            bswapT();
            emit(b, set(R[j]!, rd(T)));
          }
          pushVars(R); return;
        }
        case 0x52: case 0x53: {
          loadTo(A, 0); loadTo(C, 1);
          emit(b, set(B[0]!, c64(op === 0x52 ? 32n : 1n))); emit(b, set(B[1]!, c64(0n))); emit(b, set(B[2]!, c64(0n))); emit(b, set(B[3]!, c64(0n)));
          expandRegions([[A, B]]);
          if (op === 0x53) emit(b, store(trunc32(rd(A[0]!)), MEM_BASE, trunc8(rd(C[0]!)), 'i8'));
          else {
            for (let j = 0; j < 4; j++) {
              emit(b, set(T, rd(C[3 - j]!)));
              bswapT();
              emit(b, store(trunc32(rd(A[0]!)), MEM_BASE + 8 * j, rd(T)));
            }
          }
          pop(2); return;
        }
        case 0x55: case 0x5d:
          emit(b, call(HOST.update, [rd(GAS), c32(op), ...slotLimbs(0), ...slotLimbs(1)], [GAS]));
          hostGas(); pop(2); return;
        case 0x56: loadTo(A, 0); pop(1); flush(); jumpTo(A); terminated = true; return;
        case 0x57: {
          loadTo(A, 0); loadTo(B, 1); pop(2); flush();
          const taken = nb(b);
          const fall = goto(eb.next) as { readonly target: number };
          end(b, { op: 'br_if', cond: cmp('ine', orAll(B.map((v) => rd(v))), c64(0n)), then: taken, else: fall.target });
          b.cur = taken;
          jumpTo(A); terminated = true; return;
        }
        case 0x58: push([c64(BigInt(ins.pc)), c64(0n), c64(0n), c64(0n)]); return;
        case 0x59: push([rd(MSIZE), c64(0n), c64(0n), c64(0n)]); return;
        case 0x5a: push([rd(GAS), c64(0n), c64(0n), c64(0n)]); return;
        case 0x5b: return;
        case 0x5e: {
          // MCOPY through the host's buffers, which gives the copy-through-a-buffer semantics. @spec EVM-OP-STACKMEM.1
          loadTo(A, 0); loadTo(B, 1); loadTo(C, 2);
          expandRegions([[B, C], [A, C]]);
          charge(bin('mul', words(rd(C[0]!)), c64(3n)));
          streamIn(B[0]!, C[0]!);
          emit(b, call(HOST.copy, [rd(GAS), c32(op), ...zero4, ...zero4, rd(C[0]!)], [GAS]));
          hostGas();
          streamOut(A[0]!, rd(C[0]!));
          pop(3); return;
        }
        case 0x5f: push(zero4); return;
        case 0xa0: case 0xa1: case 0xa2: case 0xa3: case 0xa4: {
          const n = op - 0xa0;
          loadTo(A, 0); loadTo(B, 1);
          expandRegions([[A, B]]);
          charge(bin('mul', rd(B[0]!), c64(8n)));
          streamIn(A[0]!, B[0]!);
          const topics = [0, 1, 2, 3].flatMap((t) => (t < n ? slotLimbs(2 + t) : zero4));
          emit(b, call(HOST.log, [rd(GAS), c32(n), rd(B[0]!), ...topics], [GAS]));
          hostGas(); pop(2 + n); return;
        }
        case 0xf0: case 0xf5: {
          loadTo(A, 1); loadTo(B, 2);
          expandRegions([[A, B]]);
          streamIn(A[0]!, B[0]!);
          emit(b, call(HOST.create, [rd(GAS), c32(op), ...slotLimbs(0), ...(op === 0xf5 ? slotLimbs(3) : zero4), rd(B[0]!)], [GAS, ...R]));
          hostGas(); pop(op === 0xf5 ? 4 : 3); pushVars(R); return;
        }
        case 0xf1: case 0xf2: case 0xf4: case 0xfa: {
          const hasValue = op === 0xf1 || op === 0xf2;
          const at = hasValue ? 3 : 2;
          loadTo(A, at); loadTo(B, at + 1); loadTo(C, at + 2); loadTo(D, at + 3);
          expandRegions([[A, B], [C, D]]);
          streamIn(A[0]!, B[0]!);
          emit(b, call(HOST.call, [rd(GAS), c32(op), ...slotLimbs(0), ...slotLimbs(1), ...(hasValue ? slotLimbs(2) : zero4), rd(B[0]!), rd(D[0]!)], [GAS, S, X]));
          hostGas();
          streamOut(C[0]!, rd(X));
          pop(at + 4); push([rd(S), c64(0n), c64(0n), c64(0n)]); return;
        }
        case 0xf3: case 0xfd: {
          loadTo(A, 0); loadTo(B, 1);
          expandRegions([[A, B]]);
          streamIn(A[0]!, B[0]!);
          emit(b, call(HOST.finish, [rd(B[0]!)]));
          end(b, { op: 'return', values: [c32(op === 0xf3 ? EVMC.SUCCESS : EVMC.REVERT), rd(GAS)] });
          terminated = true; return;
        }
        case 0xfe: end(b, { op: 'br', target: INVALID }); terminated = true; return;
        case 0xff:
          emit(b, call(HOST.selfdestruct, [rd(GAS), ...slotLimbs(0)], [GAS]));
          hostGas();
          end(b, { op: 'br', target: SUCCESS }); terminated = true; return;
        default: throw new Error(`opcode 0x${op.toString(16)} has no lowering`);
      }
    });
    if (!terminated) { flush(); end(b, goto(eb.next)); }
  }
  // Dynamic jumps: a switch over the code's offsets, valid jump destinations to their blocks. @spec EVM-LOWER-JUMP.1
  const maxDest = Math.max(-1, ...jumpdests);
  b.blocks[DISPATCH]!.term = {
    op: 'switch', index: rd(JD, 'i32'),
    targets: Array.from({ length: maxDest + 1 }, (_, pc) => (jumpdests.has(pc) ? entryOf.get(pc)! : BADJUMP)),
    default: BADJUMP,
  };
  const runFn: Module['funcs'][number] = {
    kind: 'defined', name: 'run', type: { params: ['i64'], results: ['i32', 'i64'] }, vars: RUN_VARS,
    blocks: finishBlocks(b), frameCost: frameCost(RUN_VARS, 0),
  };
  return {
    types: TYPES, funcs: [...HOST_FUNCS, runFn, MUL_FN, EXPAND_FN, STREAM_IN_FN, STREAM_OUT_FN, SHIFT_FN], globals: [], memory: { min: 1, max: 256 }, table: null, elems: [], datas: [], start: null,
    exports: [{ name: 'run', kind: 'func', index: RUN_FUNC }],
  };
};
