/**
 * The EVM benchmark contracts, hand-assembled: an arithmetic loop, a Keccak-256 loop over memory,
 * a bubble sort in memory and an ERC-20 style transfer loop (balances in a keccak-addressed
 * mapping, a Transfer log per transfer).
 */

type Tok = string | number | bigint | { readonly label: string } | { readonly at: string };

const OPS: Readonly<Record<string, number>> = {
  STOP: 0x00, ADD: 0x01, MUL: 0x02, SUB: 0x03, DIV: 0x04, MOD: 0x06, LT: 0x10, GT: 0x11, EQ: 0x14, ISZERO: 0x15, AND: 0x16, OR: 0x17, XOR: 0x18,
  SHL: 0x1b, SHR: 0x1c, KECCAK256: 0x20, CALLER: 0x33, CALLDATALOAD: 0x35, POP: 0x50, MLOAD: 0x51, MSTORE: 0x52, SLOAD: 0x54, SSTORE: 0x55,
  JUMP: 0x56, JUMPI: 0x57, JUMPDEST: 0x5b, RETURN: 0xf3, REVERT: 0xfd,
  DUP1: 0x80, DUP2: 0x81, DUP3: 0x82, DUP4: 0x83, DUP5: 0x84, DUP6: 0x85, SWAP1: 0x90, SWAP2: 0x91, SWAP3: 0x92, SWAP4: 0x93,
  LOG3: 0xa3,
};

/** A tiny assembler: opcode names, `bigint` pushes (shortest PUSH), labels and 2-byte label pushes. */
export const assemble = (toks: readonly Tok[]): Uint8Array => {
  const size = (t: Tok): number => (typeof t === 'string' ? 1 : typeof t === 'number' ? 1 : typeof t === 'bigint' ? 1 + byteLen(t) : 'label' in t ? 1 : 3);
  const byteLen = (v: bigint): number => { let n = 1; while (v >> BigInt(8 * n) > 0n) n++; return n; };
  const labels = new Map<string, number>();
  let pc = 0;
  for (const t of toks) { if (typeof t === 'object' && 'label' in t) labels.set(t.label, pc); pc += size(t); }
  const out: number[] = [];
  for (const t of toks) {
    if (typeof t === 'string') { const op = OPS[t]; if (op === undefined) throw new Error(t); out.push(op); }
    else if (typeof t === 'number') out.push(t);
    else if (typeof t === 'bigint') { const n = byteLen(t); out.push(0x5f + n); for (let i = n - 1; i >= 0; i--) out.push(Number((t >> BigInt(8 * i)) & 0xffn)); }
    else if ('label' in t) out.push(0x5b);
    else { const d = labels.get(t.at)!; out.push(0x61, d >> 8, d & 0xff); }
  }
  return Uint8Array.from(out);
};

const L = (label: string): Tok => ({ label });
const J = (at: string): Tok => ({ at });

/** x = ((x * K) + i) ^ C, i from n down to 1; returns x. Stack: [i, x]. */
export const arithmeticLoop = (n: number): Uint8Array => assemble([
  BigInt(n), 1n,
  L('loop'),
  0x9e3779b97f4a7c15f39cc0605cedc8341082276bf3a27251f86c6a11d0c18e95n, 'MUL', 'DUP2', 'ADD', 0xdeadbeefcafebabe1234n, 'XOR',
  'SWAP1', 1n, 'SWAP1', 'SUB', 'SWAP1',
  'DUP2', J('loop'), 'JUMPI',
  0n, 'MSTORE', 32n, 0n, 'RETURN',
]);

/** memory[0..32) = keccak256(memory[0..64)) n times (memory[32..64) holds the counter); returns the word. */
export const keccakLoop = (n: number): Uint8Array => assemble([
  BigInt(n),
  L('loop'),
  'DUP1', 32n, 'MSTORE', 64n, 0n, 'KECCAK256', 0n, 'MSTORE',
  1n, 'SWAP1', 'SUB', 'DUP1', J('loop'), 'JUMPI',
  32n, 0n, 'RETURN',
]);

