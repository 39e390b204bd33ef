/**
 * MyBA: one binary agreement instance (seq, proposer) at one validator, over {H, ZERO}.
 *
 * `mybaStep(config, instance, event)` is the pure step function of a single instance. Internally a
 * step works on a private copy of the instance (the handlers below mutate only that copy), so the
 * caller's state is never changed; `node.ts` runs the same handlers on its own copy.
 *
 * @module
 */
import { type MainVote, type QuorumCertificate, type Value, ZERO, checkMainVote, checkQuorumCertificate, mainVoteOutcome } from './certificate.js';
import { type ValidatorId, type ValidatorSet, exceedsFaulty, reachesQuorum } from './validators.js';

export type Routing = 'optimistic' | 'normal';

/** Messages of one instance. Signatures are their senders; aggregates are signer sets. */
export type BaMessage =
  | { readonly type: 'bval'; readonly seq: number; readonly proposer: ValidatorId; readonly round: number; readonly value: Value; readonly valExist: boolean }
  | { readonly type: 'prom' | 'aux'; readonly seq: number; readonly proposer: ValidatorId; readonly round: number; readonly value: Value; readonly qc: QuorumCertificate }
  | { readonly type: 'mainvote'; readonly seq: number; readonly proposer: ValidatorId; readonly cert: MainVote };

/** `all` is every validator except the sender (a validator handles its own messages directly). */
export interface Send<M> {
  readonly to: 'all' | ValidatorId;
  readonly msg: M;
}

export interface RoundState {
  /** Senders of each BVAL value received in this round (own BVALs included). */
  bvals: Map<Value, Set<ValidatorId>>;
  /** The values this validator has sent BVAL for in this round. */
  own: Value[];
  /** The subset of `own` sent with val_exist = 1. */
  ownWithPayload: Value[];
  /** valid_values[r] with the QC that made each value valid. */
  valid: Map<Value, QuorumCertificate>;
  phase2?: { kind: 'prom' | 'aux'; value: Value };
  proms: Map<Value, Set<ValidatorId>>;
  auxes: Map<Value, Set<ValidatorId>>;
  mainVote?: MainVote;
}

export interface Decision {
  readonly value: Value;
  readonly round: number;
  readonly fast: boolean;
  readonly cert: MainVote;
}

export interface InstanceState {
  readonly seq: number;
  readonly proposer: ValidatorId;
  round: number;
  normalPath: boolean;
  /** The ZERO vote of round 0 has been cast (CONS-MYBA-ZERO-VOTE.1: once). */
  zeroVoted: boolean;
  rounds: Map<number, RoundState>;
  /** Senders of BVAL(0, v) with val_exist = 1 other than the proposer (payload holders). */
  voters: Map<Value, ValidatorId[]>;
  decided?: Decision;
}

export interface MybaConfig {
  readonly validators: ValidatorSet;
  readonly me: ValidatorId;
  readonly coin: (round: number) => 0 | 1;
  /** The path a new instance starts on. */
  readonly routing: Routing;
}

/** What the tumbler layer must know about after a handler ran. */
export type BaEffect =
  | { readonly kind: 'endorse-request'; readonly value: Value }
  | { readonly kind: 'endorsed'; readonly value: Value }
  | { readonly kind: 'decided'; readonly decision: Decision };

/** The mutable working context of one step: the copy being edited and what the step produced. */
export interface BaWork {
  readonly config: MybaConfig;
  readonly inst: InstanceState;
  readonly sends: Send<BaMessage>[];
  readonly effects: BaEffect[];
}

/** A fresh instance in round 0 on the configured path. @spec CONS-MYBA-INSTANCE.1 */
export const newInstance = (config: MybaConfig, seq: number, proposer: ValidatorId): InstanceState => ({
  seq, proposer, round: 0, normalPath: config.routing === 'normal', zeroVoted: false, rounds: new Map(), voters: new Map(),
});

const roundOf = (inst: InstanceState, r: number): RoundState => {
  let rs = inst.rounds.get(r);
  if (rs === undefined) {
    rs = { bvals: new Map(), own: [], ownWithPayload: [], valid: new Map(), proms: new Map(), auxes: new Map() };
    inst.rounds.set(r, rs);
  }
  return rs;
};

