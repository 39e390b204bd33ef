import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runWast } from './runner.js';

const TOKENS = [
  '(', ')', '(', ')', 'module', 'func', 'param', 'result', 'local', 'i32', 'i64', 'f32', 'f64', 'export', '"f"', 'memory', 'table', 'funcref',
  'elem', 'data', '"ab\\00"', 'global', 'mut', 'type', 'import', '"m"', 'start', 'block', 'loop', 'if', 'then', 'else', 'end', 'br', 'br_if',
  'br_table', 'call', 'call_indirect', '$f', '$x', '0', '1', '-1', '0x10', '1e400', 'nan:0x1', 'inf', 'i32.const', 'f32.const', 'i64.const',
  'i32.add', 'local.get', 'drop', 'unreachable', 'assert_return', 'assert_trap', 'assert_invalid', 'assert_malformed', 'invoke', 'binary', 'quote',
  '"\\00asm\\01\\00\\00\\00"', 'offset=4', 'align=3', ';;', '(;', ';)', 'memory.grow', 'select', 'register', '"x"', 'offset', '65536',
];

describe('wast runner on arbitrary scripts', () => {
  // @spec DMIR-WASM-TEXT.1
  it('never throws, whatever the script (DMIR-WASM-TEXT.1)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }), (toks) => {
        const r = runWast(toks.join(' '), 'fuzz.wast');
        expect(r.pass + r.fail + r.skip).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 3000, seed: 11 },
    );
  });
});
