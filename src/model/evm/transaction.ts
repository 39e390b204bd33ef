/**
 * Transaction execution as the state tests exercise it (EELS `process_transaction` for Cancun):
 * validity, intrinsic gas, up-front fee, the message call or creation, refunds, the coinbase
 * payment and the end-of-transaction deletion of self-destructed and touched empty accounts.
 */
import { fail, ok, type Result } from '../encoding/index.js';
import { G, LIMITS, wordCount } from './gas.js';
import { blobBaseFee, createAddress, processCreateMessage, processMessage, type BlockEnv, type Ctx, type FrameResult, type Log, type Message } from './interpreter.js';
import { PRECOMPILE_ADDRESSES } from './precompiles.js';
import { deleteAccount, existsAndIsEmpty, getAccount, modifyAccount, setAccount, type Address, type WorldState } from './state.js';

export interface AccessListEntry { readonly address: Address; readonly storageKeys: readonly bigint[] }

export interface Transaction {
  readonly sender: Address;
  /** null creates a contract. */
  readonly to: Address | null;
  readonly nonce: bigint;
  readonly gasLimit: bigint;
  readonly value: bigint;
  readonly data: Uint8Array;
  /** Legacy and EIP-2930 transactions carry a gas price; EIP-1559 and EIP-4844 carry fee caps. */
  readonly fee: { readonly kind: 'legacy'; readonly gasPrice: bigint } | { readonly kind: 'dynamic'; readonly maxFeePerGas: bigint; readonly maxPriorityFeePerGas: bigint };
  readonly accessList: readonly AccessListEntry[];
  readonly blobHashes: readonly bigint[];
  readonly maxFeePerBlobGas: bigint;
}

export interface BlockHeaderEnv extends Omit<BlockEnv, 'blobBaseFee'> { readonly excessBlobGas: bigint }

export interface TxOutcome {
  readonly state: WorldState;
  readonly logs: readonly Log[];
  readonly gasUsed: bigint;
  readonly status: FrameResult['status'];
  readonly reason: string;
  readonly output: Uint8Array;
}

const GAS_PER_BLOB = 131072n;
const MAX_BLOBS = 6;

/** Intrinsic gas: 21000, calldata bytes, creation and init code words, access list entries. @spec EVM-TX-INTRINSIC.1 */
export const intrinsicGas = (tx: Transaction): bigint => {
  let g = G.txBase;
  for (const b of tx.data) g += b === 0 ? G.txDataZero : G.txDataNonZero;
  if (tx.to === null) g += G.txCreate + G.initCodeWord * wordCount(BigInt(tx.data.length));
  for (const e of tx.accessList) g += G.txAccessListAddress + G.txAccessListKey * BigInt(e.storageKeys.length);
  return g;
};

/** The price per gas the sender pays, or a failure when the fee fields do not fit the base fee. @spec EVM-TX-FEES.1 */
export const effectiveGasPrice = (tx: Transaction, baseFee: bigint): Result<bigint> => {
  if (tx.fee.kind === 'legacy') return tx.fee.gasPrice < baseFee ? fail('Evm.Tx.FEE_CAP_BELOW_BASE_FEE', `gas price ${tx.fee.gasPrice} is below the base fee ${baseFee}`) : ok(tx.fee.gasPrice);
  const { maxFeePerGas, maxPriorityFeePerGas } = tx.fee;
  if (maxPriorityFeePerGas > maxFeePerGas) return fail('Evm.Tx.PRIORITY_ABOVE_FEE_CAP', `max priority fee ${maxPriorityFeePerGas} exceeds max fee ${maxFeePerGas}`);
  if (maxFeePerGas < baseFee) return fail('Evm.Tx.FEE_CAP_BELOW_BASE_FEE', `max fee ${maxFeePerGas} is below the base fee ${baseFee}`);
  const tip = maxPriorityFeePerGas < maxFeePerGas - baseFee ? maxPriorityFeePerGas : maxFeePerGas - baseFee;
  return ok(baseFee + tip);
};

/**
 * Validates and executes one transaction; an invalid transaction is a failure value and leaves the
 * state untouched (the caller keeps the old state).
 *
 * @spec EVM-TX-VALIDITY.1 EVM-TX-INTRINSIC.1 EVM-TX-FEES.1 EVM-TX-ACCESS.1 EVM-TX-REFUND.1 EVM-TX-COINBASE.1 EVM-TX-CLEANUP.1
 */
