/**
 * MyTumbler at one validator: the pure step function `nodeStep(config, state, event)` returning
 * the next state, the messages to send and the outputs (decisions and blocks). Events are message
 * deliveries, the local proposal input and timer expiries; the coin is the config's `coin`
 * function. Time never appears except as timer events and the proposal's timestamp input.
 *
 * @module
 */
import { keccak256, utf8, bytesToHex } from '../encoding/index.js';
import { type MainVote, type Value, ZERO, checkMainVote, mainVoteOutcome } from './certificate.js';
import { type Result, ok, fail } from '../encoding/result.js';
import { type BaMessage, type BaWork, type InstanceState, type MybaConfig, type Routing, type Send, cloneInstance, endorse, newInstance, onBval, onMainVote, onPhase2, zeroVote } from './myba.js';
import { type TxHash } from './ledger.js';
import { blockTimestamp, DEFAULT_EMPTY_ADVANCE_MS } from './timestamp.js';
import { type ValidatorId, type ValidatorSet, reachesQuorum, stakeOfSet } from './validators.js';

export interface Val {
  readonly seq: number;
  readonly proposer: ValidatorId;
  readonly timestamp: bigint;
  readonly txs: readonly TxHash[];
  readonly hash: Value;
}

/** A PASS message as evidence: its signer and endorsed set. */
export interface SignedPass {
  readonly from: ValidatorId;
  readonly endorsed: readonly ValidatorId[];
}

/**
 * The completion certificate of a sequence number: the PASS messages the completer received, the
 * decision certificate of every instance it decided (ascending proposer) and the proposals of its
 * block (ascending proposer).
 *
 * @spec CONS-SYNC-EVIDENCE.1
 */
export interface Completion {
  readonly seq: number;
  readonly passes: readonly SignedPass[];
  readonly decisions: readonly { readonly proposer: ValidatorId; readonly cert: MainVote }[];
  readonly proposals: readonly Val[];
}

export type TumblerMessage =
  | { readonly type: 'val'; readonly val: Val }
  | { readonly type: 'skip'; readonly seq: number }
  | { readonly type: 'pass'; readonly seq: number; readonly endorsed: readonly ValidatorId[] }
  | { readonly type: 'request'; readonly seq: number; readonly proposer: ValidatorId; readonly hash: Value }
  | { readonly type: 'response'; readonly val: Val }
  | { readonly type: 'sync-request'; readonly seq: number }
  | { readonly type: 'sync'; readonly completion: Completion };

export type Message = BaMessage | TumblerMessage;

export type Timer = 'skip' | 'soft-pass' | 'hard-pass' | 'request';

export type NodeEvent =
  | { readonly kind: 'deliver'; readonly from: ValidatorId; readonly msg: Message }
  | { readonly kind: 'propose'; readonly timestamp: bigint; readonly txs: readonly TxHash[] }
  | { readonly kind: 'timer'; readonly timer: Timer };

export interface BlockOutput {
  readonly kind: 'block';
  readonly seq: number;
  readonly timestamp: bigint;
  readonly proposals: readonly { readonly proposer: ValidatorId; readonly timestamp: bigint; readonly txs: readonly TxHash[]; readonly voters: readonly ValidatorId[] }[];
}

export type NodeOutput =
  | { readonly kind: 'decided'; readonly seq: number; readonly proposer: ValidatorId; readonly value: Value; readonly round: number; readonly fast: boolean }
  | BlockOutput;

export interface NodeConfig {
  readonly validators: ValidatorSet;
  readonly me: ValidatorId;
  readonly coin: (round: number) => 0 | 1;
  readonly routing: Routing;
  /** The host's validity check of a payload (CONS-TUMB-VAL-ACCEPT.1); accepts everything when absent. */
  readonly validPayload?: (val: Val) => boolean;
  /** Buffered messages for the next sequence number, per sender (CONS-TUMB-SEQ.1). */
  readonly bufferPerSender?: number;
  readonly emptyAdvance?: bigint;
  /** Completion certificates kept to answer SYNC-REQUEST (CONS-SYNC-ANSWER.1). */
  readonly syncHistory?: number;
}

