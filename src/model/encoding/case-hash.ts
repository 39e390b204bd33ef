import { type Result, fail, flatMapResult, mapResult, ok } from './result.js';
import { canonicalJson, escapePointer } from './canonical.js';
import { bytesToHex } from './hex.js';
import { sha256, utf8 } from './hash.js';

/**
 * The hash of a vector case: sha256 of the RFC 8785 canonical JSON of the case object without
 * its `hash` member, as 0x-hex. Hashing the canonical form makes the hash independent of key
 * order and whitespace, so any reader can recompute it.
 *
 * @spec VEC-CASE-HASH.1
 */
export const caseHash = (testCase: unknown): Result<string> => {
  if (typeof testCase !== 'object' || testCase === null || Array.isArray(testCase)) {
    return fail('Encoding.CaseHash.NOT_AN_OBJECT', 'a vector case must be a JSON object');
  }
  const { hash: _ignored, ...rest } = testCase as Readonly<Record<string, unknown>>;
  return flatMapResult(checkIntegers(rest, ''), () =>
    mapResult(canonicalJson(rest), (text) => bytesToHex(sha256(utf8(text)))),
  );
};

/**
 * Vector files carry no floats, and integers only where every reader's JSON parser keeps them
 * exact; larger integers are decimal strings.
 *
 * @spec VEC-FORMAT-NUMBERS.1
 */
export const checkIntegers = (value: unknown, pointer: string): Result<null> => {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value)
      ? ok(null)
      : fail('Encoding.CaseHash.UNSAFE_NUMBER', `number ${value} at "${pointer}" is not an integer within +-(2^53-1); write it as a decimal string`);
  }
  if (typeof value !== 'object' || value === null) return ok(null);
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  for (const [key, child] of entries) {
    const r = checkIntegers(child, `${pointer}/${escapePointer(key)}`);
    if (!r.ok) return r;
  }
  return ok(null);
};
