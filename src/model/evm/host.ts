/**
 * The host interface of lowered EVM code: the `env` imports a lowered contract calls for
 * everything outside its own frame (world state, environment, calls, logs, hashing and the
 * heavier 256-bit arithmetic), after DTVM's EVM runtime functions and its `env` module.
 *
 * Conventions shared by every import:
 * - a 256-bit word crosses the boundary as four `i64` limbs, least significant first;
 * - an import that may charge gas takes the frame's gas left first and returns the new gas left
 *   first; a negative returned gas ends the frame with the exceptional halt whose EVMC status code
 *   is its negation (3 out of gas, 11 static-mode violation, 9 return data out of bounds);
 * - bytes move between the frame's memory and the host through two buffers: the lowered code
 *   appends memory to the *input buffer* with `put` (8 bytes a call, little-endian, the consumer
 *   takes the first `size` bytes and empties it) and reads the *output buffer* that `copy`, `call`
 *   prepared with `take` (8 bytes a call, zero past its end). The host never addresses the frame's
 *   linear memory, so the interface needs no memory sharing between host and instance.
 *
 * @spec EVM-HOST-IMPORTS.1 EVM-HOST-WORDS.1 EVM-HOST-GAS.1 EVM-HOST-BUFFERS.1
 */
import type { FuncType } from '../dmir/ir.js';

/** EVMC status codes that end a lowered frame. @spec EVM-LOWER-STATUS.1 */
export const EVMC = {
  SUCCESS: 0, FAILURE: 1, REVERT: 2, OUT_OF_GAS: 3, INVALID_INSTRUCTION: 4, UNDEFINED_INSTRUCTION: 5,
  STACK_OVERFLOW: 6, STACK_UNDERFLOW: 7, BAD_JUMP_DESTINATION: 8, INVALID_MEMORY_ACCESS: 9, STATIC_MODE_VIOLATION: 11,
} as const;

const W = ['i64', 'i64', 'i64', 'i64'] as const;

/** One import: its field name in module `env` and its dMIR signature. */
export interface HostImport { readonly field: string; readonly type: FuncType }

/**
 * The imports, in the order every lowered module declares them (their function indices).
 *
 * | field | params | results | effect |
 * |---|---|---|---|
 * | put | word | - | append 8 bytes to the input buffer |
 * | take | k | word | bytes 8k..8k+7 of the output buffer |
 * | keccak256 | size | u256 | hash of the input buffer's first `size` bytes |
 * | context | op | u256 | zero-operand environment read of opcode `op` |
 * | query | gas, op, x | gas, u256 | BALANCE EXTCODESIZE EXTCODEHASH CALLDATALOAD BLOCKHASH BLOBHASH SLOAD TLOAD |
 * | update | gas, op, key, value | gas | SSTORE TSTORE |
 * | copy | gas, op, address, offset, size | gas | CALLDATACOPY CODECOPY RETURNDATACOPY EXTCODECOPY into the output buffer |
 * | log | gas, n, size, topic×4 | gas | LOGn of the input buffer |
 * | call | gas, op, gas', address, value, inSize, outSize | gas, success, copy length | CALL CALLCODE DELEGATECALL STATICCALL |
 * | create | gas, op, value, salt, size | gas, address | CREATE CREATE2 of the input buffer |
 * | finish | size | - | the frame's output is the input buffer's first `size` bytes |
 * | selfdestruct | gas, beneficiary | gas | SELFDESTRUCT |
 * | arith | op, a, b, c | u256 | DIV SDIV MOD SMOD ADDMOD MULMOD EXP SIGNEXTEND BYTE (and SHL SHR SAR, which lowered code computes itself) |
 * | put4 | word×4 | - | append 32 bytes to the input buffer (four `put`s) |
 */
export const HOST_IMPORTS: readonly HostImport[] = [
  { field: 'put', type: { params: ['i64'], results: [] } },
  { field: 'take', type: { params: ['i64'], results: ['i64'] } },
  { field: 'keccak256', type: { params: ['i64'], results: [...W] } },
  { field: 'context', type: { params: ['i32'], results: [...W] } },
  { field: 'query', type: { params: ['i64', 'i32', ...W], results: ['i64', ...W] } },
  { field: 'update', type: { params: ['i64', 'i32', ...W, ...W], results: ['i64'] } },
  { field: 'copy', type: { params: ['i64', 'i32', ...W, ...W, 'i64'], results: ['i64'] } },
  { field: 'log', type: { params: ['i64', 'i32', 'i64', ...W, ...W, ...W, ...W], results: ['i64'] } },
  { field: 'call', type: { params: ['i64', 'i32', ...W, ...W, ...W, 'i64', 'i64'], results: ['i64', 'i64', 'i64'] } },
  { field: 'create', type: { params: ['i64', 'i32', ...W, ...W, 'i64'], results: ['i64', ...W] } },
  { field: 'finish', type: { params: ['i64'], results: [] } },
  { field: 'selfdestruct', type: { params: ['i64', ...W], results: ['i64'] } },
  { field: 'arith', type: { params: ['i32', ...W, ...W, ...W], results: [...W] } },
  { field: 'put4', type: { params: [...W], results: [] } },
];

export const HOST = Object.fromEntries(HOST_IMPORTS.map((h, i) => [h.field, i])) as Readonly<Record<
  'put' | 'take' | 'keccak256' | 'context' | 'query' | 'update' | 'copy' | 'log' | 'call' | 'create' | 'finish' | 'selfdestruct' | 'arith' | 'put4', number>>;

/** The module name of every import. */
export const HOST_MODULE = 'env';

/** Four limbs (least significant first, as signed i64 values) to a 256-bit word. */
export const limbsToWord = (l0: bigint, l1: bigint, l2: bigint, l3: bigint): bigint =>
  BigInt.asUintN(64, l0) | (BigInt.asUintN(64, l1) << 64n) | (BigInt.asUintN(64, l2) << 128n) | (BigInt.asUintN(64, l3) << 192n);

/** A 256-bit word to four signed i64 limbs, least significant first. */
export const wordToLimbs = (w: bigint): [bigint, bigint, bigint, bigint] => [
  BigInt.asIntN(64, w), BigInt.asIntN(64, w >> 64n), BigInt.asIntN(64, w >> 128n), BigInt.asIntN(64, w >> 192n),
];
