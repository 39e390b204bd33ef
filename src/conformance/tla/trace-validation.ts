/**
 * Trace validation: runs of the TS consensus model (`nodeStep`, driven by the network simulator)
 * are projected onto the variables of `spec/tla/MyBA.tla` and checked against its next-state
 * relation, one MyBA instance at a time.
 *
 * A run gives, for one instance (seq, proposer), the sequence of its projected states: after every
 * step of any correct validator, each correct validator's round, the values it has sent BVAL for in
 * each round and its phase-2 vote in each round. One model step (a message delivery) may take the
 * validator through several TLA+ actions (a PROM received makes it vote, form a certificate, move
 * to the next round and send its BVAL there), so a step is accepted when the next projected state
 * is reachable from the previous one by some sequence of `Next` steps. Every MyBA.tla variable
 * only grows (rounds increase, BVAL sets grow, a vote is cast once), so such a sequence passes
 * only through states below the target, and the search is cut there.
 *
 * The check is done by the TLA+ checker itself: the trace becomes a module (MyBA.tla's text, the
 * trace as a constant, `TraceInit`, and `TraceNext` = `Next` restricted to states below the next
 * trace state, or a move to the next trace state once it is reached) and tla-checker explores it.
 * The invariant `TraceUnfinished` is violated exactly when the last trace state is reached, so
 * "violation" means the trace is accepted and "pass" means some step is not allowed by MyBA.tla.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Result, ok, fail } from '../../model/encoding/result.js';
import { ZERO, type Value } from '../../model/consensus/certificate.js';
import type { InstanceState } from '../../model/consensus/myba.js';
import { type Message, type NodeConfig, type NodeState, initialNodeState, nodeStep } from '../../model/consensus/node.js';
import { validatorSet } from '../../model/consensus/validators.js';
import { BYZANTINE_STRATEGIES, type Latency, type SimOptions, simulate } from '../../impl/consensus/sim.js';
import { prng } from '../vectors/prng.js';
import type { Routing } from '../../model/consensus/myba.js';
import { runTlaChecker } from './checkers.js';
import { voteCode } from '../explore/myba-rounds.js';

/** One projected state of MyBA.tla (processes 1..N are validator ids plus one). */
export interface MybaProjection {
  /** round[p] for each correct process, ascending by process. */
  readonly round: readonly number[];
  /** bv[p][r]: values p sent BVAL for in round r (ZERO is 0, hashes 1..3), ascending. */
  readonly bv: readonly (readonly (readonly number[])[])[];
  /** vote[p][r]: 0, or 1 + 2 * value + (1 for AUX). */
  readonly vote: readonly (readonly number[])[];
}

export interface MybaTrace {
  readonly seq: number;
  readonly proposer: number;
  /** TLA+ constants. */
  readonly n: number;
  readonly f: number;
  readonly byzantine: readonly number[];
  readonly correct: readonly number[];
  readonly hashes: readonly number[];
  readonly maxRound: number;
  readonly coin: readonly (0 | 1)[];
  /** Distinct consecutive projected states, the initial state first. */
  readonly states: readonly MybaProjection[];
}

export interface TraceRunSetup {
  readonly options: SimOptions;
  readonly routing: Routing;
  /** The coin of round r is `coin[r % coin.length]`. */
  readonly coin: readonly (0 | 1)[];
}

/**
 * The traces of one run, and the proposers whose instance could not be projected: it went beyond
 * round `TRACE_MAX_ROUND` or saw more than three hashes (MyBA.tla's ASSUME bounds).
 */
export interface ModelTraces {
  readonly traces: readonly MybaTrace[];
  readonly skipped: readonly number[];
}

/** The largest round MyBA.tla's ASSUME allows. */
export const TRACE_MAX_ROUND = 8;

/** What MyBA.tla reads of one validator's instance: its round, own BVALs and phase-2 votes. */
interface ProjInstance {
  readonly round: number;
  readonly own: ReadonlyMap<number, ReadonlySet<Value>>;
  readonly phase2: ReadonlyMap<number, { readonly kind: 'prom' | 'aux'; readonly value: Value }>;
}

const fromInstance = (inst: InstanceState): ProjInstance => ({
  round: inst.round,
  own: new Map([...inst.rounds].map(([r, rs]) => [r, new Set(rs.own)] as const)),
  phase2: new Map([...inst.rounds].flatMap(([r, rs]) => (rs.phase2 === undefined ? [] : [[r, rs.phase2] as const]))),
});

