import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZERO } from '../../model/consensus/certificate.js';
import { initialNodeState, nodeStep } from '../../model/consensus/node.js';
import { validatorSet } from '../../model/consensus/validators.js';
import { createEngine, engineStep } from '../../impl/consensus/engine.js';
import { checkTrace, modelTraces, mutateTrace, runTraceValidation, traceModule, traceRunSetups, validateRuns, type TraceRunSetup } from './trace-validation.js';

const root = join(import.meta.dirname, '..', '..', '..');
const myba = readFileSync(join(root, 'spec', 'tla', 'MyBA.tla'), 'utf8');

/** Seeded random schedules of four validators and one sequence number (all faults, both routings, any coin). */
const runs = traceRunSetups;

const equivocating: TraceRunSetup = {
  options: {
    ids: [0, 1, 2, 3], seed: 7, seqs: 1, latency: { kind: 'uniform', min: 1, max: 60 }, byzantine: new Map([[3, 'equivocate']]),
    maxEvents: 3000, timers: { skip: 300, softPass: 600, hardPass: 2500, request: 800 }, txsPerProposal: 2,
  },
  routing: 'normal',
  coin: [0, 1],
};

describe('trace validation of the TS model against MyBA.tla', () => {
  it('projects a run with an equivocating proposer onto MyBA.tla: its instance carries two hashes', () => {
    const traces = modelTraces(equivocating);
    expect(traces.ok).toBe(true);
    if (!traces.ok) return;
    expect(traces.value.skipped).toEqual([]);
    expect(traces.value.traces.map((t) => t.proposer)).toEqual([1, 2, 3, 4]);
    const byz = traces.value.traces.find((t) => t.proposer === 4)!;
    expect(byz.hashes).toEqual([1, 2]);
    expect(byz.byzantine).toEqual([4]);
    expect(byz.states[0]!.round).toEqual([0, 0, 0]);
    expect(byz.states.length).toBeGreaterThan(3);
  });

  // @spec CONS-MC-TRACE.1
  it('accepts every instance of seeded random runs and rejects each trace with one vote altered (CONS-MC-TRACE.1)', () => {
    const batch = validateRuns(myba, runs(20261127, process.env['PHAROS_SLOW'] ? 200 : 10));
    expect(batch.problems).toEqual([]);
    expect(batch.entries.length).toBeGreaterThanOrEqual(process.env["PHAROS_SLOW"] ? 800 : 40);
    expect(batch.entries.filter((e) => !e.accepted)).toEqual([]);
    const mutants = batch.entries.filter((e) => e.mutantRejected !== undefined);
    expect(mutants.length).toBeGreaterThan(batch.entries.length / 2);
    expect(mutants.filter((e) => e.mutantRejected !== true)).toEqual([]);
  }, 600_000);

  it('is sensitive to the spec: with PROM and AUX swapped in MyBA.tla the same runs are rejected', () => {
    const swapped = myba.replace('IF Own(p, r) \\subseteq {v} THEN "prom" ELSE "aux"', 'IF Own(p, r) \\subseteq {v} THEN "aux" ELSE "prom"');
    expect(swapped).not.toBe(myba);
    const traces = modelTraces(equivocating);
    if (!traces.ok) throw new Error(traces.error.message);
    const withVotes = traces.value.traces.filter((t) => mutateTrace(t) !== undefined);
    expect(withVotes.length).toBeGreaterThan(0);
    for (const t of withVotes) {
      const v = checkTrace(swapped, t);
      expect(v.ok && v.value.accepted).toBe(false);
    }
  }, 120_000);

  it('reports a seeded batch as the CLI does', async () => {
    const r = await runTraceValidation(root, { runs: 2, seed: 5 });
    expect(r.details).toContain('trace validation: ok');
    expect(r.ok).toBe(true);
  }, 120_000);

  // @spec CONS-TUMB-VAL.1 CONS-TUMB-VAL-AFTER-VOTE.1 CONS-MYBA-ENDORSE.1
  it('a validator that already sent BVAL(0, ZERO) in its own instance does not propose, in the model and the engine (found by trace validation)', () => {
    const validators = validatorSet([0, 1, 2, 3].map((id) => ({ id, stake: 1n })));
    if (!validators.ok) throw new Error(validators.error.message);
    const config = { validators: validators.value, me: 0, coin: () => 0 as const, routing: 'normal' as const };
    let state = initialNodeState();
    const engine = createEngine(config);
    // BVAL(0, ZERO) for validator 0's own instance from two others arrives before its proposal input.
    for (const from of [1, 2]) {
      const event = { kind: 'deliver', from, msg: { type: 'bval', seq: 1, proposer: 0, round: 0, value: ZERO, valExist: false } } as const;
      const m = nodeStep(config, state, event);
      state = m.state;
      expect(engineStep(engine, event).sends).toEqual(m.sends);
    }
    expect(state.instances.get(0)?.rounds.get(0)?.own).toEqual([ZERO]);
    const r = nodeStep(config, state, { kind: 'propose', timestamp: 1n, txs: [] });
    expect(r.sends).toEqual([]);
    expect(engineStep(engine, { kind: 'propose', timestamp: 1n, txs: [] }).sends).toEqual([]);
    expect(r.state.instances.get(0)?.rounds.get(0)?.own).toEqual([ZERO]);
    // It counts as having proposed: no later proposal and no SKIP for this sequence number.
    expect(r.state.proposed).toBe(true);
    expect(engine.proposed).toBe(true);
  });

  it('refuses a module it cannot extend', () => {
    expect(traceModule('---- MODULE Other ----\n====\n', modelTracesOrThrow()[0]!).ok).toBe(false);
  });
});

const modelTracesOrThrow = () => {
  const t = modelTraces(equivocating);
  if (!t.ok) throw new Error(t.error.message);
  return t.value.traces;
};
