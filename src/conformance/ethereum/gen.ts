/**
 * Generated EVM programs for differential tests and vectors: every snippet leaves the stack as it
 * found it, loops are counted (JUMPI back to a JUMPDEST with a bounded counter), and contracts only
 * call contracts with a higher index, so every program terminates without the call graph recursing.
 * Deliberate faults (underflow, a bad jump, an invalid opcode, small gas) are snippets of their own.
 */
import fc from 'fast-check';
import { sha256 } from '../../model/encoding/index.js';

/** Where the generated contracts live; none collides with a precompile. */
export const GEN_CALLER = '0x00000000000000000000000000000000000ca11e';
export const GEN_COINBASE = '0x000000000000000000000000000000000000c0b5';
export const GEN_ABSENT = '0x000000000000000000000000000000000000dead';
export const genContract = (i: number): string => '0x' + (0x1000 + i).toString(16).padStart(40, '0');

type Item = number | { readonly label: number } | { readonly def: number };

const push = (v: bigint): number[] => {
  if (v === 0n) return [0x5f];
  const bytes: number[] = [];
  let x = v;
  while (x > 0n) { bytes.unshift(Number(x & 0xffn)); x >>= 8n; }
  return [0x5f + bytes.length, ...bytes];
};

/** Interesting words: small, boundary and sign-bit values. */
const wordArb: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 300n }),
  fc.constantFrom(0n, 1n, 31n, 32n, 255n, 256n, (1n << 255n), (1n << 256n) - 1n, (1n << 255n) - 1n, (1n << 64n)),
  fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
);
const slotArb = fc.bigInt({ min: 0n, max: 5n });
const smallOff = fc.oneof(fc.integer({ min: 0, max: 96 }), fc.constantFrom(0, 32, 200, 1000));
const sizeArb = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(0, 1, 32, 33, 300));

const BINARY = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1a, 0x1b, 0x1c, 0x1d];
/** Zero-argument reads whose values both sides define the same way for the generated environment. */
const READS = [0x30, 0x32, 0x33, 0x34, 0x36, 0x38, 0x3a, 0x3d, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x4a, 0x58, 0x59, 0x5a];

/**
 * Init codes for CREATE: deploy one byte, deploy a 0xEF-prefixed byte (rejected), revert, store and
 * deploy nothing, self-destruct to the creator, transient store and log, and an invalid opcode.
 */
const INIT_CODES = ['6000600053600160' + '00f3', '60ef600053600160' + '00f3', '60006000fd', '602a60015500', '33ff', '600760015d60006000a000', 'fe'];

const hexBytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const words = (...ws: readonly bigint[]): Uint8Array => hexBytes(ws.map((w) => w.toString(16).padStart(64, '0')).join(''));
const concat = (...parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

/** bn254 (alt_bn128) points: the G1 generator, its double and negation, the identity, off-curve and out-of-field pairs. */
const BN_P = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47n;
const BN_G1 = words(1n, 2n);
const BN_G1_NEG = words(1n, BN_P - 2n);
const BN_POINTS: readonly Uint8Array[] = [
  BN_G1, BN_G1_NEG, words(0n, 0n),
  words(0x030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3n, 0x15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4n),
  words(1n, 3n), words(BN_P, 2n), words(BN_P + 1n, 2n),
];
/** The G2 generator as EIP-197 encodes it (imaginary part first), and a copy moved off the twist. */
const BN_G2_WORDS = [
  0x198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2n, 0x1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6edn,
  0x090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975bn, 0x12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daan,
] as const;
const BN_G2 = words(...BN_G2_WORDS);
const BN_G2_BAD = words(BN_G2_WORDS[0], BN_G2_WORDS[1], BN_G2_WORDS[2], BN_G2_WORDS[3] + 1n);
/** Pairing inputs: empty (true), e(G1,G2) alone (false), e(G1,G2)·e(-G1,G2) (true), identity pairs, a G2 point off the curve, a bad G1 point. */
const BN_PAIRINGS: readonly Uint8Array[] = [
  new Uint8Array(0), concat(BN_G1, BN_G2), concat(BN_G1, BN_G2, BN_G1_NEG, BN_G2), concat(words(0n, 0n), BN_G2),
  concat(BN_G1, BN_G2_BAD), concat(words(1n, 3n), BN_G2),
];

/**
 * KZG point evaluation inputs (192 bytes): the two valid inputs of public client test suites, the
 * zero polynomial (commitment and proof at infinity, y = 0) at any z, and corruptions of each.
 */
const KZG_VALID: readonly Uint8Array[] = [
  hexBytes('01e798154708fe7789429634053cbf9f99b619f9f084048927333fce637f549b564c0a11a0f704f4fc3e8acfe0f8245f0ad1347b378fbf96e206da11a5d3630624d25032e67a7e6a4910df5834b8fe70e6bcfeeac0352434196bdf4b2485d5a18f59a8d2a1a625a17f3fea0fe5eb8c896db3764f3185481bc22f91b4aaffcca25f26936857bc3a7c2539ea8ec3a952b7873033e038326e87ed3e1276fd140253fa08e9fc25fb2d9a98527fc22a2c9612fbeafdad446cbc7bcdbdcd780af2c16a'),
  hexBytes('01e798154708fe7789429634053cbf9f99b619f9f084048927333fce637f549b73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff000000001522a4a7f34e1ea350ae07c29c96c7e79655aa926122e95fe69fcbd932ca49e98f59a8d2a1a625a17f3fea0fe5eb8c896db3764f3185481bc22f91b4aaffcca25f26936857bc3a7c2539ea8ec3a952b7a62ad71d14c5719385c0686f1871430475bf3a00f0aa3f7b8dd99a9abc2160744faf0070725e00b60ad9a026a15b1a8c'),
];
const KZG_INFINITY = hexBytes('c0' + '00'.repeat(47));
const kzgVersionedHash = (commitment: Uint8Array): Uint8Array => { const h = sha256(commitment); h[0] = 0x01; return h; };
const kzgZero = (z: bigint): Uint8Array => concat(kzgVersionedHash(KZG_INFINITY), words(z, 0n), KZG_INFINITY, KZG_INFINITY);
const flipByte = (b: Uint8Array, i: number): Uint8Array => { const c = b.slice(); c[i] = c[i]! ^ 1; return c; };
const kzgInputArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constantFrom(...KZG_VALID),
  fc.oneof(fc.bigInt({ min: 0n, max: (1n << 255n) - 1n }), fc.constant(0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n)).map(kzgZero),
  // A corrupted versioned hash, z, y, commitment or proof.
  fc.tuple(fc.constantFrom(...KZG_VALID), fc.constantFrom(0, 31, 63, 95, 100, 191)).map(([b, i]) => flipByte(b, i)),
);

/** blake2f inputs: rounds kept small so that both sides finish quickly; the final-block flag 0, 1 or an invalid 2. */
const blake2fInputArb: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.integer({ min: 0, max: 16 }), fc.uint8Array({ minLength: 64 + 128 + 16, maxLength: 64 + 128 + 16 }), fc.constantFrom(0, 1, 1, 2),
).map(([rounds, body, f]) => concat(Uint8Array.of(rounds >>> 24, (rounds >>> 16) & 0xff, (rounds >>> 8) & 0xff, rounds & 0xff), body, Uint8Array.of(f)));

/**
 * Inputs for the precompiles at 0x06..0x0a (bn254 add, mul and pairing, blake2f, KZG point
 * evaluation); `weights` sets how often each address is chosen.
 */
const precompileInputs = (weights: readonly [number, number, number, number, number]): fc.Arbitrary<readonly [number, Uint8Array]> => fc.oneof(
  { weight: weights[0], arbitrary: fc.tuple(fc.constant(6), fc.constantFrom(...BN_POINTS), fc.constantFrom(...BN_POINTS)).map(([a, p, q]) => [a, concat(p, q)] as const) },
  { weight: weights[1], arbitrary: fc.tuple(fc.constant(7), fc.constantFrom(...BN_POINTS), wordArb).map(([a, p, k]) => [a, concat(p, words(k))] as const) },
  { weight: weights[2], arbitrary: fc.tuple(fc.constant(8), fc.constantFrom(...BN_PAIRINGS)) },
  { weight: weights[3], arbitrary: fc.tuple(fc.constant(9), blake2fInputArb) },
  { weight: weights[4], arbitrary: fc.tuple(fc.constant(10), kzgInputArb) },
);
/** Every precompile equally often. */
export const precompileInputArb = precompileInputs([1, 1, 1, 1, 1]);
/**
 * Inside generated programs, pairings and point evaluations (each 10-30 ms in the model, and run
 * again by every engine compared) are chosen less often than the cheap precompiles, so that the
 * thousands of programs stay fast; `precompileInputArb` covers every input class directly.
 */
