/** The contract codes the implementation deploys are exactly the specification's. */
import { describe, expect, it } from 'vitest';
import { CONTRACT_CODES, CONTRACT_GAS, contractBytes } from '../../model/pipeline/contracts.js';
import { EVM_CONTRACT_CODES, EVM_CONTRACT_GAS, EVM_CONTRACT_METHODS, evmContractBytes } from '../../model/pipeline/evm-contracts.js';
import { EVM_CALL_GAS, EVM_CODES, EVM_METHODS, WASM_CALL_GAS, WASM_CODES } from './codes.js';

describe('pipeline contract codes', () => {
  // @spec PIPE-CONTRACT-CODE.1 PIPE-EVM-CODE.1 PIPE-CONTRACT-GAS.1 PIPE-EVM-GAS.1
  it('equal the bytes the specification builds, with the same methods and gas', () => {
    expect(Object.keys(WASM_CODES)).toEqual([...CONTRACT_CODES]);
    for (const code of CONTRACT_CODES) expect(Buffer.from(WASM_CODES[code]).toString('hex'), code).toBe(Buffer.from(contractBytes(code)).toString('hex'));
    expect(Object.keys(EVM_CODES)).toEqual([...EVM_CONTRACT_CODES]);
    for (const code of EVM_CONTRACT_CODES) expect(Buffer.from(EVM_CODES[code]).toString('hex'), code).toBe(Buffer.from(evmContractBytes(code)).toString('hex'));
    expect(EVM_METHODS).toEqual(EVM_CONTRACT_METHODS);
    expect(WASM_CALL_GAS).toBe(CONTRACT_GAS);
    expect(EVM_CALL_GAS).toBe(EVM_CONTRACT_GAS);
  });
});
