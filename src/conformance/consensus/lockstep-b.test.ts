import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulate } from '../../impl/consensus/sim.js';
import { coinOf, equalSet, lockstepNode, safetyViolation } from './lockstep.js';
import { scheduleArb } from './schedules.js';

// ~40 ms per lock-step run (the model copies its state on every step): 800 here and 800 in part B
// by default; PHAROS_SLOW runs 5000 in each part.
const RUNS = Number(process.env['CONS_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 5000 : 800));

describe('consensus model and engine in lock-step over random schedules (part B)', () => {
  it('identical messages and outputs, safety for every honest validator, completion without loss (CONS-MYBA-AGREEMENT.1, CONS-SAFETY-BLOCK.1, CONS-SAFETY-PREFIX.1, CONS-SAFETY-NO-DUP.1, CONS-LIVENESS-COIN.1)', () => {
    const t0 = performance.now();
    fc.assert(fc.property(scheduleArb(), (s) => {
      const validators = equalSet(s.options.ids);
      const res = simulate(s.options, (id) => lockstepNode({ validators, routing: s.routing, coin: coinOf(s.coin) }, id));
      expect(safetyViolation(res)).toBeUndefined();
      // Completion is required when no validator is faulty and nothing is lost (partitions heal).
      if (!s.lossy && s.options.byzantine === undefined && s.options.crashes === undefined) expect(res.completed).toBe(true);
      for (const id of res.honest) expect(res.nodes.get(id)!.maxBuffered).toBeLessThanOrEqual(64 * s.options.ids.length);
    }), { numRuns: RUNS, seed: 0xb22 });
    console.log(((performance.now() - t0) / RUNS).toFixed(2), 'ms/run');
  }, 600_000);
});