const addTo = <K, V>(m: Map<K, Set<V>>, k: K, v: V): void => {
  const s = m.get(k);
  if (s === undefined) m.set(k, new Set([v]));
  else s.add(v);
};

const send = (w: BaWork, to: 'all' | ValidatorId, msg: BaMessage): void => {
  if (to !== w.config.me) w.sends.push({ to, msg });
};

const header = (inst: InstanceState) => ({ seq: inst.seq, proposer: inst.proposer });

/** Sends BVAL(r, v) on the instance's path and handles it locally. @spec CONS-MYBA-BVAL.1 */
const sendBval = (w: BaWork, r: number, v: Value, valExist: boolean, to: 'all' | ValidatorId): void => {
  const msg: BaMessage = { type: 'bval', ...header(w.inst), round: r, value: v, valExist };
  roundOf(w.inst, r).own.push(v);
  if (valExist) roundOf(w.inst, r).ownWithPayload.push(v);
  send(w, to, msg);
  onBval(w, w.config.me, msg);
};

/**
 * Endorsing H in round 0 (also the proposer's own BVAL, and ZERO when asked to): at most one hash,
 * never after a phase-2 vote, never once a QC for the value is already known.
 *
 * @spec CONS-MYBA-ENDORSE.1 CONS-TUMB-ROUTING.1
 */
export const endorse = (w: BaWork, h: Value, valExist: boolean): void => {
  const inst = w.inst;
  if (inst.decided !== undefined) return;
  const r0 = roundOf(inst, 0);
  if (r0.own.length > 0) return; // already BVAL'd h, or another value (ZERO included)
  if (h === ZERO) switchToNormalPath(w);
  if (inst.round !== 0 || r0.phase2 !== undefined) return;
  if (reachesQuorum(w.config.validators, r0.bvals.get(h) ?? [])) return;
  sendBval(w, 0, h, valExist, inst.normalPath ? 'all' : inst.proposer);
  w.effects.push({ kind: 'endorsed', value: h });
};

/** The main-vote certificate of the highest round that has one. */
const latestMainVote = (inst: InstanceState): MainVote | undefined => {
  let best: MainVote | undefined;
  for (const rs of inst.rounds.values()) if (rs.mainVote !== undefined && (best === undefined || rs.mainVote.round > best.round)) best = rs.mainVote;
  return best;
};

/**
 * Leaves the optimistic path, once: what was sent to the proposer only is re-broadcast, because
 * from now on nobody relays it (a crashed or withholding proposer would otherwise swallow it).
 * That is the decision certificate or the latest main-vote certificate if there is one, else the
 * phase-2 vote of round 0, else the own BVAL(0, ·) messages.
 *
 * @spec CONS-TUMB-ROUTING-SWITCH.1
 */
export const switchToNormalPath = (w: BaWork): void => {
  const inst = w.inst;
  if (inst.normalPath) return;
  inst.normalPath = true;
  const cert = inst.decided?.cert ?? latestMainVote(inst);
  if (cert !== undefined) {
    send(w, 'all', { type: 'mainvote', ...header(inst), cert });
    return;
  }
  const r0 = inst.rounds.get(0);
  if (r0 === undefined) return;
  if (r0.phase2 !== undefined) {
    send(w, 'all', { type: r0.phase2.kind, ...header(inst), round: 0, value: r0.phase2.value, qc: r0.valid.get(r0.phase2.value)! });
    return;
  }
  for (const v of r0.own) send(w, 'all', { type: 'bval', ...header(inst), round: 0, value: v, valExist: r0.ownWithPayload.includes(v) });
};

/**
 * The ZERO vote of round 0, once per instance; it also switches the instance to the normal path
 * (re-broadcasting what was sent to the proposer only); then, unless a certificate or a phase-2
 * vote already exists, it broadcasts BVAL(0, ZERO) if not already sent.
 *
 * @spec CONS-MYBA-ZERO-VOTE.1 CONS-TUMB-ROUTING-SWITCH.1
 */
