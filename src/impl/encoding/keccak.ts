/**
 * Keccak-256 (Ethereum's variant: pad byte 0x01) on 32-bit lane halves, written independently of
 * the model's hash library so the two can be checked against each other.
 */

const ROUND_CONSTANTS_HI = new Uint32Array([
  0x00000000, 0x00000000, 0x80000000, 0x80000000, 0x00000000, 0x00000000, 0x80000000, 0x80000000,
  0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x80000000, 0x80000000, 0x80000000,
  0x80000000, 0x80000000, 0x00000000, 0x80000000, 0x80000000, 0x80000000, 0x00000000, 0x80000000,
]);
const ROUND_CONSTANTS_LO = new Uint32Array([
  0x00000001, 0x00008082, 0x0000808a, 0x80008000, 0x0000808b, 0x80000001, 0x80008081, 0x00008009,
  0x0000008a, 0x00000088, 0x80008009, 0x8000000a, 0x8000808b, 0x0000008b, 0x00008089, 0x00008003,
  0x00008002, 0x00000080, 0x0000800a, 0x8000000a, 0x80008081, 0x00008080, 0x80000001, 0x80008008,
]);
/** Lane visited at each step of the combined rho-pi walk, and its rotation. */
const PI_LANES = [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1];
const RHO_OFFSETS = [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44];

const RATE = 136;

const rotlHi = (hi: number, lo: number, n: number): number =>
  n < 32 ? (hi << n) | (lo >>> (32 - n)) : (lo << (n - 32)) | (hi >>> (64 - n));
const rotlLo = (hi: number, lo: number, n: number): number =>
  n < 32 ? (lo << n) | (hi >>> (32 - n)) : (hi << (n - 32)) | (lo >>> (64 - n));

const NEXT2 = Uint8Array.from({ length: 10 }, (_, x) => (x + 2) % 10);
const NEXT4 = Uint8Array.from({ length: 10 }, (_, x) => (x + 4) % 10);
const PREV2 = Uint8Array.from({ length: 10 }, (_, x) => (x + 8) % 10);

/** State layout: lane i has its low half at [2i] and its high half at [2i+1]. */
const permute = (s: Uint32Array, c: Uint32Array): void => {
  for (let round = 0; round < 24; round++) {
    for (let x = 0; x < 10; x++) c[x] = s[x]! ^ s[x + 10]! ^ s[x + 20]! ^ s[x + 30]! ^ s[x + 40]!;
    for (let x = 0; x < 10; x += 2) {
      const next = NEXT2[x]!;
      const prev = PREV2[x]!;
      const nLo = c[next]!;
      const nHi = c[next + 1]!;
      const dLo = c[prev]! ^ ((nLo << 1) | (nHi >>> 31));
      const dHi = c[prev + 1]! ^ ((nHi << 1) | (nLo >>> 31));
      for (let y = 0; y < 50; y += 10) {
        s[x + y] = s[x + y]! ^ dLo;
        s[x + y + 1] = s[x + y + 1]! ^ dHi;
      }
    }
    let curLo = s[2]!;
    let curHi = s[3]!;
    for (let t = 0; t < 24; t++) {
      const j = PI_LANES[t]! * 2;
      const n = RHO_OFFSETS[t]!;
      const nextLo = s[j]!;
      const nextHi = s[j + 1]!;
      s[j] = rotlLo(curHi, curLo, n);
      s[j + 1] = rotlHi(curHi, curLo, n);
      curLo = nextLo;
      curHi = nextHi;
    }
    for (let y = 0; y < 50; y += 10) {
      for (let x = 0; x < 10; x++) c[x] = s[y + x]!;
      for (let x = 0; x < 10; x++) s[y + x] = c[x]! ^ (~c[NEXT2[x]!]! & c[NEXT4[x]!]!);
    }
    s[0] = s[0]! ^ ROUND_CONSTANTS_LO[round]!;
    s[1] = s[1]! ^ ROUND_CONSTANTS_HI[round]!;
  }
};

// One set of buffers, reused: hashing is synchronous, so no two calls share them at once.
const state = new Uint32Array(50);
const scratch = new Uint32Array(10);
const block = new Uint8Array(RATE);
const blockWords = new Uint32Array(block.buffer);
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const absorb = (): void => {
  for (let i = 0; i < RATE / 4; i++) {
    const w = littleEndian ? blockWords[i]! : block[4 * i]! | (block[4 * i + 1]! << 8) | (block[4 * i + 2]! << 16) | (block[4 * i + 3]! << 24);
    state[i] = state[i]! ^ w;
  }
  permute(state, scratch);
};

export const keccak256 = (data: Uint8Array): Uint8Array => {
  state.fill(0);
  let offset = 0;
  for (; offset + RATE <= data.length; offset += RATE) {
    block.set(data.subarray(offset, offset + RATE));
    absorb();
  }
  block.fill(0);
  block.set(data.subarray(offset));
  block[data.length - offset] = 0x01;
  block[RATE - 1] = 0x80 | block[RATE - 1]!;
  absorb();
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const w = state[i]!;
    out[4 * i] = w & 0xff;
    out[4 * i + 1] = (w >>> 8) & 0xff;
    out[4 * i + 2] = (w >>> 16) & 0xff;
    out[4 * i + 3] = w >>> 24;
  }
  return out;
};
