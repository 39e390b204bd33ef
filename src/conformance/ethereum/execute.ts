/**
 * The bare message call of EVM-CALL-EXECUTE.1 over plain data: the model's answer in the same
 * shape as the @ethereumjs/evm adapter's, so vectors and differential tests compare like with like.
 */
import type { Result } from '../../model/encoding/index.js';
import { executeCall } from '../../model/evm/index.js';
import type { PlainCallInput, PlainCallOutput } from '../../impl/evm/ethereumjs.js';
import { runPlainCall } from '../../impl/evm/plain.js';
import { caseArb, GEN_CALLER, GEN_COINBASE, genContract, type GeneratedCase } from './gen.js';

/** The block environment of generated cases: BLOCKHASH and BLOBHASH are not exercised. */
export const GEN_BLOCK = { coinbase: GEN_COINBASE, number: 1000n, timestamp: 1_700_000_000n, gasLimit: 30_000_000n, baseFee: 7n, prevRandao: 0x1234n } as const;

/** The model answers a plain call input. @spec EVM-CALL-EXECUTE.1 */
export const modelExecute = (input: PlainCallInput): Result<PlainCallOutput> => runPlainCall(input, (pre, block, gasPrice, call) => executeCall(pre, block, gasPrice, call));

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
