import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from './hex.js';
import { parseJson } from './json.js';
import { canonicalJson } from './canonical.js';
import { caseHash } from './case-hash.js';
import { keccak256, sha256, utf8 } from './hash.js';
import { canonicalJsonOfText, digestOfData } from './kinds.js';

const code = (r: { ok: boolean; error?: { code: string } }): string | undefined => (r.ok ? undefined : r.error!.code);

describe('hex (ENC-HEX-FORMAT.1, ENC-HEX-STRICT.1)', () => {
  it('round-trips every byte string', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      const r = hexToBytes(bytesToHex(b));
      return r.ok && Buffer.from(r.value).equals(Buffer.from(b));
    }));
  });
  it('spells bytes one way only', () => {
    expect(bytesToHex(new Uint8Array([0, 0xab, 0x0f]))).toBe('0x00ab0f');
    expect(bytesToHex(new Uint8Array())).toBe('0x');
  });
  it('rejects other spellings with the first failure in reading order', () => {
    expect(code(hexToBytes('ab'))).toBe('Encoding.Hex.MISSING_PREFIX');
    expect(code(hexToBytes('0XAB'))).toBe('Encoding.Hex.MISSING_PREFIX');
    expect(code(hexToBytes('0xabc'))).toBe('Encoding.Hex.ODD_LENGTH');
    expect(code(hexToBytes('0xaB'))).toBe('Encoding.Hex.UPPERCASE');
    expect(code(hexToBytes('0xg'))).toBe('Encoding.Hex.INVALID_CHARACTER');
    expect(code(hexToBytes('0xAg'))).toBe('Encoding.Hex.UPPERCASE');
    expect(hexToBytes('0x0 ').ok ? '' : (hexToBytes('0x0 ') as { error: { message: string } }).error.message).toContain('offset 3');
  });
  it('never throws on arbitrary text (fuzz)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => typeof hexToBytes(s).ok === 'boolean'), { numRuns: 2000 });
  });
});

describe('strict JSON (ENC-JSON-STRICT.1)', () => {
  it('reads what JSON.parse reads when there are no duplicate names', () => {
    fc.assert(fc.property(fc.json(), (text) => {
      const r = parseJson(text);
      expect(r.ok).toBe(true);
      expect(r.ok && r.value).toStrictEqual(JSON.parse(text));
    }), { numRuns: 1000 });
  });
  it('rejects what I-JSON forbids, with codes and offsets', () => {
    expect(code(parseJson('{"a":1,"a":2}'))).toBe('Encoding.Json.DUPLICATE_KEY');
    expect(code(parseJson('"\\ud800"'))).toBe('Encoding.Json.LONE_SURROGATE');
    expect(code(parseJson('"\\udc00\\ud800"'))).toBe('Encoding.Json.LONE_SURROGATE');
    expect(code(parseJson('1e309'))).toBe('Encoding.Json.NUMBER_OUT_OF_RANGE');
    expect(code(parseJson(`${'['.repeat(258)}${']'.repeat(258)}`))).toBe('Encoding.Json.TOO_DEEP');
    expect(parseJson(`${'['.repeat(257)}${']'.repeat(257)}`).ok).toBe(true);
    for (const bad of ['', '[1,]', '{"a" 1}', 'nul', '01', '1.', '.5', '+1', '"\u0001"', '[1] x', "'a'", '\u00a0[]', '[\u000b]']) {
      expect(code(parseJson(bad)), bad).toBe('Encoding.Json.SYNTAX');
    }
    const r = parseJson('[1, 2 3]');
    expect(!r.ok && r.error.message).toContain('offset 6');
  });
  it('never throws on arbitrary text (fuzz)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => typeof parseJson(s).ok === 'boolean'), { numRuns: 3000 });
    fc.assert(fc.property(fc.json(), fc.nat(), fc.string({ unit: 'binary', maxLength: 3 }), (t, at, ins) => {
      const i = at % (t.length + 1);
      return typeof parseJson(t.slice(0, i) + ins + t.slice(i)).ok === 'boolean';
    }), { numRuns: 3000 });
  });
});

