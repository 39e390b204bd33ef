/**
 * Exhaustive exploration of the consensus model itself: the state machine whose states are the
 * `nodeStep` states of the correct validators of a four-validator set (stake 1 each) together with
 * the multiset of messages in flight, and whose actions deliver one message, fire one timer, or let
 * the Byzantine validator inject one of a bounded set of messages. Unlike the twins of the TLA+
 * modules (`myba-rounds.ts`, `tumbler-ledger.ts`), nothing here re-implements a rule: every
 * reaction of a correct validator is a call of the model's `nodeStep`.
 *
 * Bounds: one sequence number; messages of rounds above `maxRound` are never delivered (the coin
 * is a fixed function, so one run covers one coin sequence); the proposers are a chosen subset of
 * the correct validators plus the Byzantine one, which equivocates with two payloads; each timer
 * fires at most once per validator; each Byzantine message reaches each recipient at most once.
 *
 * @module
 */
import { type Message, type NodeConfig, type NodeOutput, type NodeState, type Timer, type Val, initialNodeState, nodeStep, proposalHash } from '../../model/consensus/node.js';
import type { Send } from '../../model/consensus/myba.js';
import { ZERO } from '../../model/consensus/certificate.js';
import { type ValidatorId, type ValidatorSet, equalStakes, reachesQuorum, validatorSet } from '../../model/consensus/validators.js';
import { buildLedger } from '../../model/consensus/ledger.js';
import type { Action, Invariant, Machine } from './explore.js';

/** A message on its way: sender, recipient and contents, with its canonical text. */
export interface Envelope {
  readonly from: ValidatorId;
  readonly to: ValidatorId;
  readonly msg: Message;
  readonly key: string;
}

/** What one correct validator has output so far (kept across completion, which resets its state). */
export interface History {
  /** `proposer:value` per decision, in order. */
  readonly decisions: readonly string[];
  readonly blocks: readonly Extract<NodeOutput, { kind: 'block' }>[];
}

export interface SystemState {
  /** The state of each correct validator, indexed like `ModelCheckConfig.correct`. */
  readonly nodes: readonly NodeState[];
  readonly history: readonly History[];
  /** In-flight messages, sorted by key (a multiset). */
  readonly inflight: readonly Envelope[];
  /** `validator/timer` of timers already fired, sorted. */
  readonly fired: readonly string[];
  /** Keys of Byzantine injections already made, sorted. */
  readonly injected: readonly string[];
  /** `proposer/round/value/sender` of every BVAL a correct validator has sent: what the adversary has seen. */
  readonly seenBvals: readonly string[];
}

export interface ModelCheckConfig {
  readonly validators: ValidatorSet;
  /** The correct validators; every other validator of the set is the Byzantine one. */
  readonly correct: readonly ValidatorId[];
  readonly byzantine: ValidatorId;
  /** Correct validators that propose (at the start); the others only skip or pass. */
  readonly proposers: readonly ValidatorId[];
  readonly coin: 0 | 1;
  readonly maxRound: number;
  readonly timers: readonly Timer[];
  /**
   * The Byzantine validator's moves, each made at most once, at any time: `val:i` sends its i-th
   * payload (two conflicting ones), `bval:i` / `bval:zero` a round-0 BVAL in its own instance,
   * `prom:i` / `aux:i` a round-0 PROM/AUX for its i-th hash with a QC of BVALs it has seen (enabled
   * once it has seen enough), `pass` a PASS endorsing nobody; each to one recipient.
   */
  readonly byzantineMoves: readonly { readonly move: string; readonly to: ValidatorId }[];
  /**
   * Whether a correct validator's broadcast reaches the other correct validators in one step (they
   * then see correct messages in one order; Byzantine messages still reach each one separately).
   */
  readonly atomicBroadcast: boolean;
}

const tx = (n: number): string => `0x${n.toString(16).padStart(64, '0')}`;

/** The payloads: correct proposers propose [t1, t2]; the Byzantine one sends [t2, t3] or [t4]. */
const correctTxs = [tx(1), tx(2)];
const byzTxs: readonly (readonly string[])[] = [[tx(2), tx(3)], [tx(4)]];

export const byzantineVals = (c: ModelCheckConfig): readonly Val[] =>
  byzTxs.map((txs, i) => ({ seq: 1, proposer: c.byzantine, timestamp: BigInt(10 + i), txs, hash: proposalHash(1, c.byzantine, BigInt(10 + i), txs) }));

