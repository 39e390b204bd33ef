/**
 * The Cancun gas schedule: constants and the dynamic cost rules, one function per rule.
 */

export const G = {
  zero: 0n, base: 2n, veryLow: 3n, low: 5n, mid: 8n, high: 10n, jumpdest: 1n,
  warmAccess: 100n, coldAccountAccess: 2600n, coldSload: 2100n,
  sstoreSet: 20000n, sstoreReset: 5000n, sstoreClearRefund: 4800n, callStipend: 2300n,
  callValue: 9000n, newAccount: 25000n, create: 32000n, codeDeposit: 200n, selfdestruct: 5000n,
  exp: 10n, expByte: 50n, keccak: 30n, keccakWord: 6n, copyWord: 3n, memory: 3n, log: 375n, logTopic: 375n, logData: 8n,
  blockhash: 20n, initCodeWord: 2n, transientAccess: 100n,
  txBase: 21000n, txCreate: 32000n, txDataZero: 4n, txDataNonZero: 16n, txAccessListAddress: 2400n, txAccessListKey: 1900n,
} as const;

/** Limits of the profile. @spec EVM-LIMIT-STACK.1 EVM-LIMIT-DEPTH.1 EVM-LIMIT-CODE.1 */
export const LIMITS = { stack: 1024, depth: 1024, maxCodeSize: 24576, maxInitCodeSize: 49152 } as const;

/** Number of 32-byte words covering `size` bytes. */
export const wordCount = (size: bigint): bigint => (size + 31n) / 32n;

/** Total memory cost of `words` words: 3 per word plus words^2/512. @spec EVM-MEM-COST.1 */
export const memoryCost = (words: bigint): bigint => G.memory * words + (words * words) / 512n;

/**
 * The cost of touching `regions` ([offset, size] pairs) given the current memory size in bytes:
 * regions of size zero touch nothing; the new size is rounded up to a whole word.
 *
 * @spec EVM-MEM-EXPAND.1
 */
export const memoryExpansion = (currentBytes: number, regions: readonly (readonly [bigint, bigint])[]): { readonly cost: bigint; readonly newBytes: bigint } => {
  let end = BigInt(currentBytes);
  for (const [off, size] of regions) if (size !== 0n && off + size > end) end = off + size;
  const newWords = wordCount(end);
  const newBytes = newWords * 32n;
  if (newBytes <= BigInt(currentBytes)) return { cost: 0n, newBytes: BigInt(currentBytes) };
  return { cost: memoryCost(newWords) - memoryCost(BigInt(currentBytes) / 32n), newBytes };
};

/** All but one 64th of the available gas: the most a call or create may forward. @spec EVM-CALL-6364.1 */
export const maxMessageCallGas = (gas: bigint): bigint => gas - gas / 64n;

/**
 * The gas a CALL-family instruction charges and the gas the callee receives (EELS
 * `calculate_message_call_gas`): the requested gas is capped by the 63/64 rule after the extra
 * costs and memory; a non-zero value adds the 2300 stipend to what the callee receives.
 *
 * @spec EVM-CALL-GAS.1 EVM-CALL-6364.1
 */
export const messageCallGas = (value: bigint, requested: bigint, gasLeft: bigint, memCost: bigint, extra: bigint): { readonly cost: bigint; readonly subCall: bigint } => {
  const stipend = value === 0n ? 0n : G.callStipend;
  if (gasLeft < extra + memCost) return { cost: requested + extra, subCall: requested + stipend };
  const cap = maxMessageCallGas(gasLeft - memCost - extra);
  const gas = requested < cap ? requested : cap;
  return { cost: gas + extra, subCall: gas + stipend };
};

/**
 * SSTORE cost and refund change (EIP-2200 as amended by EIP-2929 and EIP-3529), given the value at
 * the start of the transaction, the current value and the new value; the cold surcharge is added by
 * the caller.
 *
 * @spec EVM-SSTORE-GAS.1 EVM-SSTORE-REFUND.1
 */
export const sstoreCost = (original: bigint, current: bigint, next: bigint): { readonly gas: bigint; readonly refund: bigint } => {
  let gas: bigint;
  if (original === current && current !== next) gas = original === 0n ? G.sstoreSet : G.sstoreReset - G.coldSload;
  else gas = G.warmAccess;
  let refund = 0n;
  if (current !== next) {
    if (original !== 0n && current !== 0n && next === 0n) refund += G.sstoreClearRefund;
    if (original !== 0n && current === 0n) refund -= G.sstoreClearRefund;
    if (original === next) refund += original === 0n ? G.sstoreSet - G.warmAccess : G.sstoreReset - G.coldSload - G.warmAccess;
  }
  return { gas, refund };
};

/** Byte length of an exponent, for EXP's 50 gas per byte. @spec EVM-OP-ARITH.1 */
export const byteLength = (v: bigint): bigint => (v === 0n ? 0n : BigInt(Math.ceil(v.toString(16).length / 2)));
