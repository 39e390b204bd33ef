/**
 * Generated contract calls for the pipeline's differential tests: a code, one of its methods, a
 * caller, up to four calldata words (small numbers, any u64, or account ids) and a contract
 * storage whose keys are small slots or account ids, so that balances and counters are found.
 */
import fc from 'fast-check';
import { accountId } from '../../model/pipeline/contracts.js';

export interface ContractCall<C extends string> {
  readonly code: C;
  readonly method: string;
  readonly from: string;
  readonly args: bigint[];
  /** Storage words as (key, value) before the call. */
  readonly storage: [bigint, bigint][];
}

const word = fc.oneof(fc.bigInt(0n, 40n), fc.bigInt(0n, (1n << 64n) - 1n), fc.constant((1n << 64n) - 1n));
const account = fc.constantFrom('a', 'b', 'c');

export const contractCallArb = <C extends string>(codes: readonly C[], methods: Readonly<Record<C, readonly string[]>>): fc.Arbitrary<ContractCall<C>> =>
  fc.constantFrom(...codes).chain((code) => fc.record({
    code: fc.constant(code),
    method: fc.constantFrom(...methods[code]),
    from: account,
    args: fc.array(fc.oneof(word, account.map(accountId)), { maxLength: 4 }),
    storage: fc.array(fc.tuple(fc.oneof(fc.bigInt(0n, 5n), account.map(accountId)), word), { maxLength: 6 }),
  }));
