/**
 * A deterministic discrete-event network simulator for MyTumbler validators. Time is integer
 * milliseconds; every random choice comes from one seeded generator, so a run is reproducible from
 * its options. The network has latency distributions, loss, duplication, reordering (independent
 * latencies), partitions that heal (messages across the cut wait for the heal), crashed validators
 * and Byzantine validators with a strategy each. Honest validators are `NodeRunner`s supplied by the
 * caller (the model, the engine, or both in lock-step).
 *
 * @module
 */
import type { Completion, Message, NodeEvent, NodeOutput, Timer, Val } from '../../model/consensus/node.js';
import type { Send } from '../../model/consensus/myba.js';
import type { MainVote } from '../../model/consensus/certificate.js';
import { proposalHash } from './engine.js';
import { ZERO } from './rules.js';

export interface NodeRunner {
  readonly step: (event: NodeEvent) => { readonly sends: readonly Send<Message>[]; readonly outputs: readonly NodeOutput[] };
  /** Messages the node holds for later sequence numbers (for the bounded-memory check). */
  readonly buffered?: () => number;
}

export type Latency =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  | { readonly kind: 'exponential'; readonly min: number; readonly mean: number };

export type ByzantineStrategy = 'silent' | 'equivocate' | 'double-vote' | 'withhold' | 'invalid-certs' | 'replay' | 'spam' | 'forge-sync';
export const BYZANTINE_STRATEGIES: readonly ByzantineStrategy[] = ['silent', 'equivocate', 'double-vote', 'withhold', 'invalid-certs', 'replay', 'spam', 'forge-sync'];

export interface Partition { readonly start: number; readonly end: number; readonly side: readonly number[] }

export interface SimOptions {
  readonly ids: readonly number[];
  readonly seed: number;
  /** Sequence numbers to run (1..seqs). */
  readonly seqs: number;
  readonly latency: Latency;
  readonly loss?: number;
  readonly duplication?: number;
  readonly partitions?: readonly Partition[];
  /** Validator id -> time it crashes (it neither receives nor sends afterwards). */
  readonly crashes?: ReadonlyMap<number, number>;
  readonly byzantine?: ReadonlyMap<number, ByzantineStrategy>;
  readonly timers?: { readonly skip: number; readonly softPass: number; readonly hardPass: number; readonly request: number };
  readonly txsPerProposal?: number;
  readonly maxEvents?: number;
  /** Count message bytes by their JSON length (costly; for the benchmark). */
  readonly measureBytes?: boolean;
}

export interface NodeTrace {
  readonly outputs: NodeOutput[];
  readonly sent: Send<Message>[];
  steps: number;
  maxBuffered: number;
}

export interface SimResult {
  readonly nodes: ReadonlyMap<number, NodeTrace>;
  readonly honest: readonly number[];
  /** Every VAL a validator sent: what a decided hash must be one of (validity). */
  readonly proposals: ReadonlyMap<string, Val>;
  readonly time: number;
  readonly events: number;
  readonly messages: number;
  readonly bytes: number;
  readonly completed: boolean;
}

/** mulberry32: small, fast and good enough for schedules. */
const rng = (seed: number) => {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, below: (n: number) => Math.floor(next() * n), chance: (p: number) => p > 0 && next() < p };
};

type Ev =
  | { readonly t: number; readonly k: number; readonly kind: 'deliver'; readonly from: number; readonly to: number; readonly msg: Message }
  | { readonly t: number; readonly k: number; readonly kind: 'timer'; readonly node: number; readonly timer: Timer; readonly seq: number }
  | { readonly t: number; readonly k: number; readonly kind: 'propose'; readonly node: number; readonly seq: number };