const programPrecompileInputArb = precompileInputs([4, 4, 2, 4, 1]);

/**
 * Writes `input` to memory at `base` a word at a time (the last word padded with zeros; only
 * `size` bytes are passed), then calls precompile `address`; the success flag is consumed.
 */
const precompileCall = (contractSink: fc.Arbitrary<readonly number[]>): fc.Arbitrary<Item[]> =>
  fc.tuple(
    programPrecompileInputArb, fc.constantFrom(0, 64, 160), fc.constantFrom(0xf1, 0xf1, 0xfa, 0xf4, 0xf2), fc.constantFrom(0n, 0n, 1n),
    fc.oneof(fc.constantFrom(0n, 100n, 600n, 6000n, 45000n, 50000n, 150000n), fc.bigInt({ min: 0n, max: 160000n }), fc.constant((1n << 256n) - 1n)),
    fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 400 }), smallOff, fc.constantFrom(0, 1, 32, 64), contractSink,
  ).map(([[address, input], base, op, v, g, sizeChoice, anySize, oo, os, s]) => {
    // Mostly the whole input; sometimes one byte short or long, or any length.
    const size = sizeChoice < 6 ? input.length : sizeChoice === 6 ? Math.max(0, input.length - 1) : sizeChoice === 7 ? input.length + 1 : Math.min(anySize, input.length + 32);
    const stores: number[] = [];
    for (let i = 0; i < input.length; i += 32) {
      const chunk = new Uint8Array(32);
      chunk.set(input.subarray(i, i + 32));
      stores.push(...push(BigInt('0x' + Buffer.from(chunk).toString('hex'))), ...push(BigInt(base + i)), 0x52);
    }
    return [
      ...stores, ...push(BigInt(os)), ...push(BigInt(oo)), ...push(BigInt(size)), ...push(BigInt(base)),
      ...(op === 0xf1 || op === 0xf2 ? push(v) : []), ...push(BigInt(address)), ...push(g), op, ...s,
    ];
  });

/**
 * A contract that passes `input` to precompile `address` with 1,000,000 gas and returns the success
 * flag as one word followed by the return data: one precompile call, seen from outside.
 */
export const precompileProbe = (address: number, input: Uint8Array): Uint8Array => {
  const out: number[] = [];
  for (let i = 0; i < input.length; i += 32) {
    const chunk = new Uint8Array(32);
    chunk.set(input.subarray(i, i + 32));
    out.push(...push(BigInt('0x' + Buffer.from(chunk).toString('hex'))), ...push(BigInt(i)), 0x52);
  }
  const end = BigInt(Math.ceil(input.length / 32) * 32);
  out.push(
    0x5f, 0x5f, ...push(BigInt(input.length)), 0x5f, ...push(BigInt(address)), ...push(1_000_000n), 0xfa, // STATICCALL
    ...push(end), 0x52, // MSTORE(end, success)
    0x3d, 0x5f, ...push(end + 32n), 0x3e, // RETURNDATACOPY(end + 32, 0, RETURNDATASIZE)
    0x3d, ...push(32n), 0x01, ...push(end), 0xf3, // RETURN(end, 32 + RETURNDATASIZE)
  );
  return Uint8Array.from(out);
};

/** A result on the stack is consumed: stored in a slot, written to memory, or popped. */
const sink = fc.oneof(
  slotArb.map((s) => [...push(s), 0x55]),
  smallOff.map((o) => [...push(BigInt(o)), 0x52]),
  fc.constant([0x50]),
);

