/**
 * Message calls over lowered code: the frame semantics of section 4 with each frame's code run as
 * its lowered dMIR module on a dMIR engine (the reference interpreter here, the compiled engine in
 * the implementation), and the `env` imports of `host.ts` answered against the same immutable
 * world state, substate and transient storage as the direct interpreter. Nested calls and
 * creations re-enter the executor, so every frame of a call tree runs lowered code.
 */
import { fail, keccak256, ok, type Failure, type Result } from '../encoding/index.js';
import type { Module, Val } from '../dmir/ir.js';
import { instantiate, invokeFunction } from '../dmir/interp.js';
import { verifyModule } from '../dmir/verify.js';
import { executeCallWith, type CallOutcome, type CallRequest } from './call.js';
import { LIMITS, G, maxMessageCallGas, messageCallGas, wordCount } from './gas.js';
import { EVMC, HOST, HOST_IMPORTS, limbsToWord, wordToLimbs } from './host.js';
import {
  MASK, addSet, create2Address, createAddress, incorporateError, incorporateSuccess, messageProcessors, readPadded, runSpecialCode, sstoreStep, toSigned,
  type BlockEnv, type Ctx, type FrameOutcome, type FrameResult, type Message,
} from './interpreter.js';
import { lowerEvm } from './lower.js';
import { bytesToBigint } from './rlp.js';
import {
  addressToBigint, bigintToAddress, existsAndIsEmpty, getAccount, getStorage, isAlive, modifyAccount, moveEther,
  type Address, type WorldState,
} from './state.js';

/** A host import as a dMIR engine calls it. */
export type LoweredHostFunction = (args: readonly Val[]) => Result<readonly Val[]>;
/** The end of one frame's lowered code: `run`'s status and gas left, or a dMIR trap. */
export type LoweredOutcome = { readonly kind: 'return'; readonly status: number; readonly gasLeft: bigint } | { readonly kind: 'trap'; readonly code: string };
/** Runs the lowered module of `code` with `gas` and the imports in HOST_IMPORTS order. */
export type LoweredRunner = (code: Uint8Array, gas: bigint, host: readonly LoweredHostFunction[]) => LoweredOutcome;

/** A lowering that fails the dMIR verifier is a defect of the lowering, reported with this code. */
export const LOWER_VERIFY_FAILED = 'Evm.Lower.VERIFY_FAILED';
/** A lowered frame that ended in a dMIR trap rather than a status (never expected). */
export const LOWER_TRAPPED = 'Evm.Lower.TRAPPED';
/**
 * The host's own stack ran out under a deep call chain (the compiled engine reports the harness-only
 * STEP_LIMIT then): a limit of the host, never a consensus outcome.
 */
export const LOWER_HOST_STACK = 'Evm.Lower.HOST_STACK';
/** Lowered code keeps gas in an i64: a frame given 2^63 gas or more is not run (EVM-LOWER-LAYOUT.1). */
export const LOWER_GAS_RANGE = 'Evm.Lower.GAS_RANGE';

/**
 * Lowers and verifies; `lowerEvm` plus DMIR-VERIFY-MODULE.1.
 *
 * @spec EVM-LOWER-MODULE.1 DMIR-VERIFY-MODULE.1
 */
export const lowerVerified = (code: Uint8Array): Result<Module> => {
  const m = lowerEvm(code);
  const v = verifyModule(m);
  return v.ok ? ok(m) : fail(LOWER_VERIFY_FAILED, `${v.error.code}: ${v.error.message}`);
};

/**
 * The reference runner: the lowered module on the dMIR model interpreter. Lowered modules are
 * memoised per code within one runner.
 *
 * @spec EVM-LOWER-EXEC.1 DMIR-EXEC-MODE.1
 */
