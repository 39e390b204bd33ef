import { Schema } from 'effect';
import fc from 'fast-check';
import { BigIntFromDecimal, BytesFromHex, HexString } from '../../model/encoding/index.js';
import { LOWER_GAS_RANGE, LOWER_HOST_STACK, LOWER_TRAPPED, LOWER_VERIFY_FAILED } from '../../model/evm/lower-exec.js';
import { executeCallOnEngine, type PlainCallInput, type PlainCallOutput } from '../../impl/evm/index.js';
import { caseArb, GEN_BLOCK, generatedInput, modelExecute } from '../ethereum/execute.js';
import { GEN_CALLER, genContract } from '../ethereum/gen.js';
import { type CaseDraft, defineKind } from './kind.js';

const Hex = BytesFromHex.annotations({ jsonSchema: { type: 'string', pattern: '^0x([0-9a-f]{2})*$' } });
const Dec = BigIntFromDecimal.annotations({ jsonSchema: { type: 'string', pattern: '^(0|[1-9][0-9]*)$' } });
const Addr = HexString.pipe(Schema.pattern(/^0x[0-9a-f]{40}$/)).annotations({ jsonSchema: { type: 'string', pattern: '^0x[0-9a-f]{40}$' } });
/** A 256-bit word as 0x-hex of exactly 32 bytes (log topics). */
const Word = Schema.transform(Schema.String.pipe(Schema.pattern(/^0x[0-9a-f]{64}$/)), Schema.BigIntFromSelf, {
  strict: true, decode: (s) => BigInt(s), encode: (v) => '0x' + v.toString(16).padStart(64, '0'),
}).annotations({ jsonSchema: { type: 'string', pattern: '^0x[0-9a-f]{64}$' } });

const Slot = Schema.Tuple(Dec, Dec);
const AccountS = Schema.Struct({ address: Addr, nonce: Dec, balance: Dec, code: Hex, storage: Schema.Array(Slot) });
const Input = Schema.Struct({
  accounts: Schema.Array(AccountS),
  block: Schema.Struct({ coinbase: Addr, number: Dec, timestamp: Dec, gasLimit: Dec, baseFee: Dec, prevRandao: Dec }),
  gasPrice: Dec,
  call: Schema.Struct({ caller: Addr, to: Addr, value: Dec, data: Hex, gas: Dec }),
});
const Output = Schema.Struct({
  status: Schema.Literal('success', 'revert', 'halt'),
  output: Hex,
  gasUsed: Dec,
  refund: Dec,
  logs: Schema.Array(Schema.Struct({ address: Addr, topics: Schema.Array(Word), data: Hex })),
  accounts: Schema.Array(AccountS),
});

const REQ = ['EVM-CALL-EXECUTE.1', 'EVM-FRAME-EXEC.1', 'EVM-STATUS.1'];
const code = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const draft = (id: string, description: string, requirements: readonly string[], input: PlainCallInput): CaseDraft => ({ id, description, requirements, input: Schema.encodeSync(Input)(input) });

/** One contract at genContract(0) (plus optional others) called by the generated caller. */
const single = (codes: readonly string[], gas = 200_000n, value = 0n, storage: readonly (readonly [bigint, bigint])[] = []): PlainCallInput => ({
  accounts: [
    { address: GEN_CALLER, nonce: 1n, balance: 10n ** 20n, code: new Uint8Array(0), storage: [] },
    ...codes.map((c, i) => ({ address: genContract(i), nonce: 1n, balance: 0n, code: code(c), storage: i === 0 ? storage : [] })),
  ],
  block: GEN_BLOCK, gasPrice: 10n, call: { caller: GEN_CALLER, to: genContract(0), value, data: new Uint8Array(0), gas },
});

