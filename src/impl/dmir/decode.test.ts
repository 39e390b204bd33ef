/**
 * The engine's binary reader on the 0xFC-prefixed instructions: the same module or the same error
 * code as the model's decoder, on generated modules that use the saturating conversions, on
 * mutations of them, and on hand-written prefixed opcodes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeModule } from '../../model/dmir/wasm/decode.js';
import { encodeModule } from '../../model/dmir/wasm/encode.js';
import { applyMutations, byteMutation as mutation, wasmModule } from '../../conformance/wast/gen.js';
import { readWasm } from './decode.js';

const RUNS = Number(process.env['DMIR_READER_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 20_000 : 1_000));

const both = (b: Uint8Array): [unknown, unknown] => {
  const m = decodeModule(b);
  const i = readWasm(b);
  return [m.ok ? m.value : m.error.code, i.ok ? i.value : i.error.code];
};

/** A module with one function `() -> i32` whose body is `f32.const 1.5`, the given bytes, `end`. */
const withBody = (op: readonly number[]): Uint8Array => {
  const body = [0x00, 0x43, 0x00, 0x00, 0xc0, 0x3f, ...op, 0x0b];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x0a, body.length + 2, 0x01, body.length, ...body,
  ]);
};


describe('the engine binary reader on prefixed opcodes (DMIR-WASM-DECODE.1)', () => {
  // @spec DMIR-WASM-DECODE.1 DMIR-WASM-PROFILE.1
  it('reads the saturating conversions and classifies the rest of the 0xFC space like the model', () => {
    const code = (b: Uint8Array): unknown => { const [m, i] = both(b); expect(i).toEqual(m); return typeof m === 'string' ? m : 'ok'; };
    expect(code(withBody([0xfc, 0x00]))).toBe('ok'); // i32.trunc_sat_f32_s
    expect(code(withBody([0xfc, 0x80, 0x00]))).toBe('ok'); // the same sub-opcode in a two-byte LEB128
    expect(code(withBody([0xfc, 0x01]))).toBe('ok'); // i32.trunc_sat_f32_u
    expect(code(withBody([0xfc, 0x08, 0x00, 0x00]))).toBe('Wasm.Profile.UNSUPPORTED_FEATURE'); // memory.init
    expect(code(withBody([0xfc, 0x11, 0x00]))).toBe('Wasm.Profile.UNSUPPORTED_FEATURE'); // table.fill
    expect(code(withBody([0xfc, 0x12]))).toBe('Wasm.Decode.ILLEGAL_OPCODE');
    expect(code(withBody([0xfc, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toBe('Wasm.Decode.LEB_TOO_LARGE');
    expect(code(withBody([0xfc, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]))).toBe('Wasm.Decode.LEB_TOO_LONG');
    const decoded = readWasm(withBody([0xfc, 0x06]));
    expect(decoded.ok && decoded.value.codes[0]!.body.map((i) => i.op)).toEqual([0x43, 0xfc06, 0x0b]);
  });

  // @spec DMIR-WASM-DECODE.1
  it(`reads ${RUNS} generated modules with saturating conversions identically, and their mutations`, () => {
    fc.assert(fc.property(wasmModule({ depth: 2, saturating: true }), fc.array(mutation, { maxLength: 4 }), ({ module }, ms) => {
      const b = applyMutations(encodeModule(module), ms);
      const [m, i] = both(b);
      expect(i).toEqual(m);
    }), { numRuns: RUNS, seed: 95 });
  });
});
