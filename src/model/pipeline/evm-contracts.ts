/**
 * EVM contracts for pipeline transactions: a counter and a token written in EVM assembly, with the
 * same methods and results as their WASM twins (`contracts.ts`), run as bare message calls
 * (EVM-CALL-EXECUTE.1) whose contract storage is read on demand from the transaction's view of
 * the pipeline's state.
 *
 * Calldata is 32-byte words: word 0 the method's index, then the arguments. A method returns one
 * word (its output); a revert carries one word (its code).
 *
 * @module
 */
import type { Result } from '../encoding/result.js';
import { type BlockEnv, type CallOutcome, type CallRequest, type WorldState, LazyStorage, bigintToAddress, bytesToBigint, executeCall, wordBytes } from '../evm/index.js';
import { MAX_ARGS, accountId } from './contracts.js';

// ---------------------------------------------------------------------------------------------
// A small assembler: mnemonics, pushes and labels.

const OPCODES: Readonly<Record<string, number>> = {
  ADD: 0x01, SUB: 0x03, LT: 0x10, EQ: 0x14, ISZERO: 0x15, SHR: 0x1c, CALLER: 0x33, CALLDATALOAD: 0x35,
  POP: 0x50, MSTORE: 0x52, SLOAD: 0x54, SSTORE: 0x55, JUMP: 0x56, JUMPI: 0x57, JUMPDEST: 0x5b,
  DUP1: 0x80, DUP2: 0x81, DUP3: 0x82, SWAP1: 0x90, RETURN: 0xf3, REVERT: 0xfd,
};
/** A mnemonic, a one-byte push, a label's position pushed as two bytes (`@name`), or a label (`name:`, a JUMPDEST). */
type Asm = string | number;

const assemble = (program: readonly Asm[]): Uint8Array => {
  const size = (a: Asm): number => (typeof a === 'number' ? 2 : a.startsWith('@') ? 3 : 1);
  const labels = new Map<string, number>();
  let at = 0;
  for (const a of program) {
    if (typeof a === 'string' && a.endsWith(':')) labels.set(a.slice(0, -1), at);
    at += size(a);
  }
  const out: number[] = [];
  for (const a of program) {
    if (typeof a === 'number') out.push(0x60, a);
    else if (a.startsWith('@')) {
      const to = labels.get(a.slice(1));
      if (to === undefined) throw new Error(`unknown label ${a}`);
      out.push(0x61, to >> 8, to & 0xff);
    } else if (a.endsWith(':')) out.push(OPCODES['JUMPDEST']!);
    else {
      const op = OPCODES[a];
      if (op === undefined) throw new Error(`unknown mnemonic ${a}`);
      out.push(op);
    }
  }
  return Uint8Array.from(out);
};

/** Shared tails: return or revert with the word on top of the stack; revert codes 1 (overflow) and 255 (unknown method). */
const TAILS: readonly Asm[] = [
  'return:', 0, 'MSTORE', 32, 0, 'RETURN',
  'revert:', 0, 'MSTORE', 32, 0, 'REVERT',
  'overflow:', 1, '@revert', 'JUMP',
  'unknown:', 255, '@revert', 'JUMP',
];

/** Jumps to `overflow` when the word on top of the stack is 2^64 or more (keeping it): u64 arithmetic, as in the WASM twins. */
const overflowCheck: readonly Asm[] = ['DUP1', 64, 'SHR', '@overflow', 'JUMPI'];

/** Dispatch on word 0: method 0 to `first` (the method index still on the stack), 1 to `second`, anything else reverts with 255. */
const dispatch = (first: string, second: string): Asm[] => [0, 'CALLDATALOAD', 'DUP1', 'ISZERO', `@${first}`, 'JUMPI', 1, 'EQ', `@${second}`, 'JUMPI', '@unknown', 'JUMP'];

/**
 * counter: one word at slot 0.
 * - `inc(a)`: slot 0 += a; reverts with 1 past 2^64 - 1; returns the new value.
 * - `dec(a)`: slot 0 -= a; reverts with 2 when it is smaller than a; returns the new value.
 */
const COUNTER: readonly Asm[] = [
  ...dispatch('inc', 'dec'),
  'inc:', 'POP', 0, 'SLOAD', 32, 'CALLDATALOAD', 'ADD', ...overflowCheck,
  'DUP1', 0, 'SSTORE', '@return', 'JUMP',
  'dec:', 0, 'SLOAD', 32, 'CALLDATALOAD', 'DUP1', 'DUP3', 'LT', '@under', 'JUMPI',
  'SWAP1', 'SUB', 'DUP1', 0, 'SSTORE', '@return', 'JUMP',
  'under:', 2, '@revert', 'JUMP',
  ...TAILS,
];

/**
 * token: balances keyed by account id (the caller's address is its id).
 * - `mint(a)`: the caller's balance += a; reverts with 1 past 2^64 - 1; returns it.
 * - `transfer(to, a)`: moves a from the caller to account id `to`; reverts with 3 when the caller's
 *   balance is smaller, with 1 when the recipient's would pass 2^64 - 1; returns the caller's new
 *   balance. A transfer to oneself changes nothing.
 */
const TOKEN: readonly Asm[] = [
  ...dispatch('mint', 'transfer'),
  'mint:', 'POP', 'CALLER', 'SLOAD', 32, 'CALLDATALOAD', 'ADD', ...overflowCheck,
  'DUP1', 'CALLER', 'SSTORE', '@return', 'JUMP',
  // stack: from balance, amount
  'transfer:', 'CALLER', 'SLOAD', 64, 'CALLDATALOAD', 'DUP1', 'DUP3', 'LT', '@insufficient', 'JUMPI',
  32, 'CALLDATALOAD', 'CALLER', 'EQ', '@self', 'JUMPI',
  'DUP1', 'DUP3', 'SUB', 'CALLER', 'SSTORE',
  32, 'CALLDATALOAD', 'SLOAD', 'DUP2', 'ADD', ...overflowCheck, 32, 'CALLDATALOAD', 'SSTORE',
  'SWAP1', 'SUB', '@return', 'JUMP',
  'self:', 'POP', '@return', 'JUMP',
  'insufficient:', 3, '@revert', 'JUMP',
  ...TAILS,
];