export interface NodeState {
  seq: number;
  lastTimestamp: bigint;
  instances: Map<ValidatorId, InstanceState>;
  /** The first accepted VAL per proposer, and proposals retrieved later, by hash. */
  vals: Map<ValidatorId, Map<Value, Val>>;
  /** Proposers whose instance is pending because of an accepted VAL or an own proposal. */
  tracked: Set<ValidatorId>;
  proposed: boolean;
  endorsed: Set<ValidatorId>;
  skipped: Set<ValidatorId>;
  passes: Map<ValidatorId, readonly ValidatorId[]>;
  zeroVoted: Set<ValidatorId>;
  dropped: Set<ValidatorId>;
  decided: Map<ValidatorId, Value>;
  skipTimerExpired: boolean;
  /** Messages for seq + 1, in arrival order. */
  buffered: { from: ValidatorId; msg: Message }[];
  /** Proposals of the previous sequence number, kept to answer requests. */
  previousVals: Map<ValidatorId, Map<Value, Val>>;
  /** Completion certificates of the last completed sequence numbers, oldest first. */
  completions: readonly Completion[];
}

/** The state of a validator that has completed `lastSeq` with block timestamp `lastTimestamp`. */
export const initialNodeState = (lastSeq = 0, lastTimestamp = 0n): NodeState => ({
  seq: lastSeq + 1, lastTimestamp, instances: new Map(), vals: new Map(), tracked: new Set(), proposed: false,
  endorsed: new Set(), skipped: new Set(), passes: new Map(), zeroVoted: new Set(), dropped: new Set(),
  decided: new Map(), skipTimerExpired: false, buffered: [], previousVals: new Map(), completions: [],
});

/**
 * The hash of a proposal: keccak256 over the text `seq|proposer|timestamp|tx,tx,...`. The code
 * hashes its own byte encoding; what matters is that the hash binds all of them.
 *
 * @spec CONS-TUMB-VAL.1
 */
export const proposalHash = (seq: number, proposer: ValidatorId, timestamp: bigint, txs: readonly TxHash[]): Value =>
  bytesToHex(keccak256(utf8(`${seq}|${proposer}|${timestamp}|${txs.join(',')}`)));

interface Work {
  readonly config: NodeConfig;
  readonly ba: MybaConfig;
  readonly s: NodeState;
  readonly sends: Send<Message>[];
  readonly outputs: NodeOutput[];
  /** Instances already copied in this step (the others are still shared with the input state). */
  readonly owned: Set<ValidatorId>;
}

const proposers = (w: Work): readonly ValidatorId[] => w.config.validators.validators.map((v) => v.id);

const holds = (s: NodeState, p: ValidatorId, h: Value): boolean => s.vals.get(p)?.has(h) === true;

const passStake = (w: Work): bigint => stakeOfSet(w.config.validators, w.s.passes.keys());

const passed = (w: Work): boolean => w.s.passes.has(w.config.me);

/** Runs a MyBA handler on the node's copy of the instance and applies its effects. */
const withInstance = (w: Work, p: ValidatorId, run: (bw: BaWork) => void): void => {
  let inst = w.s.instances.get(p);
  if (inst === undefined || !w.owned.has(p)) {
    inst = inst === undefined ? newInstance(w.ba, w.s.seq, p) : cloneInstance(inst);
    w.s.instances.set(p, inst);
    w.owned.add(p);
  }
  const bw: BaWork = { config: w.ba, inst, sends: [], effects: [] };
  run(bw);
  w.sends.push(...bw.sends);
  for (const e of bw.effects) {
    if (e.kind === 'endorsed') w.s.endorsed.add(p);
    else if (e.kind === 'endorse-request') onEndorseRequest(w, p, e.value);
    else onDecided(w, p, e.decision.value, e.decision.round, e.decision.fast);
  }
};

/**
 * Round-0 BVALs from more than the faulty stake: endorse (with val_exist = whether the proposal is
 * held) unless already passed, in which case vote ZERO instead.
 *
 * @spec CONS-MYBA-ENDORSE.1 CONS-TUMB-NO-ENDORSE-AFTER-PASS.1
 */
const onEndorseRequest = (w: Work, p: ValidatorId, h: Value): void => {
  if (passed(w)) {
    voteZero(w, p);
    return;
  }
  withInstance(w, p, (bw) => endorse(bw, h, holds(w.s, p, h)));
};

