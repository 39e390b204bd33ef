/**
 * Cross-VM calls: an account whose code starts with the WASM magic `\0asm` is a WASM contract. A
 * message call to it loads the code through the dMIR WASM profile, binds its DTVM-style `env`
 * imports to the world state of the current message (crossvm-bind.ts) and runs its `call` export on
 * the dMIR interpreter. Calls out of WASM (`callContract`, `callStatic`, `callDelegate`) re-enter the
 * EVM message-call machinery of interpreter.ts, so EVM → WASM → EVM chains share one world state,
 * one substate, one depth counter and one gas counter.
 *
 * @spec EVM-XVM-DETECT.1 EVM-XVM-ENTRY.1 EVM-XVM-GAS.1 EVM-XVM-CALL.1 EVM-XVM-STATUS.1 EVM-XVM-STATIC.1
 */
import { fail, ok, type Failure, type Result } from '../encoding/result.js';
import type { Val } from '../dmir/ir.js';
import { instantiate, invokeFunction, type HostFunction } from '../dmir/interp.js';
import { loadWasm } from '../dmir/wasm/index.js';
import { bindEnvImports, CROSSVM_MODULE } from './crossvm-bind.js';
import { G, LIMITS, messageCallGas, wordCount } from './gas.js';
import { addSet, incorporateError, incorporateSuccess, processMessage, sstoreStep, type Ctx, type FrameOutcome, type FrameStatus, type Message } from './interpreter.js';
import { bytesToBigint, wordBytes } from './rlp.js';
import { addressToBytes, bytesToAddress, getAccount, getStorage, isAlive, type Address } from './state.js';

/** `\0asm`: code starting with these bytes is a WASM contract. @spec EVM-XVM-DETECT.1 */
export const isWasmCode = (code: Uint8Array): boolean => code.length >= 4 && code[0] === 0x00 && code[1] === 0x61 && code[2] === 0x73 && code[3] === 0x6d;

/** The export a message call runs: `call`, taking and returning nothing (as in DTVM's SDK contracts). @spec EVM-XVM-ENTRY.1 */
export const WASM_ENTRY = 'call';

/**
 * A harness bound on dMIR steps per WASM frame. WASM contracts are metered by their instrumented
 * `use_gas` calls; a module that loops without calling it would run forever, and the model reports
 * `Evm.CrossVm.STEP_LIMIT` (a failure of the run, never a consensus outcome) instead of hanging.
 */
export const XVM_STEP_LIMIT = 20_000_000;

/** Values returned by `callContract`, `callStatic` and `callDelegate`. @spec EVM-XVM-CALL.1 */
export const XVM_CALL_RESULT = { success: 0, failure: 1, revert: 2 } as const;

const EMPTY = new Uint8Array(0);
/** The largest linear memory of the profile (256 pages): no copy into memory can be longer. */
const MAX_MEMORY_BYTES = 256 * 65536;

/** How a frame ended through a host function: `finish`, `revert`, or an exceptional halt. */
interface FrameEnd { readonly status: FrameStatus; readonly reason: string; readonly output: Uint8Array }

/**
 * Executes a WASM contract for message `msg` (the value has been transferred by processMessage).
 * Load failures (decode, validation, limits, unsupported imports, no `call` export) are an
 * exceptional halt with reason `InvalidWasmCode`; a dMIR trap is a halt with reason `Wasm:<code>`.
 *
 * @spec EVM-XVM-ENTRY.1 EVM-XVM-GAS.1 EVM-XVM-STATUS.1 EVM-XVM-IMPORTS.1 EVM-XVM-CALL.1 EVM-XVM-STATIC.1 EVM-XVM-REENTRY.1
 */