export const zeroVote = (w: BaWork): void => {
  const inst = w.inst;
  if (inst.round !== 0 || inst.zeroVoted) return;
  inst.zeroVoted = true;
  switchToNormalPath(w);
  if (inst.decided !== undefined || latestMainVote(inst) !== undefined) return;
  const r0 = roundOf(inst, 0);
  if (r0.phase2 !== undefined || r0.own.includes(ZERO)) return;
  sendBval(w, 0, ZERO, false, 'all');
};

/**
 * A received BVAL: ignored for rounds already left, after this validator's phase-2 vote of that
 * round, and from a sender already counted; otherwise counted, and the current round re-checked.
 *
 * @spec CONS-MYBA-BVAL.1 CONS-MYBA-PHASE2-STOP.1 CONS-VAL-COUNT.1
 */
export const onBval = (w: BaWork, from: ValidatorId, m: Extract<BaMessage, { type: 'bval' }>): void => {
  const inst = w.inst;
  if (inst.decided !== undefined) {
    send(w, from, { type: 'mainvote', ...header(inst), cert: inst.decided.cert });
    return;
  }
  if (m.round < inst.round) return;
  const rs = roundOf(inst, m.round);
  if (rs.phase2 !== undefined) return;
  if (rs.bvals.get(m.value)?.has(from) === true) return;
  addTo(rs.bvals, m.value, from);
  if (m.round === 0 && m.valExist && from !== inst.proposer) {
    inst.voters.set(m.value, [...(inst.voters.get(m.value) ?? []), from]);
  }
  if (m.round === inst.round) checkBval(w, m.value);
};

/**
 * Thresholds on BVAL(r, v) in the current round: a quorum forms QC(r, v) and triggers the phase-2
 * vote; more than the faulty stake triggers endorsement in round 0 and amplification later.
 *
 * @spec CONS-MYBA-QC.1 CONS-MYBA-PHASE2.1 CONS-MYBA-AMPLIFY.1 CONS-MYBA-ENDORSE.1
 */
const checkBval = (w: BaWork, v: Value): void => {
  const inst = w.inst;
  const r = inst.round;
  const rs = roundOf(inst, r);
  if (rs.valid.has(v)) return;
  const senders = rs.bvals.get(v) ?? new Set<ValidatorId>();
  if (reachesQuorum(w.config.validators, senders)) {
    if (rs.phase2 !== undefined) return;
    const qc: QuorumCertificate = { round: r, value: v, signers: [...senders].sort((a, b) => a - b) };
    rs.valid.set(v, qc);
    if (v === ZERO) switchToNormalPath(w);
    const kind = rs.own.some((x) => x !== v) ? 'aux' : 'prom';
    const to = kind === 'aux' || inst.proposer === w.config.me || inst.normalPath ? 'all' : inst.proposer;
    castPhase2(w, kind, v, qc, to);
    return;
  }
  if (!exceedsFaulty(w.config.validators, senders) || rs.own.includes(v) || rs.phase2 !== undefined) return;
  if (r === 0) {
    if (rs.own.length === 0) w.effects.push({ kind: 'endorse-request', value: v });
  } else {
    sendBval(w, r, v, false, 'all');
  }
};

const castPhase2 = (w: BaWork, kind: 'prom' | 'aux', v: Value, qc: QuorumCertificate, to: 'all' | ValidatorId): void => {
  const inst = w.inst;
  const rs = roundOf(inst, inst.round);
  rs.phase2 = { kind, value: v };
  const msg: BaMessage = { type: kind, ...header(inst), round: inst.round, value: v, qc };
  send(w, to, msg);
  onPhase2(w, w.config.me, msg);
};

/**
 * A received PROM or AUX: its QC must verify unless the value is already valid; the vote is
 * counted, the value becomes valid, and in the current round this validator casts its own
 * phase-2 vote (if it has none) and checks for a main-vote quorum.
 *
 * @spec CONS-MYBA-PHASE2.1 CONS-MYBA-QC.1 CONS-MYBA-MAINVOTE.1
 */
