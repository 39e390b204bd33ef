/**
 * Generated EVM programs for differential tests and vectors: every snippet leaves the stack as it
 * found it, loops are counted (JUMPI back to a JUMPDEST with a bounded counter), and contracts only
 * call contracts with a higher index, so every program terminates without the call graph recursing.
 * Deliberate faults (underflow, a bad jump, an invalid opcode, small gas) are snippets of their own.
 */
import fc from 'fast-check';

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
  return fc.oneof(...arms);
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
