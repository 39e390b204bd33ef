/**
 * Keccak-256 (Ethereum's variant: pad byte 0x01), written independently of the model's hash
 * library so the two can be checked against each other.
 *
 * The permutation runs as a small WebAssembly module generated below: Keccak-f[1600] works on
 * 64-bit lanes, which WebAssembly has (i64 xor, and, rotl) and JavaScript lacks, so it runs about
 * five times as fast as JavaScript on 32-bit lane halves (a 515-byte node message). Hashing is synchronous and the
 * module's memory is private to this file, so one instance serves every caller.
 */

import { HEADER, section, sleb, str, uleb, WA } from './wasm-binary.js';

const RATE = 136;
const LANES = 25;

/** Rotation offset of lane x + 5y (the rho step). */
const RHO = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];
const ROUND_CONSTANTS = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n, 0x000000000000808bn, 0x0000000080000001n,
  0x8000000080008081n, 0x8000000000008009n, 0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
  0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n, 0x8000000000008002n, 0x8000000000000080n,
  0x000000000000800an, 0x800000008000000an, 0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
];

// Memory layout of the module: the state, the round constants, then the input area.
const STATE = 0;
const CONSTANTS = STATE + 8 * LANES;
const INPUT = 512;
const MEMORY_BYTES = 65536;
/** Whole blocks that fit the input area: longer inputs are absorbed in chunks of this many. */
const CHUNK_BLOCKS = Math.floor((MEMORY_BYTES - INPUT) / RATE);

/**
 * The module: `absorb(ptr, blocks)` XORs each of `blocks` consecutive RATE-byte blocks at `ptr`
 * into the state at STATE and applies Keccak-f[1600] after each. Its locals are the 25 lanes a,
 * the rho-pi lanes b, the column parities c, the theta terms d, the round counter and the block
 * pointer; every round is written out step by step, and the 24 rounds are a loop.
 */
