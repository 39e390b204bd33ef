import fc from 'fast-check';
import { blake2b } from '@noble/hashes/blake2.js';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../encoding/index.js';
import { runPrecompile, type PrecompileIndex } from './precompiles.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/^0x/, ''), 'hex'));
const w = (v: bigint): string => v.toString(16).padStart(64, '0');
const out = (index: PrecompileIndex, input: string | Uint8Array, gas = 10_000_000n) => runPrecompile(index, typeof input === 'string' ? hex(input) : input, gas);
const okHex = (r: ReturnType<typeof out>): string => (r.kind === 'ok' ? bytesToHex(r.output) : r.kind);

// BLAKE2b initialisation vector (RFC 7693 section 2.6), independent of the module under test.
const IV = [0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n, 0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n];
const le64 = (v: bigint): string => Buffer.from(Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn))).toString('hex');
/** The EIP-152 input for the single (final) block of an unkeyed BLAKE2b-512 hash of `msg` (≤ 128 bytes). */
const blake2bBlockInput = (rounds: number, msg: Uint8Array, final = 1): string => {
  const h = IV.map((v, i) => (i === 0 ? v ^ 0x01010040n : v));
  const m = new Uint8Array(128); m.set(msg);
  return rounds.toString(16).padStart(8, '0') + h.map(le64).join('') + Buffer.from(m).toString('hex') + le64(BigInt(msg.length)) + le64(0n) + final.toString(16).padStart(2, '0');
};

describe('blake2f (0x09)', () => {
  it('EVM-PRE-BLAKE2F.1 EIP-152 vector 5: 12 rounds over "abc" give the RFC 7693 BLAKE2b-512 digest', () => {
    const input = blake2bBlockInput(12, new TextEncoder().encode('abc'));
    // The EIP's own input for vector 5 starts like this (rounds, then h[0] little-endian).
    expect(input.startsWith('0000000c48c9bdf267e6096a')).toBe(true);
    const r = out(9, input);
    expect(okHex(r)).toBe('0xba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923');
    expect(r.kind === 'ok' && r.gas).toBe(12n);
  });
  it('EVM-PRE-BLAKE2F.1 agrees with @noble/hashes BLAKE2b-512 on random one-block messages', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 128 }), (msg) => {
      expect(okHex(out(9, blake2bBlockInput(12, msg)))).toBe(bytesToHex(blake2b(msg)));
    }), { numRuns: 200 });
  });
  it('EVM-PRE-BLAKE2F.1 EIP-152 failure vectors: wrong length, final flag other than 0/1, too little gas', () => {
    const good = blake2bBlockInput(12, new Uint8Array(0));
    expect(out(9, '').kind).toBe('halt');
    expect(out(9, good.slice(0, -2)).kind).toBe('halt'); // 212 bytes
    expect(out(9, good + '00').kind).toBe('halt'); // 214 bytes
    expect(out(9, good.slice(0, -2) + '02').kind).toBe('halt');
    expect(out(9, good, 11n).kind).toBe('halt');
    expect(out(9, good, 12n).kind).toBe('ok');
    // f = 0 and 0 rounds are valid inputs (EIP-152 vectors 4 and 6 shapes) and cost their rounds.
    expect(out(9, blake2bBlockInput(0, new Uint8Array(0)), 0n)).toMatchObject({ kind: 'ok', gas: 0n });
    expect(out(9, blake2bBlockInput(12, new Uint8Array(0), 0)).kind).toBe('ok');
  });
});

// The bn254 G1 generator and 2G (EIP-196); the G2 generator in EIP-197 order (imaginary part first).
const G = w(1n) + w(2n);
const G2x = '030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3';
const G2y = '15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4';
const P = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47n;
const N = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;
const TWIST_G = [
  11559732032986387107991004021392285783925812861821192530917403151452391805634n, 10857046999023057135944570762232829481370756359578518086990519993285655852781n,
  4082367875863433681332203403145435568316851327593401208105741076214120093531n, 8495653923123431417604973247489272438418190587263600148770280649306958101930n,
].map(w).join('');
const negG = w(1n) + w(P - 2n);

