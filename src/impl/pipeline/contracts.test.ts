/**
 * Contract calls on the dMIR engine against the same calls in the model: WASM contracts against
 * the dMIR reference interpreter, EVM contracts (lowered to dMIR, on the compiled engine) against
 * the EVM interpreter. Identical status, code, output and writes for random calldata, callers and
 * storage, and a read that aborts (a parked Block-STM read) leaves the engine usable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTRACT_CODES, CONTRACT_METHODS, accountId, contractKey, runContract } from '../../model/pipeline/contracts.js';
import { EVM_CONTRACT_CODES, EVM_CONTRACT_METHODS, evmContractKey, runEvmContract } from '../../model/pipeline/evm-contracts.js';
import { contractCallArb } from '../../conformance/pipeline/calls.js';
import { callContract, contractTiers } from './contracts.js';
import { callEvmContract } from './evm-contracts.js';
import { ReadBlocked } from './exec.js';


describe('contract calls on the engine equal the reference interpreter', () => {
  // @spec PIPE-CONTRACT-HOST.1 PIPE-CONTRACT-EXEC.1 PIPE-EXEC-SERIAL.1
  it('for random calls, callers, calldata and storage', () => {
    const statuses = new Set<string>();
    fc.assert(fc.property(contractCallArb(CONTRACT_CODES, CONTRACT_METHODS), ({ code, method, from, args, storage }) => {
      const state = new Map(storage.map(([k, v]) => [contractKey('x', k), v] as const));
      const read = (k: string): bigint => state.get(k) ?? 0n;
      const m = runContract(code, 'x', method, args, from, read);
      const i = callContract(code, 'x', method, args, from, read);
      statuses.add(`${m.status}:${m.code}`);
      expect({ ...i, writes: new Map(i.writes) }).toEqual(m);
    }), { numRuns: 1_000 });
    expect(statuses).toEqual(new Set(['success:null', 'revert:Pipeline.Contract.REVERT']));
    for (const code of CONTRACT_CODES) expect(contractTiers.get(code)).toBeDefined();
  });

  // @spec PIPE-EXEC-PARALLEL.1
  it('passes an aborted read through and runs the next call normally', () => {
    expect(() => callContract('counter', 'x', 'inc', [1n], 'a', () => { throw new ReadBlocked(3); })).toThrow(ReadBlocked);
    expect(callContract('counter', 'x', 'inc', [1n], 'a', () => 4n)).toEqual({ status: 'success', code: null, output: 5n, writes: [[contractKey('x', 0n), 5n]] });
  });

  // @spec PIPE-EVM-HOST.1 PIPE-EVM-EXEC.1 EVM-LOWER-EXEC.1
  it('EVM contracts lowered on the engine equal the EVM interpreter for random calls', () => {
    const statuses = new Set<string>();
    fc.assert(fc.property(contractCallArb(EVM_CONTRACT_CODES, EVM_CONTRACT_METHODS), ({ code, method, from, args, storage }) => {
      const state = new Map(storage.map(([k, v]) => [evmContractKey('x', k), v] as const));
      const read = (k: string): bigint => state.get(k) ?? 0n;
      const m = runEvmContract(code, 'x', method, args, from, read);
      const i = callEvmContract(code, 'x', method, args, from, read);
      statuses.add(`${m.status}:${m.code}`);
      expect({ ...i, writes: new Map(i.writes) }).toEqual(m);
    }), { numRuns: 500 });
    expect(statuses).toEqual(new Set(['success:null', 'revert:Pipeline.Contract.REVERT']));
  });

  // @spec PIPE-EXEC-PARALLEL.1
  it('passes an aborted read of an EVM contract through and runs the next call normally', () => {
    expect(() => callEvmContract('token', 'x', 'transfer', [accountId('b'), 1n], 'a', () => { throw new ReadBlocked(2); })).toThrow(ReadBlocked);
    expect(callEvmContract('counter', 'x', 'inc', [1n], 'a', () => 4n)).toEqual({ status: 'success', code: null, output: 5n, writes: [[evmContractKey('x', 0n), 5n]] });
  });
});