/** The instances after a step whose state is gone, from the messages the step sent. */
const withSends = (insts: ReadonlyMap<number, ProjInstance>, msgs: readonly Message[], seq: number): ReadonlyMap<number, ProjInstance> => {
  const out = new Map(insts);
  for (const m of msgs) {
    if ((m.type !== 'bval' && m.type !== 'prom' && m.type !== 'aux') || m.seq !== seq) continue;
    const inst = out.get(m.proposer) ?? { round: 0, own: new Map(), phase2: new Map() };
    if (m.type === 'bval') {
      const own = new Map(inst.own);
      own.set(m.round, new Set([...(own.get(m.round) ?? []), m.value]));
      out.set(m.proposer, { ...inst, round: Math.max(inst.round, m.round), own });
    } else if (!inst.phase2.has(m.round)) {
      out.set(m.proposer, { ...inst, phase2: new Map([...inst.phase2, [m.round, { kind: m.type, value: m.value }]]) });
    }
  }
  return out;
};


/**
 * Runs the simulator with the model at every correct validator and returns, for each MyBA
 * instance of sequence number `seq`, the projected trace. The projection of a validator is
 * frozen once it has completed `seq` (its state moves on to the next sequence number).
 */
export const modelTraces = (setup: TraceRunSetup, seq = 1): Result<ModelTraces> => {
  const ids = setup.options.ids;
  const set = validatorSet(ids.map((id) => ({ id, stake: 1n })));
  if (!set.ok) return set;
  const byz = new Set(setup.options.byzantine?.keys() ?? []);
  const correctIds = ids.filter((id) => !byz.has(id));
  const coin = (r: number): 0 | 1 => setup.coin[r % setup.coin.length]!;
  // What MyBA.tla sees of every correct validator's instances of `seq`, after every step of any
  // of them. It is read from the validator's state; in the step that completes `seq` the state
  // moves on to the next sequence number, and what the instance did in that step is read from the
  // messages it sent (every BVAL and phase-2 vote of such a step goes to other validators).
  const current = new Map<number, ReadonlyMap<number, ProjInstance>>(correctIds.map((id) => [id, new Map()]));
  const log: ReadonlyMap<number, ReadonlyMap<number, ProjInstance>>[] = [new Map(current)];
  simulate(setup.options, (id) => {
    const config: NodeConfig = { validators: set.value, me: id, coin, routing: setup.routing };
    let state: NodeState = initialNodeState();
    return {
      step: (ev) => {
        const before = state.seq;
        const r = nodeStep(config, state, ev);
        state = r.state;
        if (!byz.has(id) && before === seq) {
          const mine = state.seq === seq
            ? new Map([...state.instances].map(([p, inst]) => [p, fromInstance(inst)] as const))
            : withSends(current.get(id)!, r.sends.map((x) => x.msg), seq);
          current.set(id, mine);
          log.push(new Map(current));
        }
        return r;
      },
      buffered: () => state.buffered.length,
    };
  });
  const f = Number(set.value.thresholds.fStake);
  const traces: MybaTrace[] = [];
  const skipped: number[] = [];
  for (const proposer of ids) {
    const hashIndex = new Map<Value, number>([[ZERO, 0]]);
    const valueOf = (v: Value): number => {
      let i = hashIndex.get(v);
      if (i === undefined) {
        i = hashIndex.size;
        hashIndex.set(v, i);
      }
      return i;
    };
    const raw = log.map((snapshot) => correctIds.map((id) => ({ inst: snapshot.get(id)?.get(proposer) })));
    const maxRound = Math.max(0, ...raw.flatMap((row) => row.map((x) => x.inst?.round ?? 0)));
    if (maxRound > TRACE_MAX_ROUND) {
      skipped.push(proposer + 1);
      continue;
    }
    const states: MybaProjection[] = [];
    let last = '';
    for (const row of raw) {
      const proj: MybaProjection = {
        round: row.map((x) => x.inst?.round ?? 0),
        bv: row.map((x) => Array.from({ length: maxRound + 1 }, (_, r) => [...new Set([...(x.inst?.own.get(r) ?? [])].map(valueOf))].sort((a, b) => a - b))),
        vote: row.map((x) => Array.from({ length: maxRound + 1 }, (_, r) => {
          const p2 = x.inst?.phase2.get(r);
          return p2 === undefined ? 0 : voteCode(valueOf(p2.value), p2.kind);
        })),
      };
      const key = JSON.stringify(proj);
      if (key !== last) states.push(proj);
      last = key;
    }
    if (hashIndex.size - 1 > 3) {
      skipped.push(proposer + 1);
      continue;
    }
    traces.push({
      seq, proposer: proposer + 1, n: ids.length, f,
      byzantine: [...byz].map((b) => b + 1).sort((a, b) => a - b),
      correct: correctIds.map((id) => id + 1),
      hashes: Array.from({ length: Math.max(1, hashIndex.size - 1) }, (_, i) => i + 1),
      maxRound,
      coin: Array.from({ length: maxRound + 1 }, (_, r) => coin(r)),
      states,
    });
  }
  return ok({ traces, skipped });
};