const snippet = (contractIndex: number, contracts: number): fc.Arbitrary<Item[]> => {
  const addrArb = fc.oneof(
    ...(contractIndex + 1 < contracts ? [fc.integer({ min: contractIndex + 1, max: contracts - 1 }).map((j) => BigInt(genContract(j)))] : []),
    fc.integer({ min: 1, max: 5 }).map(BigInt),
    fc.constantFrom(BigInt(GEN_ABSENT), BigInt(GEN_CALLER)),
  );
  const arms: fc.Arbitrary<Item[]>[] = [
    // The precompiles 0x06..0x0a, with valid and invalid inputs.
    precompileCall(sink),
    fc.tuple(wordArb, wordArb, fc.constantFrom(...BINARY), sink).map(([a, b, op, s]) => [...push(b), ...push(a), op, ...s]),
    fc.tuple(wordArb, wordArb, wordArb, fc.constantFrom(0x08, 0x09), sink).map(([a, b, n, op, s]) => [...push(n), ...push(b), ...push(a), op, ...s]),
    fc.tuple(wordArb, fc.constantFrom(0x15, 0x19), sink).map(([a, op, s]) => [...push(a), op, ...s]),
    fc.tuple(fc.constantFrom(...READS), sink).map(([op, s]) => [op, ...s]),
    fc.tuple(wordArb, sink).map(([a, s]) => [...push(a), 0x35, ...s]),
    fc.tuple(addrArb, fc.constantFrom(0x31, 0x3b, 0x3f), sink).map(([a, op, s]) => [...push(a), op, ...s]),
    fc.tuple(slotArb, sink).map(([k, s]) => [...push(k), 0x54, ...s]),
    fc.tuple(slotArb, fc.oneof(wordArb, fc.constant(0n))).map(([k, v]) => [...push(v), ...push(k), 0x55]),
    fc.tuple(slotArb, wordArb).map(([k, v]) => [...push(v), ...push(k), 0x5d]),
    fc.tuple(slotArb, sink).map(([k, s]) => [...push(k), 0x5c, ...s]),
    fc.tuple(smallOff, sink).map(([o, s]) => [...push(BigInt(o)), 0x51, ...s]),
    fc.tuple(smallOff, wordArb).map(([o, v]) => [...push(v), ...push(BigInt(o)), 0x53]),
    fc.tuple(smallOff, smallOff, sizeArb).map(([d, s, n]) => [...push(BigInt(n)), ...push(BigInt(s)), ...push(BigInt(d)), 0x5e]),
    fc.tuple(smallOff, sizeArb, sink).map(([o, n, s]) => [...push(BigInt(n)), ...push(BigInt(o)), 0x20, ...s]),
    fc.tuple(smallOff, smallOff, sizeArb, fc.constantFrom(0x37, 0x39)).map(([m, o, n, op]) => [...push(BigInt(n)), ...push(BigInt(o)), ...push(BigInt(m)), op]),
    fc.tuple(smallOff, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })).map(([m, o, n]) => [...push(BigInt(n)), ...push(BigInt(o)), ...push(BigInt(m)), 0x3e]),
    fc.tuple(fc.integer({ min: 0, max: 4 }), fc.array(wordArb, { minLength: 4, maxLength: 4 }), smallOff, sizeArb).map(([n, topics, o, size]) => [
      ...topics.slice(0, n).flatMap(push), ...push(BigInt(size)), ...push(BigInt(o)), 0xa0 + n,
    ]),
    // CALL family: gas, address, [value], in offset/size, out offset/size; the success flag is consumed.
    fc.tuple(fc.constantFrom(0xf1, 0xf2, 0xf4, 0xfa), fc.oneof(fc.bigInt({ min: 0n, max: 40000n }), fc.constant((1n << 256n) - 1n)), addrArb,
      fc.constantFrom(0n, 0n, 1n, 1000n), smallOff, sizeArb, smallOff, sizeArb, sink)
      .map(([op, g, a, v, io, is, oo, os, s]) => [
        ...push(BigInt(os)), ...push(BigInt(oo)), ...push(BigInt(is)), ...push(BigInt(io)),
        ...(op === 0xf1 || op === 0xf2 ? push(v) : []), ...push(a), ...push(g), op, ...s,
      ]),
    // CREATE and CREATE2 of a short init code written to memory; the new address is consumed.
    fc.tuple(fc.constantFrom(...INIT_CODES), fc.constantFrom(0xf0, 0xf5), fc.constantFrom(0n, 0n, 1n), fc.bigInt({ min: 0n, max: 3n }), smallOff, sink)
      .map(([init, op, v, salt, o, s]) => {
        const word = init.padEnd(64, '0');
        return [
          ...push(BigInt('0x' + word)), ...push(BigInt(o)), 0x52,
          ...(op === 0xf5 ? push(salt) : []), ...push(BigInt(init.length / 2)), ...push(BigInt(o)), ...push(v), op, ...s,
        ];
      }),
  ];
  // The precompile calls (first arm) come half as often as each other snippet.
  return fc.oneof(...arms.map((arbitrary, i) => ({ arbitrary, weight: i === 0 ? 1 : 2 })));
};