export const onPhase2 = (w: BaWork, from: ValidatorId, m: Extract<BaMessage, { type: 'prom' | 'aux' }>): void => {
  const inst = w.inst;
  if (inst.decided !== undefined) {
    send(w, from, { type: 'mainvote', ...header(inst), cert: inst.decided.cert });
    return;
  }
  if (m.round < inst.round) return;
  const rs = roundOf(inst, m.round);
  const votes = m.type === 'prom' ? rs.proms : rs.auxes;
  if (votes.get(m.value)?.has(from) === true) return;
  if (from !== w.config.me && !rs.valid.has(m.value) && !checkQuorumCertificate(w.config.validators, m.qc, m.round, m.value).ok) return;
  addTo(votes, m.value, from);
  if (!rs.valid.has(m.value)) rs.valid.set(m.value, m.qc);
  if (m.round !== inst.round) return;
  if (from !== w.config.me && rs.phase2 === undefined) {
    if (m.value === ZERO) switchToNormalPath(w);
    const kind = rs.own.some((x) => x !== m.value) ? 'aux' : 'prom';
    const to = from === inst.proposer && !inst.normalPath ? inst.proposer : 'all';
    castPhase2(w, kind, m.value, rs.valid.get(m.value)!, to);
    if (inst.decided !== undefined || inst.round !== m.round) return;
  }
  checkMainVoteQuorum(w);
};

/** Forms the main-vote certificate of the current round once PROM/AUX senders hold a quorum. @spec CONS-MYBA-MAINVOTE.1 */
const checkMainVoteQuorum = (w: BaWork): void => {
  const inst = w.inst;
  const rs = roundOf(inst, inst.round);
  if (rs.mainVote !== undefined) return;
  const values = [...rs.valid.keys()].sort();
  const senders = new Set<ValidatorId>();
  for (const v of values) for (const s of [...(rs.proms.get(v) ?? []), ...(rs.auxes.get(v) ?? [])]) senders.add(s);
  if (!reachesQuorum(w.config.validators, senders)) return;
  // A validator that voted for two values appears once, under its first entry (PROM before AUX).
  const used = new Set<ValidatorId>();
  const entries = (votes: Map<Value, Set<ValidatorId>>) =>
    values.flatMap((v) => {
      const signers = [...(votes.get(v) ?? [])].filter((s) => !used.has(s)).sort((a, b) => a - b);
      signers.forEach((s) => used.add(s));
      return signers.length > 0 ? [{ value: v, signers, qc: rs.valid.get(v)! }] : [];
    });
  const proms = entries(rs.proms);
  const cert: MainVote = { round: inst.round, proms, auxes: entries(rs.auxes) };
  if (inst.proposer === w.config.me) send(w, 'all', { type: 'mainvote', ...header(inst), cert });
  onMainVote(w, w.config.me, { type: 'mainvote', ...header(inst), cert });
};

const decide = (w: BaWork, value: Value, round: number, fast: boolean, cert: MainVote): void => {
  if (w.inst.decided !== undefined) return;
  const decision = { value, round, fast, cert };
  w.inst.decided = decision;
  w.effects.push({ kind: 'decided', decision });
};

/**
 * A main-vote certificate: the fast path, the coin rule, the move to the next round, and decisions
 * on old-round certificates.
 *
 * @spec CONS-MYBA-FAST.1 CONS-MYBA-COIN.1 CONS-MYBA-NEXT-ROUND.1 CONS-MYBA-NEXT-ROUND-FORWARD.1 CONS-MYBA-OLD-CERT.1 CONS-MYBA-DECIDE-ONCE.1
 */