// ---------------------------------------------------------------------------------------------
// The trace as TLA+.

const set = (xs: readonly number[]): string => `{${xs.join(', ')}}`;
/** A function over the correct processes, written with :> and @@ (its domain need not be 1..k). */
const overCorrect = <T>(correct: readonly number[], xs: readonly T[], show: (x: T) => string): string =>
  `(${correct.map((p, i) => `${p} :> ${show(xs[i]!)}`).join(' @@ ')})`;
/** A function over the rounds 0..maxRound. */
const overRounds = <T>(xs: readonly T[], show: (x: T) => string): string => `(${xs.map((x, r) => `${r} :> ${show(x)}`).join(' @@ ')})`;

const stateTla = (t: MybaTrace, s: MybaProjection): string =>
  `[round |-> ${overCorrect(t.correct, s.round, String)}, bv |-> ${overCorrect(t.correct, s.bv, (rs) => overRounds(rs, set))}, vote |-> ${overCorrect(t.correct, s.vote, (rs) => overRounds(rs, String))}]`;

/**
 * The trace-checking module: MyBA.tla under another name, with the trace appended. `myba` is the
 * text of MyBA.tla.
 */
export const traceModule = (myba: string, t: MybaTrace): Result<string> => {
  const end = myba.lastIndexOf('\n====');
  if (!/^-+ *MODULE MyBA *-+/m.test(myba) || end < 0) return fail('Tla.Trace.BAD_MODULE', 'MyBA.tla has no MODULE MyBA header or no closing ==== line');
  // The position in the trace joins the module's own VARIABLES declaration (tla-checker keeps one).
  const body = myba.slice(0, end)
    .replace(/^(-+ *)MODULE MyBA( *-+)/m, '$1MODULE MyBATrace$2')
    .replace(/^VARIABLES[ \t]*\n/m, 'VARIABLES\n    i,          \\* the position in the trace\n');
  if (!body.includes('    i,          \\* the position')) return fail('Tla.Trace.BAD_MODULE', 'MyBA.tla has no VARIABLES line to extend');
  return ok(`${body}
-----------------------------------------------------------------------------
\\* A run of the TS model, projected onto the variables above.
Trace == <<
    ${t.states.map((s) => stateTla(t, s)).join(',\n    ')}
>>
TraceCoin == ${overRounds(t.coin, String)}

Matches(s) == round = s.round /\\ bv = s.bv /\\ vote = s.vote

\\* The successor state lies below the trace state s: every variable only grows.
BelowNext(s) ==
    \\A p \\in Correct :
        /\\ round'[p] <= s.round[p]
        /\\ \\A r \\in Rounds : bv'[p][r] \\subseteq s.bv[p][r] /\\ vote'[p][r] \\in {NoVote, s.vote[p][r]}

TraceInit == Init /\\ coin = TraceCoin /\\ Matches(Trace[1]) /\\ i = 1

TraceNext ==
    \\/ /\\ i < Len(Trace) /\\ Matches(Trace[i + 1])
       /\\ i' = i + 1 /\\ UNCHANGED vars
    \\/ /\\ i < Len(Trace) /\\ ~Matches(Trace[i + 1])
       /\\ Next /\\ BelowNext(Trace[i + 1]) /\\ UNCHANGED i

\\* Violated exactly when the whole trace has been matched.
TraceUnfinished == i < Len(Trace)
=============================================================================
`);
};

export const traceConfig = (t: MybaTrace): string => `CONSTANTS
    N = ${t.n}
    F = ${t.f}
    Byzantine = ${set(t.byzantine)}
    Hashes = ${set(t.hashes)}
    MaxRound = ${t.maxRound}
INIT TraceInit
NEXT TraceNext
INVARIANT TraceUnfinished
CHECK_DEADLOCK FALSE
`;

export interface TraceVerdict {
  readonly accepted: boolean;
  /** How far the checker got: the number of states it explored. */
  readonly states: number;
  readonly message?: string;
}

