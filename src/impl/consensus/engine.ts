/**
 * The MyTumbler/MyBA engine of one validator, written for speed: validators are dense indexes,
 * sender sets are bitsets with a running stake total beside them (so every threshold test is one
 * comparison), the phase-2 senders of a round are counted once across values as they arrive, the
 * PASS stake that endorses each proposer is kept per proposer, and the state is mutated in place.
 * It answers every event with exactly the messages and outputs the model's `nodeStep` produces,
 * in the same order (the conformance tests compare them message by message).
 *
 * @module
 */
import type { Completion, Message, NodeConfig, NodeEvent, NodeOutput, Val } from '../../model/consensus/node.js';
import type { Send, Routing } from '../../model/consensus/myba.js';
import type { MainVote, QuorumCertificate } from '../../model/consensus/certificate.js';
import { bytesToHex, keccak256 } from '../encoding/index.js';
import { type FastSet, ZERO, blockTimestamp, checkMainVote, checkQuorumCertificate, fastSet, mainVoteOutcome } from './rules.js';

type Value = string;
type Id = number;

interface ValueRec {
  readonly bval: Uint32Array;
  bvalStake: bigint;
  readonly prom: Uint32Array;
  readonly aux: Uint32Array;
  qc: QuorumCertificate | undefined;
}

interface RoundRec {
  readonly values: Map<Value, ValueRec>;
  /** Valid values (those with a QC) in the order they became valid. */
  readonly valid: Value[];
  own: Value[];
  ownPayload: Value[];
  phase2: { kind: 'prom' | 'aux'; value: Value } | undefined;
  readonly p2: Uint32Array;
  p2Stake: bigint;
  mainVote: MainVote | undefined;
}

interface Decision { readonly value: Value; readonly round: number; readonly fast: boolean; readonly cert: MainVote }

interface Inst {
  readonly seq: number;
  readonly proposer: Id;
  round: number;
  normal: boolean;
  zeroVoted: boolean;
  readonly rounds: Map<number, RoundRec>;
  readonly voters: Map<Value, Id[]>;
  decided: Decision | undefined;
}

type Effect =
  | { readonly kind: 'endorse-request'; readonly value: Value }
  | { readonly kind: 'endorsed' }
  | { readonly kind: 'decided'; readonly decision: Decision };

/** Options that exist to show the conformance tests catch a wrong threshold. */
export interface EngineOverrides { readonly quorum?: bigint }

export interface Engine {
  readonly set: FastSet;
  readonly n: number;
  readonly me: Id;
  readonly meIdx: number;
  readonly coin: (round: number) => 0 | 1;
  readonly routing: Routing;
  readonly validPayload: ((val: Val) => boolean) | undefined;
  readonly bufferLimit: number;
  readonly emptyAdvance: bigint;
  seq: number;
  lastTimestamp: bigint;
  instances: Map<Id, Inst>;
  vals: Map<Id, Map<Value, Val>>;
  previousVals: Map<Id, Map<Value, Val>>;
  tracked: Uint8Array;
  endorsed: Uint8Array;
  skipped: Uint8Array;
  zeroVoted: Uint8Array;
  dropped: Uint8Array;
  decided: (Value | undefined)[];
  nonZeroDecided: number;
  outputCount: number;
  doneCount: number;
  proposed: boolean;
  passedMe: boolean;
  passFrom: Uint8Array;
  passStake: bigint;
  /** Per proposer index: the stake of PASS senders whose endorsed set lists it. */
  endorsingPassStake: bigint[];
  /** PASS senders in arrival order with their endorsed sets (the completion certificate's order). */
  passOrder: { from: Id; endorsed: readonly Id[] }[];
  /** Completion certificates of the last completed sequence numbers, oldest first. */
  completions: readonly Completion[];
  readonly syncHistory: number;
  skipTimerExpired: boolean;
  buffered: { from: Id; msg: Message }[];
  bufferedPerSender: Int32Array;
  sends: Send<Message>[];
  outputs: NodeOutput[];
}

export const proposalHash = (seq: number, proposer: Id, timestamp: bigint, txs: readonly string[]): Value =>
  bytesToHex(keccak256(Buffer.from(`${seq}|${proposer}|${timestamp}|${txs.join(',')}`, 'utf8')));