/** A counted loop around a body of simple snippets: counter on the stack, decremented each turn. */
const loop = (body: fc.Arbitrary<Item[][]>, label: number): fc.Arbitrary<Item[]> =>
  fc.tuple(fc.integer({ min: 1, max: 4 }), body).map(([n, parts]) => [
    ...push(BigInt(n)), { def: label }, 0x5b, ...parts.flat(),
    // counter - 1; jump back while non-zero; then drop the counter.
    0x60, 0x01, 0x90, 0x03, 0x80, { label }, 0x57, 0x50,
  ]);

const terminator = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(smallOff, sizeArb).map(([o, n]) => [...push(BigInt(n)), ...push(BigInt(o)), 0xf3]) },
  { weight: 2, arbitrary: fc.tuple(smallOff, sizeArb).map(([o, n]) => [...push(BigInt(n)), ...push(BigInt(o)), 0xfd]) },
  { weight: 2, arbitrary: fc.constant([0x00]) },
  { weight: 1, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.constantFrom([0xfe], [0x0c], [0x01], [0x60, 0x03, 0x56]) },
  { weight: 1, arbitrary: fc.constantFrom(BigInt(GEN_CALLER), BigInt(GEN_ABSENT), 0x1000n).map((a) => [...push(a), 0xff]) },
);

const assemble = (items: readonly Item[]): Uint8Array => {
  const defs = new Map<number, number>();
  let pc = 0;
  for (const it of items) { if (typeof it === 'number') pc++; else if ('def' in it) defs.set(it.def, pc); else pc += 3; }
  const out: number[] = [];
  for (const it of items) {
    if (typeof it === 'number') out.push(it);
    else if ('label' in it) { const d = defs.get(it.label) ?? 0; out.push(0x61, d >> 8, d & 0xff); }
  }
  return Uint8Array.from(out);
};

/** The code of contract `index` of `contracts`. */
export const programArb = (index: number, contracts: number): fc.Arbitrary<Uint8Array> => {
  const simple = snippet(index, contracts);
  const part = fc.oneof({ weight: 6, arbitrary: simple }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 999 }).chain((l) => loop(fc.array(simple, { minLength: 1, maxLength: 3 }), l)) });
  return fc.tuple(fc.array(part, { minLength: 0, maxLength: 10 }), terminator).map(([parts, t]) => {
    // Labels must be unique per program: renumber loop labels by position.
    let n = 0;
    const items = parts.map((p) => { const id = n++; return p.map((it) => (typeof it === 'number' ? it : 'def' in it ? { def: id } : { label: id })); }).flat();
    return assemble([...items, ...t]);
  });
};

export interface GeneratedCase {
  readonly codes: readonly Uint8Array[];
  readonly storage: readonly (readonly [bigint, bigint])[][];
  readonly balances: readonly bigint[];
  readonly value: bigint;
  readonly data: Uint8Array;
  readonly gas: bigint;
}

/** Two to four contracts with some pre-existing storage; the call goes to contract 0. */
export const caseArb: fc.Arbitrary<GeneratedCase> = fc.integer({ min: 1, max: 4 }).chain((n) =>
  fc.record({
    codes: fc.tuple(...Array.from({ length: n }, (_, i) => programArb(i, n))),
    storage: fc.array(fc.array(fc.tuple(slotArb, fc.bigInt({ min: 1n, max: 3n })), { maxLength: 3 }), { minLength: n, maxLength: n }),
    balances: fc.array(fc.constantFrom(0n, 0n, 7n, 10n ** 18n), { minLength: n, maxLength: n }),
    value: fc.constantFrom(0n, 0n, 1n, 5000n),
    data: fc.uint8Array({ maxLength: 40 }),
    gas: fc.oneof({ weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 30000n }) }, { weight: 3, arbitrary: fc.bigInt({ min: 30000n, max: 3_000_000n }) }),
  }));
