/**
 * Message-call frames and the Cancun instruction set, after the execution specs (EELS): a frame
 * runs code against an immutable world state and returns the new state, the substate (access sets,
 * refund counter, logs, touched and deleted accounts), the gas left and the output. A failing frame
 * hands back the state it started from.
 */
import { keccak256, type Failure } from '../encoding/index.js';
import { byteLength, G, LIMITS, maxMessageCallGas, memoryExpansion, messageCallGas, OPCODES as OPS, sstoreCost, wordCount } from './gas.js';
import { precompileIndex, runPrecompile } from './precompiles.js';
import { executeWasmCode, isWasmCode } from './crossvm.js';
import { bigintToBytes, bytesToBigint, concatBytes, rlpEncode, wordBytes } from './rlp.js';
import {
  addressToBigint, addressToBytes, bigintToAddress, bytesToAddress, deleteAccount, existsAndIsEmpty, getAccount, getStorage,
  isAlive, modifyAccount, moveEther, setStorage, touchAccount, type Address, type WorldState,
} from './state.js';

export const MASK = (1n << 256n) - 1n;
const SIGN = 1n << 255n;
export const toSigned = (v: bigint): bigint => (v & SIGN ? v - (1n << 256n) : v);
const u256 = (v: bigint): bigint => v & MASK;

export interface Log { readonly address: Address; readonly topics: readonly Uint8Array[]; readonly data: Uint8Array }

/** Block and transaction environment visible to code. @spec EVM-OP-ENV.1 */
export interface BlockEnv {
  readonly coinbase: Address;
  readonly number: bigint;
  readonly timestamp: bigint;
  readonly gasLimit: bigint;
  readonly baseFee: bigint;
  readonly prevRandao: bigint;
  readonly chainId: bigint;
  readonly blobBaseFee: bigint;
  /** Hashes of the 256 most recent blocks, newest last; BLOCKHASH answers 0 outside them. */
  readonly blockHashes: readonly bigint[];
}
export interface TxEnv { readonly origin: Address; readonly gasPrice: bigint; readonly blobHashes: readonly bigint[] }

/** What survives a successful frame and is dropped with a failing one. @spec EVM-FRAME-SUBSTATE.1 */
export interface Substate {
  readonly accessedAddresses: ReadonlySet<Address>;
  readonly accessedKeys: ReadonlySet<string>;
  readonly touched: ReadonlySet<Address>;
  readonly toDelete: ReadonlySet<Address>;
  readonly created: ReadonlySet<Address>;
  readonly refund: bigint;
  readonly logs: readonly Log[];
}

/** The mutable-by-replacement context threaded through frames. */
export interface Ctx {
  readonly state: WorldState;
  readonly transient: ReadonlyMap<string, bigint>;
  readonly sub: Substate;
  /** The state at the start of the transaction, for SSTORE's original value. */
  readonly original: WorldState;
  readonly block: BlockEnv;
  readonly tx: TxEnv;
  /** Observes every instruction and frame end (EIP-3155 traces); it never influences execution. */
  readonly tracer?: Tracer;
}

/** One instruction about to execute, as an EIP-3155 trace line sees it. @spec EVM-CLI-TRACE.1 */
export interface TraceStep { readonly pc: number; readonly op: number; readonly gas: bigint; readonly stack: readonly bigint[]; readonly memSize: number; readonly depth: number; readonly refund: bigint }
export interface Tracer { readonly step: (s: TraceStep) => void; readonly end: (depth: number, gasLeft: bigint) => void }

export interface Message {
  readonly caller: Address;
  /** null for contract creation. */
  readonly target: Address | null;
  readonly currentTarget: Address;
  readonly codeAddress: Address | null;
  readonly gas: bigint;
  readonly value: bigint;
  readonly data: Uint8Array;
  readonly code: Uint8Array;
  readonly depth: number;
  readonly shouldTransferValue: boolean;
  readonly isStatic: boolean;
}

/** Exceptional halts consume all gas; a revert returns the remaining gas and its data. @spec EVM-STATUS.1 */
export type FrameStatus = 'success' | 'revert' | 'halt';

export interface FrameResult {
  readonly status: FrameStatus;
  /** Why a halt happened (OutOfGas, StackUnderflow, InvalidJump, ...), for traces and tests. */
  readonly reason: string;
  readonly gasLeft: bigint;
  readonly output: Uint8Array;
  readonly ctx: Ctx;
}

/** A frame either finishes (in any status) or hits an unsupported feature, which aborts the transaction. */
export type FrameOutcome = { readonly ok: true; readonly value: FrameResult } | { readonly ok: false; readonly error: Failure };