/** A binary min-heap on (time, insertion number): equal times keep their order. */
class Queue {
  private readonly h: Ev[] = [];
  get size(): number { return this.h.length; }
  private less(a: Ev, b: Ev): boolean { return a.t < b.t || (a.t === b.t && a.k < b.k); }
  push(e: Ev): void {
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Ev | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

export const txHash = (seq: number, node: number, k: number): string =>
  `0x${seq.toString(16).padStart(8, '0')}${node.toString(16).padStart(8, '0')}${k.toString(16).padStart(48, '0')}`;

const sizeOf = (msg: Message): number => JSON.stringify(msg, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).length;

/**
 * Runs the network until every honest validator that has not crashed has completed `seqs`
 * sequence numbers, nothing is left to happen, or `maxEvents` events have been processed.
 */
export const simulate = (options: SimOptions, makeNode: (id: number) => NodeRunner): SimResult => {
  const r = rng(options.seed);
  const ids = options.ids;
  const byz = options.byzantine ?? new Map<number, ByzantineStrategy>();
  const crashes = options.crashes ?? new Map<number, number>();
  const timers = options.timers ?? { skip: 400, softPass: 800, hardPass: 3000, request: 1000 };
  const txCount = options.txsPerProposal ?? 3;
  const maxEvents = options.maxEvents ?? 200_000;
  const q = new Queue();
  let k = 0;
  let messages = 0;
  let bytes = 0;
  const proposals = new Map<string, Val>();

  // Byzantine validators that behave like a validator apart from their strategy run a node too.
  const runners = new Map<number, NodeRunner>();
  for (const id of ids) if (byz.get(id) !== 'silent') runners.set(id, makeNode(id));
  const honest = ids.filter((id) => !byz.has(id));
  const traces = new Map<number, NodeTrace>(ids.map((id) => [id, { outputs: [], sent: [], steps: 0, maxBuffered: 0 }]));
  const seqAt = new Map<number, number>(ids.map((id) => [id, 1]));
  const softArmed = new Set<string>();
  const received = new Map<number, { from: number; msg: Message }[]>();

  const latency = (): number => {
    const l = options.latency;
    if (l.kind === 'fixed') return l.ms;
    if (l.kind === 'uniform') return l.min + r.below(l.max - l.min + 1);
    return l.min + Math.floor(-Math.log(1 - r.next()) * l.mean);
  };
  const crashed = (id: number, t: number): boolean => (crashes.get(id) ?? Infinity) <= t;
  const cutUntil = (a: number, b: number, t: number): number => {
    let until = t;
    for (const p of options.partitions ?? []) {
      if (t >= p.start && t < p.end && p.side.includes(a) !== p.side.includes(b)) until = Math.max(until, p.end);
    }
    return until;
  };

  const transmit = (t: number, from: number, to: number, msg: Message): void => {
    if (to === from || crashed(from, t)) return;
    messages++;
    if (options.measureBytes === true) bytes += sizeOf(msg);
    if (r.chance(options.loss ?? 0)) return;
    const at = cutUntil(from, to, t) + latency();
    q.push({ t: at, k: k++, kind: 'deliver', from, to, msg });
    if (r.chance(options.duplication ?? 0)) q.push({ t: at + latency(), k: k++, kind: 'deliver', from, to, msg });
  };
  const broadcast = (t: number, from: number, s: Send<Message>): void => {
    if (s.to === 'all') { for (const to of ids) transmit(t, from, to, s.msg); } else transmit(t, from, s.to, s.msg);
  };

  const startSeq = (t: number, id: number, seq: number): void => {
    if (seq > options.seqs) return;
    q.push({ t, k: k++, kind: 'propose', node: id, seq });
    q.push({ t: t + timers.skip, k: k++, kind: 'timer', node: id, timer: 'skip', seq });
    q.push({ t: t + timers.hardPass, k: k++, kind: 'timer', node: id, timer: 'hard-pass', seq });
    q.push({ t: t + timers.request, k: k++, kind: 'timer', node: id, timer: 'request', seq });
  };

  /** What a Byzantine validator sends instead of (or besides) what its node would send. */
  const byzantineSends = (t: number, id: number, strategy: ByzantineStrategy, sends: readonly Send<Message>[]): Send<Message>[] => {
    const out: Send<Message>[] = [];
    for (const s of sends) {
      const m = s.msg;
      if (strategy === 'withhold') {
        // Sends only to the lower half of the validators.
        const half = ids.slice(0, Math.ceil(ids.length / 2));
        if (s.to === 'all') { for (const to of half) out.push({ to, msg: m }); } else if (half.includes(s.to)) out.push(s);
        continue;
      }
      if (strategy === 'equivocate' && m.type === 'val') {
        // Two proposals: one to each half.
        const other = [...m.val.txs, txHash(m.val.seq, id, 999)];
        const val2: Val = { ...m.val, txs: other, hash: proposalHash(m.val.seq, id, m.val.timestamp, other) };
        proposals.set(val2.hash, val2);
        ids.forEach((to, i) => out.push({ to, msg: i % 2 === 0 ? m : { type: 'val', val: val2 } }));
        continue;
      }
      out.push(s);
      if (strategy === 'double-vote' || strategy === 'equivocate') {
        if (m.type === 'bval') out.push({ to: 'all', msg: { ...m, value: m.value === ZERO ? txHash(m.seq, id, 777) : ZERO, valExist: m.value === ZERO } });
        if (m.type === 'prom' || m.type === 'aux') {
          // A vote for the other value reusing this QC: its QC does not match, so it is rejected.
          out.push({ to: 'all', msg: { ...m, type: m.type === 'prom' ? 'aux' : 'prom', value: m.value === ZERO ? txHash(m.seq, id, 777) : ZERO } });
          out.push({ to: 'all', msg: { ...m, type: m.type === 'prom' ? 'aux' : 'prom' } });
        }
        if (m.type === 'pass') out.push({ to: 'all', msg: { ...m, endorsed: ids } });
      }
      if (strategy === 'forge-sync' && m.type === 'sync') {
        // Forged completion certificates instead of the real one, to the requester and to everyone.
        out.pop();
        for (const bad of forgedCompletions(m.completion, id)) for (const to of ids) out.push({ to, msg: { type: 'sync', completion: bad } });
      }
      if (strategy === 'forge-sync' && m.type === 'pass') {
        // Forged completions of the sequence number it is passing, before anyone asked.
        for (const bad of forgedFromNothing(m.seq, id)) out.push({ to: 'all', msg: { type: 'sync', completion: bad } });
      }
      if (strategy === 'invalid-certs' && (m.type === 'mainvote' || m.type === 'prom' || m.type === 'aux')) {
        for (const bad of invalidVariants(m, ids)) out.push({ to: 'all', msg: bad });
      }
    }
    if (strategy === 'replay') {
      const log = received.get(id) ?? [];
      for (let i = 0; i < 2 && log.length > 0; i++) out.push({ to: ids[r.below(ids.length)]!, msg: log[r.below(log.length)]!.msg });
    }
    if (strategy === 'spam') {
      const seq = seqAt.get(id)!;
      for (let i = 0; i < 4; i++) {
        const far = seq + 1 + (r.below(3) === 0 ? 0 : 1 + r.below(1000));
        const to = ids[r.below(ids.length)]!;
        const pick = r.below(3);
        const msg: Message = pick === 0 ? { type: 'skip', seq: far }
          : pick === 1 ? { type: 'bval', seq: far, proposer: ids[r.below(ids.length)]!, round: r.below(5), value: txHash(far, id, i), valExist: true }
          : { type: 'pass', seq: far, endorsed: [] };
        out.push({ to, msg });
      }
    }
    void t;
    return out;
  };

  const run = (t: number, id: number, ev: NodeEvent): void => {
    const node = runners.get(id);
    if (node === undefined || crashed(id, t)) return;
    const trace = traces.get(id)!;
    const res = node.step(ev);
    trace.steps++;
    const strategy = byz.get(id);
    const sends = strategy === undefined ? res.sends : byzantineSends(t, id, strategy, res.sends);
    for (const s of sends) {
      if (s.msg.type === 'val') proposals.set(s.msg.val.hash, s.msg.val);
      trace.sent.push(s);
      broadcast(t, id, s);
    }
    for (const o of res.outputs) {
      trace.outputs.push(o);
      if (o.kind === 'block') {
        seqAt.set(id, o.seq + 1);
        startSeq(t, id, o.seq + 1);
      } else if (o.value !== ZERO && !softArmed.has(`${id}/${o.seq}`)) {
        softArmed.add(`${id}/${o.seq}`);
        q.push({ t: t + timers.softPass, k: k++, kind: 'timer', node: id, timer: 'soft-pass', seq: o.seq });
      }
    }
    if (node.buffered !== undefined) trace.maxBuffered = Math.max(trace.maxBuffered, node.buffered());
  };

  for (const id of ids) startSeq(0, id, 1);
  const done = (): boolean => honest.every((id) => crashes.has(id) || seqAt.get(id)! > options.seqs);
  let events = 0;
  let time = 0;
  while (q.size > 0 && events < maxEvents && !done()) {
    const ev = q.pop()!;
    time = ev.t;
    events++;
    if (ev.kind === 'deliver') {
      if (byz.has(ev.to)) {
        const log = received.get(ev.to) ?? [];
        if (log.length < 256) log.push({ from: ev.from, msg: ev.msg });
        received.set(ev.to, log);
      }
      run(ev.t, ev.to, { kind: 'deliver', from: ev.from, msg: ev.msg });
    } else if (ev.kind === 'propose') {
      if (seqAt.get(ev.node) !== ev.seq) continue;
      const txs = Array.from({ length: txCount }, (_, i) => txHash(ev.seq, ev.node, i));
      // One transaction every proposer includes, and one repeated from the previous sequence number.
      txs.push(txHash(ev.seq, 0xffff, 0));
      if (ev.seq > 1) txs.push(txHash(ev.seq - 1, ev.node, 0));
      run(ev.t, ev.node, { kind: 'propose', timestamp: BigInt(1_000_000 + ev.t), txs });
    } else {
      if (seqAt.get(ev.node) !== ev.seq) continue;
      run(ev.t, ev.node, { kind: 'timer', timer: ev.timer });
      if (ev.timer === 'request' || ev.timer === 'hard-pass') {
        q.push({ t: ev.t + (ev.timer === 'request' ? timers.request : timers.hardPass), k: k++, kind: 'timer', node: ev.node, timer: ev.timer, seq: ev.seq });
      }
    }
  }
  return { nodes: traces, honest, proposals, time, events, messages, bytes, completed: done() };
};

/**
 * Completion certificates a Byzantine validator can build from a real one without forging other
 * validators' signatures: each changes the block it fixes and must be rejected.
 */
export const forgedCompletions = (c: Completion, id: number): Completion[] => {
  const out: Completion[] = [];
  const first = c.proposals[0];
  if (first !== undefined) {
    // A proposal with other transactions under the decided hash.
    out.push({ ...c, proposals: [{ ...first, txs: [...first.txs, txHash(c.seq, id, 555)] }, ...c.proposals.slice(1)] });
    // A proposal with other transactions and its recomputed hash (not the decided one).
    const txs = [txHash(c.seq, id, 556)];
    out.push({ ...c, proposals: [{ ...first, txs, hash: proposalHash(first.seq, first.proposer, first.timestamp, txs) }, ...c.proposals.slice(1)] });
    // The proposal left out, its decision kept or dropped too.
    out.push({ ...c, proposals: c.proposals.slice(1) });
    out.push({ ...c, proposals: c.proposals.slice(1), decisions: c.decisions.filter((d) => d.proposer !== first.proposer) });
  }
  // Too few PASS signers, a PASS signer repeated, an excluded instance turned into an included one.
  out.push({ ...c, passes: c.passes.slice(0, 1) });
  if (c.passes.length > 0) out.push({ ...c, passes: [...c.passes.slice(0, 1), c.passes[0]!, c.passes[0]!] });
  const zero = c.decisions.find((d) => !c.proposals.some((v) => v.proposer === d.proposer));
  if (zero !== undefined) {
    const fake: Val = { seq: c.seq, proposer: zero.proposer, timestamp: 1n, txs: [], hash: proposalHash(c.seq, zero.proposer, 1n, []) };
    out.push({ ...c, proposals: [...c.proposals, fake].sort((a, b) => a.proposer - b.proposer) });
  }
  // A decision certificate of the other value that does not verify.
  const d0 = c.decisions[0];
  if (d0 !== undefined) {
    for (const bad of invalidVariants({ type: 'mainvote', seq: c.seq, proposer: d0.proposer, cert: d0.cert }, c.passes.map((p) => p.from))) {
      if (bad.type === 'mainvote') out.push({ ...c, decisions: [{ proposer: d0.proposer, cert: bad.cert }, ...c.decisions.slice(1)] });
    }
  }
  return out;
};

/** A completion with no certificate at all: everything dropped, on the forger's own PASS alone. */
const forgedFromNothing = (seq: number, id: number): Completion[] => [{ seq, passes: [{ from: id, endorsed: [] }], decisions: [], proposals: [] }];

/** Certificates and votes that the validity rules must reject. */
const invalidVariants = (m: Extract<Message, { type: 'mainvote' | 'prom' | 'aux' }>, ids: readonly number[]): Message[] => {
  const unknown = Math.max(...ids) + 1;
  if (m.type !== 'mainvote') {
    return [
      { ...m, value: m.value === ZERO ? `0x${'ee'.repeat(32)}` : ZERO, qc: { ...m.qc, value: m.value === ZERO ? `0x${'ee'.repeat(32)}` : ZERO, signers: m.qc.signers.slice(0, 1) } },
      { ...m, value: ZERO, qc: { ...m.qc, value: ZERO, signers: [...m.qc.signers.slice(0, 1), unknown, unknown + 1] } },
    ];
  }
  const c = m.cert;
  const all = [...c.proms, ...c.auxes];
  const first = all[0];
  if (first === undefined) return [];
  const flip = first.value === ZERO ? `0x${'ee'.repeat(32)}` : ZERO;
  const variants: MainVote[] = [
    // Too few signers for the other value.
    { round: c.round, proms: [{ ...first, value: flip, signers: first.signers.slice(0, 1) }], auxes: [] },
    // An unknown signer padding the quorum.
    { round: c.round, proms: [{ ...first, value: flip, signers: [...first.signers.slice(0, 1), unknown, unknown + 1, unknown + 2] }], auxes: [] },
    // A signer repeated to reach the quorum.
    { round: c.round, proms: [{ ...first, value: flip, signers: [first.signers[0]!, first.signers[0]!, first.signers[0]!, first.signers[0]!] }], auxes: [] },
    // Two values with a QC that does not verify for the second.
    { round: c.round, proms: [first], auxes: [{ value: flip, signers: [unknown], qc: { round: c.round, value: flip, signers: first.signers.slice(0, 1) } }] },
  ];
  return variants.map((cert) => ({ type: 'mainvote', seq: m.seq, proposer: m.proposer, cert }));
};
