import { Schema } from 'effect';
import * as model from '../../model/encoding/index.js';
import * as impl from '../../impl/encoding/index.js';
import { type CaseDraft, defineKind } from './kind.js';
import { type Prng, prng } from '../vectors/prng.js';

const Hex = model.HexString.annotations({ jsonSchema: { type: 'string', pattern: '^0x([0-9a-f]{2})*$' } });

const JSON_ERRORS = ['Encoding.Json.SYNTAX', 'Encoding.Json.DUPLICATE_KEY', 'Encoding.Json.NUMBER_OUT_OF_RANGE', 'Encoding.Json.LONE_SURROGATE', 'Encoding.Json.TOO_DEEP'];
const HEX_ERRORS = ['Encoding.Hex.MISSING_PREFIX', 'Encoding.Hex.ODD_LENGTH', 'Encoding.Hex.UPPERCASE', 'Encoding.Hex.INVALID_CHARACTER'];

const draft = (id: string, description: string, requirements: readonly string[], input: unknown): CaseDraft => ({ id, description, requirements, input });

// ---------------------------------------------------------------------------------------------
// encoding/canonical-json

const JCS = ['ENC-JSON-STRICT.1', 'ENC-JCS-CANONICAL.1'];

const rfc8785Cases = (): readonly CaseDraft[] => [
  draft('rfc8785-main-example', 'The example of RFC 8785 section 3.2.2: numbers, escapes and literals', [...JCS, 'ENC-JCS-NUMBER.1', 'ENC-JCS-STRING.1'],
    { text: '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n  "literals": [null, true, false]\n}' }),
  draft('rfc8785-sorting', 'Member names sorted by UTF-16 code units (RFC 8785 section 3.2.3)', JCS,
    { text: '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}' }),
  draft('nested-sorting', 'Members are sorted at every depth, arrays keep their order', JCS, { text: '{"b":[{"z":1,"a":2},3],"a":{"d":{"y":true,"x":null}}}' }),
  draft('empty-containers', 'Empty object and array', JCS, { text: ' { "a" : [ ] , "b" : { } } ' }),
  draft('number-negative-zero', 'Minus zero serializes as 0', [...JCS, 'ENC-JCS-NUMBER.1'], { text: '[-0, -0.0, 0e10]' }),
  draft('number-exponent-boundaries', 'Plain notation below 1e21, exponent notation from 1e21 and below 1e-6', [...JCS, 'ENC-JCS-NUMBER.1'],
    { text: '[1e20, 1e21, 123456789012345678901, 0.000001, 0.0000001, 1.5e-7]' }),
  draft('number-extremes', 'Largest and smallest doubles, and integers beyond 2^53 rounded to the nearest double', [...JCS, 'ENC-JCS-NUMBER.1'],
    { text: '[1.7976931348623157e308, 5e-324, 9007199254740993, -9007199254740993, 2.2250738585072014e-308]' }),
  draft('number-shortest-form', 'Shortest round-trip digits', [...JCS, 'ENC-JCS-NUMBER.1'], { text: '[0.1, 0.30000000000000004, 100, 1E2, 12.50, 1e-2]' }),
  draft('string-control-characters', 'Control characters use short escapes where JSON has them, \\u00xx otherwise', [...JCS, 'ENC-JCS-STRING.1'],
    { text: '["\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f", "\\u007f\\u0080"]' }),
  draft('string-escapes-removed', 'Unnecessary escapes (solidus, letters, non-ASCII) are written as the characters themselves', [...JCS, 'ENC-JCS-STRING.1'],
    { text: '"\\/\\u0041\\u00e9\\ud834\\udd1e"' }),
  draft('top-level-scalars', 'A bare literal is a JSON text', JCS, { text: ' true ' }),
];