export const addSet = <T>(s: ReadonlySet<T>, v: T): ReadonlySet<T> => (s.has(v) ? s : new Set(s).add(v));

/**
 * SSTORE of `v` at `key` of account `self` with `gas` left: the reason the frame halts, or the
 * context and gas after the store. The one statement of these rules, run by the interpreter, the
 * lowered executor's host and the WASM profile's host.
 *
 * @spec EVM-SSTORE-GAS.1 EVM-SSTORE-REFUND.1 EVM-STATIC.1
 */
export const sstoreStep = (ctx0: Ctx, self: Address, key: bigint, v: bigint, gas: bigint, isStatic: boolean): { readonly halt: string } | { readonly ctx: Ctx; readonly gas: bigint } => {
  if (gas <= G.callStipend) return { halt: 'OutOfGas' };
  const k = `${self}:${key}`;
  let ctx = ctx0;
  let cost = 0n;
  if (!ctx.sub.accessedKeys.has(k)) { ctx = { ...ctx, sub: { ...ctx.sub, accessedKeys: addSet(ctx.sub.accessedKeys, k) } }; cost += G.coldSload; }
  const original = ctx.sub.created.has(self) ? 0n : getStorage(ctx.original, self, key);
  const sc = sstoreCost(original, getStorage(ctx.state, self, key), v);
  if (cost + sc.gas > gas) return { halt: 'OutOfGas' };
  if (isStatic) return { halt: 'WriteInStaticContext' };
  return { ctx: { ...ctx, state: setStorage(ctx.state, self, key, v), sub: { ...ctx.sub, refund: ctx.sub.refund + sc.refund } }, gas: gas - cost - sc.gas };
};

/**
 * Valid jump destinations: JUMPDEST bytes that are not inside PUSH data.
 *
 * @spec EVM-CODE-JUMPDEST.1
 */
export const jumpdests = (code: Uint8Array): ReadonlySet<number> => {
  const out = new Set<number>();
  for (let pc = 0; pc < code.length; pc++) {
    const op = code[pc]!;
    if (op === 0x5b) out.add(pc);
    else if (op >= 0x60 && op <= 0x7f) pc += op - 0x5f;
  }
  return out;
};

/** CREATE address: keccak256(rlp([sender, nonce]))[12:]. @spec EVM-CREATE-ADDRESS.1 */
export const createAddress = (sender: Address, nonce: bigint): Address =>
  bytesToAddress(keccak256(rlpEncode([addressToBytes(sender), bigintToBytes(nonce)])).subarray(12));

/** CREATE2 address: keccak256(0xff ++ sender ++ salt ++ keccak256(initcode))[12:]. @spec EVM-CREATE-ADDRESS.1 */
export const create2Address = (sender: Address, salt: bigint, initCode: Uint8Array): Address => {
  const saltBytes = new Uint8Array(32);
  const sb = bigintToBytes(salt);
  saltBytes.set(sb, 32 - sb.length);
  return bytesToAddress(keccak256(concatBytes([Uint8Array.of(0xff), addressToBytes(sender), saltBytes, keccak256(initCode)])).subarray(12));
};

/** EIP-4844 blob base fee from the excess blob gas (fake_exponential). @spec EVM-OP-ENV.1 */
export const blobBaseFee = (excessBlobGas: bigint): bigint => {
  const factor = 1n, numerator = excessBlobGas, denominator = 3338477n;
  let i = 1n, output = 0n, acc = factor * denominator;
  while (acc > 0n) { output += acc; acc = (acc * numerator) / (denominator * i); i++; }
  return output / denominator;
};


/** Reads `size` bytes at `offset` from `buf`, zero past its end. */
export const readPadded = (buf: Uint8Array, offset: bigint, size: number): Uint8Array => {
  const out = new Uint8Array(size);
  if (offset < BigInt(buf.length)) { const o = Number(offset); out.set(buf.subarray(o, Math.min(buf.length, o + size))); }
  return out;
};

/** Memory beyond this many bytes is treated as out of gas before allocation (unreachable under real gas limits). */
const MEMORY_CAP = 1n << 32n;

/** Exceptional halts and unsupported features unwind the instruction loop as tagged values. */
type Unwind = { readonly unwind: 'halt'; readonly reason: string } | { readonly unwind: 'unsupported'; readonly failure: Failure };
const halt = (reason: string): Unwind => ({ unwind: 'halt', reason });
const isUnwind = (e: unknown): e is Unwind => typeof e === 'object' && e !== null && 'unwind' in e;