describe('bn254 (0x06..0x08)', () => {
  it('EVM-PRE-BN254.1 ecAdd: G + G = 2G, 150 gas; empty input is infinity + infinity', () => {
    const r = out(6, G + G);
    expect(okHex(r)).toBe('0x' + G2x + G2y);
    expect(r.kind === 'ok' && r.gas).toBe(150n);
    expect(okHex(out(6, ''))).toBe('0x' + '00'.repeat(64));
    expect(okHex(out(6, G + negG))).toBe('0x' + '00'.repeat(64));
    expect(out(6, G + G, 149n).kind).toBe('halt');
  });
  it('EVM-PRE-BN254.1 ecMul: 2·G = 2G, n·G = 0, scalar taken modulo n, 6000 gas', () => {
    expect(okHex(out(7, G + w(2n)))).toBe('0x' + G2x + G2y);
    expect(okHex(out(7, G + w(N)))).toBe('0x' + '00'.repeat(64));
    expect(okHex(out(7, G + w(N + 2n)))).toBe('0x' + G2x + G2y);
    // The input is right-padded: G with a missing scalar is 0·G.
    expect(okHex(out(7, G))).toBe('0x' + '00'.repeat(64));
    expect(out(7, G + w(2n), 5999n).kind).toBe('halt');
  });
  it('EVM-PRE-BN254.1 invalid points fail: off the curve, a coordinate not below p', () => {
    expect(out(6, w(1n) + w(3n) + G).kind).toBe('halt');
    expect(out(6, w(1n + P) + w(2n) + G).kind).toBe('halt');
    expect(out(7, w(1n) + w(3n) + w(1n)).kind).toBe('halt');
    expect(out(8, w(1n) + w(3n) + TWIST_G).kind).toBe('halt');
    const badG2 = TWIST_G.slice(0, 64 * 3) + w(1n);
    expect(out(8, G + badG2).kind).toBe('halt');
  });
  it('EVM-PRE-BN254.1 ecPairing: empty is 1; e(G, H)·e(-G, H) = 1; e(G, H)·e(G, H) ≠ 1; gas 45000 + 34000k', () => {
    const one = '0x' + w(1n), zero = '0x' + w(0n);
    expect(okHex(out(8, ''))).toBe(one);
    const r = out(8, G + TWIST_G + negG + TWIST_G);
    expect(okHex(r)).toBe(one);
    expect(r.kind === 'ok' && r.gas).toBe(45000n + 2n * 34000n);
    expect(okHex(out(8, G + TWIST_G + G + TWIST_G))).toBe(zero);
    expect(okHex(out(8, G + TWIST_G))).toBe(zero);
    // e(2G, H) = e(G, H)^2 = e(G, 2H)... checked as e(2G, H)·e(-G, H)·e(-G, H) = 1.
    expect(okHex(out(8, G2x + G2y + TWIST_G + negG + TWIST_G + negG + TWIST_G))).toBe(one);
    // A pair with a point at infinity contributes nothing.
    expect(okHex(out(8, w(0n) + w(0n) + TWIST_G))).toBe(one);
    expect(out(8, (G + TWIST_G).slice(0, -2)).kind).toBe('halt');
    expect(out(8, G + TWIST_G, 45000n + 33999n).kind).toBe('halt');
  });
});

// EIP-4844 point evaluation vectors used by public clients (go-ethereum, revm).
const KZG_VECTORS = [
  '01e798154708fe7789429634053cbf9f99b619f9f084048927333fce637f549b564c0a11a0f704f4fc3e8acfe0f8245f0ad1347b378fbf96e206da11a5d3630624d25032e67a7e6a4910df5834b8fe70e6bcfeeac0352434196bdf4b2485d5a18f59a8d2a1a625a17f3fea0fe5eb8c896db3764f3185481bc22f91b4aaffcca25f26936857bc3a7c2539ea8ec3a952b7873033e038326e87ed3e1276fd140253fa08e9fc25fb2d9a98527fc22a2c9612fbeafdad446cbc7bcdbdcd780af2c16a',
  '01e798154708fe7789429634053cbf9f99b619f9f084048927333fce637f549b73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff000000001522a4a7f34e1ea350ae07c29c96c7e79655aa926122e95fe69fcbd932ca49e98f59a8d2a1a625a17f3fea0fe5eb8c896db3764f3185481bc22f91b4aaffcca25f26936857bc3a7c2539ea8ec3a952b7a62ad71d14c5719385c0686f1871430475bf3a00f0aa3f7b8dd99a9abc2160744faf0070725e00b60ad9a026a15b1a8c',
];
const KZG_OUT = '0x' + w(4096n) + '73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001';

describe('KZG point evaluation (0x0a)', () => {
  it('EVM-PRE-KZG.1 valid proofs return FIELD_ELEMENTS_PER_BLOB and the BLS modulus for 50000 gas', () => {
    for (const v of KZG_VECTORS) {
      const r = out(10, v);
      expect(okHex(r)).toBe(KZG_OUT);
      expect(r.kind === 'ok' && r.gas).toBe(50000n);
    }
  }, 30_000);
  it('EVM-PRE-KZG.1 failures: wrong proof, wrong versioned hash, z not below the modulus, wrong length, too little gas', () => {
    const v = hexToBytes('0x' + KZG_VECTORS[0]!);
    if (!v.ok) throw new Error('bad vector');
    const flip = (i: number): Uint8Array => { const c = v.value.slice(); c[i] = c[i]! ^ 1; return c; };
    expect(out(10, flip(191)).kind).toBe('halt');
    expect(out(10, flip(5)).kind).toBe('halt');
    expect(out(10, flip(63)).kind).toBe('halt');
    const bigZ = v.value.slice(); bigZ.set(hex('73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001'), 32);
    expect(out(10, bigZ).kind).toBe('halt');
    expect(out(10, v.value.subarray(0, 191)).kind).toBe('halt');
    expect(out(10, v.value, 49_999n).kind).toBe('halt');
  }, 30_000);
});
