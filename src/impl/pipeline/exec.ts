/**
 * Transaction decoding checks, hashing and execution for the pipeline implementation. Execution
 * reports its reads through a callback that may abort (a read of a value still being
 * re-executed), which is what optimistic parallel execution needs.
 */
import { keccak256OfText } from '../encoding/keccak.js';
import type { Result } from '../../model/encoding/result.js';
import type { Tx, Receipt } from '../../model/pipeline/tx.js';
import type { GenesisAccount } from '../../model/pipeline/serial.js';
import { callContract, methodsOf } from './contracts.js';
import { callEvmContract, evmMethodsOf } from './evm-contracts.js';

export const hex = (b: Uint8Array): string => `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`;

const NAME = /^[a-z0-9]{1,16}$/;
const LIMIT = 0xffff_ffff_ffff_ffffn;

const bad = (code: string, message: string): Result<never> => ({ ok: false, error: { code, message } });

export const checkTx = (tx: Tx, where: string): Result<never> | null => {
  for (const a of tx.kind === 'transfer' ? [tx.from, tx.to] : [tx.from, tx.contract]) {
    if (!NAME.test(a)) return bad('Pipeline.Input.BAD_TX', `${where}: account ${JSON.stringify(a)} is not 1 to 16 lowercase letters or digits`);
  }
  if (tx.kind === 'wasm' || tx.kind === 'evm') {
    const methods = tx.kind === 'wasm' ? methodsOf(tx.code) : evmMethodsOf(tx.code);
    if (methods === undefined) return bad('Pipeline.Input.BAD_TX', `${where}: unknown ${tx.kind} contract code ${JSON.stringify(tx.code)}`);
    if (!methods.includes(tx.method)) return bad('Pipeline.Input.BAD_TX', `${where}: ${tx.kind} contract ${tx.code} has no method ${JSON.stringify(tx.method)}`);
    if (tx.args.length > 4) return bad('Pipeline.Input.BAD_TX', `${where}: ${tx.args.length} calldata words, at most 4`);
    for (let i = 0; i < tx.args.length; i++) if (tx.args[i]! < 0n || tx.args[i]! > LIMIT) return bad('Pipeline.Input.BAD_TX', `${where}: calldata word ${i} is outside [0, 2^64 - 1]`);
  } else if (tx.amount < 0n || tx.amount > LIMIT) return bad('Pipeline.Input.BAD_TX', `${where}: amount ${tx.amount} is outside [0, 2^64 - 1]`);
  if (!Number.isSafeInteger(tx.salt) || tx.salt < 0 || tx.salt > 0xffff_ffff) return bad('Pipeline.Input.BAD_TX', `${where}: salt ${tx.salt} is outside [0, 2^32 - 1]`);
  if (tx.kind === 'call') {
    if (!Number.isSafeInteger(tx.slot) || tx.slot < 0 || tx.slot > 255) return bad('Pipeline.Input.BAD_TX', `${where}: slot ${tx.slot} is outside [0, 255]`);
    if (!['add', 'sub', 'move'].includes(tx.op)) return bad('Pipeline.Input.BAD_TX', `${where}: unknown call operation ${JSON.stringify(tx.op)}`);
  }
  return null;
};

export const checkGenesis = (genesis: readonly GenesisAccount[]): Result<never> | null => {
  const names = new Set<string>();
  for (let i = 0; i < genesis.length; i++) {
    const g = genesis[i]!;
    if (!NAME.test(g.account)) return bad('Pipeline.Input.BAD_GENESIS', `genesis[${i}]: account ${JSON.stringify(g.account)} is not 1 to 16 lowercase letters or digits`);
    if (g.balance < 0n || g.balance > LIMIT) return bad('Pipeline.Input.BAD_GENESIS', `genesis[${i}]: balance ${g.balance} is outside [0, 2^64 - 1]`);
    if (names.has(g.account)) return bad('Pipeline.Input.BAD_GENESIS', `genesis[${i}]: account ${g.account} is listed twice`);
    names.add(g.account);
  }
  return null;
};

const textOf = (tx: Tx): string => {
  switch (tx.kind) {
    case 'transfer': return `transfer:${tx.from}:${tx.to}:${tx.amount}:${tx.salt}`;
    case 'call': return `call:${tx.from}:${tx.contract}:${tx.slot}:${tx.op}:${tx.amount}:${tx.salt}`;
    case 'wasm':
    case 'evm': return `${tx.kind}:${tx.from}:${tx.contract}:${tx.code}:${tx.method}:${tx.args.join(',')}:${tx.salt}`;
  }
};