export const correctVal = (p: ValidatorId): Val => ({ seq: 1, proposer: p, timestamp: 5n, txs: correctTxs, hash: proposalHash(1, p, 5n, correctTxs) });

/**
 * The four-validator configuration (stake 1 each), validator 3 Byzantine and the only proposer,
 * round 0, coin 1, atomic broadcasts among the correct validators.
 *
 * @spec CONS-MC-MODEL.1
 */
export const consensusModelConfig = (over: Partial<ModelCheckConfig> = {}): ModelCheckConfig => {
  const set = validatorSet(equalStakes(4));
  if (!set.ok) throw new Error(set.error.message);
  return { validators: set.value, correct: [0, 1, 2], byzantine: 3, proposers: [], coin: 1, maxRound: 0, timers: [], atomicBroadcast: true,
    // Equivocation: payload 0 to validator 0, payload 1 to validators 1 and 2; validator 1 also
    // sees a BVAL for payload 0, validator 0 a PROM for payload 0.
    byzantineMoves: [{ move: 'val:0', to: 0 }, { move: 'val:1', to: 1 }, { move: 'val:1', to: 2 }, { move: 'bval:0', to: 1 }, { move: 'prom:0', to: 0 }],
    ...over };
};

/**
 * Canonical text of a value: maps and sets sorted, object keys sorted, bigints marked, and arrays
 * of validator ids sorted: signer sets, endorsed sets and payload holders are sets whose order
 * only records arrival order (which only changes the order of retrieval requests).
 */
const canon = (v: unknown): string => {
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'u';
  if (v instanceof Map) return `M{${[...v].map(([k, x]) => `${canon(k)}:${canon(x)}`).sort().join(',')}}`;
  if (v instanceof Set) return `S{${[...v].map(canon).sort().join(',')}}`;
  if (Array.isArray(v)) {
    const ids = v.every((x) => typeof x === 'number') ? [...(v as number[])].sort((a, b) => a - b) : v;
    return `[${ids.map(canon).join(',')}]`;
  }
  return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${k}:${canon((v as Record<string, unknown>)[k])}`).join(',')}}`;
};

/**
 * The projection of a validator's state that the key keeps: everything except the completion
 * certificates kept for block synchronisation (a function of the rest once completed) and the
 * proposals of the previous sequence number (none: only sequence number 1 is explored).
 */
const nodeKeyCache = new WeakMap<NodeState, string>();
const nodeKey = (s: NodeState): string => {
  let k = nodeKeyCache.get(s);
  if (k === undefined) {
    const { completions: _c, previousVals: _p, ...rest } = s;
    k = canon(rest);
    nodeKeyCache.set(s, k);
  }
  return k;
};

const roundOf = (msg: Message): number | undefined =>
  msg.type === 'bval' || msg.type === 'prom' || msg.type === 'aux' ? msg.round : msg.type === 'mainvote' ? msg.cert.round : undefined;

/** The recipient of an atomic broadcast: every correct validator but the sender. */
const ALL = -1;

const envelope = (from: ValidatorId, to: ValidatorId, msg: Message): Envelope => ({ from, to, msg, key: `${from}>${to}:${canon(msg)}` });

const insertSorted = <T>(xs: readonly T[], add: readonly T[], keyOf: (x: T) => string): readonly T[] =>
  add.length === 0 ? xs : [...xs, ...add].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));

const nodeConfig = (c: ModelCheckConfig, me: ValidatorId): NodeConfig => ({ validators: c.validators, me, coin: () => c.coin, routing: 'normal' });

/**
 * One `nodeStep` of correct validator `i` inside the system: its sends become envelopes to the
 * other correct validators (the Byzantine validator reads everything, which `seenBvals` records),
 * messages above `maxRound` are not sent, and outputs extend its history.
 */
