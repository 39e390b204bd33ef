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

/** Stack effect (pops, pushes) and static gas of each defined opcode; undefined opcodes are absent. */
export const OPCODES: ReadonlyMap<number, readonly [number, number, bigint]> = (() => {
  const m = new Map<number, readonly [number, number, bigint]>();
  const def = (op: number, pops: number, pushes: number, gas: bigint) => m.set(op, [pops, pushes, gas]);
  def(0x00, 0, 0, 0n);
  for (const [op, gas] of [[0x01, 3n], [0x02, 5n], [0x03, 3n], [0x04, 5n], [0x05, 5n], [0x06, 5n], [0x07, 5n], [0x0a, G.exp], [0x0b, 5n]] as const) def(op, 2, 1, gas);
  def(0x08, 3, 1, 8n); def(0x09, 3, 1, 8n);
  for (const op of [0x10, 0x11, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1a, 0x1b, 0x1c, 0x1d]) def(op, 2, 1, 3n);
  def(0x15, 1, 1, 3n); def(0x19, 1, 1, 3n);
  def(0x20, 2, 1, G.keccak);
  for (const op of [0x30, 0x32, 0x33, 0x34, 0x36, 0x38, 0x3a, 0x3d, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x48, 0x4a, 0x58, 0x59, 0x5a, 0x5f]) def(op, 0, 1, 2n);
  def(0x31, 1, 1, 0n); def(0x35, 1, 1, 3n); def(0x37, 3, 0, 3n); def(0x39, 3, 0, 3n); def(0x3b, 1, 1, 0n); def(0x3c, 4, 0, 0n);
  def(0x3e, 3, 0, 3n); def(0x3f, 1, 1, 0n);
  def(0x40, 1, 1, G.blockhash); def(0x47, 0, 1, 5n); def(0x49, 1, 1, 3n);
  def(0x50, 1, 0, 2n); def(0x51, 1, 1, 3n); def(0x52, 2, 0, 3n); def(0x53, 2, 0, 3n); def(0x54, 1, 1, 0n); def(0x55, 2, 0, 0n);
  def(0x56, 1, 0, 8n); def(0x57, 2, 0, 10n); def(0x5b, 0, 0, G.jumpdest); def(0x5c, 1, 1, G.transientAccess); def(0x5d, 2, 0, G.transientAccess); def(0x5e, 3, 0, 3n);
  for (let i = 0x60; i <= 0x7f; i++) def(i, 0, 1, 3n);
  for (let n = 1; n <= 16; n++) { def(0x7f + n, n, n + 1, 3n); def(0x8f + n, n + 1, n + 1, 3n); }
  for (let n = 0; n <= 4; n++) def(0xa0 + n, n + 2, 0, G.log + G.logTopic * BigInt(n));
  def(0xf0, 3, 1, G.create); def(0xf1, 7, 1, 0n); def(0xf2, 7, 1, 0n); def(0xf3, 2, 0, 0n); def(0xf4, 6, 1, 0n); def(0xf5, 4, 1, G.create);
  def(0xfa, 6, 1, 0n); def(0xfd, 2, 0, 0n); def(0xff, 1, 0, G.selfdestruct);
  return m;
})();
