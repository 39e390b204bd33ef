import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/**
 * Keccak-256 as used by Ethereum: the original Keccak padding (0x01), not FIPS-202 SHA3-256.
 *
 * @spec ENC-HASH-KECCAK256.1
 */
export const keccak256 = (data: Uint8Array): Uint8Array => keccak_256(data);

/** SHA-256 (FIPS 180-4). @spec ENC-HASH-SHA256.1 */
export const sha256 = (data: Uint8Array): Uint8Array => nobleSha256(data);

const utf8Encoder = new TextEncoder();

/** UTF-8 bytes of a string that has no lone surrogates (callers check this first). */
export const utf8 = (text: string): Uint8Array => utf8Encoder.encode(text);
