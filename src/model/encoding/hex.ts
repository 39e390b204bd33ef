import { type Result, ok, fail } from './result.js';

const HEX_DIGITS = '0123456789abcdef';

/**
 * Bytes are written as `0x` followed by two lowercase hex digits per byte, most significant
 * nibble first; the empty byte string is `0x`.
 *
 * @spec ENC-HEX-FORMAT.1
 */
export const bytesToHex = (bytes: Uint8Array): string => {
  let out = '0x';
  for (const b of bytes) out += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
  return out;
};

/**
 * Decodes the hex form of ENC-HEX-FORMAT.1. Anything else is rejected, with the position of the
 * first offending character: a missing prefix, an odd digit count, an uppercase digit (there is
 * exactly one spelling of every byte string) or a non-hex character.
 *
 * @spec ENC-HEX-FORMAT.1 ENC-HEX-STRICT.1
 */
export const hexToBytes = (text: string): Result<Uint8Array> => {
  if (!text.startsWith('0x')) {
    return fail('Encoding.Hex.MISSING_PREFIX', `hex string must start with "0x": ${preview(text)}`);
  }
  const digits = text.slice(2);
  for (let i = 0; i < digits.length; i++) {
    const c = digits[i]!;
    if (HEX_DIGITS.includes(c)) continue;
    if ('ABCDEF'.includes(c)) {
      return fail('Encoding.Hex.UPPERCASE', `hex digit "${c}" at offset ${i + 2} must be lowercase`);
    }
    return fail('Encoding.Hex.INVALID_CHARACTER', `character ${JSON.stringify(c)} at offset ${i + 2} is not a hex digit`);
  }
  if (digits.length % 2 !== 0) {
    return fail('Encoding.Hex.ODD_LENGTH', `hex string has ${digits.length} digits; bytes need an even number`);
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = HEX_DIGITS.indexOf(digits[2 * i]!) * 16 + HEX_DIGITS.indexOf(digits[2 * i + 1]!);
  }
  return ok(bytes);
};

/** A short, quoted rendering of untrusted text for error messages. */
export const preview = (text: string, max = 40): string =>
  JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