const voteZero = (w: Work, p: ValidatorId): void => {
  w.s.zeroVoted.add(p);
  withInstance(w, p, zeroVote);
};

/** An instance decided: record it, and re-check skip, pass and completion. @spec CONS-TUMB-PENDING.1 */
const onDecided = (w: Work, p: ValidatorId, value: Value, round: number, fast: boolean): void => {
  if (w.s.decided.has(p)) return;
  w.s.decided.set(p, value);
  w.outputs.push({ kind: 'decided', seq: w.s.seq, proposer: p, value, round, fast });
  if (value !== ZERO && [...w.s.decided.values()].filter((v) => v !== ZERO).length === 1) checkCanSkip(w);
  checkCanPass(w);
  checkComplete(w);
};

/** @spec CONS-TUMB-PENDING.1 */
export const pendingProposers = (config: NodeConfig, s: NodeState): readonly ValidatorId[] =>
  config.validators.validators.map((v) => v.id).filter((p) => {
    if (s.dropped.has(p)) return false;
    const d = s.decided.get(p);
    // Once PASS stake reaches quorum every undecided instance that is not dropped is waited for:
    // other validators may have decided it although this one never saw its VAL.
    if (d === undefined) return s.tracked.has(p) || reachesQuorum(config.validators, s.passes.keys());
    return d !== ZERO && !holds(s, p, d);
  });

/** @spec CONS-TUMB-SKIP.1 */
const checkCanSkip = (w: Work): void => {
  if (w.s.proposed || !w.s.skipTimerExpired) return;
  if (![...w.s.decided.values()].some((v) => v !== ZERO)) return;
  w.s.proposed = true;
  w.sends.push({ to: 'all', msg: { type: 'skip', seq: w.s.seq } });
  onSkip(w, w.config.me);
};

const onSkip = (w: Work, from: ValidatorId): void => {
  if (w.s.skipped.has(from)) return;
  w.s.skipped.add(from);
  checkCanPass(w);
};

/**
 * Pass when every proposer is output (decided a hash or skipped) or every proposer's instance has
 * decided or skipped; the timers are events.
 *
 * @spec CONS-TUMB-PASS.1
 */
const checkCanPass = (w: Work): void => {
  if (passed(w)) return;
  const ps = proposers(w);
  const output = (p: ValidatorId): boolean => w.s.skipped.has(p) || (w.s.decided.has(p) && w.s.decided.get(p) !== ZERO);
  const done = (p: ValidatorId): boolean => w.s.skipped.has(p) || w.s.decided.has(p);
  if (ps.every(output) || ps.every(done)) pass(w);
};

/** Broadcast PASS with the endorsed set. @spec CONS-TUMB-PASS.1 CONS-TUMB-ENDORSED-SET.1 */
const pass = (w: Work): void => {
  if (passed(w)) return;
  if (!w.s.proposed) w.s.proposed = true; // no proposal for this seq after passing
  const endorsed = [...w.s.endorsed].sort((a, b) => a - b);
  w.sends.push({ to: 'all', msg: { type: 'pass', seq: w.s.seq, endorsed } });
  onPass(w, w.config.me, endorsed);
};

/**
 * With PASS from a quorum: ZERO votes in every pending instance, then the drop rule, then
 * completion.
 *
 * @spec CONS-TUMB-QUORUM-PASS.1 CONS-TUMB-DROP.1
 */
const onPass = (w: Work, from: ValidatorId, endorsed: readonly ValidatorId[]): void => {
  if (w.s.passes.has(from)) return;
  w.s.passes.set(from, endorsed);
  if (!reachesQuorum(w.config.validators, w.s.passes.keys())) return;
  for (const p of pendingProposers(w.config, w.s)) {
    if (!w.s.zeroVoted.has(p)) voteZero(w, p);
  }
  for (const p of pendingProposers(w.config, w.s)) {
    const notEndorsing = [...w.s.passes].filter(([, e]) => !e.includes(p)).map(([q]) => q);
    if (reachesQuorum(w.config.validators, notEndorsing)) w.s.dropped.add(p);
  }
  checkComplete(w);
};

/**
 * Complete the sequence number: block of decided hashes in proposer order, median timestamp,
 * then move on and replay what was buffered for the next one.
 *
 * @spec CONS-TUMB-COMPLETE.1 CONS-TUMB-OUTPUT.1 CONS-TUMB-TIMESTAMP.1
 */
