import { describe, expect, it } from 'vitest';
import { explore } from './explore.js';
import { type ModelCheckConfig, consensusModelConfig, consensusModelMachine } from './consensus-model.js';

const run = (over: Partial<ModelCheckConfig>) => {
  const t = Date.now();
  const r = explore(consensusModelMachine(consensusModelConfig(over)), { maxStates: 400_000, onProgress: () => {} });
  console.log(`consensus model ${JSON.stringify(over)}: ${r.verdict}, ${r.distinctStates} states, depth ${r.depth}, ${Date.now() - t} ms${r.violation ? `, ${r.violation.invariant}` : ''}`);
  return r;
};

const equivocation = [{ move: 'val:0', to: 0 }, { move: 'val:1', to: 1 }, { move: 'val:1', to: 2 }];

describe('exhaustive check of nodeStep, N=4, one Byzantine proposer', () => {
  // @spec CONS-MC-MODEL.1 CONS-MYBA-AGREEMENT.1 CONS-MYBA-VALIDITY.1 CONS-MYBA-INTEGRITY.1 CONS-MYBA-PROMISE-LOCK.1
  // The counts are the ones the chapter reports; a change of the model that changes them must update it.
  it.each([[1, 7748], [0, 3057]] as const)('an equivocating proposer: every invariant holds with coin %i (%i states)', (coin, states) => {
    const r = run({ coin, byzantineMoves: equivocation });
    expect(r.verdict).toBe('pass');
    expect(r.distinctStates).toBe(states);
  }, 120_000);

  // About a minute each: only in `npm run test:slow` (PHAROS_SLOW).
  if (process.env['PHAROS_SLOW'] !== undefined) {
    it.each([[1, 152_920], [0, 111_616]] as const)('equivocation with a BVAL and a PROM for the other hash: every invariant holds with coin %i (%i states)', (coin, states) => {
      const r = run({ coin });
      expect(r.verdict).toBe('pass');
      expect(r.distinctStates).toBe(states);
    }, 120_000);
  }

  // @spec CONS-MC-MODEL.1 CONS-VAL-THRESHOLDS.1
  it('with the quorum lowered to 2 of 4 the same exploration finds an Agreement violation', () => {
    const base = consensusModelConfig();
    const validators = { ...base.validators, thresholds: { ...base.validators.thresholds, quorum: 2n } };
    const r = explore(consensusModelMachine({ ...base, validators }), { maxStates: 400_000, onProgress: () => {} });
    console.log(`mutant: ${r.verdict} ${r.violation?.invariant} after ${r.distinctStates} states, trace of ${r.violation?.trace.length}`);
    expect(r.verdict).toBe('violation');
    expect(r.violation?.invariant).toBe('PromiseLock');
    // Not only the lock: checked alone, Agreement fails too (two correct validators decide the two hashes).
    const m = consensusModelMachine({ ...base, validators });
    const a = explore({ ...m, invariants: m.invariants.filter((i) => i.name === 'Agreement') }, { maxStates: 400_000, onProgress: () => {} });
    console.log(`mutant, Agreement alone: ${a.verdict} after ${a.distinctStates} states, trace of ${a.violation?.trace.length}`);
    expect(a.verdict).toBe('violation');
    expect(a.violation?.invariant).toBe('Agreement');
  }, 120_000);
});
