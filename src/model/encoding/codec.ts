import { ParseResult, Schema } from 'effect';
import { bytesToHex, hexToBytes } from './hex.js';

/**
 * JSON codecs for the two protocol types JSON has no form for. Integers that may exceed 2^53 are
 * decimal strings (no sign for zero, no leading zeros, a leading "-" for negatives); bytes are
 * the hex form of ENC-HEX-FORMAT.1.
 *
 * @spec ENC-JSON-BIGINT.1 ENC-JSON-BYTES.1
 */
const DECIMAL = /^(?:0|-?[1-9][0-9]*)$/;

export const BigIntFromDecimal = Schema.transformOrFail(Schema.String, Schema.BigIntFromSelf, {
  strict: true,
  decode: (text, _options, ast) =>
    DECIMAL.test(text)
      ? ParseResult.succeed(BigInt(text))
      : ParseResult.fail(new ParseResult.Type(ast, text, `expected a decimal integer string without leading zeros, got ${JSON.stringify(text)}`)),
  encode: (n) => ParseResult.succeed(n.toString(10)),
}).annotations({ identifier: 'BigIntFromDecimal' });

export const BytesFromHex = Schema.transformOrFail(Schema.String, Schema.Uint8ArrayFromSelf, {
  strict: true,
  decode: (text, _options, ast) => {
    const r = hexToBytes(text);
    return r.ok
      ? ParseResult.succeed(r.value)
      : ParseResult.fail(new ParseResult.Type(ast, text, `${r.error.code}: ${r.error.message}`));
  },
  encode: (bytes) => ParseResult.succeed(bytesToHex(bytes)),
}).annotations({ identifier: 'BytesFromHex' });

/** Hex strings that must be well formed but stay strings (for example digests in outputs). */
export const HexString = Schema.String.pipe(
  Schema.filter((s) => hexToBytes(s).ok || 'expected lowercase 0x-hex with an even number of digits'),
).annotations({ identifier: 'HexString' });