const checkComplete = (w: Work): void => {
  if (passStake(w) < w.config.validators.thresholds.quorum) return;
  if (pendingProposers(w.config, w.s).length > 0) return;
  const s = w.s;
  const included = [...s.decided].filter(([p, v]) => v !== ZERO && !s.dropped.has(p)).sort((a, b) => a[0] - b[0]);
  const vals = included.map(([p, h]) => s.vals.get(p)!.get(h)!);
  const decisions = proposers(w).flatMap((p) => {
    const cert = s.decided.has(p) ? s.instances.get(p)?.decided?.cert : undefined;
    return cert === undefined ? [] : [{ proposer: p, cert }];
  });
  const passes = [...s.passes].map(([from, endorsed]) => ({ from, endorsed }));
  emitBlock(w, vals, { seq: s.seq, passes, decisions, proposals: vals });
};

/** Emits the block of the current sequence number with these proposals, then moves on. */
const emitBlock = (w: Work, vals: readonly Val[], completion: Completion): void => {
  const s = w.s;
  const proposals = vals.map((val) => ({ proposer: val.proposer, timestamp: val.timestamp, txs: val.txs, voters: [...(s.instances.get(val.proposer)?.voters.get(val.hash) ?? [])] }));
  const ts = blockTimestamp({ last: s.lastTimestamp, timestamps: proposals.map((q) => q.timestamp), emptyAdvance: w.config.emptyAdvance ?? DEFAULT_EMPTY_ADVANCE_MS });
  // Timestamps come from accepted VALs, which are u64 by construction; the fallback keeps the model total.
  const timestamp = ts.ok ? ts.value : s.lastTimestamp + 1n;
  w.outputs.push({ kind: 'block', seq: s.seq, timestamp, proposals });
  const buffered = s.buffered;
  const next = initialNodeState(s.seq, timestamp);
  next.previousVals = s.vals;
  next.completions = [...s.completions, completion].slice(-(w.config.syncHistory ?? 8));
  Object.assign(s, next);
  w.owned.clear();
  for (const b of buffered) handle(w, { kind: 'deliver', from: b.from, msg: b.msg });
};

const seqOf = (msg: Message): number => (msg.type === 'val' || msg.type === 'response' ? msg.val.seq : msg.type === 'sync' ? msg.completion.seq : msg.seq);

/** What a checked completion certificate fixes: the decision of each instance it certifies and the block's proposals. */
export interface CheckedCompletion {
  readonly decisions: readonly { readonly proposer: ValidatorId; readonly value: Value; readonly round: number; readonly fast: boolean }[];
  readonly proposals: readonly Val[];
}

/**
 * A completion certificate for sequence number `seq` is valid when its PASS signers are distinct
 * validators holding `quorum` stake; every decision certificate is valid, decides by itself (fast
 * path or coin) and names a distinct validator; every proposal is the one its proposer's instance
 * decided, with a correct hash, valid; and every validator is accounted for: decided a hash (its
 * proposal present), decided ZERO, or dropped by the PASS signers (those not endorsing it hold
 * `quorum`). A correct validator that completes `seq` emits exactly the block it fixes.
 *
 * @spec CONS-SYNC-EVIDENCE.1 CONS-SYNC-CHECK.1
 */