/**
 * The outcome of a frame whose code is not EVM bytecode: a precompile, or WASM code run through
 * the dMIR WASM profile (EVM-XVM-DETECT.1), whose own message calls `callMessage` runs. Undefined
 * for EVM code.
 */
export const runSpecialCode = (msg: Message, ctx0: Ctx, callMessage?: CodeRunner): FrameOutcome | undefined => {
  const pre = msg.codeAddress === null ? 0 : precompileIndex(msg.codeAddress);
  if (pre !== 0) {
    const r = runPrecompile(pre, msg.data, msg.gas);
    if (r.kind === 'halt') return { ok: true, value: { status: 'halt', reason: 'OutOfGas', gasLeft: 0n, output: new Uint8Array(0), ctx: ctx0 } };
    return { ok: true, value: { status: 'success', reason: '', gasLeft: msg.gas - r.gas, output: r.output, ctx: ctx0 } };
  }
  if (msg.target !== null && isWasmCode(msg.code)) return executeWasmCode(msg, ctx0, callMessage);
  return undefined;
};

/**
 * Executes the code of a message (EELS `execute_code`), including precompiles.
 *
 * @spec EVM-FRAME-EXEC.1 EVM-STATUS.1 EVM-LIMIT-STACK.1 EVM-STATIC.1 EVM-RETURNDATA.1
 */