const stepNode = (c: ModelCheckConfig, configs: readonly NodeConfig[], s: SystemState, i: number, event: Parameters<typeof nodeStep>[2], inflight: readonly Envelope[]): SystemState => {
  const me = c.correct[i]!;
  const r = nodeStep(configs[i]!, s.nodes[i]!, event);
  const out: Envelope[] = [];
  const seen: string[] = [];
  for (const send of r.sends as readonly Send<Message>[]) {
    const round = roundOf(send.msg);
    if (round !== undefined && round > c.maxRound) continue;
    if (send.msg.type === 'bval') seen.push(`${send.msg.proposer}/${send.msg.round}/${send.msg.value}/${me}`);
    if (send.to === 'all' && c.atomicBroadcast) {
      out.push(envelope(me, ALL, send.msg));
      continue;
    }
    const targets = send.to === 'all' ? c.correct.filter((q) => q !== me) : c.correct.includes(send.to) ? [send.to] : [];
    for (const to of targets) out.push(envelope(me, to, send.msg));
  }
  const h = s.history[i]!;
  const decisions = r.outputs.flatMap((o) => (o.kind === 'decided' ? [`${o.proposer}:${o.value}`] : []));
  const blocks = r.outputs.flatMap((o) => (o.kind === 'block' ? [o] : []));
  const history = decisions.length === 0 && blocks.length === 0 ? s.history : s.history.map((x, j) => (j === i ? { decisions: [...h.decisions, ...decisions], blocks: [...h.blocks, ...blocks] } : x));
  const newSeen = seen.filter((x) => !s.seenBvals.includes(x));
  return {
    ...s,
    nodes: s.nodes.map((n, j) => (j === i ? r.state : n)),
    history,
    inflight: insertSorted(inflight, out, (e) => e.key),
    seenBvals: newSeen.length === 0 ? s.seenBvals : [...new Set([...s.seenBvals, ...newSeen])].sort(),
  };
};

/** The Byzantine move `move` in state `s`, or undefined while it is not possible. */
const byzantineMessage = (c: ModelCheckConfig, s: SystemState, move: string): Message | undefined => {
  const b = c.byzantine;
  const vals = byzantineVals(c);
  const [kind, arg] = move.split(':') as [string, string | undefined];
  const hash = arg === 'zero' ? ZERO : vals[Number(arg)]?.hash;
  if (kind === 'val') return { type: 'val', val: vals[Number(arg)]! };
  if (kind === 'pass') return { type: 'pass', seq: 1, endorsed: [] };
  if (hash === undefined) return undefined;
  if (kind === 'bval') return { type: 'bval', seq: 1, proposer: b, round: 0, value: hash, valExist: true };
  // PROM/AUX carry a QC of BVAL(0, hash) from senders the adversary has seen, and itself.
  const signers = [...s.seenBvals.filter((e) => e.startsWith(`${b}/0/${hash}/`)).map((e) => Number(e.split('/')[3])), b].sort((x, y) => x - y);
  if (!reachesQuorum(c.validators, signers)) return undefined;
  if (kind !== 'prom' && kind !== 'aux') return undefined;
  return { type: kind, seq: 1, proposer: b, round: 0, value: hash, qc: { round: 0, value: hash, signers } };
};

const decidedValues = (s: SystemState): Map<string, Set<string>> => {
  const m = new Map<string, Set<string>>();
  for (const h of s.history) {
    for (const d of h.decisions) {
      const [p, v] = d.split(':') as [string, string];
      m.set(p, (m.get(p) ?? new Set()).add(v));
    }
  }
  return m;
};

const blockKey = (b: Extract<NodeOutput, { kind: 'block' }>): string => canon([b.seq, b.timestamp, b.proposals.map((p) => [p.proposer, p.timestamp, p.txs])]);

/**
 * The safety invariants of the TLA+ modules and of the lock-step checks, over the correct
 * validators' states and outputs.
 *
 * @spec CONS-MYBA-AGREEMENT.1 CONS-MYBA-VALIDITY.1 CONS-MYBA-INTEGRITY.1 CONS-MYBA-PROMISE-LOCK.1 CONS-SAFETY-BLOCK.1 CONS-SAFETY-NO-DUP.1
 */