export const executeWasmCode = (
  msg: Message, ctx0: Ctx,
  /**
   * Runs the message calls the WASM contract makes: the direct interpreter's by default; an
   * executor over lowered code passes its own, so that EVM frames below WASM run lowered too.
   */
  callMessage: (msg: Message, ctx: Ctx) => FrameOutcome = processMessage,
): FrameOutcome => {
  const result = (status: FrameStatus, reason: string, gasLeft: bigint, output: Uint8Array, ctx: Ctx): FrameOutcome =>
    ({ ok: true, value: { status, reason, gasLeft: status === 'halt' ? 0n : gasLeft, output: status === 'halt' ? EMPTY : output, ctx: status === 'success' ? ctx : ctx0 } });
  const loaded = loadWasm(msg.code);
  const bound = loaded.ok ? bindEnvImports(loaded.value) : loaded;
  if (!bound.ok) return result('halt', 'InvalidWasmCode', 0n, EMPTY, ctx0);
  const m = bound.value;
  const entry = m.exports.find((e) => e.kind === 'func' && e.name === WASM_ENTRY);
  const entryType = entry === undefined ? undefined : m.funcs[entry.index]!.type;
  if (entry === undefined || entryType === undefined || entryType.params.length > 0 || entryType.results.length > 0) return result('halt', 'InvalidWasmCode', 0n, EMPTY, ctx0);

  const self = msg.currentTarget;
  let ctx = ctx0;
  let gas = msg.gas;
  let input: number[] = [];
  let output: Uint8Array = EMPTY;
  let returnData: Uint8Array = EMPTY;
  let end: FrameEnd | null = null;
  let aborted: Failure | null = null;

  // A host function that ends the frame records how and fails; the failure code is the dMIR trap
  // OUT_OF_GAS for running out of gas and a non-trap code (the HOST_ERROR trap) otherwise.
  const stop = (status: FrameStatus, reason: string, out: Uint8Array = EMPTY): Result<readonly Val[]> => {
    end = { status, reason, output: out };
    return fail(reason === 'OutOfGas' ? 'Dmir.Trap.OUT_OF_GAS' : 'Evm.CrossVm.FRAME_END', reason);
  };
  const charge = (cost: bigint): boolean => { if (cost > gas) return false; gas -= cost; return true; };
  const takeInput = (): Uint8Array => { const b = Uint8Array.from(input); input = []; return b; };
  const access = (a: Address): bigint => {
    if (ctx.sub.accessedAddresses.has(a)) return G.warmAccess;
    ctx = { ...ctx, sub: { ...ctx.sub, accessedAddresses: addSet(ctx.sub.accessedAddresses, a) } };
    return G.coldAccountAccess;
  };
  const copyOut = (src: Uint8Array, offset: number, length: number): Result<readonly Val[]> => {
    if (length > MAX_MEMORY_BYTES) return stop('halt', 'MemoryOutOfBounds');
    if (!charge(G.veryLow + G.copyWord * wordCount(BigInt(length)))) return stop('halt', 'OutOfGas');
    output = new Uint8Array(length);
    if (offset < src.length) output.set(src.subarray(offset, Math.min(src.length, offset + length)));
    return ok([]);
  };
  /** A getter costs what the corresponding EVM instruction costs (2 gas). */
  const getter = (produce: () => readonly Val[]): Result<readonly Val[]> => (charge(G.base) ? ok(produce()) : stop('halt', 'OutOfGas'));

  /** callContract / callStatic / callDelegate: the CALL family's rules with no memory expansion. @spec EVM-XVM-CALL.1 */
  const call = (kind: 'call' | 'static' | 'delegate', requested: bigint): Result<readonly Val[]> => {
    const buf = takeInput();
    const to = bytesToAddress(buf.subarray(0, 20));
    const value = kind === 'call' ? bytesToBigint(buf.subarray(20, 52)) : 0n;
    const data = buf.slice(kind === 'call' ? 52 : 20);
    let extra = access(to);
    if (kind === 'call' && value !== 0n && !isAlive(ctx.state, to)) extra += G.newAccount;
    if (kind === 'call' && value !== 0n) extra += G.callValue;
    const mcg = messageCallGas(value, requested, gas, 0n, extra);
    if (!charge(mcg.cost)) return stop('halt', 'OutOfGas');
    if (kind === 'call' && msg.isStatic && value !== 0n) return stop('halt', 'WriteInStaticContext');
    returnData = EMPTY;
    if ((kind === 'call' && getAccount(ctx.state, self).balance < value) || msg.depth + 1 > LIMITS.depth) {
      gas += mcg.subCall;
      return ok([XVM_CALL_RESULT.failure]);
    }
    const child: Message = kind === 'delegate'
      ? { caller: msg.caller, target: self, currentTarget: self, codeAddress: to, gas: mcg.subCall, value: msg.value, data, code: getAccount(ctx.state, to).code, depth: msg.depth + 1, shouldTransferValue: false, isStatic: msg.isStatic }
      : { caller: self, target: to, currentTarget: to, codeAddress: to, gas: mcg.subCall, value, data, code: getAccount(ctx.state, to).code, depth: msg.depth + 1, shouldTransferValue: true, isStatic: kind === 'static' || msg.isStatic };
    const r = callMessage(child, ctx);
    if (!r.ok) { aborted = r.error; return fail(r.error.code, r.error.message); }
    const res = r.value;
    gas += res.gasLeft;
    returnData = res.output;
    if (res.status === 'success') { ctx = incorporateSuccess(ctx, res.ctx, kind === 'delegate' ? self : to); return ok([XVM_CALL_RESULT.success]); }
    ctx = incorporateError(ctx, res.ctx);
    return ok([res.status === 'revert' ? XVM_CALL_RESULT.revert : XVM_CALL_RESULT.failure]);
  };

  const ops: Readonly<Record<string, HostFunction>> = {
    in: ([b]) => { input.push((b as number) & 0xff); return ok([]); },
    out: ([i]) => ok([output[(i as number) >>> 0] ?? 0]),
    gas: ([a]) => {
      const amount = BigInt.asUintN(64, a as bigint);
      return charge(amount) ? ok([]) : stop('halt', 'OutOfGas');
    },
    'op.getAddress': () => getter(() => { output = addressToBytes(self); return []; }),
    'op.getCaller': () => getter(() => { output = addressToBytes(msg.caller); return []; }),
    'op.getCallValue': () => getter(() => { output = wordBytes(msg.value); return []; }),
    'op.getCallDataSize': () => getter(() => [msg.data.length]),
    'op.getGasLeft': () => getter(() => [BigInt.asIntN(64, gas)]),
    'op.getReturnDataSize': () => getter(() => [returnData.length]),
    'op.callDataCopy': ([off, len]) => copyOut(msg.data, (off as number) >>> 0, (len as number) >>> 0),
    'op.returnDataCopy': ([off, len]) => {
      const o = (off as number) >>> 0, l = (len as number) >>> 0;
      // As RETURNDATACOPY: reading past the end of the return data halts.
      if (o + l > returnData.length) return stop('halt', 'OutOfBoundsRead');
      return copyOut(returnData, o, l);
    },
    'op.storageLoad': () => {
      const key = bytesToBigint(takeInput()), k = `${self}:${key}`;
      let cost: bigint = G.warmAccess;
      if (!ctx.sub.accessedKeys.has(k)) { ctx = { ...ctx, sub: { ...ctx.sub, accessedKeys: addSet(ctx.sub.accessedKeys, k) } }; cost = G.coldSload; }
      if (!charge(cost)) return stop('halt', 'OutOfGas');
      output = wordBytes(getStorage(ctx.state, self, key));
      return ok([]);
    },
    'op.storageStore': () => {
      // SSTORE's rules (EVM-SSTORE-GAS.1, EVM-SSTORE-REFUND.1), in the same order as the EVM.
      const buf = takeInput();
      const key = bytesToBigint(buf.subarray(0, 32)), v = bytesToBigint(buf.subarray(32, 64));
      const r = sstoreStep(ctx, self, key, v, gas, msg.isStatic);
      if ('halt' in r) return stop('halt', r.halt);
      ({ ctx, gas } = r);
      return ok([]);
    },
    'op.emitLogEvent': ([len, n]) => {
      const buf = takeInput();
      const size = (len as number) >>> 0, count = n as number;
      if (count < 0 || count > 4) return stop('halt', 'InvalidTopicCount');
      if (!charge(G.log + G.logTopic * BigInt(count) + G.logData * BigInt(size))) return stop('halt', 'OutOfGas');
      if (msg.isStatic) return stop('halt', 'WriteInStaticContext');
      const topics = Array.from({ length: count }, (_, i) => buf.slice(size + 32 * i, size + 32 * i + 32));
      ctx = { ...ctx, sub: { ...ctx.sub, logs: [...ctx.sub.logs, { address: self, topics, data: buf.slice(0, size) }] } };
      return ok([]);
    },
    'op.callContract': ([g]) => call('call', BigInt.asUintN(64, g as bigint)),
    'op.callStatic': ([g]) => call('static', BigInt.asUintN(64, g as bigint)),
    'op.callDelegate': ([g]) => call('delegate', BigInt.asUintN(64, g as bigint)),
    'op.finish': () => stop('success', '', takeInput()),
    'op.revert': () => stop('revert', 'Revert', takeInput()),
    'op.invalid': () => stop('halt', 'InvalidOpcode'),
  };
  const resolve = (module: string, field: string): HostFunction | undefined => (module === CROSSVM_MODULE ? ops[field] : undefined);

  const opts = { gas: 0n, maxSteps: XVM_STEP_LIMIT };
  const inst = instantiate(m, resolve, opts);
  if (!inst.ok) return result('halt', 'InvalidWasmCode', 0n, EMPTY, ctx0);
  let outcome = inst.value.outcome;
  if (end === null && aborted === null && outcome.kind === 'return') outcome = invokeFunction(inst.value.instance, entry.index, [], opts).outcome;
  if (aborted !== null) return { ok: false, error: aborted };
  const ended = end as FrameEnd | null;
  if (ended !== null) return result(ended.status, ended.reason, gas, ended.output, ctx);
  if (outcome.kind === 'return') return result('success', '', gas, EMPTY, ctx);
  if (outcome.code === 'Dmir.Trap.STEP_LIMIT') {
    return { ok: false, error: { code: 'Evm.CrossVm.STEP_LIMIT', message: `WASM contract ${self} ran ${XVM_STEP_LIMIT} dMIR steps without ending (the model's harness bound)` } };
  }
  return result('halt', `Wasm:${outcome.code}`, 0n, EMPTY, ctx0);
};
