import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulate } from '../../impl/consensus/sim.js';
import { Divergence, coinOf, equalSet, implNode, lockstepNode, safetyViolation } from './lockstep.js';
import { scheduleArb } from './schedules.js';

describe('the conformance properties catch a wrong quorum threshold in the engine', () => {
  it('an engine with quorum 2 of 4 (instead of 3) diverges from the model (CONS-VAL-THRESHOLDS.1)', () => {
    const r = fc.check(fc.property(scheduleArb({ seqs: 1 }), (s) => {
      const validators = equalSet(s.options.ids);
      simulate(s.options, (id) => lockstepNode({ validators, routing: s.routing, coin: coinOf(s.coin) }, id, { quorum: 2n }));
    }), { numRuns: 50, seed: 7 });
    expect(r.failed).toBe(true);
    expect(r.errorInstance).toBeInstanceOf(Divergence);
  });

  it('the correct engine alone passes the same schedules (control)', () => {
    fc.assert(fc.property(scheduleArb({ seqs: 1 }), (s) => {
      const validators = equalSet(s.options.ids);
      const res = simulate(s.options, (id) => implNode({ validators, routing: s.routing, coin: coinOf(s.coin) }, id));
      expect(safetyViolation(res)).toBeUndefined();
    }), { numRuns: 50, seed: 7 });
  });
});
