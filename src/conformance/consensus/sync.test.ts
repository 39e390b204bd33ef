import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Completion, type NodeOutput, checkCompletion } from '../../model/consensus/node.js';
import { type NodeRunner, forgedCompletions, simulate } from '../../impl/consensus/sim.js';
import { coinOf, equalSet, livenessViolation, lockstepNode, modelNode, safetyViolation } from './lockstep.js';
import { scheduleArb } from './schedules.js';

// Schedules with a Byzantine validator that equivocates or double-votes and no loss: the runs in
// which a correct validator is left behind (CONS-LIVENESS-SYNC.1).
const byzantineSchedules = fc.sample(scheduleArb({ seqs: 2 }), { numRuns: 3000, seed: 11 })
  .filter((s) => !s.lossy && (s.options.byzantine?.size ?? 0) > 0 && ['equivocate', 'double-vote', 'withhold'].includes([...s.options.byzantine!.values()][0]!));

interface Observed { readonly synced: number; readonly completions: { readonly completion: Completion; readonly block: NodeOutput | undefined }[] }

/** Runs the model, optionally dropping every SYNC delivery, and records blocks completed through SYNC. */
const run = (s: (typeof byzantineSchedules)[number], dropSync: boolean) => {
  const validators = equalSet(s.options.ids);
  const observed: Observed = { synced: 0, completions: [] };
  let synced = 0;
  const res = simulate(s.options, (id): NodeRunner => {
    const inner = modelNode({ validators, routing: s.routing, coin: coinOf(s.coin) }, id);
    return {
      step: (ev) => {
        if (ev.kind === 'deliver' && ev.msg.type === 'sync' && dropSync) return { sends: [], outputs: [] };
        const r = inner.step(ev);
        if (ev.kind === 'deliver' && ev.msg.type === 'sync') {
          const block = r.outputs.find((o) => o.kind === 'block');
          if (block !== undefined && !s.options.byzantine!.has(id)) synced++;
          observed.completions.push({ completion: ev.msg.completion, block });
        }
        return r;
      },
    };
  });
  return { res, synced, observed };
};

describe('block synchronisation', () => {
  it('without SYNC some correct validator is left behind; with it every correct validator completes every sequence number (CONS-LIVENESS-SYNC.1, CONS-SYNC-REQUEST.1, CONS-SYNC-ANSWER.1, CONS-SYNC-ADOPT.1)', () => {
    expect(byzantineSchedules.length).toBeGreaterThan(200);
    let stuckWithout = 0;
    let syncedRuns = 0;
    for (const s of byzantineSchedules) {
      const without = run(s, true);
      if (livenessViolation(without.res, s.options.seqs, []) !== undefined) stuckWithout++;
      const withSync = run(s, false);
      expect(safetyViolation(withSync.res)).toBeUndefined();
      expect(livenessViolation(withSync.res, s.options.seqs, [])).toBeUndefined();
      if (withSync.synced > 0) syncedRuns++;
    }
    console.log(`${byzantineSchedules.length} schedules: ${stuckWithout} leave a correct validator behind without SYNC, ${syncedRuns} complete a block through SYNC`);
    // Both numbers are observed properties of these seeded schedules: the check is not vacuous.
    expect(stuckWithout).toBeGreaterThan(0);
    expect(syncedRuns).toBeGreaterThanOrEqual(stuckWithout);
  }, 300_000);

  it('a completion certificate from a correct validator fixes its block, and every forged variant is rejected (CONS-SYNC-EVIDENCE.1, CONS-SYNC-CHECK.1)', () => {
    let checked = 0;
    for (const s of byzantineSchedules.slice(0, 200)) {
      const validators = equalSet(s.options.ids);
      const { observed } = run(s, false);
      for (const { completion, block } of observed.completions) {
        const config = { validators, me: 0, coin: coinOf(s.coin), routing: s.routing };
        const r = checkCompletion(config, completion.seq, completion);
        // SYNC messages in these runs come from correct validators (no forging strategy here).
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        if (block !== undefined && block.kind === 'block') expect(r.value.proposals.map((v) => [v.proposer, v.timestamp, v.txs])).toEqual(block.proposals.map((p) => [p.proposer, p.timestamp, p.txs]));
        for (const bad of forgedCompletions(completion, 3)) expect(checkCompletion(config, completion.seq, bad).ok).toBe(false);
        expect(checkCompletion(config, completion.seq + 1, completion).ok).toBe(false);
        checked++;
      }
    }
    console.log(`${checked} completion certificates checked`);
    expect(checked).toBeGreaterThan(0);
  }, 300_000);

  it('forged SYNC messages sent to every validator change nothing: model and engine agree and safety holds (CONS-SYNC-CHECK.1)', () => {
    let forging = 0;
    fc.assert(fc.property(scheduleArb({ seqs: 2 }), (s0) => {
      const ids = s0.options.ids;
      const s = { ...s0, options: { ...s0.options, byzantine: new Map([[ids[ids.length - 1]!, 'forge-sync' as const]]), crashes: new Map<number, number>() } };
      const validators = equalSet(ids);
      const res = simulate(s.options, (id) => lockstepNode({ validators, routing: s.routing, coin: coinOf(s.coin) }, id));
      expect(safetyViolation(res)).toBeUndefined();
      if (!s.lossy) expect(livenessViolation(res, s.options.seqs, [])).toBeUndefined();
      const forger = res.nodes.get(ids[ids.length - 1]!)!;
      if (forger.sent.some((x) => x.msg.type === 'sync')) forging++;
    }), { numRuns: 300, seed: 12 });
    console.log(`${forging} of 300 runs with forged completion certificates`);
    expect(forging).toBeGreaterThan(150);
  }, 300_000);
});