export const checkCompletion = (config: NodeConfig, seq: number, c: Completion): Result<CheckedCompletion> => {
  const set = config.validators;
  if (c.seq !== seq) return fail('Consensus.Sync.WRONG_SEQ', `the completion is for sequence number ${c.seq}, not ${seq}`);
  const signers = new Set<ValidatorId>();
  for (const [i, p] of c.passes.entries()) {
    if (!set.stakeOf.has(p.from)) return fail('Consensus.Sync.UNKNOWN_SIGNER', `passes[${i}]: ${p.from} is not a validator`);
    if (signers.has(p.from)) return fail('Consensus.Sync.DUPLICATE_SIGNER', `passes[${i}]: ${p.from} signs twice`);
    signers.add(p.from);
  }
  if (!reachesQuorum(set, signers)) return fail('Consensus.Sync.NO_QUORUM', `the PASS signers hold ${stakeOfSet(set, signers)}, quorum is ${set.thresholds.quorum}`);
  const decided = new Map<ValidatorId, CheckedCompletion['decisions'][number]>();
  for (const [i, d] of c.decisions.entries()) {
    if (!set.stakeOf.has(d.proposer)) return fail('Consensus.Sync.UNKNOWN_PROPOSER', `decisions[${i}]: ${d.proposer} is not a validator`);
    if (decided.has(d.proposer)) return fail('Consensus.Sync.DUPLICATE_DECISION', `decisions[${i}]: a second certificate for ${d.proposer}`);
    const checked = checkMainVote(set, d.cert);
    if (!checked.ok) return fail('Consensus.Sync.BAD_CERTIFICATE', `decisions[${i}]: ${checked.error.message}`);
    const outcome = mainVoteOutcome(checked.value.values, checked.value.purePromise, config.coin(d.cert.round));
    if (outcome.kind !== 'decide') return fail('Consensus.Sync.NOT_DECIDING', `decisions[${i}]: the certificate of round ${d.cert.round} decides nothing`);
    decided.set(d.proposer, { proposer: d.proposer, value: outcome.value, round: d.cert.round, fast: outcome.fast });
  }
  const byProposer = new Map<ValidatorId, Val>();
  for (const [i, v] of c.proposals.entries()) {
    if (byProposer.has(v.proposer)) return fail('Consensus.Sync.DUPLICATE_PROPOSAL', `proposals[${i}]: a second proposal of ${v.proposer}`);
    if (v.seq !== seq || v.hash !== proposalHash(v.seq, v.proposer, v.timestamp, v.txs)) return fail('Consensus.Sync.BAD_PROPOSAL', `proposals[${i}]: the hash does not match the contents`);
    if (decided.get(v.proposer)?.value !== v.hash) return fail('Consensus.Sync.UNDECIDED_PROPOSAL', `proposals[${i}]: ${v.proposer}'s instance is not certified to decide this hash`);
    if (config.validPayload !== undefined && !config.validPayload(v)) return fail('Consensus.Sync.INVALID_PAYLOAD', `proposals[${i}]: the payload is not valid`);
    byProposer.set(v.proposer, v);
  }
  const proposals: Val[] = [];
  for (const { id: p } of set.validators) {
    const d = decided.get(p);
    if (d !== undefined && d.value !== ZERO) {
      const v = byProposer.get(p);
      if (v === undefined) return fail('Consensus.Sync.MISSING_PROPOSAL', `${p}'s instance decided a hash whose proposal is missing`);
      proposals.push(v);
    } else if (d === undefined) {
      const notEndorsing = c.passes.filter((x) => !x.endorsed.includes(p)).map((x) => x.from);
      if (!reachesQuorum(set, notEndorsing)) return fail('Consensus.Sync.UNDETERMINED', `${p}'s instance is neither decided nor dropped`);
    }
  }
  return ok({ decisions: [...decided.values()], proposals });
};

/**
 * A completion certificate for the current sequence number: when valid, the validator decides the
 * instances it certifies and has not decided, and completes with the certified block.
 *
 * @spec CONS-SYNC-ADOPT.1
 */
const onSync = (w: Work, c: Completion): void => {
  const checked = checkCompletion(w.config, w.s.seq, c);
  if (!checked.ok) return;
  for (const d of checked.value.decisions) {
    if (w.s.decided.has(d.proposer)) continue;
    w.s.decided.set(d.proposer, d.value);
    w.outputs.push({ kind: 'decided', seq: w.s.seq, proposer: d.proposer, value: d.value, round: d.round, fast: d.fast });
  }
  emitBlock(w, checked.value.proposals, c);
};

/**
 * A VAL: from its proposer, for a validator, with a correct hash, valid, and the first from that
 * proposer; it carries the proposer's BVAL(0, H). Then endorse, or vote ZERO after passing.
 *
 * @spec CONS-TUMB-VAL-ACCEPT.1 CONS-TUMB-NO-ENDORSE-AFTER-PASS.1
 */
