import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { type NodeRunner, simulate } from '../../impl/consensus/sim.js';
import { type NodeConfig, type NodeState, initialNodeState, nodeStep } from '../../model/consensus/node.js';
import { coinOf, equalSet } from './lockstep.js';
import { scheduleArb } from './schedules.js';

describe('the model state is structurally shared between steps, never changed in place', () => {
  it('every state given to nodeStep is deep-equal to its snapshot after the step (CONS-TUMB-SEQ.1)', () => {
    fc.assert(fc.property(scheduleArb(), (s) => {
      const validators = equalSet(s.options.ids);
      const node = (id: number): NodeRunner => {
        const config: NodeConfig = { validators, me: id, coin: coinOf(s.coin), routing: s.routing };
        let state: NodeState = initialNodeState();
        return {
          step: (ev) => {
            const before = structuredClone(state);
            const r = nodeStep(config, state, ev);
            if (!isDeepStrictEqual(state, before)) throw new Error(`validator ${id}: the input state changed on ${ev.kind}`);
            state = r.state;
            return r;
          },
        };
      };
      const res = simulate({ ...s.options, maxEvents: 800 }, node);
      expect(res.events).toBeGreaterThan(0);
    }), { numRuns: 40, seed: 0x5a5e });
  });
});
