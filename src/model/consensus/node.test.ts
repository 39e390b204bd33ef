import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Message, type NodeConfig, type NodeEvent, type NodeOutput, type NodeState, initialNodeState, nodeStep, proposalHash } from './node.js';
import { type Routing } from './myba.js';
import { ZERO } from './certificate.js';
import { equalStakes, validatorSet } from './validators.js';

const set = (() => {
  const r = validatorSet(equalStakes(4));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
})();

const tx = (i: number): string => `0x${i.toString(16).padStart(64, '0')}`;

interface Net {
  states: Map<number, NodeState>;
  queue: { from: number; to: number; msg: Message }[];
  outputs: Map<number, NodeOutput[]>;
  delivered: number;
}

const configOf = (me: number, routing: Routing, coin: (r: number) => 0 | 1): NodeConfig => ({ validators: set, me, coin, routing });

/** Runs events on correct nodes 0..3 except `silent`; `pick` chooses the next message to deliver. */
const run = (routing: Routing, coin: (r: number) => 0 | 1, silent: readonly number[], pick: (n: number) => number, timers: boolean, maxSteps = 20_000): Net => {
  const net: Net = { states: new Map(), queue: [], outputs: new Map(), delivered: 0 };
  const correct = [0, 1, 2, 3].filter((i) => !silent.includes(i));
  for (const i of correct) { net.states.set(i, initialNodeState()); net.outputs.set(i, []); }
  const apply = (i: number, ev: NodeEvent): void => {
    const r = nodeStep(configOf(i, routing, coin), net.states.get(i)!, ev);
    net.states.set(i, r.state);
    net.outputs.get(i)!.push(...r.outputs);
    for (const s of r.sends) {
      const targets = s.to === 'all' ? [0, 1, 2, 3].filter((j) => j !== i) : [s.to];
      for (const t of targets) if (correct.includes(t)) net.queue.push({ from: i, to: t, msg: s.msg });
    }
  };
  for (const i of correct) apply(i, { kind: 'propose', timestamp: 1000n + BigInt(i), txs: [tx(i), tx(9)] });
  for (let step = 0; step < maxSteps; step++) {
    if (net.queue.length === 0) {
      if (!timers) break;
      // Quiet network: every correct node's timers fire, once each round of quiet.
      const before = JSON.stringify([...net.states.values()].map((s) => s.seq));
      for (const i of correct) for (const t of ['skip', 'hard-pass', 'request'] as const) apply(i, { kind: 'timer', timer: t });
      if (net.queue.length === 0 && before === JSON.stringify([...net.states.values()].map((s) => s.seq))) break;
      continue;
    }
    const [m] = net.queue.splice(pick(net.queue.length), 1);
    net.delivered++;
    apply(m!.to, { kind: 'deliver', from: m!.from, msg: m!.msg });
  }
  return net;
};

const blocks = (net: Net, i: number) => net.outputs.get(i)!.filter((o) => o.kind === 'block');
const decisions = (net: Net, i: number) => net.outputs.get(i)!.filter((o) => o.kind === 'decided');

