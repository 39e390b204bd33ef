import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as model from '../../model/encoding/index.js';
import * as impl from './index.js';

// @spec ENC-JSON-STRICT.1 ENC-JCS-CANONICAL.1 ENC-HEX-STRICT.1 VEC-CASE-HASH.1
// The implementation must give the model's answer, success or failure code, on every input.
const sameAnswer = <T>(a: model.Result<T>, b: model.Result<T>): void => {
  if (a.ok) expect(b).toStrictEqual(a);
  else expect(b.ok ? 'accepted' : b.error.code).toBe(a.error.code);
};

/** JSON texts plus small corruptions of them, so error paths are compared too. */
const jsonTexts = fc.oneof(
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v, null, 1)),
  fc.tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', '"', '\\ud800', '\\u', '}', ']', '1e999', '-', 'x', '\n', '\u0001', '"a":1,"a":2'))
    .map(([t, at, ins]) => { const i = at % (t.length + 1); return t.slice(0, i) + ins + t.slice(i); }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

describe('impl encoding agrees with the model', () => {
  it('canonical-json on generated and corrupted JSON text', () => {
    fc.assert(fc.property(jsonTexts, (text) => sameAnswer(model.canonicalJsonOfText({ text }), impl.canonicalJsonOfText({ text }))), { numRuns: 3000 });
  });
  it('case-hash on generated objects and corrupted text', () => {
    const caseTexts = fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()).map((o) => JSON.stringify(o)), jsonTexts);
    fc.assert(fc.property(caseTexts, (text) => sameAnswer(model.caseHashOfText({ text }), impl.caseHashOfText({ text }))), { numRuns: 2000 });
  });
  it('digest on well-formed and malformed hex', () => {
    const data = fc.oneof(fc.uint8Array({ maxLength: 500 }).map(model.bytesToHex), fc.string({ maxLength: 12 }), fc.stringMatching(/^0x[0-9a-fA-Fg ]{0,9}$/));
    const algorithm = fc.constantFrom('keccak-256', 'sha256', 'sha3-256', '');
    fc.assert(fc.property(algorithm, data, (a, d) => sameAnswer(model.digestOfData({ algorithm: a, data: d }), impl.digestOfData({ algorithm: a, data: d }))), { numRuns: 2000 });
  });
});
