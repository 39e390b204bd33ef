/**
 * The transaction language of the pipeline and its execution semantics: balance transfers, calls
 * of a built-in counter (slot arithmetic without code), calls of WASM contracts run on the dMIR
 * interpreter (`contracts.ts`) and calls of EVM contracts run on the EVM interpreter
 * (`evm-contracts.ts`). Execution is a pure function of the transaction and a read
 * function over the pre-state; it returns the receipt fields and the writes.
 *
 * @module
 */
import { type Result, ok, fail } from '../encoding/result.js';
import { keccak256, utf8 } from '../encoding/hash.js';
import { bytesToHex } from '../encoding/hex.js';
import { CONTRACT_CODES, CONTRACT_METHODS, MAX_ARGS, runContract, type ContractCode } from './contracts.js';
import { EVM_CONTRACT_CODES, EVM_CONTRACT_METHODS, runEvmContract, type EvmContractCode } from './evm-contracts.js';

export type Account = string;

export type Tx =
  | { readonly kind: 'transfer'; readonly from: Account; readonly to: Account; readonly amount: bigint; readonly salt: number }
  | {
      readonly kind: 'call';
      readonly from: Account;
      readonly contract: Account;
      readonly slot: number;
      readonly op: 'add' | 'sub' | 'move';
      readonly amount: bigint;
      readonly salt: number;
    }
  | {
      readonly kind: 'wasm';
      readonly from: Account;
      /** The contract instance: its storage is `wsto/<contract>/<key>`. */
      readonly contract: Account;
      /** Which WASM module runs. */
      readonly code: ContractCode;
      readonly method: string;
      /** Calldata words, each in [0, 2^64 - 1]. */
      readonly args: readonly bigint[];
      readonly salt: number;
    }
  | {
      readonly kind: 'evm';
      readonly from: Account;
      /** The contract instance: its storage slot s is `esto/<contract>/<s>`. */
      readonly contract: Account;
      /** Which EVM bytecode runs. */
      readonly code: EvmContractCode;
      readonly method: string;
      /** Arguments, each in [0, 2^64 - 1]. */
      readonly args: readonly bigint[];
      readonly salt: number;
    };

export type TxStatus = 'success' | 'revert';

export interface Receipt {
  readonly tx: string;
  readonly seq: bigint;
  readonly index: number;
  readonly status: TxStatus;
  /** The revert reason, a stable code; null on success. */
  readonly code: string | null;
  readonly output: bigint;
}

export const MAX_AMOUNT = (1n << 64n) - 1n;
export const MAX_SLOT = 255;
export const MAX_SALT = 0xffff_ffff;
const ACCOUNT = /^[a-z0-9]{1,16}$/;

export const REVERT_CODES = ['Pipeline.Transfer.INSUFFICIENT_BALANCE', 'Pipeline.Call.UNDERFLOW', 'Pipeline.Contract.REVERT', 'Pipeline.Contract.TRAP'] as const;

/**
 * A transaction is well formed when its accounts are 1 to 16 lowercase letters or digits, its
 * amount is in [0, 2^64 - 1], its slot in [0, 255], its salt in [0, 2^32 - 1] and its call
 * operation is add, sub or move; a WASM or EVM call names one of the contract codes of its kind
 * and one of its methods and has at most four calldata words, each in [0, 2^64 - 1].
 *
 * @spec PIPE-TX-FORM.2 PIPE-CONTRACT-CODE.1 PIPE-EVM-CODE.1
 */
export const validateTx = (tx: Tx, where: string): Result<Tx> => {
  const accounts = tx.kind === 'transfer' ? [tx.from, tx.to] : [tx.from, tx.contract];
  const bad = accounts.find((a) => !ACCOUNT.test(a));
  if (bad !== undefined) return fail('Pipeline.Input.BAD_TX', `${where}: account ${JSON.stringify(bad)} is not 1 to 16 lowercase letters or digits`);
  if (tx.kind === 'wasm' || tx.kind === 'evm') {
    const codes: readonly string[] = tx.kind === 'wasm' ? CONTRACT_CODES : EVM_CONTRACT_CODES;
    if (!codes.includes(tx.code)) return fail('Pipeline.Input.BAD_TX', `${where}: unknown ${tx.kind} contract code ${JSON.stringify(tx.code)}`);
    const methods: Readonly<Record<string, readonly string[]>> = tx.kind === 'wasm' ? CONTRACT_METHODS : EVM_CONTRACT_METHODS;
    if (!methods[tx.code]!.includes(tx.method)) return fail('Pipeline.Input.BAD_TX', `${where}: ${tx.kind} contract ${tx.code} has no method ${JSON.stringify(tx.method)}`);
    if (tx.args.length > MAX_ARGS) return fail('Pipeline.Input.BAD_TX', `${where}: ${tx.args.length} calldata words, at most ${MAX_ARGS}`);
    const arg = tx.args.findIndex((a) => a < 0n || a > MAX_AMOUNT);
    if (arg >= 0) return fail('Pipeline.Input.BAD_TX', `${where}: calldata word ${arg} is outside [0, 2^64 - 1]`);
  } else if (tx.amount < 0n || tx.amount > MAX_AMOUNT) return fail('Pipeline.Input.BAD_TX', `${where}: amount ${tx.amount} is outside [0, 2^64 - 1]`);
  if (!Number.isSafeInteger(tx.salt) || tx.salt < 0 || tx.salt > MAX_SALT) return fail('Pipeline.Input.BAD_TX', `${where}: salt ${tx.salt} is outside [0, 2^32 - 1]`);
  if (tx.kind === 'call') {
    if (!Number.isSafeInteger(tx.slot) || tx.slot < 0 || tx.slot > MAX_SLOT) return fail('Pipeline.Input.BAD_TX', `${where}: slot ${tx.slot} is outside [0, 255]`);
    if (tx.op !== 'add' && tx.op !== 'sub' && tx.op !== 'move') return fail('Pipeline.Input.BAD_TX', `${where}: unknown call operation ${JSON.stringify(tx.op)}`);
  }
  return ok(tx);
};