describe('MyTumbler node step function', () => {
  it('all honest, FIFO delivery, normal path: every proposal is included by fast path (CONS-MYBA-FAST.1, CONS-TUMB-OUTPUT.1)', () => {
    const net = run('normal', () => 1, [], () => 0, false);
    for (const i of [0, 1, 2, 3]) {
      const b = blocks(net, i);
      expect(b).toHaveLength(1);
      expect(b[0]!.proposals.map((p) => p.proposer)).toEqual([0, 1, 2, 3]);
      expect(b[0]!.timestamp).toBe(1002n); // upper median of 1000..1003 (CONS-TUMB-TIMESTAMP.1)
      expect(decisions(net, i).every((d) => d.kind === 'decided' && d.fast && d.round === 0)).toBe(true);
    }
  });

  it('optimistic path reaches the same block (CONS-TUMB-ROUTING.1)', () => {
    const normal = run('normal', () => 1, [], () => 0, false);
    const opt = run('optimistic', () => 1, [], () => 0, false);
    for (const i of [0, 1, 2, 3]) expect(blocks(opt, i)).toEqual(blocks(normal, i).map((b) => ({ ...b, proposals: b.proposals.map((p) => ({ ...p, voters: expect.any(Array) })) })));
  });

  it('the input state is not changed by a step', () => {
    const s = initialNodeState();
    const before = structuredClone(s);
    nodeStep(configOf(0, 'normal', () => 1), s, { kind: 'propose', timestamp: 5n, txs: [] });
    expect(s).toEqual(before);
  });

  it('a VAL with a wrong hash or from another sender is not accepted (CONS-TUMB-VAL-ACCEPT.1)', () => {
    const val = { seq: 1, proposer: 2, timestamp: 7n, txs: [tx(1)], hash: proposalHash(1, 2, 7n, [tx(1)]) };
    const cfg = configOf(0, 'normal', () => 1);
    const wrongSender = nodeStep(cfg, initialNodeState(), { kind: 'deliver', from: 3, msg: { type: 'val', val } });
    expect(wrongSender.sends).toEqual([]);
    const wrongHash = nodeStep(cfg, initialNodeState(), { kind: 'deliver', from: 2, msg: { type: 'val', val: { ...val, hash: ZERO } } });
    expect(wrongHash.sends).toEqual([]);
    const good = nodeStep(cfg, initialNodeState(), { kind: 'deliver', from: 2, msg: { type: 'val', val } });
    expect(good.sends.map((s) => s.msg.type)).toEqual(['bval']);
  });

  it('messages for far-future sequence numbers are dropped and the next one is bounded (CONS-TUMB-SEQ.1)', () => {
    const cfg: NodeConfig = { ...configOf(0, 'normal', () => 1), bufferPerSender: 3 };
    let s = initialNodeState();
    for (let k = 0; k < 10; k++) {
      s = nodeStep(cfg, s, { kind: 'deliver', from: 1, msg: { type: 'skip', seq: 2 } }).state;
      s = nodeStep(cfg, s, { kind: 'deliver', from: 1, msg: { type: 'skip', seq: 1000 + k } }).state;
    }
    expect(s.buffered).toHaveLength(3);
  });

  it('one silent validator: the others complete with its instance dropped or decided ZERO (CONS-TUMB-DROP.1, CONS-TUMB-COMPLETE.1)', () => {
    const net = run('normal', () => 1, [3], () => 0, true);
    for (const i of [0, 1, 2]) {
      const b = blocks(net, i);
      expect(b.length).toBeGreaterThanOrEqual(1);
      expect(b[0]!.proposals.map((p) => p.proposer)).toEqual([0, 1, 2]);
    }
  });

  it('random schedules, one silent validator, any coin: correct validators agree on decisions and blocks and complete (CONS-MYBA-AGREEMENT.1, CONS-SAFETY-BLOCK.1, CONS-LIVENESS-COIN.1)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: 50, maxLength: 400 }),
        fc.array(fc.constantFrom<0 | 1>(0, 1), { minLength: 8, maxLength: 8 }),
        fc.constantFrom<Routing>('normal', 'optimistic'),
        fc.constantFrom(0, 1, 2, 3, -1),
        (picks, coins, routing, silent) => {
          let k = 0;
          const pick = (n: number): number => (picks[k++ % picks.length]! % n);
          const net = run(routing, (r) => coins[r % coins.length]!, silent < 0 ? [] : [silent], pick, true, 6000);
          const correct = [0, 1, 2, 3].filter((i) => i !== silent);
          const decidedBy = new Map<string, string>();
          for (const i of correct) {
            for (const d of decisions(net, i)) {
              if (d.kind !== 'decided') continue;
              const key = `${d.seq}/${d.proposer}`;
              const prior = decidedBy.get(key);
              if (prior !== undefined) expect(d.value).toBe(prior);
              decidedBy.set(key, d.value);
            }
          }
          const firstBlocks = correct.map((i) => blocks(net, i)[0]).filter((b) => b !== undefined);
          // Fair delivery with timers: every correct validator completes the first sequence number.
          expect(firstBlocks).toHaveLength(correct.length);
          for (const b of firstBlocks) {
            expect(b.proposals.map((p) => [p.proposer, p.timestamp, p.txs])).toEqual(firstBlocks[0]!.proposals.map((p) => [p.proposer, p.timestamp, p.txs]));
            expect(b.timestamp).toBe(firstBlocks[0]!.timestamp);
          }
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });
});