export const executeCode = (msg: Message, ctx0: Ctx): FrameOutcome => {
  const special = runSpecialCode(msg, ctx0);
  if (special !== undefined) return special;
  const tracer = ctx0.tracer;
  const code = msg.code;
  const dests = jumpdests(code);
  let ctx = ctx0;
  let gas = msg.gas;
  let pc = 0;
  const stack: bigint[] = [];
  let memory = new Uint8Array(0);
  let returnData: Uint8Array = new Uint8Array(0);
  let output: Uint8Array = new Uint8Array(0);
  const self = msg.currentTarget;

  const charge = (amount: bigint): void => { if (amount > gas) throw halt('OutOfGas'); gas -= amount; };
  const pop = (): bigint => stack.pop()!;
  const push = (v: bigint): void => { stack.push(v); };
  const expand = (regions: readonly (readonly [bigint, bigint])[]): void => {
    const { cost, newBytes } = memoryExpansion(memory.length, regions);
    if (newBytes > MEMORY_CAP) throw halt('OutOfGas');
    charge(cost);
    if (newBytes > BigInt(memory.length)) { const m = new Uint8Array(Number(newBytes)); m.set(memory); memory = m; }
  };
  const memRead = (off: bigint, size: bigint): Uint8Array => (size === 0n ? new Uint8Array(0) : memory.slice(Number(off), Number(off + size)));
  const memWrite = (off: bigint, data: Uint8Array): void => { if (data.length > 0) memory.set(data, Number(off)); };
  const access = (a: Address): bigint => {
    if (ctx.sub.accessedAddresses.has(a)) return G.warmAccess;
    ctx = { ...ctx, sub: { ...ctx.sub, accessedAddresses: addSet(ctx.sub.accessedAddresses, a) } };
    return G.coldAccountAccess;
  };
  const copyCost = (size: bigint): bigint => G.copyWord * wordCount(size);
  const checkStatic = (): void => { if (msg.isStatic) throw halt('WriteInStaticContext'); };

  /** A nested frame: CALL, CALLCODE, DELEGATECALL or STATICCALL after the gas has been charged. */
  const genericCall = (subGas: bigint, value: bigint, caller: Address, to: Address, codeAddress: Address, shouldTransfer: boolean, isStatic: boolean,
    inOff: bigint, inSize: bigint, outOff: bigint, outSize: bigint): void => {
    returnData = new Uint8Array(0);
    if (msg.depth + 1 > LIMITS.depth) { gas += subGas; push(0n); return; }
    const child: Message = {
      caller, target: to, currentTarget: to, codeAddress, gas: subGas, value, data: memRead(inOff, inSize),
      code: getAccount(ctx.state, codeAddress).code, depth: msg.depth + 1, shouldTransferValue: shouldTransfer, isStatic,
    };
    const r = processMessage(child, ctx);
    if (!r.ok) throw { unwind: 'unsupported', failure: r.error } satisfies Unwind;
    const res = r.value;
    gas += res.gasLeft;
    returnData = res.output;
    if (res.status === 'success') { ctx = incorporateSuccess(ctx, res.ctx, to); push(1n); }
    else { ctx = incorporateError(ctx, res.ctx); push(0n); }
    const n = outSize < BigInt(res.output.length) ? outSize : BigInt(res.output.length);
    memWrite(outOff, res.output.subarray(0, Number(n)));
  };

  const genericCreate = (endowment: bigint, address: Address, initCode: Uint8Array): void => {
    ctx = { ...ctx, sub: { ...ctx.sub, accessedAddresses: addSet(ctx.sub.accessedAddresses, address) } };
    const createGas = maxMessageCallGas(gas);
    gas -= createGas;
    returnData = new Uint8Array(0);
    const sender = getAccount(ctx.state, self);
    if (sender.balance < endowment || sender.nonce === (1n << 64n) - 1n || msg.depth + 1 > LIMITS.depth) { gas += createGas; push(0n); return; }
    const incNonce = (s: WorldState): WorldState => modifyAccount(s, self, (a) => ({ ...a, nonce: a.nonce + 1n }));
    if (hasCodeNonceOrStorage(ctx.state, address)) { ctx = { ...ctx, state: incNonce(ctx.state) }; push(0n); return; }
    ctx = { ...ctx, state: incNonce(ctx.state) };
    const child: Message = {
      caller: self, target: null, currentTarget: address, codeAddress: null, gas: createGas, value: endowment, data: new Uint8Array(0),
      code: initCode, depth: msg.depth + 1, shouldTransferValue: true, isStatic: false,
    };
    const r = processCreateMessage(child, ctx);
    if (!r.ok) throw { unwind: 'unsupported', failure: r.error } satisfies Unwind;
    const res = r.value;
    gas += res.gasLeft;
    if (res.status === 'success') { ctx = incorporateSuccess(ctx, res.ctx, address); returnData = new Uint8Array(0); push(addressToBigint(address)); }
    else { ctx = incorporateError(ctx, res.ctx); returnData = res.output; push(0n); }
  };

  try {
    for (;;) {
      if (pc >= code.length) break;
      const op = code[pc]!;
      if (tracer !== undefined) tracer.step({ pc, op, gas, stack: stack.slice(), memSize: memory.length, depth: msg.depth + 1, refund: ctx.sub.refund });
      const info = OPS.get(op);
      if (info === undefined) throw halt('InvalidOpcode');
      const [pops, pushes, staticGas] = info;
      if (stack.length < pops) throw halt('StackUnderflow');
      if (stack.length - pops + pushes > LIMITS.stack) throw halt('StackOverflow');
      charge(staticGas);
      let next = pc + 1;
      switch (op) {
        case 0x00: return finish('success', '', gas, new Uint8Array(0));
        // Arithmetic. @spec EVM-OP-ARITH.1
        case 0x01: push(u256(pop() + pop())); break;
        case 0x02: push(u256(pop() * pop())); break;
        case 0x03: { const a = pop(), b = pop(); push(u256(a - b)); break; }
        case 0x04: { const a = pop(), b = pop(); push(b === 0n ? 0n : a / b); break; }
        case 0x05: { const a = toSigned(pop()), b = toSigned(pop()); push(b === 0n ? 0n : u256(a / b)); break; }
        case 0x06: { const a = pop(), b = pop(); push(b === 0n ? 0n : a % b); break; }
        case 0x07: { const a = toSigned(pop()), b = toSigned(pop()); push(b === 0n ? 0n : u256(a % b)); break; }
        case 0x08: { const a = pop(), b = pop(), n = pop(); push(n === 0n ? 0n : (a + b) % n); break; }
        case 0x09: { const a = pop(), b = pop(), n = pop(); push(n === 0n ? 0n : (a * b) % n); break; }
        case 0x0a: {
          const a = pop(), e = pop();
          charge(G.expByte * byteLength(e));
          let r = 1n, x = a, k = e;
          while (k > 0n) { if (k & 1n) r = (r * x) & MASK; x = (x * x) & MASK; k >>= 1n; }
          push(r); break;
        }
        case 0x0b: {
          const b = pop(), x = pop();
          if (b >= 31n) push(x);
          else { const bit = b * 8n + 7n; const low = (1n << (bit + 1n)) - 1n; push((x >> bit) & 1n ? (x | (MASK ^ low)) : x & low); }
          break;
        }
        // Comparison and bitwise. @spec EVM-OP-BITWISE.1
        case 0x10: { const a = pop(), b = pop(); push(a < b ? 1n : 0n); break; }
        case 0x11: { const a = pop(), b = pop(); push(a > b ? 1n : 0n); break; }
        case 0x12: { const a = toSigned(pop()), b = toSigned(pop()); push(a < b ? 1n : 0n); break; }
        case 0x13: { const a = toSigned(pop()), b = toSigned(pop()); push(a > b ? 1n : 0n); break; }
        case 0x14: push(pop() === pop() ? 1n : 0n); break;
        case 0x15: push(pop() === 0n ? 1n : 0n); break;
        case 0x16: push(pop() & pop()); break;
        case 0x17: push(pop() | pop()); break;
        case 0x18: push(pop() ^ pop()); break;
        case 0x19: push(MASK ^ pop()); break;
        case 0x1a: { const i = pop(), x = pop(); push(i >= 32n ? 0n : (x >> (8n * (31n - i))) & 0xffn); break; }
        case 0x1b: { const s = pop(), x = pop(); push(s >= 256n ? 0n : u256(x << s)); break; }
        case 0x1c: { const s = pop(), x = pop(); push(s >= 256n ? 0n : x >> s); break; }
        case 0x1d: { const s = pop(), x = toSigned(pop()); push(u256(s >= 256n ? (x < 0n ? -1n : 0n) : x >> s)); break; }
        // KECCAK256. @spec EVM-OP-KECCAK.1
        case 0x20: {
          const off = pop(), size = pop();
          charge(G.keccakWord * wordCount(size));
          expand([[off, size]]);
          push(bytesToBigint(keccak256(memRead(off, size)))); break;
        }
        // Environment. @spec EVM-OP-ENV.1 EVM-ACCESS-WARM.1
        case 0x30: push(addressToBigint(self)); break;
        case 0x31: { const a = bigintToAddress(pop()); charge(access(a)); push(getAccount(ctx.state, a).balance); break; }
        case 0x32: push(addressToBigint(ctx.tx.origin)); break;
        case 0x33: push(addressToBigint(msg.caller)); break;
        case 0x34: push(msg.value); break;
        case 0x35: push(bytesToBigint(readPadded(msg.data, pop(), 32))); break;
        case 0x36: push(BigInt(msg.data.length)); break;
        case 0x37: case 0x39: case 0x3e: {
          const memOff = pop(), off = pop(), size = pop();
          if (op === 0x3e && off + size > BigInt(returnData.length)) throw halt('OutOfBoundsRead');
          charge(copyCost(size));
          expand([[memOff, size]]);
          const src = op === 0x37 ? msg.data : op === 0x39 ? code : returnData;
          if (size > 0n) memWrite(memOff, readPadded(src, off, Number(size)));
          break;
        }
        case 0x38: push(BigInt(code.length)); break;
        case 0x3a: push(ctx.tx.gasPrice); break;
        case 0x3b: { const a = bigintToAddress(pop()); charge(access(a)); push(BigInt(getAccount(ctx.state, a).code.length)); break; }
        case 0x3c: {
          const a = bigintToAddress(pop()), memOff = pop(), off = pop(), size = pop();
          charge(copyCost(size));
          expand([[memOff, size]]);
          charge(access(a));
          if (size > 0n) memWrite(memOff, readPadded(getAccount(ctx.state, a).code, off, Number(size)));
          break;
        }
        case 0x3d: push(BigInt(returnData.length)); break;
        case 0x3f: {
          const a = bigintToAddress(pop()); charge(access(a));
          const acc = ctx.state.get(a);
          push(acc === undefined || (acc.nonce === 0n && acc.balance === 0n && acc.code.length === 0) ? 0n : bytesToBigint(keccak256(acc.code)));
          break;
        }
        // Block information. @spec EVM-OP-ENV.1
        case 0x40: {
          const n = pop(), cur = ctx.block.number;
          const hs = ctx.block.blockHashes;
          if (n >= cur || cur - n > 256n || cur - n > BigInt(hs.length)) push(0n);
          else push(hs[hs.length - Number(cur - n)]!);
          break;
        }
        case 0x41: push(addressToBigint(ctx.block.coinbase)); break;
        case 0x42: push(ctx.block.timestamp); break;
        case 0x43: push(ctx.block.number); break;
        case 0x44: push(ctx.block.prevRandao); break;
        case 0x45: push(ctx.block.gasLimit); break;
        case 0x46: push(ctx.block.chainId); break;
        case 0x47: push(getAccount(ctx.state, self).balance); break;
        case 0x48: push(ctx.block.baseFee); break;
        case 0x49: { const i = pop(); push(i < BigInt(ctx.tx.blobHashes.length) ? ctx.tx.blobHashes[Number(i)]! : 0n); break; }
        case 0x4a: push(ctx.block.blobBaseFee); break;
        // Stack, memory, storage and flow. @spec EVM-OP-STACKMEM.1
        case 0x50: pop(); break;
        case 0x51: { const off = pop(); expand([[off, 32n]]); push(bytesToBigint(memRead(off, 32n))); break; }
        case 0x52: { const off = pop(), v = pop(); expand([[off, 32n]]); memWrite(off, wordBytes(v)); break; }
        case 0x53: { const off = pop(), v = pop(); expand([[off, 1n]]); memory[Number(off)] = Number(v & 0xffn); break; }
        case 0x54: {
          const key = pop(), k = `${self}:${key}`;
          if (ctx.sub.accessedKeys.has(k)) charge(G.warmAccess);
          else { ctx = { ...ctx, sub: { ...ctx.sub, accessedKeys: addSet(ctx.sub.accessedKeys, k) } }; charge(G.coldSload); }
          push(getStorage(ctx.state, self, key)); break;
        }
        case 0x55: {
          // @spec EVM-SSTORE-GAS.1 EVM-SSTORE-REFUND.1 EVM-STATIC.1
          const key = pop(), v = pop();
          const r = sstoreStep(ctx, self, key, v, gas, msg.isStatic);
          if ('halt' in r) throw halt(r.halt);
          ({ ctx, gas } = r);
          break;
        }
        case 0x56: { const d = pop(); if (d >= BigInt(code.length) || !dests.has(Number(d))) throw halt('InvalidJumpDest'); next = Number(d); break; }
        case 0x57: { const d = pop(), c = pop(); if (c !== 0n) { if (d >= BigInt(code.length) || !dests.has(Number(d))) throw halt('InvalidJumpDest'); next = Number(d); } break; }
        case 0x58: push(BigInt(pc)); break;
        case 0x59: push(BigInt(memory.length)); break;
        case 0x5a: push(gas); break;
        case 0x5b: break;
        // Transient storage (EIP-1153). @spec EVM-OP-TRANSIENT.1
        case 0x5c: push(ctx.transient.get(`${self}:${pop()}`) ?? 0n); break;
        case 0x5d: {
          const key = pop(), v = pop();
          checkStatic();
          const t = new Map(ctx.transient);
          if (v === 0n) t.delete(`${self}:${key}`); else t.set(`${self}:${key}`, v);
          ctx = { ...ctx, transient: t }; break;
        }
        // MCOPY (EIP-5656). @spec EVM-OP-STACKMEM.1
        case 0x5e: {
          const dst = pop(), src = pop(), size = pop();
          charge(copyCost(size));
          expand([[src, size], [dst, size]]);
          if (size > 0n) memWrite(dst, memRead(src, size));
          break;
        }
        case 0x5f: push(0n); break;
        // LOG0..LOG4. @spec EVM-OP-LOG.1
        case 0xa0: case 0xa1: case 0xa2: case 0xa3: case 0xa4: {
          const off = pop(), size = pop();
          const topics: Uint8Array[] = [];
          for (let i = 0; i < op - 0xa0; i++) topics.push(wordBytes(pop()));
          charge(G.logData * size);
          expand([[off, size]]);
          checkStatic();
          ctx = { ...ctx, sub: { ...ctx.sub, logs: [...ctx.sub.logs, { address: self, topics, data: memRead(off, size) }] } };
          break;
        }
        // CREATE and CREATE2. @spec EVM-CREATE-GAS.1 EVM-CREATE-ADDRESS.1 EVM-STATIC.1
        case 0xf0: case 0xf5: {
          const endowment = pop(), off = pop(), size = pop();
          const salt = op === 0xf5 ? pop() : 0n;
          expand([[off, size]]);
          if (size > BigInt(LIMITS.maxInitCodeSize)) throw halt('OutOfGas');
          charge(G.initCodeWord * wordCount(size) + (op === 0xf5 ? G.keccakWord * wordCount(size) : 0n));
          checkStatic();
          const init = memRead(off, size);
          const address = op === 0xf0 ? createAddress(self, getAccount(ctx.state, self).nonce) : create2Address(self, salt, init);
          genericCreate(endowment, address, init);
          break;
        }
        // CALL family. @spec EVM-CALL-GAS.1 EVM-CALL-6364.1 EVM-ACCESS-WARM.1 EVM-STATIC.1 EVM-LIMIT-DEPTH.1
        case 0xf1: case 0xf2: case 0xf4: case 0xfa: {
          const reqGas = pop(), to = bigintToAddress(pop());
          const value = op === 0xf1 || op === 0xf2 ? pop() : 0n;
          const inOff = pop(), inSize = pop(), outOff = pop(), outSize = pop();
          const { cost: memCost } = memoryExpansion(memory.length, [[inOff, inSize], [outOff, outSize]]);
          const accessCost = access(to);
          let extra = accessCost;
          if (op === 0xf1 && value !== 0n && !isAlive(ctx.state, to)) extra += G.newAccount;
          if ((op === 0xf1 || op === 0xf2) && value !== 0n) extra += G.callValue;
          const mcg = messageCallGas(value, reqGas, gas, memCost, extra);
          charge(mcg.cost);
          if (op === 0xf1 && msg.isStatic && value !== 0n) throw halt('WriteInStaticContext');
          expand([[inOff, inSize], [outOff, outSize]]);
          if ((op === 0xf1 || op === 0xf2) && getAccount(ctx.state, self).balance < value) {
            push(0n); returnData = new Uint8Array(0); gas += mcg.subCall; break;
          }
          if (op === 0xf1) genericCall(mcg.subCall, value, self, to, to, true, msg.isStatic, inOff, inSize, outOff, outSize);
          else if (op === 0xf2) genericCall(mcg.subCall, value, self, self, to, true, msg.isStatic, inOff, inSize, outOff, outSize);
          else if (op === 0xf4) genericCall(mcg.subCall, msg.value, msg.caller, self, to, false, msg.isStatic, inOff, inSize, outOff, outSize);
          else genericCall(mcg.subCall, 0n, self, to, to, true, true, inOff, inSize, outOff, outSize);
          break;
        }
        // RETURN and REVERT. @spec EVM-RETURNDATA.1 EVM-STATUS.1
        case 0xf3: case 0xfd: {
          const off = pop(), size = pop();
          expand([[off, size]]);
          output = memRead(off, size);
          return finish(op === 0xf3 ? 'success' : 'revert', op === 0xf3 ? '' : 'Revert', gas, output);
        }
        // SELFDESTRUCT per EIP-6780. @spec EVM-SELFDESTRUCT.1
        case 0xff: {
          const beneficiary = bigintToAddress(pop());
          let cost = 0n;
          if (!ctx.sub.accessedAddresses.has(beneficiary)) { ctx = { ...ctx, sub: { ...ctx.sub, accessedAddresses: addSet(ctx.sub.accessedAddresses, beneficiary) } }; cost += G.coldAccountAccess; }
          const balance = getAccount(ctx.state, self).balance;
          if (!isAlive(ctx.state, beneficiary) && balance !== 0n) cost += G.newAccount;
          charge(cost);
          checkStatic();
          let state = moveEther(ctx.state, self, beneficiary, balance);
          let sub = ctx.sub;
          if (sub.created.has(self)) {
            state = modifyAccount(state, self, (a) => ({ ...a, balance: 0n }));
            sub = { ...sub, toDelete: addSet(sub.toDelete, self) };
          }
          if (existsAndIsEmpty(state, beneficiary)) sub = { ...sub, touched: addSet(sub.touched, beneficiary) };
          ctx = { ...ctx, state, sub };
          return finish('success', '', gas, new Uint8Array(0));
        }
        case 0xfe: throw halt('InvalidOpcode');
        default: {
          if (op >= 0x60 && op <= 0x7f) { const n = op - 0x5f; push(bytesToBigint(readPadded(code, BigInt(pc + 1), n))); next = pc + 1 + n; }
          else if (op >= 0x80 && op <= 0x8f) push(stack[stack.length - (op - 0x7f)]!);
          else if (op >= 0x90 && op <= 0x9f) { const i = stack.length - 1, j = i - (op - 0x8f); const t = stack[i]!; stack[i] = stack[j]!; stack[j] = t; }
          else throw halt('InvalidOpcode');
        }
      }
      pc = next;
    }
    return finish('success', '', gas, new Uint8Array(0));
  } catch (e) {
    if (!isUnwind(e)) throw e;
    if (e.unwind === 'unsupported') return { ok: false, error: e.failure };
    tracer?.end(msg.depth + 1, 0n);
    return { ok: true, value: { status: 'halt', reason: e.reason, gasLeft: 0n, output: new Uint8Array(0), ctx: ctx0 } };
  }

  function finish(status: FrameStatus, reason: string, gasLeft: bigint, out: Uint8Array): FrameOutcome {
    // A revert keeps the gas and the data but not the state or substate.
    tracer?.end(msg.depth + 1, gasLeft);
    return { ok: true, value: { status, reason, gasLeft, output: out, ctx: status === 'success' ? ctx : ctx0 } };
  }
};