const onVal = (w: Work, from: ValidatorId, val: Val): void => {
  const s = w.s;
  if (from !== val.proposer || !w.config.validators.stakeOf.has(val.proposer)) return;
  if (val.hash !== proposalHash(val.seq, val.proposer, val.timestamp, val.txs)) return;
  if ((s.vals.get(val.proposer)?.size ?? 0) > 0) return;
  if (w.config.validPayload !== undefined && !w.config.validPayload(val)) return;
  s.vals.set(val.proposer, new Map([[val.hash, val]]));
  const d = s.decided.get(val.proposer);
  if (d !== undefined) {
    checkComplete(w);
    return;
  }
  if (passStake(w) < w.config.validators.thresholds.quorum) s.tracked.add(val.proposer);
  const embedded: BaMessage = { type: 'bval', seq: val.seq, proposer: val.proposer, round: 0, value: val.hash, valExist: true };
  withInstance(w, val.proposer, (bw) => onBval(bw, val.proposer, embedded));
  if (passed(w)) voteZero(w, val.proposer);
  else withInstance(w, val.proposer, (bw) => endorse(bw, val.hash, true));
};

/** A retrieved proposal is accepted only for a decided hash it matches. @spec CONS-TUMB-RETRIEVE.1 */
const onResponse = (w: Work, val: Val): void => {
  const d = w.s.decided.get(val.proposer);
  if (d === undefined || d !== val.hash || holds(w.s, val.proposer, d)) return;
  if (val.hash !== proposalHash(val.seq, val.proposer, val.timestamp, val.txs)) return;
  if (w.config.validPayload !== undefined && !w.config.validPayload(val)) return;
  const m = new Map(w.s.vals.get(val.proposer) ?? []);
  m.set(val.hash, val);
  w.s.vals.set(val.proposer, m);
  checkComplete(w);
};

/**
 * A validator that has already voted in its own instance (a round-0 BVAL, such as ZERO after
 * messages that arrived before its proposal input, a phase-2 vote, or a later round) does not
 * propose: its VAL carries its BVAL(0, H), which would be a second round-0 value after the first
 * (CONS-MYBA-ENDORSE.1) or a BVAL after its PROM (CONS-MYBA-PHASE2-STOP.1).
 *
 * @spec CONS-TUMB-VAL.1 CONS-TUMB-VAL-AFTER-VOTE.1 CONS-MYBA-ENDORSE.1 CONS-MYBA-PHASE2-STOP.1
 */
const propose = (w: Work, timestamp: bigint, txs: readonly TxHash[]): void => {
  if (w.s.proposed || passed(w)) return;
  w.s.proposed = true;
  const me = w.config.me;
  const mine = w.s.instances.get(me);
  const r0 = mine?.rounds.get(0);
  if (mine !== undefined && (mine.decided !== undefined || mine.round > 0 || (r0 !== undefined && (r0.own.length > 0 || r0.phase2 !== undefined)))) return;
  const val: Val = { seq: w.s.seq, proposer: me, timestamp, txs, hash: proposalHash(w.s.seq, me, timestamp, txs) };
  w.sends.push({ to: 'all', msg: { type: 'val', val } });
  w.s.vals.set(me, new Map([[val.hash, val]]));
  w.s.tracked.add(me);
  const own: BaMessage = { type: 'bval', seq: val.seq, proposer: me, round: 0, value: val.hash, valExist: true };
  withInstance(w, me, (bw) => {
    bw.inst.rounds.set(0, { bvals: new Map(), own: [val.hash], ownWithPayload: [val.hash], valid: new Map(), proms: new Map(), auxes: new Map() });
    onBval(bw, me, own);
  });
  w.s.endorsed.add(me);
};

/** Requests the payload of every decided hash not held. @spec CONS-TUMB-RETRIEVE.1 */
const requestMissing = (w: Work): void => {
  for (const [p, h] of [...w.s.decided].sort((a, b) => a[0] - b[0])) {
    if (h === ZERO || holds(w.s, p, h)) continue;
    const voters = w.s.instances.get(p)?.voters.get(h) ?? [];
    const msg: TumblerMessage = { type: 'request', seq: w.s.seq, proposer: p, hash: h };
    if (voters.length === 0) w.sends.push({ to: 'all', msg });
    else for (const v of voters) w.sends.push({ to: v, msg });
  }
};

/**
 * On the request timer, a validator that has passed its current sequence number asks every
 * validator for that sequence number's completion certificate.
 *
 * @spec CONS-SYNC-REQUEST.1
 */
const syncRequest = (w: Work): void => {
  if (passed(w)) w.sends.push({ to: 'all', msg: { type: 'sync-request', seq: w.s.seq } });
};

