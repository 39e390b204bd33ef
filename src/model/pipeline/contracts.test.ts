import { describe, expect, it } from 'vitest';
import { decodeModule } from '../dmir/wasm/index.js';
import { CONTRACT_CODES, CONTRACT_METHODS, accountId, contractBytes, contractKey, contractModuleOf, runContract } from './contracts.js';

const state = (entries: Record<string, bigint>) => (k: string): bigint => entries[k] ?? 0n;
const U64 = (1n << 64n) - 1n;

describe('pipeline contracts on the dMIR interpreter', () => {
  // @spec PIPE-CONTRACT-CODE.1
  it('are binary WASM modules that load under the DWASM profile and export their methods', () => {
    for (const code of CONTRACT_CODES) {
      const bytes = contractBytes(code);
      expect([...bytes.slice(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);
      const d = decodeModule(bytes);
      expect(d.ok).toBe(true);
      if (d.ok) expect(d.value.exports.map((e) => e.name)).toEqual(CONTRACT_METHODS[code]);
      expect(contractModuleOf(code).ok).toBe(true);
    }
  });

  // @spec PIPE-CONTRACT-HOST.1 PIPE-CONTRACT-EXEC.1
  it('counter: inc and dec through sload/sstore, with reverts on overflow and underflow', () => {
    const k = contractKey('c1', 0n);
    expect(runContract('counter', 'c1', 'inc', [5n], 'a', state({}))).toEqual({ status: 'success', code: null, output: 5n, writes: new Map([[k, 5n]]) });
    expect(runContract('counter', 'c1', 'dec', [3n], 'a', state({ [k]: 5n }))).toEqual({ status: 'success', code: null, output: 2n, writes: new Map([[k, 2n]]) });
    expect(runContract('counter', 'c1', 'dec', [7n], 'a', state({ [k]: 5n }))).toEqual({ status: 'revert', code: 'Pipeline.Contract.REVERT', output: 2n, writes: new Map() });
    expect(runContract('counter', 'c1', 'inc', [2n], 'a', state({ [k]: U64 }))).toEqual({ status: 'revert', code: 'Pipeline.Contract.REVERT', output: 1n, writes: new Map() });
    // Missing calldata reads as 0.
    expect(runContract('counter', 'c1', 'inc', [], 'a', state({ [k]: 9n })).output).toBe(9n);
  });

  // @spec PIPE-CONTRACT-HOST.1 PIPE-CONTRACT-EXEC.1
  it('token: balances keyed by the caller id, transfer checks the balance and reverts', () => {
    const a = accountId('alice');
    const b = accountId('bob');
    const ka = contractKey('t', a);
    const kb = contractKey('t', b);
    expect(runContract('token', 't', 'mint', [10n], 'alice', state({})).writes).toEqual(new Map([[ka, 10n]]));
    expect(runContract('token', 't', 'transfer', [b, 4n], 'alice', state({ [ka]: 10n }))).toEqual({ status: 'success', code: null, output: 6n, writes: new Map([[ka, 6n], [kb, 4n]]) });
    expect(runContract('token', 't', 'transfer', [b, 11n], 'alice', state({ [ka]: 10n }))).toEqual({ status: 'revert', code: 'Pipeline.Contract.REVERT', output: 3n, writes: new Map() });
    expect(runContract('token', 't', 'transfer', [b, 1n], 'alice', state({ [ka]: 10n, [kb]: U64 })).output).toBe(1n);
    expect(runContract('token', 't', 'transfer', [a, 3n], 'alice', state({ [ka]: 10n }))).toEqual({ status: 'success', code: null, output: 10n, writes: new Map() });
  });

  // @spec PIPE-CONTRACT-EXEC.1
  it('hotspot: every call writes the counter and a bucket; a chosen mix value reverts', () => {
    const r = runContract('hotspot', 'h', 'touch', [6n, 5n, 3n, 0n], 'a', state({ [contractKey('h', 0n)]: 41n }));
    expect(r).toEqual({ status: 'success', code: null, output: 42n, writes: new Map([[contractKey('h', 0n), 42n], [contractKey('h', 3n), 5n]]) });
    // The mix after 3 rounds of the LCG from 42, mod 16, computed here independently.
    let x = 42n;
    for (let i = 0; i < 3; i++) x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
    const hit = x % 16n;
    const guess = hit === 0n ? 16n : hit;
    const reverted = runContract('hotspot', 'h', 'touch', [6n, 5n, 3n, guess], 'a', state({ [contractKey('h', 0n)]: 41n }));
    expect(reverted.status).toBe(hit === 0n ? 'success' : 'revert');
    if (hit !== 0n) expect(reverted.output).toBe(4n);
  });

  // @spec PIPE-CONTRACT-EXEC.1
  it('an unknown method traps', () => {
    expect(runContract('counter', 'c', 'nope', [], 'a', state({}))).toEqual({ status: 'revert', code: 'Pipeline.Contract.TRAP', output: 0n, writes: new Map() });
  });
});