const freshSeqState = (e: Engine, seq: number, lastTimestamp: bigint): void => {
  const n = e.n;
  e.seq = seq;
  e.lastTimestamp = lastTimestamp;
  e.instances = new Map();
  e.vals = new Map();
  e.tracked = new Uint8Array(n);
  e.endorsed = new Uint8Array(n);
  e.skipped = new Uint8Array(n);
  e.zeroVoted = new Uint8Array(n);
  e.dropped = new Uint8Array(n);
  e.decided = new Array<Value | undefined>(n).fill(undefined);
  e.nonZeroDecided = 0;
  e.outputCount = 0;
  e.doneCount = 0;
  e.proposed = false;
  e.passedMe = false;
  e.passFrom = new Uint8Array(n);
  e.passStake = 0n;
  e.endorsingPassStake = new Array<bigint>(n).fill(0n);
  e.passOrder = [];
  e.skipTimerExpired = false;
  e.buffered = [];
  e.bufferedPerSender = new Int32Array(n);
};

/** A validator's engine that has completed `lastSeq` with block timestamp `lastTimestamp`. */
export const createEngine = (config: NodeConfig, lastSeq = 0, lastTimestamp = 0n, overrides: EngineOverrides = {}): Engine => {
  const built = fastSet(config.validators.validators);
  if (!built.ok) throw new Error(`invalid validator set: ${built.error.message}`);
  const set: FastSet = overrides.quorum === undefined ? built.value : { ...built.value, thresholds: { ...built.value.thresholds, quorum: overrides.quorum } };
  const e = {
    set, n: set.ids.length, me: config.me, meIdx: set.index[config.me] ?? -1, coin: config.coin, routing: config.routing,
    validPayload: config.validPayload, bufferLimit: config.bufferPerSender ?? 64, emptyAdvance: config.emptyAdvance ?? 5000n,
    previousVals: new Map(), completions: [], syncHistory: config.syncHistory ?? 8, sends: [], outputs: [],
  } as unknown as Engine;
  freshSeqState(e, lastSeq + 1, lastTimestamp);
  return e;
};

// ---------------------------------------------------------------------------------------------
// Bitsets