/**
 * Fills n words at memory 0 with a linear congruential sequence, bubble-sorts them ascending and
 * returns the smallest and largest word.
 */
export const bubbleSort = (n: number): Uint8Array => assemble([
  // fill: i from n down to 1: mem[(i-1)*32] = s; s = s * 6364136223846793005 + 1442695040888963407 (mod 2^256)
  BigInt(n), 12345n, // [i, s]
  L('fill'),
  'DUP1', 'DUP3', 1n, 'SWAP1', 'SUB', 32n, 'MUL', 'MSTORE', // mem[(i-1)*32] = s
  6364136223846793005n, 'MUL', 1442695040888963407n, 'ADD',
  'SWAP1', 1n, 'SWAP1', 'SUB', 'SWAP1',
  'DUP2', J('fill'), 'JUMPI',
  'POP', 'POP',
  // outer: end from (n-1)*32 down to 32; inner: j from 0 to end-32 step 32
  BigInt((n - 1) * 32), // [end]
  L('outer'),
  0n, // [end, j]
  L('inner'),
  'DUP1', 'MLOAD', 'DUP2', 32n, 'ADD', 'MLOAD', // [end, j, a, b]
  'DUP2', 'DUP2', 'LT', J('swap'), 'JUMPI', // b < a -> swap
  'POP', 'POP', J('next'), 'JUMP',
  L('swap'), // [end, j, a, b]
  'DUP3', 'MSTORE', // mem[j] = b; [end, j, a]
  'DUP2', 32n, 'ADD', 'MSTORE', // mem[j+32] = a; [end, j]
  L('next'),
  32n, 'ADD', // j += 32
  'DUP2', 'DUP2', 'LT', J('inner'), 'JUMPI', // j < end -> inner
  'POP', 32n, 'SWAP1', 'SUB', // end -= 32
  'DUP1', J('outer'), 'JUMPI',
  'POP',
  0n, 'MLOAD', 0n, 'MSTORE', BigInt((n - 1) * 32), 'MLOAD', 32n, 'MSTORE', 64n, 0n, 'RETURN',
]);

/** The Transfer(address,address,uint256) event topic. */
const TRANSFER = 0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3efn;

/**
 * n transfers of 1 token from the caller to recipients 1..n: balance slots are
 * keccak256(address ‖ 0), the sender's balance is checked (revert when short), both balances are
 * updated and a Transfer log is emitted each time.
 */
export const erc20Loop = (n: number): Uint8Array => assemble([
  BigInt(n), // [i]
  L('loop'),
  // sender slot: mem[0]=caller, mem[32]=0, keccak(0,64)
  'CALLER', 0n, 'MSTORE', 0n, 32n, 'MSTORE', 64n, 0n, 'KECCAK256', // [i, sslot]
  'DUP1', 'SLOAD', // [i, sslot, sbal]
  'DUP1', 'ISZERO', J('fail'), 'JUMPI',
  1n, 'SWAP1', 'SUB', 'SWAP1', 'SSTORE', // sbal-1 stored; [i]
  // recipient slot: mem[0]=i
  'DUP1', 0n, 'MSTORE', 64n, 0n, 'KECCAK256', // [i, rslot]
  'DUP1', 'SLOAD', 1n, 'ADD', 'SWAP1', 'SSTORE', // [i]
  // log Transfer(caller, i, 1): data mem[64..96) = 1
  1n, 64n, 'MSTORE', 'DUP1', 'CALLER', TRANSFER, 32n, 64n, 'LOG3',
  1n, 'SWAP1', 'SUB', 'DUP1', J('loop'), 'JUMPI',
  'STOP',
  L('fail'), 0n, 0n, 'REVERT',
]);

/** The caller's balance slot in erc20Loop's mapping: keccak256(caller ‖ 0). */
export const erc20BalanceSlotInput = (caller: string): Uint8Array => {
  const out = new Uint8Array(64);
  out.set(Uint8Array.from(Buffer.from(caller.slice(2), 'hex')), 12);
  return out;
};