/**
 * The text form of a transaction, the bytes its hash is taken over:
 * `transfer:<from>:<to>:<amount>:<salt>`, `call:<from>:<contract>:<slot>:<op>:<amount>:<salt>`,
 * `wasm:<from>:<contract>:<code>:<method>:<args, comma separated>:<salt>` or the same with `evm:`,
 * integers in decimal without leading zeros.
 *
 * @spec PIPE-TX-HASH.2
 */
export const txText = (tx: Tx): string =>
  tx.kind === 'transfer'
    ? `transfer:${tx.from}:${tx.to}:${tx.amount}:${tx.salt}`
    : tx.kind === 'call'
      ? `call:${tx.from}:${tx.contract}:${tx.slot}:${tx.op}:${tx.amount}:${tx.salt}`
      : `${tx.kind}:${tx.from}:${tx.contract}:${tx.code}:${tx.method}:${tx.args.join(',')}:${tx.salt}`;

/** The hash of a transaction: Keccak-256 of the UTF-8 of its text form, lowercase 0x-hex. @spec PIPE-TX-HASH.2 */
export const txHash = (tx: Tx): string => bytesToHex(keccak256(utf8(txText(tx))));

/** The state key of an account's balance. @spec PIPE-STATE-KEYS.2 */
export const balanceKey = (a: Account): string => `bal/${a}`;
/** The state key of a contract's storage slot. @spec PIPE-STATE-KEYS.2 */
export const slotKey = (c: Account, slot: number): string => `sto/${c}/${slot}`;

export interface Effect {
  readonly status: TxStatus;
  readonly code: string | null;
  readonly output: bigint;
  /** The keys written with their new values; empty on revert. */
  readonly writes: ReadonlyMap<string, bigint>;
}

const revert = (code: string, output: bigint): Effect => ({ status: 'revert', code, output, writes: new Map() });

/**
 * Executes one transaction against a pre-state given as a read function (an absent key reads 0).
 * - transfer: reverts with INSUFFICIENT_BALANCE when the sender's balance is below the amount
 *   (output: that balance); otherwise moves the amount (output: the sender's new balance). A
 *   transfer to oneself reads and rewrites the same balance.
 * - call add: slot += amount (output: the new slot value).
 * - call sub: reverts with UNDERFLOW when slot < amount (output: the slot value); else slot -= amount.
 * - call move: reverts with INSUFFICIENT_BALANCE when the caller's balance is below the amount;
 *   otherwise moves the amount from the caller's balance into the slot (output: the new slot value).
 * - wasm: the contract method on the dMIR interpreter (PIPE-CONTRACT-EXEC.1).
 * - evm: the contract method on the EVM interpreter (PIPE-EVM-EXEC.1).
 * A revert writes nothing.
 *
 * @spec PIPE-EXEC-TRANSFER.1 PIPE-EXEC-CALL.1 PIPE-EXEC-REVERT.1 PIPE-CONTRACT-EXEC.1 PIPE-EVM-EXEC.1
 */
export const executeTx = (tx: Tx, read: (key: string) => bigint): Effect => {
  if (tx.kind === 'wasm') return runContract(tx.code, tx.contract, tx.method, tx.args, tx.from, read);
  if (tx.kind === 'evm') return runEvmContract(tx.code, tx.contract, tx.method, tx.args, tx.from, read);
  if (tx.kind === 'transfer') {
    const fromBal = read(balanceKey(tx.from));
    if (fromBal < tx.amount) return revert('Pipeline.Transfer.INSUFFICIENT_BALANCE', fromBal);
    if (tx.from === tx.to) return { status: 'success', code: null, output: fromBal, writes: new Map([[balanceKey(tx.from), fromBal]]) };
    const toBal = read(balanceKey(tx.to));
    return {
      status: 'success',
      code: null,
      output: fromBal - tx.amount,
      writes: new Map([[balanceKey(tx.from), fromBal - tx.amount], [balanceKey(tx.to), toBal + tx.amount]]),
    };
  }
  const key = slotKey(tx.contract, tx.slot);
  const value = read(key);
  if (tx.op === 'add') return { status: 'success', code: null, output: value + tx.amount, writes: new Map([[key, value + tx.amount]]) };
  if (tx.op === 'sub') {
    if (value < tx.amount) return revert('Pipeline.Call.UNDERFLOW', value);
    return { status: 'success', code: null, output: value - tx.amount, writes: new Map([[key, value - tx.amount]]) };
  }
  const bal = read(balanceKey(tx.from));
  if (bal < tx.amount) return revert('Pipeline.Transfer.INSUFFICIENT_BALANCE', bal);
  return { status: 'success', code: null, output: value + tx.amount, writes: new Map([[balanceKey(tx.from), bal - tx.amount], [key, value + tx.amount]]) };
};

/**
 * The bytes a receipt is committed as: the UTF-8 of
 * `<tx>|<seq>|<index>|<status>|<code or empty>|<output>`, integers in decimal.
 *
 * @spec PIPE-RECEIPT-ROOT.1
 */
export const receiptBytes = (r: Receipt): Uint8Array => utf8(`${r.tx}|${r.seq}|${r.index}|${r.status}|${r.code ?? ''}|${r.output}`);

/** A state value as stored: the UTF-8 of its decimal form. @spec PIPE-STATE-KEYS.2 */
export const encodeValue = (v: bigint): Uint8Array => utf8(v.toString());