export const onMainVote = (w: BaWork, from: ValidatorId, m: Extract<BaMessage, { type: 'mainvote' }>): void => {
  const inst = w.inst;
  if (inst.decided !== undefined) return;
  const checked = checkMainVote(w.config.validators, m.cert);
  if (!checked.ok) return;
  const cert = m.cert;
  const { values, purePromise } = checked.value;
  const rs = roundOf(inst, cert.round);
  if (cert.round < inst.round || rs.mainVote !== undefined) {
    if (values.length === 1) {
      const outcome = mainVoteOutcome(values, purePromise, w.config.coin(cert.round));
      if (outcome.kind === 'decide') {
        decide(w, outcome.value, cert.round, outcome.fast, cert);
        send(w, 'all', m);
      }
    }
    return;
  }
  rs.mainVote = cert;
  if (purePromise) {
    decide(w, values[0]!, cert.round, true, cert);
    if (from !== inst.proposer) send(w, 'all', m);
    return;
  }
  const merged = cert.round === inst.round ? [...new Set([...values, ...rs.valid.keys()])] : values;
  const outcome = mainVoteOutcome(merged, false, w.config.coin(cert.round));
  if (outcome.kind === 'decide') {
    decide(w, outcome.value, cert.round, false, cert);
    send(w, 'all', m);
    return;
  }
  inst.round = cert.round + 1;
  // A certificate received from another validator is forwarded (CONS-MYBA-NEXT-ROUND-FORWARD.1):
  // validators still in this round may lack the votes it aggregates. Leaving the optimistic path
  // below re-broadcasts it anyway.
  if (from !== w.config.me && inst.normalPath) send(w, 'all', m);
  switchToNormalPath(w);
  sendBval(w, inst.round, outcome.estimate, false, 'all');
  // Votes and BVALs of the new round that arrived early count now: a value already made valid by
  // an early PROM/AUX gets this validator's phase-2 vote, then the BVAL thresholds are re-checked.
  const next = roundOf(inst, inst.round);
  const early = [...next.valid.values()].sort((a, b) => (a.value < b.value ? -1 : 1))[0];
  if (early !== undefined && next.phase2 === undefined) {
    const kind = next.own.some((x) => x !== early.value) ? 'aux' : 'prom';
    castPhase2(w, kind, early.value, early, 'all');
  }
  for (const v of [...next.bvals.keys()].sort()) {
    if (inst.decided !== undefined || inst.round !== cert.round + 1) break;
    checkBval(w, v);
  }
};

/**
 * A copy of an instance that a handler may edit without touching the original. Only the
 * collections handlers change in place are copied; messages, certificates, decisions and the
 * `voters` arrays (replaced, never edited) are shared.
 */
export const cloneInstance = (inst: InstanceState): InstanceState => ({
  ...inst,
  rounds: new Map([...inst.rounds].map(([r, rs]) => [r, cloneRound(rs)])),
  voters: new Map(inst.voters),
});

const cloneSets = <K, V>(m: Map<K, Set<V>>): Map<K, Set<V>> => new Map([...m].map(([k, v]) => [k, new Set(v)]));

const cloneRound = (rs: RoundState): RoundState => ({
  ...rs,
  bvals: cloneSets(rs.bvals), own: [...rs.own], ownWithPayload: [...rs.ownWithPayload], valid: new Map(rs.valid),
  proms: cloneSets(rs.proms), auxes: cloneSets(rs.auxes),
});

/** Runs one handler on a private copy of the instance. */
export const withWork = (config: MybaConfig, inst: InstanceState, run: (w: BaWork) => void): { instance: InstanceState; sends: readonly Send<BaMessage>[]; effects: readonly BaEffect[] } => {
  const w: BaWork = { config, inst: cloneInstance(inst), sends: [], effects: [] };
  run(w);
  return { instance: w.inst, sends: w.sends, effects: w.effects };
};

/** Inputs of a stand-alone instance: a delivered message, or the tumbler's endorse / ZERO-vote calls. */
export type BaEvent =
  | { readonly kind: 'deliver'; readonly from: ValidatorId; readonly msg: BaMessage }
  | { readonly kind: 'endorse'; readonly value: Value; readonly valExist: boolean }
  | { readonly kind: 'zero-vote' };

/**
 * The pure step function of one instance: `(state, event) -> (state, messages, effects)`.
 * Endorse requests (round-0 BVAL from more than the faulty stake) are reported as effects for the
 * caller to answer with an `endorse` or `zero-vote` event.
 *
 * @spec CONS-MYBA-INSTANCE.1
 */
export const mybaStep = (config: MybaConfig, inst: InstanceState, event: BaEvent) =>
  withWork(config, inst, (w) => {
    if (event.kind === 'endorse') endorse(w, event.value, event.valExist);
    else if (event.kind === 'zero-vote') zeroVote(w);
    else if (event.msg.seq !== inst.seq || event.msg.proposer !== inst.proposer) return;
    else if (event.msg.type === 'bval') onBval(w, event.from, event.msg);
    else if (event.msg.type === 'mainvote') onMainVote(w, event.from, event.msg);
    else onPhase2(w, event.from, event.msg);
  });