export const executeTransaction = (pre: WorldState, header: BlockHeaderEnv, tx: Transaction): Result<TxOutcome> => {
  const intrinsic = intrinsicGas(tx);
  if (intrinsic > tx.gasLimit) return fail('Evm.Tx.INTRINSIC_GAS', `gas limit ${tx.gasLimit} is below the intrinsic gas ${intrinsic}`);
  if (tx.nonce >= (1n << 64n) - 1n) return fail('Evm.Tx.NONCE_OVERFLOW', `nonce ${tx.nonce} is at the maximum`);
  if (tx.to === null && tx.data.length > LIMITS.maxInitCodeSize) return fail('Evm.Tx.INIT_CODE_TOO_LARGE', `init code of ${tx.data.length} bytes exceeds ${LIMITS.maxInitCodeSize}`);
  if (tx.gasLimit > header.gasLimit) return fail('Evm.Tx.GAS_LIMIT_EXCEEDED', `gas limit ${tx.gasLimit} exceeds the block gas limit ${header.gasLimit}`);
  const priceR = effectiveGasPrice(tx, header.baseFee);
  if (!priceR.ok) return priceR;
  const price = priceR.value;
  const blobPrice = blobBaseFee(header.excessBlobGas);
  const blobGas = GAS_PER_BLOB * BigInt(tx.blobHashes.length);
  if (tx.blobHashes.length > 0) {
    if (tx.to === null) return fail('Evm.Tx.BLOB_CREATE', 'a blob transaction cannot create a contract');
    if (tx.blobHashes.length > MAX_BLOBS) return fail('Evm.Tx.TOO_MANY_BLOBS', `${tx.blobHashes.length} blobs exceed ${MAX_BLOBS}`);
    if (tx.blobHashes.some((h) => h >> 248n !== 1n)) return fail('Evm.Tx.BLOB_VERSION', 'a blob versioned hash does not start with 0x01');
    if (tx.maxFeePerBlobGas < blobPrice) return fail('Evm.Tx.BLOB_FEE_CAP', `max fee per blob gas ${tx.maxFeePerBlobGas} is below ${blobPrice}`);
  }
  const sender = getAccount(pre, tx.sender);
  if (sender.nonce !== tx.nonce) return fail('Evm.Tx.NONCE_MISMATCH', `transaction nonce ${tx.nonce} differs from the sender nonce ${sender.nonce}`);
  if (sender.code.length > 0) return fail('Evm.Tx.SENDER_HAS_CODE', `sender ${tx.sender} has code (EIP-3607)`);
  const maxGasFee = tx.gasLimit * (tx.fee.kind === 'legacy' ? tx.fee.gasPrice : tx.fee.maxFeePerGas) + blobGas * tx.maxFeePerBlobGas;
  if (sender.balance < maxGasFee + tx.value) return fail('Evm.Tx.INSUFFICIENT_FUNDS', `sender balance ${sender.balance} is below ${maxGasFee + tx.value}`);

  const upFront = tx.gasLimit * price + blobGas * blobPrice;
  let state = modifyAccount(pre, tx.sender, (a) => ({ ...a, nonce: a.nonce + 1n, balance: a.balance - upFront }));

  const accessed = new Set<Address>([tx.sender, header.coinbase, ...PRECOMPILE_ADDRESSES]);
  const keys = new Set<string>();
  if (tx.to !== null) accessed.add(tx.to);
  for (const e of tx.accessList) { accessed.add(e.address); for (const k of e.storageKeys) keys.add(`${e.address}:${k}`); }

  const block: BlockEnv = { ...header, blobBaseFee: blobPrice };
  const target = tx.to ?? createAddress(tx.sender, tx.nonce);
  if (tx.to === null) accessed.add(target);
  const ctx: Ctx = {
    state, transient: new Map(), original: pre, block, tx: { origin: tx.sender, gasPrice: price, blobHashes: tx.blobHashes },
    sub: { accessedAddresses: accessed, accessedKeys: keys, touched: new Set(), toDelete: new Set(), created: new Set(), refund: 0n, logs: [] },
  };
  const msg: Message = {
    caller: tx.sender, target: tx.to, currentTarget: target, codeAddress: tx.to, gas: tx.gasLimit - intrinsic, value: tx.value,
    data: tx.to === null ? new Uint8Array(0) : tx.data, code: tx.to === null ? tx.data : getAccount(state, target).code,
    depth: 0, shouldTransferValue: true, isStatic: false,
  };

  let result: FrameResult;
  const collision = tx.to === null && (() => { const a = state.get(target); return a !== undefined && (a.code.length > 0 || a.nonce !== 0n || a.storage.size > 0); })();
  if (collision) {
    result = { status: 'halt', reason: 'AddressCollision', gasLeft: 0n, output: new Uint8Array(0), ctx };
  } else {
    const r = tx.to === null ? processCreateMessage(msg, ctx) : processMessage(msg, ctx);
    if (!r.ok) return r;
    result = r.value;
  }
  const success = result.status === 'success';
  const sub = result.ctx.sub;
  state = result.ctx.state;
  const touched = new Set(success ? sub.touched : []);
  if (tx.to !== null && existsAndIsEmpty(state, tx.to)) touched.add(tx.to);

  const gasUsedBeforeRefund = tx.gasLimit - result.gasLeft;
  const refundCounter = success ? sub.refund : 0n;
  const refund = refundCounter < gasUsedBeforeRefund / 5n ? refundCounter : gasUsedBeforeRefund / 5n;
  const gasLeft = result.gasLeft + refund;
  state = modifyAccount(state, tx.sender, (a) => ({ ...a, balance: a.balance + gasLeft * price }));
  const fee = (tx.gasLimit - gasLeft) * (price - header.baseFee);
  const coinbaseBalance = getAccount(state, header.coinbase).balance + fee;
  if (coinbaseBalance !== 0n) state = setAccount(state, header.coinbase, { ...getAccount(state, header.coinbase), balance: coinbaseBalance });
  else if (existsAndIsEmpty(state, header.coinbase)) state = deleteAccount(state, header.coinbase);
  if (success) for (const a of sub.toDelete) state = deleteAccount(state, a);
  for (const a of touched) if (existsAndIsEmpty(state, a)) state = deleteAccount(state, a);
  return ok({ state, logs: success ? sub.logs : [], gasUsed: tx.gasLimit - gasLeft, status: result.status, reason: result.reason, output: result.output });
};
