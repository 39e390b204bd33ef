/**
 * The EVM contracts against their WASM twins: two programs written independently, in two
 * instruction sets, run on two interpreters, must compute the same method results and writes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contractCallArb } from '../../conformance/pipeline/calls.js';
import { contractKey, runContract } from './contracts.js';
import { EVM_CONTRACT_CODES, EVM_CONTRACT_METHODS, evmContractBytes, evmContractKey, runEvmContract } from './evm-contracts.js';

describe('pipeline EVM contracts on the EVM interpreter', () => {
  // @spec PIPE-EVM-CODE.1
  it('are bytecode that ends every path in RETURN, REVERT or a jump', () => {
    for (const code of EVM_CONTRACT_CODES) {
      const b = evmContractBytes(code);
      expect(b.length).toBeGreaterThan(0);
      expect(b[b.length - 1]).toBe(0x56); // JUMP: no path falls off the end
    }
  });

  // @spec PIPE-EVM-HOST.1 PIPE-EVM-EXEC.1 PIPE-STATE-KEYS.2
  it('compute what their WASM twins compute, for random calls, callers, calldata and storage', () => {
    const statuses = new Set<string>();
    fc.assert(fc.property(contractCallArb(EVM_CONTRACT_CODES, EVM_CONTRACT_METHODS), ({ code, method, from, args, storage }) => {
      const wasmState = new Map(storage.map(([k, v]) => [contractKey('x', k), v] as const));
      const evmState = new Map(storage.map(([k, v]) => [evmContractKey('x', k), v] as const));
      const w = runContract(code, 'x', method, args, from, (k) => wasmState.get(k) ?? 0n);
      const e = runEvmContract(code, 'x', method, args, from, (k) => evmState.get(k) ?? 0n);
      statuses.add(`${e.status}:${e.code}:${e.output}`);
      const asWasm = new Map([...e.writes].map(([k, v]) => [k.replace(/^esto\//, 'wsto/'), v]));
      expect({ ...e, writes: asWasm }).toEqual(w);
    }), { numRuns: 600 });
    // Successes and every revert code of the two contracts occur.
    for (const code of [1n, 2n, 3n]) expect([...statuses].some((s) => s === `revert:Pipeline.Contract.REVERT:${code}`)).toBe(true);
    expect([...statuses].some((s) => s.startsWith('success:'))).toBe(true);
  });

  // @spec PIPE-EVM-EXEC.1
  it('keep nothing of a reverted call and read absent slots as zero', () => {
    const k = evmContractKey('c', 0n);
    expect(runEvmContract('counter', 'c', 'dec', [1n], 'a', () => 0n)).toEqual({ status: 'revert', code: 'Pipeline.Contract.REVERT', output: 2n, writes: new Map() });
    expect(runEvmContract('counter', 'c', 'inc', [], 'a', (key) => (key === k ? 9n : 0n))).toEqual({ status: 'success', code: null, output: 9n, writes: new Map([[k, 9n]]) });
  });
});
