/**
 * The bare message call of EVM-CALL-EXECUTE.1 over plain data: the model's answer in the same
 * shape as the @ethereumjs/evm adapter's, so vectors and differential tests compare like with like.
 */
import type { Result } from '../../model/encoding/index.js';
import { executeCall, type BlockEnv, type WorldState, type Account } from '../../model/evm/index.js';
import type { PlainAccount, PlainCallInput, PlainCallOutput } from '../../impl/evm/ethereumjs.js';
import { caseArb, GEN_CALLER, GEN_COINBASE, genContract, type GeneratedCase } from './gen.js';

/** The block environment of generated cases: BLOCKHASH and BLOBHASH are not exercised. */
export const GEN_BLOCK = { coinbase: GEN_COINBASE, number: 1000n, timestamp: 1_700_000_000n, gasLimit: 30_000_000n, baseFee: 7n, prevRandao: 0x1234n } as const;

/** The model answers a plain call input. @spec EVM-CALL-EXECUTE.1 */
export const modelExecute = (input: PlainCallInput): Result<PlainCallOutput> => {
  const pre = new Map<string, Account>(input.accounts.map((a) => [a.address, { nonce: a.nonce, balance: a.balance, code: a.code, storage: new Map(a.storage.filter(([, v]) => v !== 0n)) }]));
  const b = input.block;
  const block: BlockEnv = { ...b, chainId: 1n, blobBaseFee: 1n, blockHashes: [] };
  const r = executeCall(pre, block, input.gasPrice, input.call);
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

export const plainState = (s: WorldState): PlainAccount[] =>
  [...s].map(([address, a]) => ({ address, nonce: a.nonce, balance: a.balance, code: a.code, storage: [...a.storage].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)) }))
    .sort((x, y) => (x.address < y.address ? -1 : 1));

/** A generated case as a plain call from the generated caller to contract 0. */
export const generatedInput = (c: GeneratedCase): PlainCallInput => ({
  accounts: [
    { address: GEN_CALLER, nonce: 1n, balance: 10n ** 20n, code: new Uint8Array(0), storage: [] },
    ...c.codes.map((code, i) => ({ address: genContract(i), nonce: 1n, balance: c.balances[i] ?? 0n, code, storage: [...new Map(c.storage[i] ?? [])] })),
  ],
  block: GEN_BLOCK,
  gasPrice: 10n,
  call: { caller: GEN_CALLER, to: genContract(0), value: c.value, data: c.data, gas: c.gas },
});

export { caseArb };