export const hashTx = (tx: Tx): string => hex(keccak256OfText(textOf(tx)));

export interface Outcome {
  readonly status: 'success' | 'revert';
  readonly code: string | null;
  readonly output: bigint;
  readonly writes: readonly (readonly [string, bigint])[];
}

/** Thrown through `run` when a read hits a value whose writer is being re-executed. */
export class ReadBlocked {
  constructor(readonly on: number) {}
}

/** Runs a transaction; `read` returns a key's value (0 when absent) or throws ReadBlocked. */
export const run = (tx: Tx, read: (key: string) => bigint): Outcome => {
  switch (tx.kind) {
    case 'transfer': {
      const fromKey = `bal/${tx.from}`;
      const have = read(fromKey);
      if (have < tx.amount) return { status: 'revert', code: 'Pipeline.Transfer.INSUFFICIENT_BALANCE', output: have, writes: [] };
      if (tx.to === tx.from) return { status: 'success', code: null, output: have, writes: [[fromKey, have]] };
      const toKey = `bal/${tx.to}`;
      const dest = read(toKey);
      return { status: 'success', code: null, output: have - tx.amount, writes: [[fromKey, have - tx.amount], [toKey, dest + tx.amount]] };
    }
    case 'call': {
      const slotKey = `sto/${tx.contract}/${tx.slot}`;
      const cur = read(slotKey);
      switch (tx.op) {
        case 'add':
          return { status: 'success', code: null, output: cur + tx.amount, writes: [[slotKey, cur + tx.amount]] };
        case 'sub':
          return cur < tx.amount
            ? { status: 'revert', code: 'Pipeline.Call.UNDERFLOW', output: cur, writes: [] }
            : { status: 'success', code: null, output: cur - tx.amount, writes: [[slotKey, cur - tx.amount]] };
        case 'move': {
          const balKey = `bal/${tx.from}`;
          const bal = read(balKey);
          if (bal < tx.amount) return { status: 'revert', code: 'Pipeline.Transfer.INSUFFICIENT_BALANCE', output: bal, writes: [] };
          return { status: 'success', code: null, output: cur + tx.amount, writes: [[balKey, bal - tx.amount], [slotKey, cur + tx.amount]] };
        }
      }
      break;
    }
    case 'wasm':
      return callContract(tx.code, tx.contract, tx.method, tx.args, tx.from, read);
    case 'evm':
      return callEvmContract(tx.code, tx.contract, tx.method, tx.args, tx.from, read);
  }
  throw new Error('unreachable: unknown call operation');
};

/** What a receipt's committed text holds; a commit shard has the sequence number and output as decimal text. */
export interface ReceiptFields { readonly tx: string; readonly seq: bigint | string; readonly index: number; readonly status: Receipt['status']; readonly code: string | null; readonly output: bigint | string }

/** A receipt as the text whose UTF-8 bytes the receipts tree commits to. */
export const receiptText = (r: ReceiptFields): string => `${r.tx}|${r.seq}|${r.index}|${r.status}|${r.code ?? ''}|${r.output}`;
/** The hash of a receipt that the receipts tree commits to: Keccak-256 of its text. */
export const receiptHash = (r: ReceiptFields): Uint8Array => keccak256OfText(receiptText(r));

/** An outcome with the values the transaction read, in read order, for checking at the ordered merge. */
export interface ExecOutcome extends Outcome {
  readonly reads: readonly (readonly [string, bigint])[];
}

/**
 * Executes a run of transactions in order; reads see the run's earlier writes over the pre-state
 * `state` gives (undefined for a key never written).
 */
export const executeRun = (txs: readonly Tx[], state: (key: string) => bigint | undefined): ExecOutcome[] => {
  const local = new Map<string, bigint>();
  let reads: [string, bigint][] = [];
  const read = (key: string): bigint => {
    const v = local.get(key) ?? state(key) ?? 0n;
    reads.push([key, v]);
    return v;
  };
  return txs.map((tx) => {
    reads = [];
    const o = run(tx, read);
    for (const [k, v] of o.writes) local.set(k, v);
    return { status: o.status, code: o.code, output: o.output, writes: o.writes, reads };
  });
};