/** Checks one trace against MyBA.tla with tla-checker. */
export const checkTrace = (myba: string, t: MybaTrace): Result<TraceVerdict> => {
  const module = traceModule(myba, t);
  if (!module.ok) return module;
  const run = runTlaChecker(module.value, traceConfig(t), { invariants: ['TraceUnfinished'], checkDeadlock: false, limits: { maxStates: 200_000, maxDepth: 100_000 } });
  if (run.verdict === 'violation') return ok({ accepted: true, states: run.statesAtStop ?? 0 });
  if (run.verdict === 'pass') return ok({ accepted: false, states: run.distinctStates ?? 0, message: 'no sequence of MyBA.tla steps reproduces the trace' });
  return fail('Tla.Trace.CHECKER', run.error?.message ?? `tla-checker gave ${run.verdict}`);
};

/**
 * For a rejected trace: the index (from 1) of the first trace state no sequence of `Next` steps
 * reaches, found by checking ever longer prefixes.
 */
export const firstRejectedState = (myba: string, t: MybaTrace): Result<number | undefined> => {
  for (let k = 2; k <= t.states.length; k++) {
    const v = checkTrace(myba, { ...t, states: t.states.slice(0, k) });
    if (!v.ok) return v;
    if (!v.value.accepted) return ok(k);
  }
  return ok(undefined);
};

/**
 * A trace with one step altered: the first phase-2 vote is given the other kind (PROM for AUX or
 * AUX for PROM) from the state it appears in onwards. The kind follows from the voter's own BVALs
 * at that moment, which no later step can change, so MyBA.tla must reject the result. `undefined`
 * when the trace has no phase-2 vote.
 */
export const mutateTrace = (t: MybaTrace): MybaTrace | undefined => {
  for (const [k, s] of t.states.entries()) {
    for (const [pi, votes] of s.vote.entries()) {
      const r = votes.findIndex((v) => v !== 0);
      if (r < 0) continue;
      const flipped = votes[r]! % 2 === 1 ? votes[r]! + 1 : votes[r]! - 1;
      const states = t.states.map((x, j) =>
        j < k ? x : { ...x, vote: x.vote.map((vs, q) => (q === pi ? vs.map((v, rr) => (rr === r ? flipped : v)) : vs)) });
      return { ...t, states };
    }
  }
  return undefined;
};

export const readMyba = (root: string): Promise<string> => readFile(join(root, 'spec', 'tla', 'MyBA.tla'), 'utf8');

export interface TraceBatchEntry {
  readonly run: number;
  readonly seq: number;
  readonly proposer: number;
  readonly states: number;
  readonly maxRound: number;
  readonly accepted: boolean;
  /** For a rejected trace, the first trace state MyBA.tla does not reach (from 1). */
  readonly rejectedAt?: number;
  /** Whether the trace with one vote's kind flipped was rejected (undefined without a vote). */
  readonly mutantRejected?: boolean;
}

export interface TraceBatch {
  readonly entries: readonly TraceBatchEntry[];
  readonly problems: readonly string[];
}

/**
 * Validates every MyBA instance of every sequence number in each of the given runs, and for each
 * accepted trace also checks that its mutant is rejected.
 *
 * @spec CONS-MC-TRACE.1
 */
export const validateRuns = (myba: string, runs: readonly TraceRunSetup[]): TraceBatch => {
  const entries: TraceBatchEntry[] = [];
  const problems: string[] = [];
  for (const [i, setup] of runs.entries()) {
    for (let seq = 1; seq <= setup.options.seqs; seq++) validateRun(myba, setup, i, seq, entries, problems);
  }
  return { entries, problems };
};

/** Validates the instances of sequence number `seq` of one run. */
const validateRun = (myba: string, setup: TraceRunSetup, i: number, seq: number, entries: TraceBatchEntry[], problems: string[]): void => {
  const traces = modelTraces(setup, seq);
  if (!traces.ok) {
    problems.push(`run ${i}: ${traces.error.message}`);
    return;
  }
  for (const proposer of traces.value.skipped) problems.push(`run ${i}, seq ${seq}, proposer ${proposer}: beyond MyBA.tla's bounds, not validated`);
  for (const t of traces.value.traces) {
    const v = checkTrace(myba, t);
    if (!v.ok) {
      problems.push(`run ${i}, seq ${seq}, proposer ${t.proposer}: ${v.error.message}`);
      continue;
    }
    const base = { run: i, seq: t.seq, proposer: t.proposer, states: t.states.length, maxRound: t.maxRound, accepted: v.value.accepted };
    if (!v.value.accepted) {
      const at = firstRejectedState(myba, t);
      entries.push({ ...base, ...(at.ok && at.value !== undefined ? { rejectedAt: at.value } : {}) });
      continue;
    }
    const mutant = mutateTrace(t);
    const mv = mutant === undefined ? undefined : checkTrace(myba, mutant);
    if (mv !== undefined && !mv.ok) problems.push(`run ${i}, seq ${seq}, proposer ${t.proposer}, mutant: ${mv.error.message}`);
    entries.push({ ...base, ...(mv?.ok === true ? { mutantRejected: !mv.value.accepted } : {}) });
  }
};

