/**
 * Validators for the consensus simulator: the model's `nodeStep`, the engine, and both in
 * lock-step (every event is given to both and their messages and outputs must be identical); and
 * the safety checks every honest validator's outputs must pass.
 *
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import { type NodeConfig, type NodeEvent, type NodeOutput, initialNodeState, nodeStep } from '../../model/consensus/node.js';
import type { Routing } from '../../model/consensus/myba.js';
import { ZERO } from '../../model/consensus/certificate.js';
import { type ValidatorSet, validatorSet } from '../../model/consensus/validators.js';
import { buildLedger } from '../../model/consensus/ledger.js';
import { type EngineOverrides, bufferedCount, createEngine, engineStep } from '../../impl/consensus/engine.js';
import type { NodeRunner, SimResult } from '../../impl/consensus/sim.js';

export const equalSet = (ids: readonly number[]): ValidatorSet => {
  const r = validatorSet(ids.map((id) => ({ id, stake: 1n })));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

export const coinOf = (bits: readonly (0 | 1)[]) => (round: number): 0 | 1 => bits[round % bits.length]!;

export interface NodeSetup {
  readonly validators: ValidatorSet;
  readonly routing: Routing;
  readonly coin: (round: number) => 0 | 1;
  readonly bufferPerSender?: number;
}

const configOf = (s: NodeSetup, me: number): NodeConfig => ({
  validators: s.validators, me, coin: s.coin, routing: s.routing, ...(s.bufferPerSender === undefined ? {} : { bufferPerSender: s.bufferPerSender }),
});

export const modelNode = (s: NodeSetup, me: number): NodeRunner => {
  const config = configOf(s, me);
  let state = initialNodeState();
  return {
    step: (ev) => {
      const r = nodeStep(config, state, ev);
      state = r.state;
      return r;
    },
    buffered: () => state.buffered.length,
  };
};

export const implNode = (s: NodeSetup, me: number, overrides: EngineOverrides = {}): NodeRunner => {
  const engine = createEngine(configOf(s, me), 0, 0n, overrides);
  return { step: (ev) => engineStep(engine, ev), buffered: () => bufferedCount(engine) };
};

export class Divergence extends Error {
  constructor(readonly node: number, readonly event: NodeEvent, readonly model: unknown, readonly impl: unknown) {
    super(`model and impl diverge at validator ${node} on ${JSON.stringify(event, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)).slice(0, 300)}`);
  }
}

/** The model and the engine side by side; a difference in messages or outputs throws `Divergence`. */
export const lockstepNode = (s: NodeSetup, me: number, overrides: EngineOverrides = {}): NodeRunner => {
  const m = modelNode(s, me);
  const i = implNode(s, me, overrides);
  return {
    step: (ev) => {
      const a = m.step(ev);
      const b = i.step(ev);
      if (!isDeepStrictEqual(a.sends, b.sends) || !isDeepStrictEqual(a.outputs, b.outputs)) throw new Divergence(me, ev, a, b);
      return b;
    },
    buffered: () => {
      const a = m.buffered!();
      const b = i.buffered!();
      if (a !== b) throw new Divergence(me, { kind: 'timer', timer: 'request' }, a, b);
      return b;
    },
  };
};

const blocksOf = (outputs: readonly NodeOutput[]) => outputs.filter((o) => o.kind === 'block');

/**
 * The safety invariants over the honest validators' outputs; returns the first violation.
 *
 * @spec CONS-MYBA-AGREEMENT.1 CONS-MYBA-VALIDITY.1 CONS-MYBA-INTEGRITY.1 CONS-SAFETY-BLOCK.1 CONS-SAFETY-PREFIX.1 CONS-SAFETY-NO-DUP.1
 */
export const safetyViolation = (res: SimResult): string | undefined => {
  const decided = new Map<string, string>();
  for (const id of res.honest) {
    const mine = new Set<string>();
    for (const o of res.nodes.get(id)!.outputs) {
      if (o.kind !== 'decided') continue;
      const key = `${o.seq}/${o.proposer}`;
      if (mine.has(key)) return `integrity: validator ${id} decided ${key} twice`;
      mine.add(key);
      const prior = decided.get(key);
      if (prior !== undefined && prior !== o.value) return `agreement: ${key} decided ${prior} and ${o.value}`;
      decided.set(key, o.value);
      if (o.value !== ZERO) {
        const val = res.proposals.get(o.value);
        if (val === undefined || val.proposer !== o.proposer || val.seq !== o.seq) return `validity: ${key} decided ${o.value}, which its proposer never sent`;
      }
    }
  }
  const ledgers: string[][] = [];
  const bySeq = new Map<number, string>();
  for (const id of res.honest) {
    const blocks = blocksOf(res.nodes.get(id)!.outputs);
    for (const [i, b] of blocks.entries()) {
      if (b.seq !== i + 1) return `validator ${id} emitted block ${b.seq} at position ${i}`;
      const key = JSON.stringify(b.proposals.map((p) => [p.proposer, `${p.timestamp}`, p.txs]).concat([[`${b.timestamp}`]]));
      const prior = bySeq.get(b.seq);
      if (prior !== undefined && prior !== key) return `block agreement: sequence number ${b.seq} differs at validator ${id}`;
      bySeq.set(b.seq, key);
      for (const p of b.proposals) {
        const d = decided.get(`${b.seq}/${p.proposer}`);
        if (d === undefined || d === ZERO) return `block ${b.seq} at ${id} includes proposer ${p.proposer} without a decided hash`;
      }
    }
    const ledger = buildLedger(blocks.map((b) => ({ seq: BigInt(b.seq), proposals: b.proposals })));
    if (!ledger.ok) return `ledger of ${id}: ${ledger.error.message}`;
    const txs = ledger.value.entries.map((e) => e.tx);
    if (new Set(txs).size !== txs.length) return `ledger of ${id} executes a transaction twice`;
    ledgers.push(txs);
  }
  for (const a of ledgers) {
    for (const b of ledgers) {
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) if (a[i] !== b[i]) return 'prefix consistency: two ledgers differ';
    }
  }
  return undefined;
};

/**
 * The liveness check for a run with at most f faulty validators and no message loss (partitions
 * heal, so the network is eventually fair): every correct validator that did not crash completes
 * every sequence number, with or without a Byzantine validator. A correct validator that the others
 * have left behind catches up through the completion certificates of block synchronisation.
 *
 * @spec CONS-LIVENESS-COIN.1 CONS-LIVENESS-SYNC.1
 */
export const livenessViolation = (res: SimResult, seqs: number, crashed: readonly number[]): string | undefined => {
  const live = res.honest.filter((id) => !crashed.includes(id));
  const behind = live.filter((id) => blocksOf(res.nodes.get(id)!.outputs).length < seqs);
  return behind.length === 0 ? undefined : `validators ${behind.join(', ')} did not complete ${seqs} sequence numbers`;
};
