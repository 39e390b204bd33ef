import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulate } from '../../impl/consensus/sim.js';
import { coinOf, equalSet, livenessViolation, lockstepNode, safetyViolation } from './lockstep.js';
import { scheduleArb } from './schedules.js';

// The lock-step property, defined once and run as two test files (parts A and B, different seeds)
// so that vitest runs them on both cores: 5,000 schedules each
// (10,000 in CI, ~5 ms each); PHAROS_SLOW runs 25,000 each.
const RUNS = Number(process.env['CONS_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 25_000 : 5000));

export const defineLockstepPart = (part: string, seed: number) => describe(`consensus model and engine in lock-step over random schedules (part ${part})`, () => {
  it('identical messages and outputs, safety for every honest validator, completion whenever the network is eventually fair (CONS-MYBA-AGREEMENT.1, CONS-SAFETY-BLOCK.1, CONS-SAFETY-PREFIX.1, CONS-SAFETY-NO-DUP.1, CONS-LIVENESS-COIN.1, CONS-LIVENESS-SYNC.1)', () => {
    const t0 = performance.now();
    fc.assert(fc.property(scheduleArb(), (s) => {
      const validators = equalSet(s.options.ids);
      const res = simulate(s.options, (id) => lockstepNode({ validators, routing: s.routing, coin: coinOf(s.coin) }, id));
      expect(safetyViolation(res)).toBeUndefined();
      // Every schedule has at most f faulty validators; without loss the network is eventually fair.
      if (!s.lossy) expect(livenessViolation(res, s.options.seqs, [...(s.options.crashes?.keys() ?? [])])).toBeUndefined();
      for (const id of res.honest) expect(res.nodes.get(id)!.maxBuffered).toBeLessThanOrEqual(64 * s.options.ids.length);
    }), { numRuns: RUNS, seed });
    console.log(((performance.now() - t0) / RUNS).toFixed(2), 'ms/run');
  }, 600_000);
});