/**
 * Seeded random runs of four validators and one or two sequence numbers: any latency distribution,
 * duplication, occasional loss, a partition that heals, a crashed validator or a Byzantine one with
 * any strategy, either routing, and a coin sequence of length 1 to 4. Built on the vectors' seeded
 * generator so that the CLI needs no test-only package.
 */
export const traceRunSetups = (seed: number, count: number): readonly TraceRunSetup[] => {
  const g = prng(seed);
  const ids = [0, 1, 2, 3];
  return Array.from({ length: count }, () => {
    const latency: Latency = g.pick<Latency>([
      { kind: 'fixed', ms: 1 + g.below(50) },
      { kind: 'uniform', min: 1 + g.below(20), max: 21 + g.below(200) },
      { kind: 'exponential', min: 1 + g.below(10), mean: 5 + g.below(150) },
    ]);
    const faulty = g.below(4);
    const fault = g.below(3);
    const partitioned = g.below(3) === 0;
    const start = g.below(200);
    const options: SimOptions = {
      ids, seed: g.next() & 0x7fffffff, seqs: 1 + g.below(2), latency,
      duplication: g.pick([0, 0.1, 0.3]),
      loss: g.below(5) === 0 ? 0.05 : 0,
      ...(partitioned ? { partitions: [{ start, end: start + 1 + g.below(2000), side: ids.filter(() => g.below(2) === 0) }] } : {}),
      ...(fault === 1 ? { crashes: new Map([[faulty, g.below(400)]]) } : {}),
      ...(fault === 2 ? { byzantine: new Map([[faulty, g.pick(BYZANTINE_STRATEGIES)]]) } : {}),
      maxEvents: 3000,
      timers: { skip: 300, softPass: 600, hardPass: 2500, request: 800 },
      txsPerProposal: 2,
    };
    const coin = Array.from({ length: 1 + g.below(4) }, () => g.pick<0 | 1>([0, 1]));
    return { options, routing: g.pick<Routing>(['normal', 'optimistic']), coin };
  });
};

/**
 * `pharos-spec check trace`: validates every MyBA instance of `runs` seeded random runs (four
 * validators, one or two sequence numbers) against spec/tla/MyBA.tla and reports the result as text.
 *
 * @spec CONS-MC-TRACE.1
 */
export const runTraceValidation = async (root: string, options: { readonly runs?: number; readonly seed?: number } = {}): Promise<{ readonly ok: boolean; readonly details: string }> => {
  const seed = options.seed ?? 20261127;
  const setups = traceRunSetups(seed, options.runs ?? 20);
  const batch = validateRuns(await readMyba(root), setups);
  const rejected = batch.entries.filter((e) => !e.accepted);
  const mutants = batch.entries.filter((e) => e.mutantRejected !== undefined);
  const mutantsAccepted = mutants.filter((e) => e.mutantRejected !== true);
  const ok = batch.problems.length === 0 && rejected.length === 0 && mutantsAccepted.length === 0 && batch.entries.length > 0;
  const lines = [
    `Trace validation of the TS model against spec/tla/MyBA.tla (seed ${seed}, ${setups.length} runs)`,
    `traces: ${batch.entries.length}, accepted: ${batch.entries.length - rejected.length}, projected states: ${batch.entries.reduce((a, e) => a + e.states, 0)}, highest round: ${Math.max(0, ...batch.entries.map((e) => e.maxRound))}`,
    `mutants: ${mutants.length}, rejected: ${mutants.length - mutantsAccepted.length}`,
    ...batch.problems.map((p) => `problem: ${p}`),
    ...rejected.map((e) => `REJECTED: run ${e.run}, instance (seq ${e.seq}, proposer ${e.proposer}) at trace state ${e.rejectedAt ?? '?'} of ${e.states}`),
    ...mutantsAccepted.map((e) => `MUTANT ACCEPTED: run ${e.run}, instance (seq ${e.seq}, proposer ${e.proposer})`),
    ok ? 'trace validation: ok' : 'trace validation: FAILED',
  ];
  return { ok, details: lines.join('\n') };
};
