/**
 * Precompiled contracts of Cancun at addresses 0x01..0x0a. ecrecover, sha256, ripemd160, identity
 * and modexp are specified here; blake2f, the bn254 operations and the KZG point evaluation live in
 * their own modules. Every precompile that fails (bad input or too little gas) halts
 * exceptionally, which consumes all the gas given to it.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak256 } from '../encoding/index.js';
import { bigintToBytes, bytesToBigint } from './rlp.js';
import { blake2f } from './precompiles-blake2f.js';
import { bn254Add, bn254Mul, bn254Pairing } from './precompiles-bn254.js';
import { pointEvaluation } from './precompiles-kzg.js';

/** The outcome of a precompile: gas to charge and output, or an exceptional halt. */
export type PrecompileOutcome =
  | { readonly kind: 'ok'; readonly gas: bigint; readonly output: Uint8Array }
  | { readonly kind: 'halt' };

/** The index of a Cancun precompile: its address 0x01..0x0a as a number. */
export type PrecompileIndex = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

const words = (n: number): bigint => BigInt(Math.ceil(n / 32));

/** Right-pads with zeros (reads past the end of input are zero). */
const readPadded = (data: Uint8Array, offset: number, size: number): Uint8Array => {
  const out = new Uint8Array(size);
  if (offset < data.length) out.set(data.subarray(offset, Math.min(data.length, offset + size)));
  return out;
};

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** ecrecover (0x01): 3000 gas; an invalid signature gives empty output, not a failure. @spec EVM-PRE-ECRECOVER.1 */
export const ecrecover = (data: Uint8Array): Uint8Array => {
  const input = readPadded(data, 0, 128);
  const hash = input.subarray(0, 32);
  const v = bytesToBigint(input.subarray(32, 64));
  const r = bytesToBigint(input.subarray(64, 96));
  const s = bytesToBigint(input.subarray(96, 128));
  if ((v !== 27n && v !== 28n) || r === 0n || r >= SECP256K1_N || s === 0n || s >= SECP256K1_N) return new Uint8Array(0);
  try {
    const sig = new secp256k1.Signature(r, s).addRecoveryBit(Number(v - 27n));
    const pub = sig.recoverPublicKey(hash).toBytes(false);
    const out = new Uint8Array(32);
    out.set(keccak256(pub.subarray(1)).subarray(12), 12);
    return out;
  } catch {
    // The curve library rejects points that are not on the curve; the EVM answers with nothing.
    return new Uint8Array(0);
  }
};

/** modexp gas per EIP-2565. @spec EVM-PRE-MODEXP.1 */
export const modexpGas = (baseLen: bigint, expLen: bigint, modLen: bigint, expHead: bigint): bigint => {
  const maxLen = baseLen > modLen ? baseLen : modLen;
  const w = (maxLen + 7n) / 8n;
  const complexity = w * w;
  const bitLen = (x: bigint): bigint => BigInt(x === 0n ? 0 : x.toString(2).length);
  let count: bigint;
  if (expLen <= 32n && expHead === 0n) count = 0n;
  else if (expLen <= 32n) count = bitLen(expHead) - 1n;
  else { const b = bitLen(expHead); count = 8n * (expLen - 32n) + (b > 0n ? b - 1n : 0n); }
  const iterations = count > 1n ? count : 1n;
  const g = (complexity * iterations) / 3n;
  return g > 200n ? g : 200n;
};

const modexp = (data: Uint8Array, gasLeft: bigint): PrecompileOutcome => {
  const baseLen = bytesToBigint(readPadded(data, 0, 32));
  const expLen = bytesToBigint(readPadded(data, 32, 32));
  const modLen = bytesToBigint(readPadded(data, 64, 32));
  // Lengths are only trusted after the gas check, so enormous lengths cannot allocate.
  const headStart = 96n + baseLen;
  const headLen = expLen < 32n ? expLen : 32n;
  const expHead = headStart > BigInt(data.length) ? 0n : bytesToBigint(readPadded(data, Number(headStart), Number(headLen)));
  const gas = modexpGas(baseLen, expLen, modLen, expHead);
  if (gas > gasLeft) return { kind: 'halt' };
  if (baseLen === 0n && modLen === 0n) return { kind: 'ok', gas, output: new Uint8Array(0) };
  const b = Number(baseLen), e = Number(expLen), m = Number(modLen);
  const base = bytesToBigint(readPadded(data, 96, b));
  const exp = bytesToBigint(readPadded(data, 96 + b, e));
  const mod = bytesToBigint(readPadded(data, 96 + b + e, m));
  let result = 0n;
  if (mod !== 0n) {
    result = 1n % mod;
    let x = base % mod, k = exp;
    while (k > 0n) { if (k & 1n) result = (result * x) % mod; x = (x * x) % mod; k >>= 1n; }
  }
  const out = new Uint8Array(m);
  const rb = bigintToBytes(result);
  out.set(rb, m - rb.length);
  return { kind: 'ok', gas, output: out };
};

/** The precompile addresses of Cancun, warm from the start of every transaction (EIP-2929). @spec EVM-PRE-SET.1 */
export const PRECOMPILE_ADDRESSES: readonly string[] = Array.from({ length: 10 }, (_, i) => '0x' + (i + 1).toString(16).padStart(40, '0'));

/** The precompile at `address`, or 0 for an address that holds none. */
export const precompileIndex = (address: string): PrecompileIndex | 0 => {
  const i = PRECOMPILE_ADDRESSES.indexOf(address);
  return i < 0 ? 0 : (i + 1) as PrecompileIndex;
};

/**
 * Runs precompile `index` (1..10) on `data` with `gasLeft` available.
 *
 * @spec EVM-PRE-SET.1 EVM-PRE-ECRECOVER.1 EVM-PRE-HASHES.1 EVM-PRE-IDENTITY.1 EVM-PRE-MODEXP.1 EVM-PRE-BN254.1 EVM-PRE-BLAKE2F.1 EVM-PRE-KZG.1 EVM-PRE-FAIL.1
 */
export const runPrecompile = (index: PrecompileIndex, data: Uint8Array, gasLeft: bigint): PrecompileOutcome => {
  const charge = (gas: bigint, output: () => Uint8Array): PrecompileOutcome => (gas > gasLeft ? { kind: 'halt' } : { kind: 'ok', gas, output: output() });
  switch (index) {
    case 1: return charge(3000n, () => ecrecover(data));
    case 2: return charge(60n + 12n * words(data.length), () => nobleSha256(data));
    case 3: return charge(600n + 120n * words(data.length), () => { const out = new Uint8Array(32); out.set(ripemd160(data), 12); return out; });
    case 4: return charge(15n + 3n * words(data.length), () => data.slice());
    case 5: return modexp(data, gasLeft);
    case 6: return bn254Add(data, gasLeft);
    case 7: return bn254Mul(data, gasLeft);
    case 8: return bn254Pairing(data, gasLeft);
    case 9: return blake2f(data, gasLeft);
    case 10: return pointEvaluation(data, gasLeft);
  }
};