const moduleBytes = (): Uint8Array => {
  const a = (i: number): number => i;
  const b = (i: number): number => LANES + i;
  const c = (x: number): number => 2 * LANES + x;
  const d = (x: number): number => 2 * LANES + 5 + x;
  const ROUND = 2 * LANES + 10;
  const PTR = 0; // parameter 0 ...
  const BLOCKS = 1; // ... and parameter 1; locals follow the parameters
  const local = (i: number): number => i + 2;
  const get = (i: number): number[] => [0x20, ...uleb(i)];
  const set = (i: number): number[] => [0x21, ...uleb(i)];
  const I64_LOAD = (offset: number): number[] => [0x29, 3, ...uleb(offset)];
  const I64_STORE = (offset: number): number[] => [0x37, 3, ...uleb(offset)];
  const XOR = 0x85;
  const AND = 0x83;
  const ROTL = 0x89;
  const i64 = (n: number): number[] => [0x42, ...sleb(BigInt(n))];
  const i32 = (n: number): number[] => [0x41, ...sleb(BigInt(n))];
  const code: number[] = [];
  const emit = (...parts: (number | number[])[]): void => { for (const p of parts) if (typeof p === 'number') code.push(p); else code.push(...p); };

  for (let i = 0; i < LANES; i++) emit(i32(0), I64_LOAD(STATE + 8 * i), set(local(a(i))));
  // block (loop over input blocks while BLOCKS > 0)
  emit(0x02, 0x40, 0x03, 0x40);
  emit(get(BLOCKS), 0x45, 0x0d, 1); // br_if 1 (out of the block) when no blocks are left
  for (let i = 0; i < RATE / 8; i++) emit(get(local(a(i))), get(PTR), I64_LOAD(8 * i), XOR, set(local(a(i))));
  emit(i32(0), set(local(ROUND)));
  emit(0x03, 0x40); // loop over rounds
  for (let x = 0; x < 5; x++) emit(get(local(a(x))), get(local(a(x + 5))), XOR, get(local(a(x + 10))), XOR, get(local(a(x + 15))), XOR, get(local(a(x + 20))), XOR, set(local(c(x))));
  for (let x = 0; x < 5; x++) emit(get(local(c((x + 4) % 5))), get(local(c((x + 1) % 5))), i64(1), ROTL, XOR, set(local(d(x))));
  for (let i = 0; i < LANES; i++) {
    const x = i % 5;
    const y = (i - x) / 5;
    // theta, then rho and pi together: lane (x, y) lands at (y, 2x + 3y).
    emit(get(local(a(i))), get(local(d(x))), XOR, i64(RHO[i]!), ROTL, set(local(b(y + 5 * ((2 * x + 3 * y) % 5)))));
  }
  for (let i = 0; i < LANES; i++) {
    const x = i % 5;
    const row = i - x;
    // chi: a = b ^ (~b[x+1] & b[x+2]) within the row.
    emit(get(local(b(i))), get(local(b(row + ((x + 1) % 5)))), i64(-1), XOR, get(local(b(row + ((x + 2) % 5)))), AND, XOR, set(local(a(i))));
  }
  // iota, then the round counter (in bytes: it indexes the 8-byte constants).
  emit(get(local(a(0))), get(local(ROUND)), I64_LOAD(CONSTANTS), XOR, set(local(a(0))));
  emit(get(local(ROUND)), i32(8), 0x6a, set(local(ROUND)), get(local(ROUND)), i32(8 * 24), 0x49, 0x0d, 0); // br_if 0 while ROUND < 192 (unsigned)
  emit(0x0b); // end of the round loop
  emit(get(PTR), i32(RATE), 0x6a, set(PTR), get(BLOCKS), i32(1), 0x6b, set(BLOCKS), 0x0c, 0); // next block
  emit(0x0b, 0x0b); // end of the block loop and its enclosing block
  for (let i = 0; i < LANES; i++) emit(i32(0), get(local(a(i))), I64_STORE(STATE + 8 * i));
  emit(0x0b);

  const locals = [2, ...uleb(2 * LANES + 10), 0x7e, ...uleb(1), 0x7f];
  const body = [...locals, ...code];
  return Uint8Array.from([
    ...HEADER,
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, MEMORY_BYTES / 65536]),
    ...section(7, [2, ...str('absorb'), 0, 0, ...str('memory'), 2, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
};

const { exports } = new WA.Instance(new WA.Module(moduleBytes()));
const absorb = exports['absorb'] as (ptr: number, blocks: number) => void;
const memory = new Uint8Array((exports['memory'] as { readonly buffer: ArrayBuffer }).buffer);
new BigUint64Array(memory.buffer, CONSTANTS, 24).set(ROUND_CONSTANTS);

/**
 * The input area, for callers that assemble a message in place (the store's node hashing) and
 * then hash its first `length` bytes with `keccak256OfInput`: up to KECCAK_INPUT_LIMIT bytes, so
 * that the padding fits too.
 */
export const keccakInput: Uint8Array = memory.subarray(INPUT);
export const KECCAK_INPUT_LIMIT = CHUNK_BLOCKS * RATE - 1;

/**
 * Pads the last `tail` bytes of the message at `at` in place, absorbs them, returns the digest: a
 * new array, or `out` with the digest copied into it.
 */
const finish = (at: number, tail: number, out?: Uint8Array): Uint8Array => {
  const end = at + Math.floor(tail / RATE + 1) * RATE;
  memory.fill(0, at + tail, end);
  memory[at + tail] = 0x01;
  memory[end - 1] = memory[end - 1]! | 0x80;
  absorb(at, (end - at) / RATE);
  if (out === undefined) return memory.slice(STATE, STATE + 32);
  out.set(memory.subarray(STATE, STATE + 32));
  return out;
};

/**
 * Keccak-256 of the first `length` bytes of `keccakInput` (which it overwrites with padding); the
 * digest goes into `out` when given (a long-lived buffer rewritten in place allocates nothing).
 */
export const keccak256OfInput = (length: number, out?: Uint8Array): Uint8Array => {
  memory.fill(0, STATE, STATE + 8 * LANES);
  return finish(INPUT, length, out);
};

const textEncoder = new TextEncoder();

/**
 * Keccak-256 of a string's UTF-8 bytes. ASCII text that fits the input area (keys, decimal values,
 * receipts) is written there a character at a time, which is several times cheaper for short
 * strings than encoding it first.
 */
export const keccak256OfText = (s: string): Uint8Array => {
  if (s.length > KECCAK_INPUT_LIMIT) return keccak256(textEncoder.encode(s));
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return keccak256(textEncoder.encode(s));
    keccakInput[i] = c;
  }
  return keccak256OfInput(s.length);
};

export const keccak256 = (data: Uint8Array): Uint8Array => {
  memory.fill(0, STATE, STATE + 8 * LANES);
  let offset = 0;
  // Whole chunks first; the last partial chunk is padded in place.
  while (data.length - offset > KECCAK_INPUT_LIMIT) {
    // A whole chunk: what is left after it still ends in a padded block that fits.
    memory.set(data.subarray(offset, offset + CHUNK_BLOCKS * RATE), INPUT);
    absorb(INPUT, CHUNK_BLOCKS);
    offset += CHUNK_BLOCKS * RATE;
  }
  const tail = data.length - offset;
  // A byte loop for short messages: a subarray view is an allocation.
  if (tail <= 2 * RATE) for (let i = 0; i < tail; i++) memory[INPUT + i] = data[offset + i]!;
  else memory.set(offset === 0 ? data : data.subarray(offset), INPUT);
  return finish(INPUT, tail);
};
