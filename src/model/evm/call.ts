/**
 * A bare message call: the frame semantics of section 4 without the transaction envelope. This is
 * what the `evm/execute` vectors and the differential tests against other EVMs observe; it isolates
 * code execution from fees, nonces and intrinsic gas.
 */
import { ok, type Result } from '../encoding/index.js';
import { processMessage, type BlockEnv, type CodeRunner, type Ctx, type FrameStatus, type Log, type Message, type Tracer } from './interpreter.js';
import { PRECOMPILE_ADDRESSES } from './precompiles.js';
import { deleteAccount, existsAndIsEmpty, getAccount, type Address, type WorldState } from './state.js';

export interface CallRequest {
  readonly caller: Address;
  readonly to: Address;
  readonly value: bigint;
  readonly data: Uint8Array;
  readonly gas: bigint;
}

export interface CallOutcome {
  readonly status: FrameStatus;
  /** The halt reason for `halt`, `Revert` for a revert, empty on success. */
  readonly reason: string;
  readonly output: Uint8Array;
  /** Gas consumed by the frame: the call's gas minus what is left, before any refund. */
  readonly gasUsed: bigint;
  /** The refund counter at the end of a successful call (0 otherwise); not applied. */
  readonly refund: bigint;
  readonly logs: readonly Log[];
  readonly state: WorldState;
}

/**
 * Runs one message call from `caller` to `to` on `pre` (EVM-CALL-EXECUTE.1): the access set starts
 * with the caller, the target, the coinbase and the precompiles; the caller's balance must cover the
 * value, else the call is not made (status `halt`, reason `InsufficientBalance`, no gas used);
 * accounts created and self-destructed in the call, and touched empty accounts, are deleted at the
 * end as at the end of a transaction. A `tracer` only observes the instructions (EIP-3155 traces).
 *
 * @spec EVM-CALL-EXECUTE.1 EVM-FRAME-EXEC.1 EVM-TX-CLEANUP.1
 */
export const executeCall = (pre: WorldState, block: BlockEnv, gasPrice: bigint, call: CallRequest, tracer?: Tracer): Result<CallOutcome> =>
  executeCallWith(processMessage, pre, block, gasPrice, call, tracer);

/**
 * `executeCall` with the frames run by `process` (process_message of the direct interpreter or of
 * the lowered executor, EVM-LOWER-EXEC.1).
 *
 * @spec EVM-CALL-EXECUTE.1 EVM-TX-CLEANUP.1
 */
export const executeCallWith = (process: CodeRunner, pre: WorldState, block: BlockEnv, gasPrice: bigint, call: CallRequest, tracer?: Tracer): Result<CallOutcome> => {
  if (getAccount(pre, call.caller).balance < call.value) {
    return ok({ status: 'halt', reason: 'InsufficientBalance', output: new Uint8Array(0), gasUsed: 0n, refund: 0n, logs: [], state: pre });
  }
  const ctx: Ctx = {
    state: pre, transient: new Map(), original: pre, block, tx: { origin: call.caller, gasPrice, blobHashes: [] },
    sub: {
      accessedAddresses: new Set([call.caller, call.to, block.coinbase, ...PRECOMPILE_ADDRESSES]), accessedKeys: new Set(),
      touched: new Set(), toDelete: new Set(), created: new Set(), refund: 0n, logs: [],
    },
    ...(tracer === undefined ? {} : { tracer }),
  };
  const msg: Message = {
    caller: call.caller, target: call.to, currentTarget: call.to, codeAddress: call.to, gas: call.gas, value: call.value,
    data: call.data, code: getAccount(pre, call.to).code, depth: 0, shouldTransferValue: true, isStatic: false,
  };
  const r = process(msg, ctx);
  if (!r.ok) return r;
  const res = r.value;
  const success = res.status === 'success';
  let state = res.ctx.state;
  if (success) for (const a of res.ctx.sub.toDelete) state = deleteAccount(state, a);
  const touched = new Set<Address>(success ? res.ctx.sub.touched : []);
  touched.add(call.to);
  for (const a of touched) if (existsAndIsEmpty(state, a)) state = deleteAccount(state, a);
  return ok({
    status: res.status, reason: res.reason, output: res.output, gasUsed: call.gas - res.gasLeft,
    refund: success ? res.ctx.sub.refund : 0n, logs: success ? res.ctx.sub.logs : [], state,
  });
};