const hasCodeNonceOrStorage = (s: WorldState, a: Address): boolean => {
  const acc = s.get(a);
  return acc !== undefined && (acc.code.length > 0 || acc.nonce !== 0n || acc.storage.size > 0);
};

/**
 * A successful child's state and substate become the parent's; a touched empty target is recorded
 * for deletion at the end of the transaction (EIP-161).
 *
 * @spec EVM-FRAME-SUBSTATE.1
 */
export const incorporateSuccess = (_parent: Ctx, child: Ctx, target: Address): Ctx =>
  existsAndIsEmpty(child.state, target) ? { ...child, sub: { ...child.sub, touched: addSet(child.sub.touched, target) } } : child;

/**
 * A failed child leaves the parent's state and substate as they were (the child's frame result
 * already carries the parent's context back).
 *
 * @spec EVM-FRAME-SUBSTATE.1
 */
export const incorporateError = (_parent: Ctx, child: Ctx): Ctx => child;

/** A frame's code runner: the direct interpreter (`executeCode`) or the lowered executor's. */
export type CodeRunner = (msg: Message, ctx: Ctx) => FrameOutcome;

/**
 * process_message and process_create_message over a code runner, so the direct interpreter and the
 * lowered executor share the frame rules and differ only in how a frame's code runs.
 *
 * @spec EVM-FRAME-EXEC.1 EVM-LIMIT-DEPTH.1 EVM-CREATE-DEPOSIT.1 EVM-LIMIT-CODE.1 EVM-SELFDESTRUCT.1
 */