const idx = (e: Engine, id: Id): number => (id >= 0 && id < e.set.index.length ? e.set.index[id]! : -1);
const has = (bits: Uint32Array, i: number): boolean => (bits[i >>> 5]! & (1 << (i & 31))) !== 0;
const put = (bits: Uint32Array, i: number): void => { bits[i >>> 5] = bits[i >>> 5]! | (1 << (i & 31)); };
const idsOf = (e: Engine, bits: Uint32Array): Id[] => {
  const out: Id[] = [];
  for (let w = 0; w < bits.length; w++) {
    let word = bits[w]!;
    while (word !== 0) {
      const b = 31 - Math.clz32(word & -word);
      out.push(e.set.ids[(w << 5) + b]!);
      word &= word - 1;
    }
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// MyBA instance handlers (effects are handed back to the tumbler layer after the handler)

const newRound = (e: Engine): RoundRec => ({
  values: new Map(), valid: [], own: [], ownPayload: [], phase2: undefined, p2: new Uint32Array(e.set.words), p2Stake: 0n, mainVote: undefined,
});

const roundOf = (e: Engine, inst: Inst, r: number): RoundRec => {
  let rs = inst.rounds.get(r);
  if (rs === undefined) { rs = newRound(e); inst.rounds.set(r, rs); }
  return rs;
};

const valueOf = (e: Engine, rs: RoundRec, v: Value): ValueRec => {
  let vr = rs.values.get(v);
  if (vr === undefined) {
    const w = e.set.words;
    vr = { bval: new Uint32Array(w), bvalStake: 0n, prom: new Uint32Array(w), aux: new Uint32Array(w), qc: undefined };
    rs.values.set(v, vr);
  }
  return vr;
};

const setValid = (rs: RoundRec, vr: ValueRec, v: Value, qc: QuorumCertificate): void => {
  vr.qc = qc;
  rs.valid.push(v);
};

const send = (e: Engine, to: 'all' | Id, msg: Message): void => {
  if (to !== e.me) e.sends.push({ to, msg });
};

const sendBval = (e: Engine, inst: Inst, fx: Effect[], r: number, v: Value, valExist: boolean, to: 'all' | Id): void => {
  const msg = { type: 'bval', seq: inst.seq, proposer: inst.proposer, round: r, value: v, valExist } as const;
  const rs = roundOf(e, inst, r);
  rs.own.push(v);
  if (valExist) rs.ownPayload.push(v);
  send(e, to, msg);
  onBval(e, inst, fx, e.me, msg);
};

const endorse = (e: Engine, inst: Inst, fx: Effect[], h: Value, valExist: boolean): void => {
  if (inst.decided !== undefined) return;
  const r0 = roundOf(e, inst, 0);
  if (r0.own.length > 0) return;
  if (h === ZERO) switchPath(e, inst);
  if (inst.round !== 0 || r0.phase2 !== undefined) return;
  if ((r0.values.get(h)?.bvalStake ?? 0n) >= e.set.thresholds.quorum) return;
  sendBval(e, inst, fx, 0, h, valExist, inst.normal ? 'all' : inst.proposer);
  fx.push({ kind: 'endorsed' });
};

const latestMainVote = (inst: Inst): MainVote | undefined => {
  let best: MainVote | undefined;
  for (const rs of inst.rounds.values()) if (rs.mainVote !== undefined && (best === undefined || rs.mainVote.round > best.round)) best = rs.mainVote;
  return best;
};

/** Leaves the optimistic path once, re-broadcasting what went to the proposer only. */
const switchPath = (e: Engine, inst: Inst): void => {
  if (inst.normal) return;
  inst.normal = true;
  const cert = inst.decided?.cert ?? latestMainVote(inst);
  if (cert !== undefined) {
    send(e, 'all', { type: 'mainvote', seq: inst.seq, proposer: inst.proposer, cert });
    return;
  }
  const r0 = inst.rounds.get(0);
  if (r0 === undefined) return;
  if (r0.phase2 !== undefined) {
    const qc = r0.values.get(r0.phase2.value)!.qc!;
    send(e, 'all', { type: r0.phase2.kind, seq: inst.seq, proposer: inst.proposer, round: 0, value: r0.phase2.value, qc });
    return;
  }
  for (const v of r0.own) send(e, 'all', { type: 'bval', seq: inst.seq, proposer: inst.proposer, round: 0, value: v, valExist: r0.ownPayload.includes(v) });
};

const zeroVote = (e: Engine, inst: Inst, fx: Effect[]): void => {
  if (inst.round !== 0 || inst.zeroVoted) return;
  inst.zeroVoted = true;
  switchPath(e, inst);
  // In round 0 a main vote exists only together with a decision (a certificate either decides or
  // moves the instance past round 0).
  if (inst.decided !== undefined) return;
  const r0 = roundOf(e, inst, 0);
  if (r0.phase2 !== undefined || r0.own.includes(ZERO)) return;
  sendBval(e, inst, fx, 0, ZERO, false, 'all');
};

const replyDecided = (e: Engine, inst: Inst, from: Id): void => {
  send(e, from, { type: 'mainvote', seq: inst.seq, proposer: inst.proposer, cert: inst.decided!.cert });
};

const onBval = (e: Engine, inst: Inst, fx: Effect[], from: Id, m: { round: number; value: Value; valExist: boolean }): void => {
  if (inst.decided !== undefined) { replyDecided(e, inst, from); return; }
  if (m.round < inst.round) return;
  const rs = roundOf(e, inst, m.round);
  if (rs.phase2 !== undefined) return;
  const i = idx(e, from);
  const vr = valueOf(e, rs, m.value);
  if (has(vr.bval, i)) return;
  put(vr.bval, i);
  vr.bvalStake += e.set.stakes[i]!;
  if (m.round === 0 && m.valExist && from !== inst.proposer) {
    const list = inst.voters.get(m.value);
    if (list === undefined) inst.voters.set(m.value, [from]);
    else list.push(from);
  }
  if (m.round === inst.round) checkBval(e, inst, fx, m.value);
};

const phase2Kind = (rs: RoundRec, v: Value): 'prom' | 'aux' => (rs.own.some((x) => x !== v) ? 'aux' : 'prom');

const checkBval = (e: Engine, inst: Inst, fx: Effect[], v: Value): void => {
  const r = inst.round;
  const rs = roundOf(e, inst, r);
  const vr = rs.values.get(v);
  if (vr?.qc !== undefined) return;
  const stake = vr?.bvalStake ?? 0n;
  const t = e.set.thresholds;
  if (stake >= t.quorum) {
    if (rs.phase2 !== undefined) return;
    const qc: QuorumCertificate = { round: r, value: v, signers: idsOf(e, vr!.bval) };
    setValid(rs, vr!, v, qc);
    if (v === ZERO) switchPath(e, inst);
    const kind = phase2Kind(rs, v);
    castPhase2(e, inst, fx, kind, v, qc, kind === 'aux' || inst.proposer === e.me || inst.normal ? 'all' : inst.proposer);
    return;
  }
  if (stake <= t.fStake || rs.own.includes(v) || rs.phase2 !== undefined) return;
  if (r === 0) {
    if (rs.own.length === 0) fx.push({ kind: 'endorse-request', value: v });
  } else sendBval(e, inst, fx, r, v, false, 'all');
};

const castPhase2 = (e: Engine, inst: Inst, fx: Effect[], kind: 'prom' | 'aux', v: Value, qc: QuorumCertificate, to: 'all' | Id): void => {
  const rs = roundOf(e, inst, inst.round);
  rs.phase2 = { kind, value: v };
  const msg = { type: kind, seq: inst.seq, proposer: inst.proposer, round: inst.round, value: v, qc } as const;
  send(e, to, msg);
  onPhase2(e, inst, fx, e.me, msg);
};

const onPhase2 = (e: Engine, inst: Inst, fx: Effect[], from: Id, m: { type: 'prom' | 'aux'; round: number; value: Value; qc: QuorumCertificate }): void => {
  if (inst.decided !== undefined) { replyDecided(e, inst, from); return; }
  if (m.round < inst.round) return;
  const rs = roundOf(e, inst, m.round);
  const i = idx(e, from);
  const existing = rs.values.get(m.value);
  const votes = existing === undefined ? undefined : m.type === 'prom' ? existing.prom : existing.aux;
  if (votes !== undefined && has(votes, i)) return;
  const valid = existing?.qc !== undefined;
  if (from !== e.me && !valid && !checkQuorumCertificate(e.set, m.qc, m.round, m.value).ok) return;
  const vr = existing ?? valueOf(e, rs, m.value);
  put(m.type === 'prom' ? vr.prom : vr.aux, i);
  if (!has(rs.p2, i)) { put(rs.p2, i); rs.p2Stake += e.set.stakes[i]!; }
  if (!valid) setValid(rs, vr, m.value, m.qc);
  if (m.round !== inst.round) return;
  if (from !== e.me && rs.phase2 === undefined) {
    if (m.value === ZERO) switchPath(e, inst);
    const kind = phase2Kind(rs, m.value);
    castPhase2(e, inst, fx, kind, m.value, vr.qc!, from === inst.proposer && !inst.normal ? inst.proposer : 'all');
    if (inst.decided !== undefined || inst.round !== m.round) return;
  }
  checkMainVoteQuorum(e, inst, fx);
};

const checkMainVoteQuorum = (e: Engine, inst: Inst, fx: Effect[]): void => {
  const rs = roundOf(e, inst, inst.round);
  if (rs.mainVote !== undefined || rs.p2Stake < e.set.thresholds.quorum) return;
  const values = [...rs.valid].sort();
  // A validator that voted for two values appears once, under its first entry (PROM before AUX).
  const used = new Uint32Array(e.set.words);
  const entries = (kind: 'prom' | 'aux') => {
    const out: { value: Value; signers: Id[]; qc: QuorumCertificate }[] = [];
    for (const v of values) {
      const vr = rs.values.get(v)!;
      const bits = kind === 'prom' ? vr.prom : vr.aux;
      const fresh = new Uint32Array(bits.length);
      let any = false;
      for (let w = 0; w < bits.length; w++) {
        const word = bits[w]! & ~used[w]!;
        fresh[w] = word;
        used[w] = used[w]! | word;
        if (word !== 0) any = true;
      }
      if (any) out.push({ value: v, signers: idsOf(e, fresh), qc: vr.qc! });
    }
    return out;
  };
  const proms = entries('prom');
  const cert: MainVote = { round: inst.round, proms, auxes: entries('aux') };
  const msg = { type: 'mainvote', seq: inst.seq, proposer: inst.proposer, cert } as const;
  if (inst.proposer === e.me) send(e, 'all', msg);
  onMainVote(e, inst, fx, e.me, msg);
};

const decide = (inst: Inst, fx: Effect[], value: Value, round: number, fast: boolean, cert: MainVote): void => {
  if (inst.decided !== undefined) return;
  inst.decided = { value, round, fast, cert };
  fx.push({ kind: 'decided', decision: inst.decided });
};

const onMainVote = (e: Engine, inst: Inst, fx: Effect[], from: Id, m: Extract<Message, { type: 'mainvote' }>): void => {
  if (inst.decided !== undefined) return;
  const checked = checkMainVote(e.set, m.cert);
  if (!checked.ok) return;
  const cert = m.cert;
  const { values, purePromise } = checked.value;
  const existing = inst.rounds.get(cert.round);
  if (cert.round < inst.round || existing?.mainVote !== undefined) {
    if (values.length === 1) {
      const outcome = mainVoteOutcome(values, purePromise, e.coin(cert.round));
      if (outcome.kind === 'decide') {
        decide(inst, fx, outcome.value, cert.round, outcome.fast, cert);
        send(e, 'all', m);
      }
    }
    return;
  }
  const rs = existing ?? roundOf(e, inst, cert.round);
  rs.mainVote = cert;
  if (purePromise) {
    decide(inst, fx, values[0]!, cert.round, true, cert);
    if (from !== inst.proposer) send(e, 'all', m);
    return;
  }
  const merged = cert.round === inst.round ? [...values, ...rs.valid] : values;
  const outcome = mainVoteOutcome(merged, false, e.coin(cert.round));
  if (outcome.kind === 'decide') {
    decide(inst, fx, outcome.value, cert.round, false, cert);
    send(e, 'all', m);
    return;
  }
  const r = cert.round + 1;
  inst.round = r;
  // CONS-MYBA-NEXT-ROUND-FORWARD.1: forward a certificate received from another validator.
  if (from !== e.me && inst.normal) send(e, 'all', m);
  switchPath(e, inst);
  sendBval(e, inst, fx, r, outcome.estimate, false, 'all');
  // Votes and BVALs of the new round that arrived early count now.
  const next = roundOf(e, inst, r);
  if (next.phase2 === undefined && next.valid.length > 0) {
    let least = next.valid[0]!;
    for (const v of next.valid) if (v < least) least = v;
    castPhase2(e, inst, fx, phase2Kind(next, least), least, next.values.get(least)!.qc!, 'all');
  }
  for (const v of [...next.values.keys()].sort()) {
    if (inst.decided !== undefined || inst.round !== r) break;
    if (next.values.get(v)!.bvalStake === 0n) continue;
    checkBval(e, inst, fx, v);
  }
};

// ---------------------------------------------------------------------------------------------
// MyTumbler

const holds = (e: Engine, p: Id, h: Value): boolean => e.vals.get(p)?.has(h) === true;

const withInstance = (e: Engine, p: Id, run: (inst: Inst, fx: Effect[]) => void): void => {
  let inst = e.instances.get(p);
  if (inst === undefined) {
    inst = { seq: e.seq, proposer: p, round: 0, normal: e.routing === 'normal', zeroVoted: false, rounds: new Map(), voters: new Map(), decided: undefined };
    e.instances.set(p, inst);
  }
  const fx: Effect[] = [];
  run(inst, fx);
  for (const f of fx) {
    if (f.kind === 'endorsed') e.endorsed[idx(e, p)] = 1;
    else if (f.kind === 'endorse-request') onEndorseRequest(e, p, f.value);
    else onDecided(e, p, f.decision);
  }
};

const onEndorseRequest = (e: Engine, p: Id, h: Value): void => {
  if (e.passedMe) { voteZero(e, p); return; }
  withInstance(e, p, (inst, fx) => endorse(e, inst, fx, h, holds(e, p, h)));
};

const voteZero = (e: Engine, p: Id): void => {
  e.zeroVoted[idx(e, p)] = 1;
  withInstance(e, p, (inst, fx) => zeroVote(e, inst, fx));
};

const onDecided = (e: Engine, p: Id, d: Decision): void => {
  const i = idx(e, p);
  if (e.decided[i] !== undefined) return;
  e.decided[i] = d.value;
  if (e.skipped[i] === 0) {
    e.doneCount++;
    if (d.value !== ZERO) e.outputCount++;
  }
  e.outputs.push({ kind: 'decided', seq: e.seq, proposer: p, value: d.value, round: d.round, fast: d.fast });
  if (d.value !== ZERO) {
    e.nonZeroDecided++;
    if (e.nonZeroDecided === 1) checkCanSkip(e);
  }
  checkCanPass(e);
  checkComplete(e);
};

const pending = (e: Engine): Id[] => {
  const out: Id[] = [];
  for (let i = 0; i < e.n; i++) {
    if (e.dropped[i] === 1) continue;
    const d = e.decided[i];
    const p = e.set.ids[i]!;
    if (d === undefined ? e.tracked[i] === 1 || e.passStake >= e.set.thresholds.quorum : d !== ZERO && !holds(e, p, d)) out.push(p);
  }
  return out;
};

const nothingPending = (e: Engine): boolean => {
  for (let i = 0; i < e.n; i++) {
    if (e.dropped[i] === 1) continue;
    const d = e.decided[i];
    if (d === undefined ? e.tracked[i] === 1 || e.passStake >= e.set.thresholds.quorum : d !== ZERO && !holds(e, e.set.ids[i]!, d)) return false;
  }
  return true;
};

const checkCanSkip = (e: Engine): void => {
  if (e.proposed || !e.skipTimerExpired || e.nonZeroDecided === 0) return;
  e.proposed = true;
  e.sends.push({ to: 'all', msg: { type: 'skip', seq: e.seq } });
  onSkip(e, e.me);
};

const onSkip = (e: Engine, from: Id): void => {
  const i = idx(e, from);
  if (e.skipped[i] === 1) return;
  e.skipped[i] = 1;
  const d = e.decided[i];
  if (d === undefined) e.doneCount++;
  if (d === undefined || d === ZERO) e.outputCount++;
  checkCanPass(e);
};

const checkCanPass = (e: Engine): void => {
  if (e.passedMe) return;
  if (e.outputCount === e.n || e.doneCount === e.n) pass(e);
};

const pass = (e: Engine): void => {
  if (e.passedMe) return;
  e.proposed = true;
  const endorsed: Id[] = [];
  for (let i = 0; i < e.n; i++) if (e.endorsed[i] === 1) endorsed.push(e.set.ids[i]!);
  e.sends.push({ to: 'all', msg: { type: 'pass', seq: e.seq, endorsed } });
  onPass(e, e.me, endorsed);
};

const onPass = (e: Engine, from: Id, endorsed: readonly Id[]): void => {
  const i = idx(e, from);
  if (e.passFrom[i] === 1) return;
  e.passFrom[i] = 1;
  e.passOrder.push({ from, endorsed: from === e.me ? endorsed : [...new Set(endorsed)] });
  if (from === e.me) e.passedMe = true;
  const stake = e.set.stakes[i]!;
  e.passStake += stake;
  for (const p of new Set(endorsed)) {
    const j = idx(e, p);
    if (j >= 0) e.endorsingPassStake[j] = e.endorsingPassStake[j]! + stake;
  }
  const q = e.set.thresholds.quorum;
  if (e.passStake < q) return;
  for (const p of pending(e)) if (e.zeroVoted[idx(e, p)] === 0) voteZero(e, p);
  for (const p of pending(e)) {
    const j = idx(e, p);
    if (e.passStake - e.endorsingPassStake[j]! >= q) e.dropped[j] = 1;
  }
  checkComplete(e);
};

const checkComplete = (e: Engine): void => {
  if (e.passStake < e.set.thresholds.quorum || !nothingPending(e)) return;
  const vals: Val[] = [];
  const decisions: { proposer: Id; cert: MainVote }[] = [];
  for (let i = 0; i < e.n; i++) {
    const h = e.decided[i];
    if (h === undefined) continue;
    const p = e.set.ids[i]!;
    const cert = e.instances.get(p)?.decided?.cert;
    if (cert !== undefined) decisions.push({ proposer: p, cert });
    if (h === ZERO || e.dropped[i] === 1) continue;
    vals.push(e.vals.get(p)!.get(h)!);
  }
  emitBlock(e, vals, { seq: e.seq, passes: e.passOrder, decisions, proposals: vals });
};

const emitBlock = (e: Engine, vals: readonly Val[], completion: Completion): void => {
  const proposals = vals.map((val) => ({ proposer: val.proposer, timestamp: val.timestamp, txs: val.txs, voters: [...(e.instances.get(val.proposer)?.voters.get(val.hash) ?? [])] }));
  const ts = blockTimestamp({ last: e.lastTimestamp, timestamps: proposals.map((x) => x.timestamp), emptyAdvance: e.emptyAdvance });
  const timestamp = ts.ok ? ts.value : e.lastTimestamp + 1n;
  e.outputs.push({ kind: 'block', seq: e.seq, timestamp, proposals });
  const buffered = e.buffered;
  const held = e.vals;
  e.completions = [...e.completions, completion].slice(-e.syncHistory);
  freshSeqState(e, e.seq + 1, timestamp);
  e.previousVals = held;
  for (const b of buffered) handle(e, { kind: 'deliver', from: b.from, msg: b.msg });
};

const onVal = (e: Engine, from: Id, val: Val): void => {
  if (from !== val.proposer || idx(e, val.proposer) < 0) return;
  if ((e.vals.get(val.proposer)?.size ?? 0) > 0) return;
  if (val.hash !== proposalHash(val.seq, val.proposer, val.timestamp, val.txs)) return;
  if (e.validPayload !== undefined && !e.validPayload(val)) return;
  e.vals.set(val.proposer, new Map([[val.hash, val]]));
  const i = idx(e, val.proposer);
  if (e.decided[i] !== undefined) { checkComplete(e); return; }
  if (e.passStake < e.set.thresholds.quorum) e.tracked[i] = 1;
  withInstance(e, val.proposer, (inst, fx) => onBval(e, inst, fx, val.proposer, { round: 0, value: val.hash, valExist: true }));
  if (e.passedMe) voteZero(e, val.proposer);
  else withInstance(e, val.proposer, (inst, fx) => endorse(e, inst, fx, val.hash, true));
};

const onResponse = (e: Engine, val: Val): void => {
  const i = idx(e, val.proposer);
  if (i < 0) return;
  const d = e.decided[i];
  if (d === undefined || d !== val.hash || holds(e, val.proposer, d)) return;
  if (val.hash !== proposalHash(val.seq, val.proposer, val.timestamp, val.txs)) return;
  if (e.validPayload !== undefined && !e.validPayload(val)) return;
  const m = new Map(e.vals.get(val.proposer) ?? []);
  m.set(val.hash, val);
  e.vals.set(val.proposer, m);
  checkComplete(e);
};

/** The proposal input; none after a vote in the own instance. @spec CONS-TUMB-VAL.1 CONS-TUMB-VAL-AFTER-VOTE.1 */
const propose = (e: Engine, timestamp: bigint, txs: readonly string[]): void => {
  if (e.proposed || e.passedMe) return;
  e.proposed = true;
  const me = e.me;
  // No proposal once this validator has voted in its own instance (its VAL carries BVAL(0, H)).
  const mine = e.instances.get(me);
  const r0 = mine?.rounds.get(0);
  if (mine !== undefined && (mine.decided !== undefined || mine.round > 0 || (r0 !== undefined && (r0.own.length > 0 || r0.phase2 !== undefined)))) return;
  const val: Val = { seq: e.seq, proposer: me, timestamp, txs, hash: proposalHash(e.seq, me, timestamp, txs) };
  e.sends.push({ to: 'all', msg: { type: 'val', val } });
  e.vals.set(me, new Map([[val.hash, val]]));
  e.tracked[e.meIdx] = 1;
  withInstance(e, me, (inst, fx) => {
    const r0 = newRound(e);
    r0.own = [val.hash];
    r0.ownPayload = [val.hash];
    inst.rounds.set(0, r0);
    onBval(e, inst, fx, me, { round: 0, value: val.hash, valExist: true });
  });
  e.endorsed[e.meIdx] = 1;
};

const requestMissing = (e: Engine): void => {
  for (let i = 0; i < e.n; i++) {
    const h = e.decided[i];
    const p = e.set.ids[i]!;
    if (h === undefined || h === ZERO || holds(e, p, h)) continue;
    const voters = e.instances.get(p)?.voters.get(h) ?? [];
    const msg = { type: 'request', seq: e.seq, proposer: p, hash: h } as const;
    if (voters.length === 0) e.sends.push({ to: 'all', msg });
    else for (const v of voters) e.sends.push({ to: v, msg });
  }
};

const seqOf = (msg: Message): number => (msg.type === 'val' || msg.type === 'response' ? msg.val.seq : msg.type === 'sync' ? msg.completion.seq : msg.seq);

/** The block a completion certificate fixes, or undefined when it is not valid (the model's `checkCompletion`). @spec CONS-SYNC-CHECK.1 */
const checkCompletion = (e: Engine, c: Completion): { decisions: { proposer: Id; value: Value; round: number; fast: boolean }[]; vals: Val[] } | undefined => {
  if (c.seq !== e.seq) return undefined;
  const n = e.n;
  const signed = new Uint8Array(n);
  let passStake = 0n;
  const notEndorsing = new Array<bigint>(n).fill(0n);
  for (const p of c.passes) {
    const i = idx(e, p.from);
    if (i < 0 || signed[i] === 1) return undefined;
    signed[i] = 1;
    passStake += e.set.stakes[i]!;
    const listed = new Uint8Array(n);
    for (const q of p.endorsed) { const j = idx(e, q); if (j >= 0) listed[j] = 1; }
    for (let j = 0; j < n; j++) if (listed[j] === 0) notEndorsing[j] = notEndorsing[j]! + e.set.stakes[i]!;
  }
  const q = e.set.thresholds.quorum;
  if (passStake < q) return undefined;
  const decided = new Array<{ proposer: Id; value: Value; round: number; fast: boolean } | undefined>(n).fill(undefined);
  const order: number[] = [];
  for (const d of c.decisions) {
    const i = idx(e, d.proposer);
    if (i < 0 || decided[i] !== undefined) return undefined;
    const checked = checkMainVote(e.set, d.cert);
    if (!checked.ok) return undefined;
    const outcome = mainVoteOutcome(checked.value.values, checked.value.purePromise, e.coin(d.cert.round));
    if (outcome.kind !== 'decide') return undefined;
    decided[i] = { proposer: d.proposer, value: outcome.value, round: d.cert.round, fast: outcome.fast };
    order.push(i);
  }
  const byIdx = new Array<Val | undefined>(n).fill(undefined);
  for (const v of c.proposals) {
    const i = idx(e, v.proposer);
    if (i < 0 || byIdx[i] !== undefined) return undefined;
    if (v.seq !== e.seq || v.hash !== proposalHash(v.seq, v.proposer, v.timestamp, v.txs)) return undefined;
    if (decided[i]?.value !== v.hash) return undefined;
    if (e.validPayload !== undefined && !e.validPayload(v)) return undefined;
    byIdx[i] = v;
  }
  const vals: Val[] = [];
  for (let i = 0; i < n; i++) {
    const d = decided[i];
    if (d !== undefined && d.value !== ZERO) {
      const v = byIdx[i];
      if (v === undefined) return undefined;
      vals.push(v);
    } else if (d === undefined && notEndorsing[i]! < q) return undefined;
  }
  return { decisions: order.map((i) => decided[i]!), vals };
};

/** A valid completion certificate for the current sequence number: decide what it certifies, complete. @spec CONS-SYNC-ADOPT.1 */
const onSync = (e: Engine, c: Completion): void => {
  const checked = checkCompletion(e, c);
  if (checked === undefined) return;
  for (const d of checked.decisions) {
    const i = idx(e, d.proposer);
    if (e.decided[i] !== undefined) continue;
    e.decided[i] = d.value;
    e.outputs.push({ kind: 'decided', seq: e.seq, proposer: d.proposer, value: d.value, round: d.round, fast: d.fast });
  }
  emitBlock(e, checked.vals, c);
};

const handle = (e: Engine, event: NodeEvent): void => {
  if (event.kind === 'propose') { propose(e, event.timestamp, event.txs); return; }
  if (event.kind === 'timer') {
    switch (event.timer) {
      case 'skip': e.skipTimerExpired = true; checkCanSkip(e); return;
      case 'soft-pass': if (e.nonZeroDecided > 0) pass(e); return;
      case 'hard-pass': pass(e); return;
      default:
        requestMissing(e);
        // CONS-SYNC-REQUEST.1: a validator that has passed and is still here asks for the completion.
        if (e.passedMe) e.sends.push({ to: 'all', msg: { type: 'sync-request', seq: e.seq } });
        return;
    }
  }
  const { from, msg } = event;
  const fi = idx(e, from);
  if (fi < 0) return;
  if ('proposer' in msg && idx(e, msg.proposer) < 0) return;
  const seq = seqOf(msg);
  if (msg.type === 'sync-request') {
    if (seq >= e.seq) return;
    const completion = e.completions.find((c) => c.seq === seq);
    if (completion !== undefined) e.sends.push({ to: from, msg: { type: 'sync', completion } });
    return;
  }
  if (msg.type === 'sync') {
    if (seq === e.seq) onSync(e, msg.completion);
    return;
  }
  if (msg.type === 'request') {
    const source = seq === e.seq ? e.vals : seq === e.seq - 1 ? e.previousVals : undefined;
    const val = source?.get(msg.proposer)?.get(msg.hash);
    if (val !== undefined) e.sends.push({ to: from, msg: { type: 'response', val } });
    return;
  }
  if (seq === e.seq + 1) {
    if (e.bufferedPerSender[fi]! < e.bufferLimit) {
      e.bufferedPerSender[fi] = e.bufferedPerSender[fi]! + 1;
      e.buffered.push({ from, msg });
    }
    return;
  }
  if (seq !== e.seq) return;
  switch (msg.type) {
    case 'val': onVal(e, from, msg.val); return;
    case 'response': onResponse(e, msg.val); return;
    case 'skip': onSkip(e, from); return;
    case 'pass': onPass(e, from, msg.endorsed); return;
    case 'bval': withInstance(e, msg.proposer, (inst, fx) => onBval(e, inst, fx, from, msg)); return;
    case 'prom': case 'aux': withInstance(e, msg.proposer, (inst, fx) => onPhase2(e, inst, fx, from, msg)); return;
    case 'mainvote': withInstance(e, msg.proposer, (inst, fx) => onMainVote(e, inst, fx, from, msg)); return;
  }
};

/** One event: the messages to send and the outputs, in the model's order; the engine is updated in place. */
export const engineStep = (e: Engine, event: NodeEvent): { readonly sends: readonly Send<Message>[]; readonly outputs: readonly NodeOutput[] } => {
  e.sends = [];
  e.outputs = [];
  handle(e, event);
  return { sends: e.sends, outputs: e.outputs };
};

/** The model's `nodeStep` signature over an engine (which is updated in place and returned). */
export const nodeStep = (_config: NodeConfig, state: Engine, event: NodeEvent) => ({ state, ...engineStep(state, event) });

/** Messages held for the next sequence number (bounded by `bufferPerSender` per sender). */
export const bufferedCount = (e: Engine): number => e.buffered.length;
