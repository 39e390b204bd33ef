import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_CODES, decodeModule, LIMIT_ERROR_CODES, PROFILE_ERROR_CODES } from './decode.js';
import { VALIDATE_ERROR_CODES } from './validate.js';
import { encodeModule } from './encode.js';
import { loadWasm } from './index.js';
import { VERIFY_ERROR_CODES } from '../verify.js';
import { wasmModule } from '../../../conformance/wast/gen.js';

const KNOWN: ReadonlySet<string> = new Set([...DECODE_ERROR_CODES, ...PROFILE_ERROR_CODES, ...LIMIT_ERROR_CODES, ...VALIDATE_ERROR_CODES, ...VERIFY_ERROR_CODES]);

/** Loads bytes and returns the outcome as a code; throwing fails the property. */
const loadCode = (bytes: Uint8Array): string => {
  const r = loadWasm(bytes);
  return r.ok ? 'ok' : r.error.code;
};

describe('WASM decoder on bad input', () => {
  // @spec DMIR-WASM-DECODE.1
  it('rejects random bytes with a stable code (DMIR-WASM-DECODE.1)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const c = loadCode(bytes);
        expect(c === 'ok' || KNOWN.has(c)).toBe(true);
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it('rejects random bytes after a valid header with a stable code (DMIR-WASM-DECODE.1)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...tail]);
        const c = loadCode(bytes);
        expect(c === 'ok' || KNOWN.has(c)).toBe(true);
      }),
      { numRuns: 3000, seed: 8 },
    );
  });

  // @spec DMIR-WASM-DECODE.1 DMIR-WASM-VALIDATE.1
  it('never throws on mutated valid modules, and the code is stable (DMIR-WASM-DECODE.1)', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), value: fc.constant(0) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(
      fc.property(wasmModule({ depth: 2 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), ({ module }, ms) => {
        let bytes = encodeModule(module);
        for (const m of ms) {
          const at = m.at % (bytes.length + 1);
          if (m.kind === 'set' && at < bytes.length) { bytes = bytes.slice(); bytes[at] = m.value; }
          if (m.kind === 'truncate') bytes = bytes.slice(0, at);
          if (m.kind === 'insert') bytes = Uint8Array.from([...bytes.slice(0, at), m.value, ...bytes.slice(at)]);
        }
        const c = loadCode(bytes);
        expect(c === 'ok' || KNOWN.has(c)).toBe(true);
        expect(loadCode(bytes)).toBe(c);
      }),
      { numRuns: 1500, seed: 9 },
    );
  });

  it('names specific malformations with their codes (DMIR-WASM-DECODE.1, DMIR-WASM-LIMITS.1)', () => {
    const hdr = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
    expect(loadCode(Uint8Array.from([0, 0x61, 0x73]))).toBe('Wasm.Decode.BAD_MAGIC');
    expect(loadCode(Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]))).toBe('Wasm.Decode.BAD_VERSION');
    expect(loadCode(Uint8Array.from([...hdr, 14, 0]))).toBe('Wasm.Decode.BAD_SECTION_ID');
    // A type section of declared size 5 whose single entry is only 4 bytes long.
    expect(loadCode(Uint8Array.from([...hdr, 1, 5, 1, 0x60, 0, 0, 0]))).toBe('Wasm.Decode.SECTION_SIZE_MISMATCH');
    // A u32 written with six bytes.
    expect(loadCode(Uint8Array.from([...hdr, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]))).toBe('Wasm.Decode.LEB_TOO_LONG');
    // Sections out of order: function (3) after code (10).
    expect(loadCode(Uint8Array.from([...hdr, 10, 1, 0, 3, 1, 0]))).toBe('Wasm.Decode.SECTION_ORDER');
    // An imported memory is outside the profile (DTVM UnsupportedImport).
    expect(loadCode(Uint8Array.from([...hdr, 2, 7, 1, 1, 0x6d, 1, 0x6e, 2, 0, 1]))).toBe('Wasm.Profile.UNSUPPORTED_IMPORT');
    // Initial memory of 257 pages exceeds the DWASM limit.
    expect(loadCode(Uint8Array.from([...hdr, 5, 4, 1, 0, 0x81, 0x02]))).toBe('Wasm.Limit.INIT_MEMORY_TOO_LARGE');
    // Declared locals above the DWASM limit (10241 = 0x2801).
    expect(loadCode(Uint8Array.from([...hdr, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 7, 1, 5, 1, 0x81, 0x50, 0x7f, 0x0b]))).toBe('Wasm.Limit.LOCALS_TOO_MANY');
  });

  it('decodes what it encodes (DMIR-WASM-DECODE.1)', () => {
    fc.assert(
      fc.property(wasmModule({ depth: 2 }), ({ module }) => {
        const r = decodeModule(encodeModule(module));
        expect(r.ok && r.value).toEqual(module);
      }),
      { numRuns: 500, seed: 10 },
    );
  });
});