export const messageProcessors = (runCode: CodeRunner): { readonly processMessage: CodeRunner; readonly processCreateMessage: CodeRunner } => {
  // process_message: checks the depth, transfers value, runs the code; a failure rolls back to the
  // state before the transfer (including transient storage).
  const processMessage = (msg: Message, ctx0: Ctx): FrameOutcome => {
    if (msg.depth > LIMITS.depth) return { ok: true, value: { status: 'halt', reason: 'StackDepthLimit', gasLeft: 0n, output: new Uint8Array(0), ctx: ctx0 } };
    let state = touchAccount(ctx0.state, msg.currentTarget);
    if (msg.shouldTransferValue && msg.value !== 0n) state = moveEther(state, msg.caller, msg.currentTarget, msg.value);
    const r = runCode(msg, { ...ctx0, state });
    if (!r.ok) return r;
    return { ok: true, value: r.value.status === 'success' ? r.value : { ...r.value, ctx: ctx0 } };
  };
  // process_create_message: clears storage, marks the account created, sets nonce 1, runs the init
  // code and deposits the returned code (200 gas a byte, at most 24576 bytes, not starting with 0xEF).
  const processCreateMessage = (msg: Message, ctx0: Ctx): FrameOutcome => {
    const state = modifyAccount(ctx0.state, msg.currentTarget, (a) => ({ ...a, storage: new Map(), nonce: a.nonce + 1n }));
    const ctx1: Ctx = { ...ctx0, state, sub: { ...ctx0.sub, created: addSet(ctx0.sub.created, msg.currentTarget) } };
    const r = processMessage(msg, ctx1);
    if (!r.ok) return r;
    const res = r.value;
    if (res.status !== 'success') return { ok: true, value: { ...res, ctx: ctx0 } };
    const code = res.output;
    const deposit = G.codeDeposit * BigInt(code.length);
    if ((code.length > 0 && code[0] === 0xef) || deposit > res.gasLeft || code.length > LIMITS.maxCodeSize) {
      return { ok: true, value: { status: 'halt', reason: code[0] === 0xef ? 'InvalidContractPrefix' : 'OutOfGas', gasLeft: 0n, output: new Uint8Array(0), ctx: ctx0 } };
    }
    const ctx2 = { ...res.ctx, state: modifyAccount(res.ctx.state, msg.currentTarget, (a) => ({ ...a, code })) };
    return { ok: true, value: { ...res, gasLeft: res.gasLeft - deposit, ctx: ctx2 } };
  };
  return { processMessage, processCreateMessage };
};

const direct = messageProcessors((msg, ctx) => executeCode(msg, ctx));

/**
 * process_message on the direct interpreter.
 *
 * @spec EVM-FRAME-EXEC.1 EVM-LIMIT-DEPTH.1
 */
export const processMessage: CodeRunner = (msg, ctx) => direct.processMessage(msg, ctx);

/**
 * process_create_message on the direct interpreter.
 *
 * @spec EVM-CREATE-DEPOSIT.1 EVM-LIMIT-CODE.1 EVM-SELFDESTRUCT.1
 */
export const processCreateMessage: CodeRunner = (msg, ctx) => direct.processCreateMessage(msg, ctx);

export { deleteAccount };