const handCases = (): readonly CaseDraft[] => [
  draft('sstore-set-and-return', 'SSTORE of 1+2 into a cold empty slot (22100 gas) and RETURN of 32 bytes of memory', [...REQ, 'EVM-SSTORE-GAS.1', 'EVM-OP-ARITH.1'],
    single(['600160020160005560206000f3'])),
  draft('sstore-clear-refund', 'Clearing a pre-existing slot earns the 4800 refund', [...REQ, 'EVM-SSTORE-GAS.1', 'EVM-SSTORE-REFUND.1'], single(['5f600155'], 100_000n, 0n, [[1n, 9n]])),
  draft('sstore-below-stipend', 'SSTORE with 2300 gas or less left halts', [...REQ, 'EVM-SSTORE-GAS.1'], single(['6001600155'], 2306n)),
  draft('revert-with-data', 'REVERT keeps the gas left and returns its data; storage and logs are dropped', [...REQ, 'EVM-RETURNDATA.1'],
    single(['600160005560aa60206000a160206000fd'])),
  draft('out-of-gas-memory', 'MLOAD far into memory costs more than the call has: all gas is consumed', [...REQ, 'EVM-MEM-EXPAND.1'], single(['620fffff5150'], 50_000n)),
  draft('stack-underflow', 'ADD on an empty stack halts', [...REQ, 'EVM-LIMIT-STACK.1'], single(['01'])),
  draft('invalid-jump', 'A JUMP into PUSH data halts', [...REQ, 'EVM-CODE-JUMPDEST.1'], single(['605b600156'])),
  draft('counted-loop', 'A loop of five turns adding to a storage slot', [...REQ, 'EVM-OP-STACKMEM.1'],
    single(['60055b805f54015f556001900380600257' + '5000'])),
  draft('transient-roundtrip', 'TSTORE then TLOAD within one call, stored to storage', [...REQ, 'EVM-OP-TRANSIENT.1'], single(['602a60075d60075c600055'])),
  draft('call-child-storage', 'CALL into a second contract that writes its storage; the flag and the returned word are stored', [...REQ, 'EVM-CALL-GAS.1', 'EVM-CALL-6364.1', 'EVM-ACCESS-WARM.1'],
    single(['60206000600060005f61100162fffffff1600055' + '5f51600155', '602a600155602a5f5260205ff3'])),
  draft('staticcall-write-halts', 'STATICCALL into a contract that writes storage: the child halts and 0 is pushed', [...REQ, 'EVM-STATIC.1'],
    single(['5f5f5f5f61100161fffffa600055', '6001600155'])),
  draft('create-and-selfdestruct', 'CREATE of an init code that self-destructs: EIP-6780 deletes the new account', [...REQ, 'EVM-CREATE-ADDRESS.1', 'EVM-SELFDESTRUCT.1', 'EVM-CREATE-GAS.1'],
    single(['6133ff5f526002601e5ff05f55'])),
];

const randomCases = (seed: number): readonly CaseDraft[] =>
  fc.sample(caseArb, { seed, numRuns: 60 }).map((c, i) =>
    draft(`random-${String(i).padStart(3, '0')}`, `Generated programs (${c.codes.length} contract${c.codes.length > 1 ? 's' : ''}, gas ${c.gas})`, REQ, generatedInput(c)));

export const evmExecute = defineKind({
  kind: 'evm/execute',
  area: 'evm',
  description:
    'A bare message call (EVM-CALL-EXECUTE.1): pre-state accounts and one call in; status, output, gas used, refund counter, logs and the post-state out. ' +
    'The implementation side is the Pharos engine: every frame\'s code lowered to dMIR and run by the compiled dMIR engine. ' +
    '@ethereumjs/evm (Cancun) answers the same vectors as the third-party client examples/clients/ethereumjs.',
  input: Input,
  output: Output,
  errorCodes: [LOWER_VERIFY_FAILED, LOWER_TRAPPED, LOWER_HOST_STACK, LOWER_GAS_RANGE],
  model: (input: PlainCallInput) => modelExecute(input),
  impl: (input: PlainCallInput) => executeCallOnEngine(input),
  suites: [
    { suite: 'basic', description: 'Hand-assembled programs, one rule each', seed: 0, cases: handCases },
    { suite: 'random', description: 'Generated programs with loops, memory, storage, transient storage, logs, calls, creations, reverts and faults', seed: 0x5eed_e7a1, cases: randomCases },
  ],
});

/** The EVM profile's vector kinds. */
export const evmKinds = [evmExecute];
export type { PlainCallOutput };
