/**
 * EVM contract calls in the pipeline: the contract's bytecode lowered to dMIR and run on the
 * compiled engine (EVM-LOWER-EXEC.1), as a bare message call whose contract storage is read on
 * demand from the transaction's view of state.
 */
import { LazyStorage, executeStateCallOnEngine } from '../evm/lowered.js';
import { EVM_CALL_GAS, EVM_CODES, EVM_METHODS, type EvmCode } from './codes.js';
import { accountIdOf, byName, type ContractOutcome } from './contracts.js';

const address = (id: bigint): string => `0x${id.toString(16).padStart(40, '0')}`;
/** An account's EVM address. */
const addressOf = byName((name) => address(accountIdOf(name)));
const ZERO_ADDRESS = address(0n);
/** Every block field zero: the contracts read none (PIPE-EVM-HOST.1). */
const BLOCK = { coinbase: ZERO_ADDRESS, number: 0n, timestamp: 0n, gasLimit: EVM_CALL_GAS, baseFee: 0n, prevRandao: 0n, chainId: 1n, blobBaseFee: 1n, blockHashes: [] };

/** Big-endian bytes as a number (the empty output is 0), 8 bytes at a time. */
const word = (b: Uint8Array): bigint => {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let v = 0n;
  let i = 0;
  for (; i + 8 <= b.length; i += 8) v = (v << 64n) | view.getBigUint64(i);
  for (; i < b.length; i++) v = (v << 8n) | BigInt(b[i]!);
  return v;
};

/** The methods of an EVM contract code; undefined for an unknown code. */
export const evmMethodsOf = (code: string): readonly string[] | undefined => (Object.hasOwn(EVM_METHODS, code) ? EVM_METHODS[code as EvmCode] : undefined);

/** Runs an EVM contract method for `from` on the state `read` gives; rethrows whatever `read` threw. */
export const callEvmContract = (code: EvmCode, contract: string, method: string, args: readonly bigint[], from: string, read: (key: string) => bigint): ContractOutcome => {
  const trap: ContractOutcome = { status: 'revert', code: 'Pipeline.Contract.TRAP', output: 0n, writes: [] };
  const key = (slot: bigint): string => `esto/${contract}/${slot}`;
  // A read that throws (a parked Block-STM read) must not unwind through the engine: it is kept,
  // the call goes on reading 0, and the exception is rethrown once the call is over.
  let aborted: { readonly e: unknown } | null = null;
  const storage = new LazyStorage((slot) => {
    if (aborted !== null) return 0n;
    try { return read(key(slot)); } catch (e) { aborted = { e }; return 0n; }
  });
  const self = addressOf(contract);
  const words = [BigInt(EVM_METHODS[code].indexOf(method)), ...args];
  // Calldata words are below 2^64 (PIPE-TX-FORM.2): each is its last 8 bytes.
  const data = new Uint8Array(32 * words.length);
  const view = new DataView(data.buffer);
  words.forEach((w, i) => view.setBigUint64(32 * i + 24, w));
  const pre = new Map([[self, { nonce: 1n, balance: 0n, code: EVM_CODES[code], storage }]]);
  const r = executeStateCallOnEngine(pre, BLOCK, 0n, { caller: addressOf(from), to: self, value: 0n, data, gas: EVM_CALL_GAS });
  if (aborted !== null) throw (aborted as { readonly e: unknown }).e;
  if (!r.ok) return trap;
  const o = r.value;
  if (o.status === 'revert') return { status: 'revert', code: 'Pipeline.Contract.REVERT', output: word(o.output), writes: [] };
  if (o.status !== 'success') return trap;
  const after = o.state.get(self)?.storage;
  const written = after instanceof LazyStorage ? [...after.written] : [];
  return { status: 'success', code: null, output: word(o.output), writes: written.map(([slot, v]) => [key(slot), v] as const) };
};