describe('canonical JSON (ENC-JCS-CANONICAL.1, ENC-JCS-NUMBER.1, ENC-JCS-STRING.1)', () => {
  const canon = (text: string): string => {
    const r = canonicalJsonOfText({ text });
    if (!r.ok) throw new Error(r.error.message);
    return r.value.canonical;
  };
  // Expected strings are copied from RFC 8785, sections 3.2.2 and 3.2.3.
  it('matches the RFC 8785 examples', () => {
    expect(canon('{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}'))
      .toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
    const sorted = canon('{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}');
    // Values in the order they appear in the text (an object would list the key "1" first).
    expect([...sorted.matchAll(/:"([^"]*)"/g)].map((m) => m[1])).toEqual(['Carriage Return', 'One', 'Control', 'Latin Small Letter O With Diaeresis', 'Euro Sign', 'Emoji: Grinning Face', 'Hebrew Letter Dalet With Dagesh']);
  });
  // Rows of RFC 8785 Appendix B (IEEE-754 value -> canonical text), entered as JSON numbers.
  it('writes numbers as RFC 8785 Appendix B does', () => {
    const rows: [string, string][] = [
      ['-0', '0'], ['5e-324', '5e-324'], ['1.7976931348623157e308', '1.7976931348623157e+308'], ['9007199254740992', '9007199254740992'],
      ['9007199254740993', '9007199254740992'], ['295147905179352830000', '295147905179352830000'], ['1e21', '1e+21'], ['0.000001', '0.000001'],
      ['1e-7', '1e-7'], ['1e23', '1e+23'], ['0.3', '0.3'], ['333333333.3333333', '333333333.3333333'],
    ];
    for (const [input, expected] of rows) expect(canon(input), input).toBe(expected);
  });
  it('escapes exactly the characters RFC 8785 escapes', () => {
    expect(canon('"\\u0000\\b\\t\\n\\f\\r\\u001f \\u007f\\u00e9\\/"')).toBe('"\\u0000\\b\\t\\n\\f\\r\\u001f \u007fé/"');
  });
  it('is idempotent and independent of member order and whitespace', () => {
    fc.assert(fc.property(fc.jsonValue({ noUnicodeString: false }), (v) => {
      const once = canonicalJson(v);
      if (!once.ok) return once.error.code === 'Encoding.Json.LONE_SURROGATE';
      const reordered = JSON.stringify(v, (_k, x: unknown) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x), 2);
      return canon(once.value) === once.value && canon(reordered) === once.value;
    }), { numRuns: 500 });
  });
  it('rejects values JSON cannot carry', () => {
    expect(code(canonicalJson(Number.NaN))).toBe('Encoding.Jcs.NUMBER_NOT_FINITE');
    expect(code(canonicalJson({ a: [1, undefined] }))).toBe('Encoding.Jcs.NOT_JSON');
    expect(code(canonicalJson({ a: 1n }))).toBe('Encoding.Jcs.NOT_JSON');
  });
});

describe('hashes (ENC-HASH-KECCAK256.1, ENC-HASH-SHA256.1)', () => {
  // Published digests: Ethereum's empty-code hash, and FIPS 180-4 / Keccak team test messages.
  it('match published digests', () => {
    const hex = (b: Uint8Array): string => bytesToHex(b);
    expect(hex(keccak256(new Uint8Array()))).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    expect(hex(keccak256(utf8('abc')))).toBe('0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
    expect(hex(sha256(utf8('abc')))).toBe('0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(new Uint8Array()))).toBe('0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
  it('refuses SHA3-256 by name', () => {
    expect(code(digestOfData({ algorithm: 'sha3-256', data: '0x' }))).toBe('Encoding.Digest.UNKNOWN_ALGORITHM');
  });
});

describe('case hash (VEC-CASE-HASH.1, VEC-FORMAT-NUMBERS.1)', () => {
  it('ignores the hash member and member order', () => {
    const a = caseHash({ id: 'x', input: { b: 1, a: 2 } });
    const b = caseHash({ input: { a: 2, b: 1 }, hash: '0xff', id: 'x' });
    expect(a).toStrictEqual(b);
    // sha256 of the canonical text, computed here from the text itself.
    expect(a.ok && a.value).toBe(bytesToHex(sha256(utf8('{"id":"x","input":{"a":2,"b":1}}'))));
  });
  it('rejects floats and unsafe integers with a pointer', () => {
    const r = caseHash({ id: 'x', input: { list: [1, 2.5] } });
    expect(!r.ok && r.error.code).toBe('Encoding.CaseHash.UNSAFE_NUMBER');
    expect(!r.ok && r.error.message).toContain('/input/list/1');
    expect(code(caseHash([]))).toBe('Encoding.CaseHash.NOT_AN_OBJECT');
  });
});