export const consensusInvariants = (c: ModelCheckConfig): readonly Invariant<SystemState>[] => {
  const sent = new Map<string, Set<string>>();
  for (const p of c.proposers) sent.set(String(p), new Set([correctVal(p).hash, ZERO]));
  sent.set(String(c.byzantine), new Set([...byzantineVals(c).map((v) => v.hash), ZERO]));
  return [
    { name: 'Agreement', holds: (s) => [...decidedValues(s).values()].every((vs) => vs.size <= 1) },
    {
      name: 'Validity',
      // A decided hash is one its proposer sent; ZERO is always a possible decision.
      holds: (s) => [...decidedValues(s)].every(([p, vs]) => [...vs].every((v) => v === ZERO || sent.get(p)?.has(v) === true)),
    },
    {
      name: 'Integrity',
      holds: (s) => s.history.every((h) => new Set(h.decisions.map((d) => d.split(':')[0])).size === h.decisions.length),
    },
    {
      name: 'PromiseLock',
      // PROM(r, v) from a quorum at any correct validator: no correct validator holds a QC(r, w), w != v.
      holds: (s) => {
        for (const n of s.nodes) {
          for (const [p, inst] of n.instances) {
            for (const [r, rs] of inst.rounds) {
              for (const [v, from] of rs.proms) {
                if (!reachesQuorum(c.validators, from)) continue;
                for (const m of s.nodes) {
                  const other = m.instances.get(p)?.rounds.get(r);
                  if (other !== undefined && [...other.valid.keys()].some((w) => w !== v)) return false;
                }
              }
            }
          }
        }
        return true;
      },
    },
    {
      name: 'SameBlock',
      holds: (s) => new Set(s.history.flatMap((h) => h.blocks.map(blockKey))).size <= 1,
    },
    {
      name: 'NoDuplicateTx',
      holds: (s) => s.history.every((h) => {
        const l = buildLedger(h.blocks.map((b) => ({ seq: BigInt(b.seq), proposals: b.proposals })));
        if (!l.ok) return false;
        const txs = l.value.entries.map((e) => e.tx);
        return new Set(txs).size === txs.length;
      }),
    },
  ];
};

/**
 * The system as a machine for `explore`: the correct validators' `nodeStep` states and the messages
 * in flight, with delivery, timer and Byzantine actions.
 *
 * @spec CONS-MC-MODEL.1
 */
export const consensusModelMachine = (c: ModelCheckConfig): Machine<SystemState> => {
  const configs = c.correct.map((me) => nodeConfig(c, me));
  let init: SystemState = {
    nodes: c.correct.map(() => initialNodeState()),
    history: c.correct.map(() => ({ decisions: [], blocks: [] })),
    inflight: [],
    fired: [],
    injected: [],
    seenBvals: [],
  };
  for (const p of c.proposers) {
    const v = correctVal(p);
    init = stepNode(c, configs, init, c.correct.indexOf(p), { kind: 'propose', timestamp: v.timestamp, txs: v.txs }, init.inflight);
  }
  const deliver: Action<SystemState> = {
    name: 'Deliver',
    next: (s) => s.inflight.flatMap((e, k) => {
      // Equal envelopes are one choice.
      if (k > 0 && s.inflight[k - 1]!.key === e.key) return [];
      const rest = [...s.inflight.slice(0, k), ...s.inflight.slice(k + 1)];
      const ev = { kind: 'deliver', from: e.from, msg: e.msg } as const;
      if (e.to !== ALL) return [stepNode(c, configs, s, c.correct.indexOf(e.to), ev, rest)];
      let t: SystemState = { ...s, inflight: rest };
      for (const [i, q] of c.correct.entries()) if (q !== e.from) t = stepNode(c, configs, t, i, ev, t.inflight);
      return [t];
    }),
  };
  const timer: Action<SystemState> = {
    name: 'Timer',
    next: (s) => c.correct.flatMap((me, i) => c.timers.flatMap((t) => {
      const id = `${me}/${t}`;
      if (s.fired.includes(id) || s.nodes[i]!.seq !== 1) return [];
      const next = stepNode(c, configs, s, i, { kind: 'timer', timer: t }, s.inflight);
      return [{ ...next, fired: [...s.fired, id].sort() }];
    })),
  };
  const inject: Action<SystemState> = {
    name: 'Byzantine',
    next: (s) => c.byzantineMoves.flatMap(({ move, to }) => {
      const id = `${move}>${to}`;
      if (s.injected.includes(id)) return [];
      const msg = byzantineMessage(c, s, move);
      if (msg === undefined) return [];
      const next = stepNode(c, configs, s, c.correct.indexOf(to), { kind: 'deliver', from: c.byzantine, msg }, s.inflight);
      return [{ ...next, injected: [...s.injected, id].sort() }];
    }),
  };
  return {
    init: [init],
    actions: [deliver, timer, inject],
    invariants: consensusInvariants(c),
    key: (s) => `${s.nodes.map(nodeKey).join('|')}#${s.inflight.map((e) => e.key).join(';')}#${s.fired.join(',')}#${s.injected.join(';')}#${s.seenBvals.join(',')}#${s.history.map((h) => `${h.decisions.join(',')}/${h.blocks.map(blockKey).join(',')}`).join('|')}`,
  };
};
