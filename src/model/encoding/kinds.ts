import { type Result, fail, flatMapResult, mapResult } from './result.js';
import { parseJson } from './json.js';
import { canonicalJson } from './canonical.js';
import { caseHash } from './case-hash.js';
import { bytesToHex, hexToBytes } from './hex.js';
import { keccak256, sha256 } from './hash.js';

/**
 * The encoding vector kinds as the model answers them. Each takes the decoded `input` of a case
 * and returns its `output` or a failure code.
 */

/** `encoding/canonical-json`: JSON text in, its RFC 8785 form out. @spec ENC-JSON-STRICT.1 ENC-JCS-CANONICAL.1 */
export const canonicalJsonOfText = (input: { readonly text: string }): Result<{ readonly canonical: string }> =>
  flatMapResult(parseJson(input.text), (value) => mapResult(canonicalJson(value), (canonical) => ({ canonical })));

/**
 * `encoding/case-hash`: the JSON text of a case in, its case hash out. The case travels as text so
 * that vectors can show values a vector file itself may not hold (floats, unsafe integers).
 *
 * @spec VEC-CASE-HASH.1 VEC-FORMAT-NUMBERS.1
 */
export const caseHashOfText = (input: { readonly text: string }): Result<{ readonly hash: string }> =>
  flatMapResult(parseJson(input.text), (value) => mapResult(caseHash(value), (hash) => ({ hash })));

export const DIGEST_ALGORITHMS = ['keccak-256', 'sha256'] as const;

/** `encoding/digest`: a hash algorithm name and hex data in, the hex digest out. @spec ENC-HASH-KECCAK256.1 ENC-HASH-SHA256.1 ENC-HEX-STRICT.1 */
export const digestOfData = (input: { readonly algorithm: string; readonly data: string }): Result<{ readonly digest: string }> => {
  const hash = input.algorithm === 'keccak-256' ? keccak256 : input.algorithm === 'sha256' ? sha256 : undefined;
  if (hash === undefined) {
    return fail('Encoding.Digest.UNKNOWN_ALGORITHM', `algorithm ${JSON.stringify(input.algorithm)} is not one of ${DIGEST_ALGORITHMS.join(', ')}`);
  }
  return mapResult(hexToBytes(input.data), (bytes) => ({ digest: bytesToHex(hash(bytes)) }));
};