export const EVM_CONTRACT_CODES = ['counter', 'token'] as const;
export type EvmContractCode = (typeof EVM_CONTRACT_CODES)[number];

/** The methods of each EVM contract, by index (calldata word 0). @spec PIPE-EVM-CODE.1 */
export const EVM_CONTRACT_METHODS: Readonly<Record<EvmContractCode, readonly string[]>> = { counter: ['inc', 'dec'], token: ['mint', 'transfer'] };

const PROGRAMS: Readonly<Record<EvmContractCode, readonly Asm[]>> = { counter: COUNTER, token: TOKEN };

const assembled = new Map<EvmContractCode, Uint8Array>();
/** The bytecode of each EVM contract (assembled once per code). @spec PIPE-EVM-CODE.1 */
export const evmContractBytes = (code: EvmContractCode): Uint8Array => {
  let b = assembled.get(code);
  if (b === undefined) { b = assemble(PROGRAMS[code]); assembled.set(code, b); }
  return b;
};

/** The gas each EVM contract call may use. @spec PIPE-EVM-GAS.1 */
export const EVM_CONTRACT_GAS = 100_000n;

/** The state key of an EVM contract's storage slot. @spec PIPE-STATE-KEYS.2 */
export const evmContractKey = (contract: string, slot: bigint): string => `esto/${contract}/${slot}`;

/** The block an EVM contract call sees: every field zero (the contracts read none). @spec PIPE-EVM-HOST.1 */
const EVM_CALL_BLOCK: BlockEnv = {
  coinbase: bigintToAddress(0n), number: 0n, timestamp: 0n, gasLimit: EVM_CONTRACT_GAS, baseFee: 0n, prevRandao: 0n, chainId: 1n, blobBaseFee: 1n, blockHashes: [],
};

interface EvmCallPlan {
  /** The pre-state: the contract account, its storage read on demand through `read`. */
  readonly pre: WorldState;
  readonly call: CallRequest;
  readonly contractAddress: string;
}

/**
 * The message call of an EVM contract transaction: from the address whose value is the caller's
 * account id to the address of the contract instance's account id, value 0, EVM_CONTRACT_GAS gas,
 * calldata the method index and the arguments as words; the contract account holds the code and
 * storage slot s reads the state key `esto/<contract>/<s>`.
 *
 * @spec PIPE-EVM-HOST.1
 */
const evmCallPlan = (code: EvmContractCode, contract: string, method: string, args: readonly bigint[], from: string, read: (key: string) => bigint): EvmCallPlan => {
  const contractAddress = bigintToAddress(accountId(contract));
  const words = [BigInt(EVM_CONTRACT_METHODS[code].indexOf(method)), ...args.slice(0, MAX_ARGS)];
  const data = new Uint8Array(32 * words.length);
  words.forEach((w, i) => data.set(wordBytes(w), 32 * i));
  const storage = new LazyStorage((slot) => read(evmContractKey(contract, slot)));
  return {
    pre: new Map([[contractAddress, { nonce: 1n, balance: 0n, code: evmContractBytes(code), storage }]]),
    call: { caller: bigintToAddress(accountId(from)), to: contractAddress, value: 0n, data, gas: EVM_CONTRACT_GAS },
    contractAddress,
  };
};

export interface EvmEffect {
  readonly status: 'success' | 'revert';
  readonly code: string | null;
  readonly output: bigint;
  readonly writes: ReadonlyMap<string, bigint>;
}


/**
 * The effect of a finished call: success gives the returned word as output and every slot the call
 * stored as a write; a revert gives `Pipeline.Contract.REVERT` with the revert word as output; a
 * halt (out of gas, invalid instruction) or an executor error gives `Pipeline.Contract.TRAP` with
 * output 0. Nothing is written unless the call succeeds.
 *
 * @spec PIPE-EVM-EXEC.1
 */
const evmEffect = (plan: EvmCallPlan, contract: string, r: Result<CallOutcome>): EvmEffect => {
  const trap: EvmEffect = { status: 'revert', code: 'Pipeline.Contract.TRAP', output: 0n, writes: new Map() };
  if (!r.ok) return trap;
  const o = r.value;
  if (o.status === 'revert') return { status: 'revert', code: 'Pipeline.Contract.REVERT', output: bytesToBigint(o.output), writes: new Map() };
  if (o.status !== 'success') return trap;
  const storage = o.state.get(plan.contractAddress)?.storage;
  const written = storage instanceof LazyStorage ? storage.written : new Map<bigint, bigint>();
  return { status: 'success', code: null, output: bytesToBigint(o.output), writes: new Map([...written].map(([slot, v]) => [evmContractKey(contract, slot), v])) };
};

/**
 * Runs an EVM contract method on the model's EVM interpreter against the transaction's view of
 * state (`read`: an absent key reads 0).
 *
 * @spec PIPE-EVM-HOST.1 PIPE-EVM-EXEC.1 PIPE-EVM-GAS.1
 */
export const runEvmContract = (code: EvmContractCode, contract: string, method: string, args: readonly bigint[], from: string, read: (key: string) => bigint): EvmEffect => {
  const plan = evmCallPlan(code, contract, method, args, from, read);
  return evmEffect(plan, contract, executeCall(plan.pre, EVM_CALL_BLOCK, 0n, plan.call));
};