const invalidJsonCases = (): readonly CaseDraft[] => [
  draft('duplicate-key', 'A member name twice in one object', ['ENC-JSON-STRICT.1'], { text: '{"a":1,"b":2,"a":3}' }),
  draft('duplicate-key-after-unescape', 'Names that differ only in escaping are the same name', ['ENC-JSON-STRICT.1'], { text: '{"a":1,"\\u0061":2}' }),
  draft('lone-high-surrogate', 'A high surrogate without its low half', ['ENC-JSON-STRICT.1'], { text: '["\\ud800"]' }),
  draft('lone-low-surrogate-key', 'A lone low surrogate in a member name', ['ENC-JSON-STRICT.1'], { text: '{"\\udc00x":1}' }),
  draft('number-overflow', 'A number beyond the double range', ['ENC-JSON-STRICT.1'], { text: '[1e400]' }),
  draft('number-leading-zero', 'Leading zeros are not JSON', ['ENC-JSON-STRICT.1'], { text: '[01]' }),
  draft('number-nan', 'NaN is not JSON', ['ENC-JSON-STRICT.1'], { text: '[NaN]' }),
  draft('trailing-comma', 'A comma before the closing bracket', ['ENC-JSON-STRICT.1'], { text: '[1,2,]' }),
  draft('trailing-data', 'Data after the value', ['ENC-JSON-STRICT.1'], { text: '{} {}' }),
  draft('single-quotes', 'Strings need double quotes', ['ENC-JSON-STRICT.1'], { text: "{'a':1}" }),
  draft('raw-control-character', 'A raw line feed inside a string', ['ENC-JSON-STRICT.1'], { text: '"a\nb"' }),
  draft('unterminated-string', 'The input ends inside a string', ['ENC-JSON-STRICT.1'], { text: '["abc' }),
  draft('bad-escape', 'An escape JSON does not define', ['ENC-JSON-STRICT.1'], { text: '"\\x41"' }),
  draft('empty-input', 'No value at all', ['ENC-JSON-STRICT.1'], { text: '   ' }),
  draft('too-deep', 'Nesting beyond the depth limit', ['ENC-JSON-STRICT.1'], { text: `${'['.repeat(300)}${']'.repeat(300)}` }),
];

