/**
 * The plain call format of the `evm/execute` kind (EVM-CALL-EXECUTE.1) around any executor of a
 * bare message call: plain accounts in, the same projection out, so the model, the Pharos engine
 * and @ethereumjs/evm answer in one shape.
 */
import type { Result } from '../../model/encoding/result.js';
import type { Account, BlockEnv, CallOutcome, CallRequest, WorldState } from '../../model/evm/index.js';
import type { PlainAccount, PlainCallInput, PlainCallOutput } from './ethereumjs.js';

/** A bare message call executor with the signature of the model's `executeCall`. */
export type CallExecutor = (pre: WorldState, block: BlockEnv, gasPrice: bigint, call: CallRequest) => Result<CallOutcome>;

/** A world state as plain accounts, sorted by address, each storage sorted by slot. */
export const plainState = (s: WorldState): PlainAccount[] =>
  [...s].map(([address, a]) => ({ address, nonce: a.nonce, balance: a.balance, code: a.code, storage: [...a.storage].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)) }))
    .sort((x, y) => (x.address < y.address ? -1 : 1));

/** Runs a plain call input on `execute` (zero storage slots are absent, as in the world state). */
export const runPlainCall = (input: PlainCallInput, execute: CallExecutor): Result<PlainCallOutput> => {
  const pre = new Map<string, Account>(input.accounts.map((a) => [a.address, { nonce: a.nonce, balance: a.balance, code: a.code, storage: new Map(a.storage.filter(([, v]) => v !== 0n)) }]));
  const block: BlockEnv = { ...input.block, chainId: 1n, blobBaseFee: 1n, blockHashes: [] };
  const r = execute(pre, block, input.gasPrice, input.call);
  if (!r.ok) return r;
  const o = r.value;
  return {
    ok: true,
    value: {
      status: o.status, output: o.output, gasUsed: o.gasUsed, refund: o.refund,
      logs: o.logs.map((l) => ({ address: l.address, topics: l.topics.map((t) => BigInt('0x' + Buffer.from(t).toString('hex'))), data: l.data })),
      accounts: plainState(o.state),
    },
  };
};
