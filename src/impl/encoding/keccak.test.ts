import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { KECCAK_INPUT_LIMIT, keccak256, keccak256OfInput, keccak256OfText, keccakInput } from './keccak.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('impl keccak-256', () => {
  // Published Keccak-256 digests (Ethereum's empty-code hash and the "abc" test message).
  it('matches published digests', () => {
    expect(hex(keccak256(new Uint8Array()))).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    expect(hex(keccak256(new TextEncoder().encode('abc')))).toBe('4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
  });

  it('agrees with @noble/hashes on every length around the rate boundary and on random data', () => {
    for (let n = 0; n <= 3 * 136 + 2; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      expect(hex(keccak256(data))).toBe(hex(keccak_256(data)));
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => hex(keccak256(data)) === hex(keccak_256(data))), { numRuns: 300 });
  });

  it('agrees with @noble/hashes on messages longer than the module\'s input area, around each chunk boundary', () => {
    for (const n of [KECCAK_INPUT_LIMIT, KECCAK_INPUT_LIMIT + 1, KECCAK_INPUT_LIMIT + 137, 2 * (KECCAK_INPUT_LIMIT + 1), 300_001]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
      expect(hex(keccak256(data)), `length ${n}`).toBe(hex(keccak_256(data)));
    }
  });

  it('hashes a message assembled in the input area', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1200 }), (data) => {
      keccakInput.set(data);
      return hex(keccak256OfInput(data.length)) === hex(keccak_256(data));
    }), { numRuns: 200 });
    const longest = Uint8Array.from({ length: KECCAK_INPUT_LIMIT }, (_, i) => i & 0xff);
    keccakInput.set(longest);
    expect(hex(keccak256OfInput(longest.length))).toBe(hex(keccak_256(longest)));
  });

  it('hashes the UTF-8 bytes of a string: ASCII, non-ASCII and longer than the input area', () => {
    const utf8 = (t: string): Uint8Array => new TextEncoder().encode(t);
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 100 })), (t) => hex(keccak256OfText(t)) === hex(keccak_256(utf8(t)))), { numRuns: 300 });
    for (const n of [KECCAK_INPUT_LIMIT, KECCAK_INPUT_LIMIT + 1]) {
      const t = 'k'.repeat(n);
      expect(hex(keccak256OfText(t)), `length ${n}`).toBe(hex(keccak_256(utf8(t))));
    }
    expect(hex(keccak256OfText('bal/a1é'))).toBe(hex(keccak_256(utf8('bal/a1é'))));
  });
});