/** A SYNC-REQUEST for a sequence number this validator completed and still keeps is answered. @spec CONS-SYNC-ANSWER.1 */
const answerSync = (w: Work, from: ValidatorId, seq: number): void => {
  if (seq >= w.s.seq) return;
  const completion = w.s.completions.find((c) => c.seq === seq);
  if (completion !== undefined) w.sends.push({ to: from, msg: { type: 'sync', completion } });
};

const handle = (w: Work, event: NodeEvent): void => {
  const s = w.s;
  if (event.kind === 'propose') return propose(w, event.timestamp, event.txs);
  if (event.kind === 'timer') {
    if (event.timer === 'skip') {
      s.skipTimerExpired = true;
      checkCanSkip(w);
    } else if (event.timer === 'soft-pass') {
      if ([...s.decided.values()].some((v) => v !== ZERO)) pass(w);
    } else if (event.timer === 'hard-pass') pass(w);
    else {
      requestMissing(w);
      syncRequest(w);
    }
    return;
  }
  const { from, msg } = event;
  if (!w.config.validators.stakeOf.has(from)) return;
  // Messages naming a proposer that is not a validator belong to no instance (checked here so
  // that buffered messages replayed on completion are filtered too).
  if ('proposer' in msg && !w.config.validators.stakeOf.has(msg.proposer)) return;
  const seq = seqOf(msg);
  if (msg.type === 'sync-request') return answerSync(w, from, msg.seq);
  if (msg.type === 'sync') {
    if (seq === s.seq) onSync(w, msg.completion);
    return;
  }
  if (msg.type === 'request') {
    const source = seq === s.seq ? s.vals : seq === s.seq - 1 ? s.previousVals : undefined;
    const val = source?.get(msg.proposer)?.get(msg.hash);
    if (val !== undefined) w.sends.push({ to: from, msg: { type: 'response', val } });
    return;
  }
  if (seq === s.seq + 1) {
    // CONS-TUMB-SEQ.1: bounded buffer for the next sequence number.
    const limit = w.config.bufferPerSender ?? 64;
    if (s.buffered.filter((b) => b.from === from).length < limit) s.buffered.push({ from, msg });
    return;
  }
  if (seq !== s.seq) return;
  switch (msg.type) {
    case 'val': return onVal(w, from, msg.val);
    case 'response': return onResponse(w, msg.val);
    case 'skip': return onSkip(w, from);
    case 'pass': return onPass(w, from, [...new Set(msg.endorsed)]);
    case 'bval': return withInstance(w, msg.proposer, (bw) => onBval(bw, from, msg));
    case 'prom': case 'aux': return withInstance(w, msg.proposer, (bw) => onPhase2(bw, from, msg));
    case 'mainvote': return withInstance(w, msg.proposer, (bw) => onMainVote(bw, from, msg));
  }
};

/**
 * The working copy of a state for one step: every collection the step may change is copied, but
 * the instances (the bulk of the state) are shared until `withInstance` first touches them, and
 * proposals, PASS sets and buffered messages are immutable values shared as they are.
 */
const copyState = (s: NodeState): NodeState => ({
  ...s,
  instances: new Map(s.instances), vals: new Map(s.vals), tracked: new Set(s.tracked), endorsed: new Set(s.endorsed),
  skipped: new Set(s.skipped), passes: new Map(s.passes), zeroVoted: new Set(s.zeroVoted), dropped: new Set(s.dropped),
  decided: new Map(s.decided), buffered: [...s.buffered],
});

/**
 * The per-validator step function: `(state, event) -> (state, messages, outputs)`. The input
 * state is not changed; the returned state is a new value sharing unchanged parts with it.
 *
 * @spec CONS-TUMB-SEQ.1
 */
export const nodeStep = (config: NodeConfig, state: NodeState, event: NodeEvent): { readonly state: NodeState; readonly sends: readonly Send<Message>[]; readonly outputs: readonly NodeOutput[] } => {
  const ba: MybaConfig = { validators: config.validators, me: config.me, coin: config.coin, routing: config.routing };
  const w: Work = { config, ba, s: copyState(state), sends: [], outputs: [], owned: new Set() };
  handle(w, event);
  return { state: w.s, sends: w.sends, outputs: w.outputs };
};

export type { MainVote };
