import { type Result, ok, fail, allResults, mapResult } from './result.js';
import { findLoneSurrogate } from './json.js';

/**
 * RFC 8785 (JSON Canonicalization Scheme): no whitespace; object members sorted by their names
 * compared as arrays of UTF-16 code units; numbers in the shortest round-trip form of
 * ECMAScript's Number-to-String; strings with the minimal escaping below.
 *
 * Values that I-JSON cannot carry (non-finite numbers, lone surrogates, anything that is not a
 * JSON value) are failures, not coerced.
 *
 * @spec ENC-JCS-CANONICAL.1
 */
export const canonicalJson = (value: unknown): Result<string> => canonicalize(value, '');

const canonicalize = (value: unknown, pointer: string): Result<string> => {
  if (value === null) return ok('null');
  if (value === true) return ok('true');
  if (value === false) return ok('false');
  if (typeof value === 'number') return canonicalNumber(value, pointer);
  if (typeof value === 'string') return canonicalString(value, pointer);
  if (Array.isArray(value)) {
    const items = allResults(value.map((item, i) => canonicalize(item, `${pointer}/${i}`)));
    return mapResult(items, (xs) => `[${xs.join(',')}]`);
  }
  if (isPlainObject(value)) {
    const names = Object.keys(value).sort(compareUtf16);
    const members = allResults(
      names.map((name) => {
        const key = canonicalString(name, pointer);
        const member = canonicalize(value[name], `${pointer}/${escapePointer(name)}`);
        return key.ok && member.ok ? ok(`${key.value}:${member.value}`) : key.ok ? member : key;
      }),
    );
    return mapResult(members, (ms) => `{${ms.join(',')}}`);
  }
  return fail('Encoding.Jcs.NOT_JSON', `value at "${pointer}" is a ${typeof value}, which JSON cannot represent`);
};

/** @spec ENC-JCS-NUMBER.1 */
const canonicalNumber = (n: number, pointer: string): Result<string> =>
  Number.isFinite(n)
    ? ok(Object.is(n, -0) ? '0' : numberToString(n))
    : fail('Encoding.Jcs.NUMBER_NOT_FINITE', `number at "${pointer}" is ${n}; I-JSON numbers are finite`);

/**
 * ECMAScript Number::toString(10): the shortest decimal that round-trips, in plain notation for
 * exponents -7 < e < 21 and in exponent notation otherwise (RFC 8785 section 3.2.2.3 adopts it).
 */
const numberToString = (n: number): string => String(n);

/** Escapes required by RFC 8785 section 3.2.2.2; every other code point is written as itself. */
const STRING_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t',
};

/** @spec ENC-JCS-STRING.1 */
const canonicalString = (s: string, pointer: string): Result<string> => {
  const lone = findLoneSurrogate(s);
  if (lone !== undefined) {
    return fail('Encoding.Json.LONE_SURROGATE', `string at "${pointer}" holds a lone surrogate U+${lone.toString(16).toUpperCase()}`);
  }
  let out = '"';
  for (const c of s) {
    const escape = STRING_ESCAPES[c];
    if (escape !== undefined) out += escape;
    else if (c < ' ') out += `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return ok(out + '"');
};

/** Orders strings by UTF-16 code units, which is what RFC 8785 section 3.2.3 requires. */
const compareUtf16 = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const isPlainObject = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === 'object' && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** RFC 6901 escaping of one reference token. */
export const escapePointer = (token: string): string => token.replaceAll('~', '~0').replaceAll('/', '~1');
