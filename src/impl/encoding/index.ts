/**
 * The optimized encoding implementation: the same kind interface as the model, built on an
 * independent Keccak, Node's SHA-256 and a single-pass canonicalizer.
 */
import type { Result } from '../../model/encoding/result.js';
import { canonicalizeText, sha256 } from './canonical.js';
import { keccak256 } from './keccak.js';

export { keccak256 } from './keccak.js';
export { canonicalizeText, sha256 } from './canonical.js';

const failure = <T>(code: string, message: string): Result<T> => ({ ok: false, error: { code, message } });

export const bytesToHex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;

const WELL_FORMED_HEX = /^0x(?:[0-9a-f]{2})*$/;

export const hexToBytes = (text: string): Result<Uint8Array> => {
  if (WELL_FORMED_HEX.test(text)) return { ok: true, value: new Uint8Array(Buffer.from(text.slice(2), 'hex')) };
  if (!text.startsWith('0x')) {
    const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
    return failure('Encoding.Hex.MISSING_PREFIX', `hex string must start with "0x": ${shown}`);
  }
  const bad = text.slice(2).search(/[^0-9a-f]/);
  if (bad >= 0) {
    const c = text[bad + 2]!;
    return /[A-F]/.test(c)
      ? failure('Encoding.Hex.UPPERCASE', `hex digit "${c}" at offset ${bad + 2} must be lowercase`)
      : failure('Encoding.Hex.INVALID_CHARACTER', `character ${JSON.stringify(c)} at offset ${bad + 2} is not a hex digit`);
  }
  return failure('Encoding.Hex.ODD_LENGTH', `hex string has ${text.length - 2} digits; bytes need an even number`);
};

export const canonicalJsonOfText = (input: { readonly text: string }): Result<{ readonly canonical: string }> => {
  const r = canonicalizeText(input.text);
  return r.ok ? { ok: true, value: { canonical: r.value } } : r;
};

const firstUnsafeNumber = (value: unknown, pointer: string): string | undefined => {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? undefined : `number ${value} at "${pointer}" is not an integer within +-(2^53-1); write it as a decimal string`;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = firstUnsafeNumber(v, `${pointer}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    if (found !== undefined) return found;
  }
  return undefined;
};

export const caseHashOfText = (input: { readonly text: string }): Result<{ readonly hash: string }> => {
  // Validating the text first gives the same errors as the model's strict parser; JSON.parse then
  // builds the value, which is safe because duplicates and lone surrogates were rejected.
  const checked = canonicalizeText(input.text);
  if (!checked.ok) return checked;
  const c: unknown = JSON.parse(input.text);
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return failure('Encoding.CaseHash.NOT_AN_OBJECT', 'a vector case must be a JSON object');
  const { hash: _ignored, ...rest } = c as Record<string, unknown>;
  const unsafe = firstUnsafeNumber(rest, '');
  if (unsafe !== undefined) return failure('Encoding.CaseHash.UNSAFE_NUMBER', unsafe);
  const canonical = canonicalizeText(JSON.stringify(rest));
  return canonical.ok ? { ok: true, value: { hash: bytesToHex(sha256(Buffer.from(canonical.value, 'utf8'))) } } : canonical;
};

export const digestOfData = (input: { readonly algorithm: string; readonly data: string }): Result<{ readonly digest: string }> => {
  const hash = input.algorithm === 'keccak-256' ? keccak256 : input.algorithm === 'sha256' ? sha256 : undefined;
  if (hash === undefined) return failure('Encoding.Digest.UNKNOWN_ALGORITHM', `algorithm ${JSON.stringify(input.algorithm)} is not one of keccak-256, sha256`);
  const bytes = hexToBytes(input.data);
  return bytes.ok ? { ok: true, value: { digest: bytesToHex(hash(bytes.value)) } } : bytes;
};