export const interpreterRunner = (): LoweredRunner => {
  const cache = new Map<string, Module>();
  return (code, gas, host) => {
    const key = Buffer.from(code).toString('hex');
    let m = cache.get(key);
    if (m === undefined) {
      const r = lowerVerified(code);
      if (!r.ok) return { kind: 'trap', code: r.error.code };
      m = r.value;
      cache.set(key, m);
    }
    const inst = instantiate(m, (_mod, field) => host[HOST[field as keyof typeof HOST]], { gas: 0n });
    if (!inst.ok) return { kind: 'trap', code: inst.error.code };
    const r = invokeFunction(inst.value.instance, HOST_IMPORTS.length, [gas], { gas: 0n });
    if (r.outcome.kind === 'trap') return { kind: 'trap', code: r.outcome.code };
    return { kind: 'return', status: r.outcome.values[0] as number, gasLeft: BigInt.asUintN(64, r.outcome.values[1] as bigint) };
  };
};

const REASONS: Readonly<Record<number, string>> = {
  [EVMC.OUT_OF_GAS]: 'OutOfGas', [EVMC.INVALID_INSTRUCTION]: 'InvalidOpcode', [EVMC.UNDEFINED_INSTRUCTION]: 'InvalidOpcode',
  [EVMC.STACK_OVERFLOW]: 'StackOverflow', [EVMC.STACK_UNDERFLOW]: 'StackUnderflow', [EVMC.BAD_JUMP_DESTINATION]: 'InvalidJumpDest',
  [EVMC.INVALID_MEMORY_ACCESS]: 'OutOfBoundsRead', [EVMC.STATIC_MODE_VIOLATION]: 'WriteInStaticContext',
};


const wordOut = (w: bigint): readonly Val[] => wordToLimbs(w);
const OOG = -BigInt(EVMC.OUT_OF_GAS), STATIC = -BigInt(EVMC.STATIC_MODE_VIOLATION), OOB = -BigInt(EVMC.INVALID_MEMORY_ACCESS);

/**
 * The runtime arithmetic of `env.arith` (DTVM's runtime functions for the heavier operations).
 *
 * @spec EVM-LOWER-ARITH.1 EVM-OP-ARITH.1 EVM-OP-BITWISE.1
 */
export const runtimeArith = (op: number, a: bigint, b: bigint, c: bigint): bigint => {
  switch (op) {
    case 0x04: return b === 0n ? 0n : a / b;
    case 0x05: { const x = toSigned(a), y = toSigned(b); return y === 0n ? 0n : (x / y) & MASK; }
    case 0x06: return b === 0n ? 0n : a % b;
    case 0x07: { const x = toSigned(a), y = toSigned(b); return y === 0n ? 0n : (x % y) & MASK; }
    case 0x08: return c === 0n ? 0n : (a + b) % c;
    case 0x09: return c === 0n ? 0n : (a * b) % c;
    case 0x0a: { let r = 1n, x = a, k = b; while (k > 0n) { if (k & 1n) r = (r * x) & MASK; x = (x * x) & MASK; k >>= 1n; } return r; }
    case 0x0b: {
      if (a >= 31n) return b;
      const bit = a * 8n + 7n, low = (1n << (bit + 1n)) - 1n;
      return (b >> bit) & 1n ? (b | (MASK ^ low)) : b & low;
    }
    case 0x1a: return a >= 32n ? 0n : (b >> (8n * (31n - a))) & 0xffn;
    case 0x1b: return a >= 256n ? 0n : (b << a) & MASK;
    case 0x1c: return a >= 256n ? 0n : b >> a;
    case 0x1d: { const x = toSigned(b); return (a >= 256n ? (x < 0n ? -1n : 0n) : x >> a) & MASK; }
    default: return 0n;
  }
};

interface Frame {
  readonly msg: Message;
  ctx: Ctx;
  returnData: Uint8Array;
  output: Uint8Array;
  inBuf: Uint8Array;
  inView: DataView;
  inLen: number;
  outBuf: Uint8Array;
  abort: Failure | null;
}

/**
 * Executes messages on lowered code. One executor holds the frame stack; the host imports act on
 * the innermost frame.
 *
 * @spec EVM-LOWER-EXEC.1 EVM-HOST-IMPORTS.1 EVM-FRAME-EXEC.1 EVM-FRAME-SUBSTATE.1
 */