/** Characters that exercise escaping and UTF-16 ordering. */
const STRING_ALPHABET = ['a', 'b', 'z', 'A', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0001', '\u001f', '\u007f', 'é', '€', '\ufb33', '\u{1f600}', '\u{10ffff}'];

const randomString = (r: Prng): string => Array.from({ length: r.below(6) }, () => r.pick(STRING_ALPHABET)).join('');

const randomNumber = (r: Prng): number => {
  switch (r.below(4)) {
    case 0: return r.below(2001) - 1000;
    case 1: return (r.next() * 2 ** 21 + r.below(2 ** 21)) * (r.below(2) ? 1 : -1);
    case 2: return Number(((r.next() / 2 ** 32) * 10).toPrecision(1 + r.below(17)));
    default: return Number(`${r.below(10)}.${r.next()}e${r.below(80) - 40}`);
  }
};

const randomValue = (r: Prng, depth: number): unknown => {
  const choice = r.below(depth > 3 ? 5 : 7);
  if (choice === 0) return null;
  if (choice === 1) return r.below(2) === 1;
  if (choice === 2 || choice === 3) return randomNumber(r);
  if (choice === 4) return randomString(r);
  if (choice === 5) return Array.from({ length: r.below(4) }, () => randomValue(r, depth + 1));
  const names = new Set(Array.from({ length: r.below(5) }, () => randomString(r)));
  return Object.fromEntries([...names].map((n) => [n, randomValue(r, depth + 1)]));
};

/** Writes JSON text the long way round: random whitespace, member order and escapes. */
const scramble = (r: Prng, v: unknown): string => {
  const ws = (): string => r.pick(['', '', ' ', '\n', '\t ', '\r\n  ']);
  // Each UTF-16 code unit as \uXXXX, in lowercase or uppercase hex digits at random.
  const escape = (c: string): string =>
    Array.from({ length: c.length }, (_, i) => {
      const hex = c.charCodeAt(i).toString(16).padStart(4, '0');
      return `\\u${r.below(2) ? hex.toUpperCase() : hex}`;
    }).join('');
  const str = (s: string): string =>
    `"${[...s].map((c) => (c === '"' || c === '\\' || c < ' ' || r.below(5) === 0 ? escape(c) : c)).join('')}"`;
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return r.below(3) === 0 ? v.toExponential() : String(v);
  if (typeof v === 'string') return str(v);
  if (Array.isArray(v)) return `[${ws()}${v.map((x) => `${scramble(r, x)}${ws()}`).join(`,${ws()}`)}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  const order = entries.map((e) => [r.next(), e] as const).sort((a, b) => a[0] - b[0]).map(([, e]) => e);
  return `{${ws()}${order.map(([k, x]) => `${str(k)}${ws()}:${ws()}${scramble(r, x)}${ws()}`).join(`,${ws()}`)}}`;
};

const randomJsonCases = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  return Array.from({ length: 120 }, (_, i) =>
    draft(`random-${String(i).padStart(3, '0')}`, 'Random JSON with scrambled whitespace, member order and escapes', [...JCS, 'ENC-JCS-NUMBER.1', 'ENC-JCS-STRING.1'],
      { text: scramble(r, randomValue(r, 0)) }));
};

export const canonicalJsonKind = defineKind({
  kind: 'encoding/canonical-json',
  area: 'encoding',
  description: 'Parse JSON text strictly and return its RFC 8785 canonical form.',
  input: Schema.Struct({ text: Schema.String }),
  output: Schema.Struct({ canonical: Schema.String }),
  errorCodes: JSON_ERRORS,
  model: model.canonicalJsonOfText,
  impl: impl.canonicalJsonOfText,
  suites: [
    { suite: 'rfc8785', description: 'RFC 8785 examples and the number and string serialization rules', seed: 0, cases: rfc8785Cases },
    { suite: 'invalid', description: 'JSON texts that strict parsing rejects, one rule each', seed: 0, cases: invalidJsonCases },
    { suite: 'random', description: 'Seeded random JSON values written with random whitespace, member order and escapes', seed: 0x5eed_0001, cases: randomJsonCases },
  ],
});

// ---------------------------------------------------------------------------------------------
// encoding/case-hash

const caseHashCases = (): readonly CaseDraft[] => [
  draft('minimal-case', 'A small valid case', ['VEC-CASE-HASH.1'], { text: JSON.stringify({ id: 'x', input: {}, expected: { result: 'valid' } }) }),
  draft('hash-member-ignored', 'The hash member does not take part in the hash', ['VEC-CASE-HASH.1'], { text: JSON.stringify({ id: 'x', input: {}, expected: { result: 'valid' }, hash: '0x00' }) }),
  draft('key-order-irrelevant', 'The same case with members in another order hashes the same', ['VEC-CASE-HASH.1'], { text: JSON.stringify({ expected: { result: 'valid' }, input: {}, id: 'x' }) }),
  draft('nested-values', 'Bytes, big integers as strings, unicode and arrays', ['VEC-CASE-HASH.1', 'ENC-JSON-BIGINT.1', 'ENC-JSON-BYTES.1'],
    { text: JSON.stringify({ id: 'nested', requirements: ['ENC-HEX-FORMAT.1'], input: { amount: '340282366920938463463374607431768211455', data: '0xdeadbeef', label: 'π€\u{1f600}', list: [1, -2, null, true] }, expected: { result: 'invalid', error: ['A.B'] } }) }),
  draft('safe-integer-limits', 'Integers up to 2^53-1 may be JSON numbers', ['VEC-CASE-HASH.1', 'VEC-FORMAT-NUMBERS.1'], { text: JSON.stringify({ id: 'limits', input: { max: 9007199254740991, min: -9007199254740991 } }) }),
  draft('not-an-object', 'A case must be an object', ['VEC-CASE-HASH.1'], { text: JSON.stringify(['id', 'x']) }),
  draft('null-case', 'null is not a case', ['VEC-CASE-HASH.1'], { text: JSON.stringify(null) }),
  draft('float-number', 'Floats are not allowed in vectors', ['VEC-FORMAT-NUMBERS.1'], { text: '{"id":"f","input":{"x":1.5}}' }),
  draft('unsafe-integer', 'Integers beyond 2^53-1 must be strings', ['VEC-FORMAT-NUMBERS.1'], { text: '{"id":"u","input":{"x":[0,9007199254740992]}}' }),
  draft('exponent-integer', 'An integer written with an exponent is still a safe integer number', ['VEC-CASE-HASH.1', 'VEC-FORMAT-NUMBERS.1'], { text: '{"id":"e","input":{"x":1e3}}' }),
  draft('duplicate-member', 'A case with a member twice is not strict JSON', ['VEC-CASE-HASH.1', 'ENC-JSON-STRICT.1'], { text: '{"id":"a","id":"b"}' }),
];

const randomCaseHashCases = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  const integerOnly = (v: unknown): unknown =>
    typeof v === 'number' ? Math.trunc(v) % 2 ** 53 : Array.isArray(v) ? v.map(integerOnly)
      : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, integerOnly(x)])) : v;
  return Array.from({ length: 60 }, (_, i) =>
    draft(`random-${String(i).padStart(3, '0')}`, 'A random case-shaped object', ['VEC-CASE-HASH.1'],
      { text: scramble(r, { id: `c${i}`, input: integerOnly(randomValue(r, 1)), expected: { result: r.below(2) ? 'valid' : 'invalid' } }) }));
};

export const caseHashKind = defineKind({
  kind: 'encoding/case-hash',
  area: 'encoding',
  description: 'Parse the JSON text of a vector case and return its case hash: sha256 of its canonical JSON without the hash member.',
  input: Schema.Struct({ text: Schema.String }),
  output: Schema.Struct({ hash: Hex }),
  errorCodes: [...JSON_ERRORS, 'Encoding.CaseHash.NOT_AN_OBJECT', 'Encoding.CaseHash.UNSAFE_NUMBER'],
  model: model.caseHashOfText,
  impl: impl.caseHashOfText,
  suites: [
    { suite: 'basic', description: 'Case hashes of hand-written cases, and values a case may not hold', seed: 0, cases: caseHashCases },
    { suite: 'random', description: 'Case hashes of seeded random case objects', seed: 0x5eed_0002, cases: randomCaseHashCases },
  ],
});

// ---------------------------------------------------------------------------------------------
// encoding/digest

const DIGEST = ['ENC-HASH-KECCAK256.1', 'ENC-HASH-SHA256.1', 'ENC-HEX-FORMAT.1'];
const ascii = (s: string): string => model.bytesToHex(new TextEncoder().encode(s));
const pattern = (n: number): string => model.bytesToHex(Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff));

const knownDigestCases = (): readonly CaseDraft[] => [
  ...(['keccak-256', 'sha256'] as const).flatMap((algorithm) => [
    draft(`${algorithm}-empty`, 'The empty byte string', DIGEST, { algorithm, data: '0x' }),
    draft(`${algorithm}-abc`, 'The ASCII bytes "abc"', DIGEST, { algorithm, data: ascii('abc') }),
    draft(`${algorithm}-two-blocks`, 'A 448-bit message from FIPS 180-4 examples', DIGEST, { algorithm, data: ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq') }),
    // Lengths around the Keccak-256 rate (136 bytes) and the SHA-256 block and padding limits (55, 56, 64 bytes).
    ...[55, 56, 63, 64, 65, 135, 136, 137, 272].map((n) => draft(`${algorithm}-length-${n}`, `${n} bytes, at a block or padding boundary`, DIGEST, { algorithm, data: pattern(n) })),
  ]),
  draft('hex-missing-prefix', 'Data without the 0x prefix', ['ENC-HEX-STRICT.1'], { algorithm: 'sha256', data: 'abcd' }),
  draft('hex-odd-length', 'An odd number of hex digits', ['ENC-HEX-STRICT.1'], { algorithm: 'sha256', data: '0xabc' }),
  draft('hex-uppercase', 'Uppercase digits have another spelling and are rejected', ['ENC-HEX-STRICT.1'], { algorithm: 'keccak-256', data: '0xABCD' }),
  draft('hex-invalid-character', 'A character that is not a hex digit', ['ENC-HEX-STRICT.1'], { algorithm: 'keccak-256', data: '0x0g' }),
  draft('hex-uppercase-prefix', 'The prefix is lowercase 0x', ['ENC-HEX-STRICT.1'], { algorithm: 'keccak-256', data: '0Xab' }),
  draft('unknown-algorithm', 'SHA3-256 is not Keccak-256 and not supported', ['ENC-HASH-KECCAK256.1'], { algorithm: 'sha3-256', data: '0x' }),
];

const randomDigestCases = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  return Array.from({ length: 80 }, (_, i) => {
    const algorithm = r.pick(['keccak-256', 'sha256'] as const);
    return draft(`random-${String(i).padStart(3, '0')}`, `${algorithm} of random bytes`, DIGEST, { algorithm, data: model.bytesToHex(r.bytes(r.below(700))) });
  });
};

export const digestKind = defineKind({
  kind: 'encoding/digest',
  area: 'encoding',
  description: 'Hash hex-encoded bytes with keccak-256 or sha256 and return the digest as hex.',
  input: Schema.Struct({ algorithm: Schema.String, data: Schema.String }),
  output: Schema.Struct({ digest: Hex }),
  errorCodes: [...HEX_ERRORS, 'Encoding.Digest.UNKNOWN_ALGORITHM'],
  model: model.digestOfData,
  impl: impl.digestOfData,
  suites: [
    { suite: 'known', description: 'Published messages and every block and padding boundary', seed: 0, cases: knownDigestCases },
    { suite: 'random', description: 'Seeded random byte strings up to 700 bytes', seed: 0x5eed_0003, cases: randomDigestCases },
  ],
});

export const encodingKinds = [canonicalJsonKind, caseHashKind, digestKind];