const makeExecutor = (runner: LoweredRunner, hash: (data: Uint8Array) => Uint8Array): { readonly processMessage: (msg: Message, ctx: Ctx) => FrameOutcome } => {
  const frames: Frame[] = [];
  const top = (): Frame => frames[frames.length - 1]!;
  const takeInput = (f: Frame, size: bigint): Uint8Array => { const out = f.inBuf.slice(0, Number(size)); f.inLen = 0; return out; };
  const access = (f: Frame, a: Address): bigint => {
    if (f.ctx.sub.accessedAddresses.has(a)) return G.warmAccess;
    f.ctx = { ...f.ctx, sub: { ...f.ctx.sub, accessedAddresses: addSet(f.ctx.sub.accessedAddresses, a) } };
    return G.coldAccountAccess;
  };
  const unsupported = (f: Frame, e: Failure): Result<readonly Val[]> => { f.abort = e; return fail(e.code, e.message); };

  /** Room for `n` more bytes of input from the lowered code, doubling the buffer as needed. */
  const reserve = (f: Frame, n: number): void => {
    if (f.inLen + n <= f.inBuf.length) return;
    const nbuf = new Uint8Array(Math.max(64, f.inBuf.length * 2 + n));
    nbuf.set(f.inBuf.subarray(0, f.inLen));
    f.inBuf = nbuf;
    f.inView = new DataView(nbuf.buffer);
  };

  const hosts: Record<string, (f: Frame, a: readonly Val[]) => Result<readonly Val[]>> = {
    put: (f, [w]) => {
      reserve(f, 8);
      f.inView.setBigInt64(f.inLen, w as bigint, true);
      f.inLen += 8;
      return ok([]);
    },
    put4: (f, [w0, w1, w2, w3]) => {
      reserve(f, 32);
      const v = f.inView;
      v.setBigInt64(f.inLen, w0 as bigint, true);
      v.setBigInt64(f.inLen + 8, w1 as bigint, true);
      v.setBigInt64(f.inLen + 16, w2 as bigint, true);
      v.setBigInt64(f.inLen + 24, w3 as bigint, true);
      f.inLen += 32;
      return ok([]);
    },
    take: (f, [k]) => {
      const o = Number(k as bigint) * 8;
      const buf = new Uint8Array(8);
      if (o < f.outBuf.length) buf.set(f.outBuf.subarray(o, Math.min(o + 8, f.outBuf.length)));
      return ok([new DataView(buf.buffer).getBigInt64(0, true)]);
    },
    keccak256: (f, [size]) => {
      const h = hash(takeInput(f, size as bigint));
      const v = new DataView(h.buffer, h.byteOffset, 32);
      return ok([v.getBigInt64(24, false), v.getBigInt64(16, false), v.getBigInt64(8, false), v.getBigInt64(0, false)]);
    },
    context: (f, [op]) => {
      const { msg, ctx } = f;
      const v = ((): bigint => {
        switch (op as number) {
          case 0x30: return addressToBigint(msg.currentTarget);
          case 0x32: return addressToBigint(ctx.tx.origin);
          case 0x33: return addressToBigint(msg.caller);
          case 0x34: return msg.value;
          case 0x36: return BigInt(msg.data.length);
          case 0x3a: return ctx.tx.gasPrice;
          case 0x3d: return BigInt(f.returnData.length);
          case 0x41: return addressToBigint(ctx.block.coinbase);
          case 0x42: return ctx.block.timestamp;
          case 0x43: return ctx.block.number;
          case 0x44: return ctx.block.prevRandao;
          case 0x45: return ctx.block.gasLimit;
          case 0x46: return ctx.block.chainId;
          case 0x47: return getAccount(ctx.state, msg.currentTarget).balance;
          case 0x48: return ctx.block.baseFee;
          case 0x4a: return ctx.block.blobBaseFee;
          default: return 0n;
        }
      })();
      return ok(wordOut(v));
    },
    query: (f, [gasV, op, x0, x1, x2, x3]) => {
      let gas = gasV as bigint;
      const x = limbsToWord(x0 as bigint, x1 as bigint, x2 as bigint, x3 as bigint);
      const self = f.msg.currentTarget;
      const charged = (cost: bigint): boolean => { if (cost > gas) return false; gas -= cost; return true; };
      let v = 0n;
      switch (op as number) {
        case 0x31: case 0x3b: case 0x3f: {
          const a = bigintToAddress(x);
          if (!charged(access(f, a))) return ok([OOG, 0n, 0n, 0n, 0n]);
          const acc = f.ctx.state.get(a);
          if (op === 0x31) v = acc?.balance ?? 0n;
          else if (op === 0x3b) v = BigInt(acc?.code.length ?? 0);
          else v = acc === undefined || (acc.nonce === 0n && acc.balance === 0n && acc.code.length === 0) ? 0n : bytesToBigint(keccak256(acc.code));
          break;
        }
        case 0x35: v = bytesToBigint(readPadded(f.msg.data, x, 32)); break;
        case 0x40: {
          const cur = f.ctx.block.number, hs = f.ctx.block.blockHashes;
          v = x >= cur || cur - x > 256n || cur - x > BigInt(hs.length) ? 0n : hs[hs.length - Number(cur - x)]!;
          break;
        }
        case 0x49: v = x < BigInt(f.ctx.tx.blobHashes.length) ? f.ctx.tx.blobHashes[Number(x)]! : 0n; break;
        case 0x54: {
          const k = `${self}:${x}`;
          if (f.ctx.sub.accessedKeys.has(k)) { if (!charged(G.warmAccess)) return ok([OOG, 0n, 0n, 0n, 0n]); }
          else {
            if (!charged(G.coldSload)) return ok([OOG, 0n, 0n, 0n, 0n]);
            f.ctx = { ...f.ctx, sub: { ...f.ctx.sub, accessedKeys: addSet(f.ctx.sub.accessedKeys, k) } };
          }
          v = getStorage(f.ctx.state, self, x);
          break;
        }
        case 0x5c: v = f.ctx.transient.get(`${self}:${x}`) ?? 0n; break;
        default: break;
      }
      return ok([gas, ...wordOut(v)]);
    },
    update: (f, [gasV, op, k0, k1, k2, k3, v0, v1, v2, v3]) => {
      let gas = gasV as bigint;
      const key = limbsToWord(k0 as bigint, k1 as bigint, k2 as bigint, k3 as bigint);
      const v = limbsToWord(v0 as bigint, v1 as bigint, v2 as bigint, v3 as bigint);
      const self = f.msg.currentTarget;
      const k = `${self}:${key}`;
      if (op === 0x5d) {
        if (f.msg.isStatic) return ok([STATIC]);
        const t = new Map(f.ctx.transient);
        if (v === 0n) t.delete(k); else t.set(k, v);
        f.ctx = { ...f.ctx, transient: t };
        return ok([gas]);
      }
      // SSTORE. @spec EVM-SSTORE-GAS.1 EVM-SSTORE-REFUND.1
      const r = sstoreStep(f.ctx, self, key, v, gas, f.msg.isStatic);
      if ('halt' in r) return ok([r.halt === 'OutOfGas' ? OOG : STATIC]);
      f.ctx = r.ctx;
      return ok([r.gas]);
    },
    copy: (f, [gasV, op, a0, a1, a2, a3, o0, o1, o2, o3, sizeV]) => {
      let gas = gasV as bigint;
      const size = sizeV as bigint;
      const off = limbsToWord(o0 as bigint, o1 as bigint, o2 as bigint, o3 as bigint);
      switch (op as number) {
        case 0x37: f.outBuf = readPadded(f.msg.data, off, Number(size)); break;
        case 0x39: f.outBuf = readPadded(f.msg.code, off, Number(size)); break;
        case 0x3e:
          if (off + size > BigInt(f.returnData.length)) return ok([OOB]);
          f.outBuf = readPadded(f.returnData, off, Number(size));
          break;
        case 0x3c: {
          const a = bigintToAddress(limbsToWord(a0 as bigint, a1 as bigint, a2 as bigint, a3 as bigint));
          const cost = access(f, a);
          if (cost > gas) return ok([OOG]);
          gas -= cost;
          f.outBuf = readPadded(getAccount(f.ctx.state, a).code, off, Number(size));
          break;
        }
        case 0x5e: f.outBuf = takeInput(f, size); break;
        default: break;
      }
      return ok([gas]);
    },
    log: (f, [gasV, n, sizeV, ...t]) => {
      if (f.msg.isStatic) return ok([STATIC]);
      const topics: Uint8Array[] = [];
      for (let i = 0; i < (n as number); i++) {
        // A topic is the word big-endian: the most significant limb first.
        const bytes = new Uint8Array(32);
        const v = new DataView(bytes.buffer);
        for (let j = 0; j < 4; j++) v.setBigInt64(8 * (3 - j), t[4 * i + j] as bigint, false);
        topics.push(bytes);
      }
      const data = takeInput(f, sizeV as bigint);
      f.ctx = { ...f.ctx, sub: { ...f.ctx.sub, logs: [...f.ctx.sub.logs, { address: f.msg.currentTarget, topics, data }] } };
      return ok([gasV as bigint]);
    },
    call: (f, [gasV, opV, g0, g1, g2, g3, t0, t1, t2, t3, v0, v1, v2, v3, inSize, outSize]) => {
      // @spec EVM-CALL-GAS.1 EVM-CALL-6364.1 EVM-ACCESS-WARM.1 EVM-STATIC.1 EVM-LIMIT-DEPTH.1
      let gas = gasV as bigint;
      const op = opV as number;
      const reqGas = limbsToWord(g0 as bigint, g1 as bigint, g2 as bigint, g3 as bigint);
      const to = bigintToAddress(limbsToWord(t0 as bigint, t1 as bigint, t2 as bigint, t3 as bigint));
      const value = op === 0xf1 || op === 0xf2 ? limbsToWord(v0 as bigint, v1 as bigint, v2 as bigint, v3 as bigint) : 0n;
      const self = f.msg.currentTarget;
      let extra = access(f, to);
      if (op === 0xf1 && value !== 0n && !isAlive(f.ctx.state, to)) extra += G.newAccount;
      if ((op === 0xf1 || op === 0xf2) && value !== 0n) extra += G.callValue;
      // Memory expansion was charged by the lowered code already, so the memory cost here is 0.
      const mcg = messageCallGas(value, reqGas, gas, 0n, extra);
      if (mcg.cost > gas) return ok([OOG, 0n, 0n]);
      gas -= mcg.cost;
      if (op === 0xf1 && f.msg.isStatic && value !== 0n) return ok([STATIC, 0n, 0n]);
      const input = takeInput(f, inSize as bigint);
      f.returnData = new Uint8Array(0);
      f.outBuf = new Uint8Array(0);
      if ((op === 0xf1 || op === 0xf2) && getAccount(f.ctx.state, self).balance < value) return ok([gas + mcg.subCall, 0n, 0n]);
      if (f.msg.depth + 1 > LIMITS.depth) return ok([gas + mcg.subCall, 0n, 0n]);
      // CALL and STATICCALL run `to` in its own account; CALLCODE and DELEGATECALL run its code in
      // this one, DELEGATECALL also with this frame's caller and value and without a transfer.
      const delegate = op === 0xf4;
      const inSelf = op === 0xf2 || delegate;
      const child: Message = {
        caller: delegate ? f.msg.caller : self, target: inSelf ? self : to, currentTarget: inSelf ? self : to, codeAddress: to, gas: mcg.subCall,
        value: delegate ? f.msg.value : op === 0xfa ? 0n : value, data: input, code: getAccount(f.ctx.state, to).code, depth: f.msg.depth + 1,
        shouldTransferValue: !delegate, isStatic: op === 0xfa || f.msg.isStatic,
      };
      const r = processMessage(child, f.ctx);
      if (!r.ok) return unsupported(f, r.error);
      const res = r.value;
      gas += res.gasLeft;
      f.returnData = res.output;
      const success = res.status === 'success';
      f.ctx = success ? incorporateSuccess(f.ctx, res.ctx, child.currentTarget) : incorporateError(f.ctx, res.ctx);
      const n = (outSize as bigint) < BigInt(res.output.length) ? Number(outSize as bigint) : res.output.length;
      f.outBuf = res.output.subarray(0, n);
      return ok([gas, success ? 1n : 0n, BigInt(n)]);
    },
    create: (f, [gasV, opV, v0, v1, v2, v3, s0, s1, s2, s3, sizeV]) => {
      // @spec EVM-CREATE-GAS.1 EVM-CREATE-ADDRESS.1 EVM-STATIC.1
      let gas = gasV as bigint;
      const op = opV as number;
      const size = sizeV as bigint;
      const endowment = limbsToWord(v0 as bigint, v1 as bigint, v2 as bigint, v3 as bigint);
      const salt = limbsToWord(s0 as bigint, s1 as bigint, s2 as bigint, s3 as bigint);
      const zero = [0n, 0n, 0n, 0n];
      if (size > BigInt(LIMITS.maxInitCodeSize)) return ok([OOG, ...zero]);
      const cost = G.initCodeWord * wordCount(size) + (op === 0xf5 ? G.keccakWord * wordCount(size) : 0n);
      if (cost > gas) return ok([OOG, ...zero]);
      gas -= cost;
      if (f.msg.isStatic) return ok([STATIC, ...zero]);
      const init = takeInput(f, size);
      const self = f.msg.currentTarget;
      const address = op === 0xf0 ? createAddress(self, getAccount(f.ctx.state, self).nonce) : create2Address(self, salt, init);
      f.ctx = { ...f.ctx, sub: { ...f.ctx.sub, accessedAddresses: addSet(f.ctx.sub.accessedAddresses, address) } };
      const createGas = maxMessageCallGas(gas);
      gas -= createGas;
      f.returnData = new Uint8Array(0);
      const sender = getAccount(f.ctx.state, self);
      if (sender.balance < endowment || sender.nonce === (1n << 64n) - 1n || f.msg.depth + 1 > LIMITS.depth) return ok([gas + createGas, ...zero]);
      const incNonce = (s: WorldState): WorldState => modifyAccount(s, self, (a) => ({ ...a, nonce: a.nonce + 1n }));
      const existing = f.ctx.state.get(address);
      if (existing !== undefined && (existing.code.length > 0 || existing.nonce !== 0n || existing.storage.size > 0)) {
        f.ctx = { ...f.ctx, state: incNonce(f.ctx.state) };
        return ok([gas, ...zero]);
      }
      f.ctx = { ...f.ctx, state: incNonce(f.ctx.state) };
      const child: Message = {
        caller: self, target: null, currentTarget: address, codeAddress: null, gas: createGas, value: endowment, data: new Uint8Array(0),
        code: init, depth: f.msg.depth + 1, shouldTransferValue: true, isStatic: false,
      };
      const r = processCreateMessage(child, f.ctx);
      if (!r.ok) return unsupported(f, r.error);
      const res = r.value;
      gas += res.gasLeft;
      if (res.status === 'success') { f.ctx = incorporateSuccess(f.ctx, res.ctx, address); f.returnData = new Uint8Array(0); return ok([gas, ...wordOut(addressToBigint(address))]); }
      f.ctx = incorporateError(f.ctx, res.ctx);
      f.returnData = res.output;
      return ok([gas, ...zero]);
    },
    finish: (f, [size]) => { f.output = takeInput(f, size as bigint); return ok([]); },
    selfdestruct: (f, [gasV, b0, b1, b2, b3]) => {
      // @spec EVM-SELFDESTRUCT.1
      let gas = gasV as bigint;
      const self = f.msg.currentTarget;
      const beneficiary = bigintToAddress(limbsToWord(b0 as bigint, b1 as bigint, b2 as bigint, b3 as bigint));
      let cost = 0n;
      if (!f.ctx.sub.accessedAddresses.has(beneficiary)) {
        f.ctx = { ...f.ctx, sub: { ...f.ctx.sub, accessedAddresses: addSet(f.ctx.sub.accessedAddresses, beneficiary) } };
        cost += G.coldAccountAccess;
      }
      const balance = getAccount(f.ctx.state, self).balance;
      if (!isAlive(f.ctx.state, beneficiary) && balance !== 0n) cost += G.newAccount;
      if (cost > gas) return ok([OOG]);
      gas -= cost;
      if (f.msg.isStatic) return ok([STATIC]);
      let state = moveEther(f.ctx.state, self, beneficiary, balance);
      let sub = f.ctx.sub;
      if (sub.created.has(self)) {
        state = modifyAccount(state, self, (a) => ({ ...a, balance: 0n }));
        sub = { ...sub, toDelete: addSet(sub.toDelete, self) };
      }
      if (existsAndIsEmpty(state, beneficiary)) sub = { ...sub, touched: addSet(sub.touched, beneficiary) };
      f.ctx = { ...f.ctx, state, sub };
      return ok([gas]);
    },
    arith: (_f, [op, a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3]) => ok(wordOut(runtimeArith(op as number,
      limbsToWord(a0 as bigint, a1 as bigint, a2 as bigint, a3 as bigint), limbsToWord(b0 as bigint, b1 as bigint, b2 as bigint, b3 as bigint),
      limbsToWord(c0 as bigint, c1 as bigint, c2 as bigint, c3 as bigint)))),
  };
  const hostList: readonly LoweredHostFunction[] = HOST_IMPORTS.map((h) => {
    const fn = hosts[h.field]!;
    return (args: readonly Val[]) => fn(top(), args);
  });

  const executeCode = (msg: Message, ctx0: Ctx): FrameOutcome => {
    // Precompiles and WASM contracts run exactly as in the direct interpreter; a WASM contract's
    // own calls come back to this executor, so EVM frames below a WASM frame run lowered as well.
    const special = runSpecialCode(msg, ctx0, processMessage);
    if (special !== undefined) return special;
    const inBuf = new Uint8Array(64);
    if (msg.gas >= 1n << 63n) return { ok: false, error: { code: LOWER_GAS_RANGE, message: `gas ${msg.gas} does not fit the lowered code's i64 gas counter` } };
    const frame: Frame = { msg, ctx: ctx0, returnData: new Uint8Array(0), output: new Uint8Array(0), inBuf, inView: new DataView(inBuf.buffer), inLen: 0, outBuf: new Uint8Array(0), abort: null };
    frames.push(frame);
    let r: LoweredOutcome;
    try { r = runner(msg.code, msg.gas, hostList); } finally { frames.pop(); }
    if (frame.abort !== null) return { ok: false, error: frame.abort };
    if (r.kind === 'trap') {
      if (r.code === 'Dmir.Trap.STEP_LIMIT') return { ok: false, error: { code: LOWER_HOST_STACK, message: `the host stack ran out at call depth ${msg.depth} in ${msg.currentTarget}` } };
      return { ok: false, error: { code: LOWER_TRAPPED, message: `lowered code of ${msg.currentTarget} ended in ${r.code}` } };
    }
    const result: FrameResult = r.status === EVMC.SUCCESS
      ? { status: 'success', reason: '', gasLeft: r.gasLeft, output: frame.output, ctx: frame.ctx }
      : r.status === EVMC.REVERT
        ? { status: 'revert', reason: 'Revert', gasLeft: r.gasLeft, output: frame.output, ctx: ctx0 }
        : { status: 'halt', reason: REASONS[r.status] ?? `Status${r.status}`, gasLeft: 0n, output: new Uint8Array(0), ctx: ctx0 };
    return { ok: true, value: result };
  };

  const { processMessage, processCreateMessage } = messageProcessors(executeCode);

  return { processMessage };
};

/**
 * The bare message call of EVM-CALL-EXECUTE.1 with every frame's code run as lowered dMIR on
 * `runner`. Same contract as `executeCall`.
 *
 * @spec EVM-LOWER-EXEC.1 EVM-CALL-EXECUTE.1 EVM-TX-CLEANUP.1
 */
export const executeCallLowered = (
  pre: WorldState, block: BlockEnv, gasPrice: bigint, call: CallRequest, runner: LoweredRunner,
  /** Keccak-256 for KECCAK256; any correct implementation may be supplied. */
  hash: (data: Uint8Array) => Uint8Array = keccak256,
): Result<CallOutcome> => executeCallWith(makeExecutor(runner, hash).processMessage, pre, block, gasPrice, call);

