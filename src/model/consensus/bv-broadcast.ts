/**
 * Binary-value broadcast (BV-broadcast): the BVAL amplification rule of MyBA, after Mostefaoui,
 * Moumen and Raynal. This is the TypeScript twin of `spec/tla/BVBroadcast.tla`: the same three
 * variables (`input`, `msgs`, `binValues`), the same four actions and the same invariants, so that
 * exhausting a configuration here reaches exactly the states TLC reaches there. The state key is
 * the TLA+ rendering of the state, which makes that correspondence checkable state by state.
 *
 * The network is the set of BVAL messages sent so far: broadcast is reliable and every correct
 * process counts distinct senders in that one set. Byzantine processes may send BVAL for any value
 * at any time; they cannot equivocate towards different receivers in this abstraction.
 *
 * @module
 */
import { type Result, ok, fail } from '../encoding/result.js';
import type { Action, Invariant, Machine } from '../../conformance/explore/explore.js';

export type Bit = 0 | 1;

/** The binary values (TLA+ `Values`). */
export const BITS: readonly Bit[] = [0, 1];

/** A BVAL message, identified by its sender and value only (TLA+ `Msg(p, v)`). */
export interface Bval {
  readonly src: number;
  readonly val: Bit;
}

/**
 * The protocol parameters: processes `1..n`, the `f` the thresholds are computed from, and the
 * processes that are actually Byzantine (may be more than `f`, to show what breaks).
 */
export interface BvConfig {
  readonly n: number;
  readonly f: number;
  readonly byzantine: readonly number[];
  /** `1..n` without the Byzantine processes, ascending (TLA+ `Correct`). */
  readonly correct: readonly number[];
}

export interface BvState {
  /** The binary input of each correct process, keyed in ascending process order. */
  readonly input: ReadonlyMap<number, Bit>;
  /** Every BVAL sent so far, sorted by sender then value, without duplicates. */
  readonly msgs: readonly Bval[];
  /** The values each correct process has BV-delivered, each list ascending. */
  readonly binValues: ReadonlyMap<number, readonly Bit[]>;
}

/**
 * Checks and builds a configuration. The checks are the module's ASSUME plus what a TS caller can
 * get wrong that TLC's typing would reject (non-integers, duplicates).
 */
export const bvConfig = (n: number, f: number, byzantine: readonly number[]): Result<BvConfig> => {
  if (!Number.isInteger(n) || n < 1 || n > 20) {
    return fail('Consensus.BvBroadcast.BAD_PROCESS_COUNT', `n must be an integer in 1..20, got ${n}`);
  }
  if (!Number.isInteger(f) || f < 0 || f > 6) {
    return fail('Consensus.BvBroadcast.BAD_FAULT_BOUND', `f must be an integer in 0..6, got ${f}`);
  }
  const bad = byzantine.find((p) => !Number.isInteger(p) || p < 1 || p > n);
  if (bad !== undefined) {
    return fail('Consensus.BvBroadcast.BAD_BYZANTINE', `Byzantine process ${bad} is not in 1..${n}`);
  }
  const byz = [...new Set(byzantine)].sort((a, b) => a - b);
  if (byz.length !== byzantine.length) {
    return fail('Consensus.BvBroadcast.BAD_BYZANTINE', 'the Byzantine set lists a process twice');
  }
  const correct = Array.from({ length: n }, (_, i) => i + 1).filter((p) => !byz.includes(p));
  return ok({ n, f, byzantine: byz, correct });
};

/**
 * A process relays BVAL(v) once `f + 1` distinct processes have sent it (at least one of them is
 * correct) and BV-delivers v once `2f + 1` have (at least `f + 1` of them are correct).
 *
 * @spec CONS-BVB-THRESHOLDS.1
 */
export const relayThreshold = (config: BvConfig): number => config.f + 1;

/** @spec CONS-BVB-THRESHOLDS.1 */
export const deliverThreshold = (config: BvConfig): number => 2 * config.f + 1;

/** Distinct senders of BVAL(v) so far; a sender is counted once however often it sent. */
export const senders = (state: BvState, v: Bit): readonly number[] =>
  state.msgs.filter((m) => m.val === v).map((m) => m.src);

const hasSent = (state: BvState, p: number, v: Bit): boolean => state.msgs.some((m) => m.src === p && m.val === v);

/** A correct process has started BV-broadcast once its input BVAL is sent. */
export const started = (state: BvState, p: number): boolean => {
  const v = state.input.get(p);
  return v !== undefined && hasSent(state, p, v);
};

/** Adds a message, keeping `msgs` sorted so equal sets have equal representations. */
const withMsg = (state: BvState, m: Bval): BvState => ({
  ...state,
  msgs: [...state.msgs, m].sort((a, b) => a.src - b.src || a.val - b.val),
});

/** The initial states: every assignment of inputs to the correct processes, nothing sent. */
export const initialStates = (config: BvConfig): readonly BvState[] => {
  const assignments = config.correct.reduce<readonly (readonly Bit[])[]>(
    (acc) => acc.flatMap((prefix) => BITS.map((b) => [...prefix, b])),
    [[]],
  );
  return assignments.map((bits) => ({
    input: new Map(config.correct.map((p, i) => [p, bits[i]!])),
    msgs: [],
    binValues: new Map(config.correct.map((p) => [p, []])),
  }));
};

/**
 * A correct process starts by broadcasting BVAL for its own input.
 *
 * @spec CONS-BVB-INPUT.1
 */
export const broadcastInput = (state: BvState, p: number): BvState | undefined => {
  const v = state.input.get(p);
  if (v === undefined || hasSent(state, p, v)) return undefined;
  return withMsg(state, { src: p, val: v });
};

/**
 * Amplification: once `f + 1` distinct processes have sent BVAL(v), a started correct process
 * that has not sent BVAL(v) sends it. At most once per value, because a sent message is never
 * sent again.
 *
 * @spec CONS-BVB-RELAY.1
 */
export const relay = (config: BvConfig, state: BvState, p: number, v: Bit): BvState | undefined => {
  if (!started(state, p) || hasSent(state, p, v)) return undefined;
  if (senders(state, v).length < relayThreshold(config)) return undefined;
  return withMsg(state, { src: p, val: v });
};

/**
 * Once `2f + 1` distinct processes have sent BVAL(v), a started correct process adds v to its
 * bin_values; values are never removed.
 *
 * @spec CONS-BVB-DELIVER.1
 */
export const deliver = (config: BvConfig, state: BvState, p: number, v: Bit): BvState | undefined => {
  const current = state.binValues.get(p);
  if (current === undefined || !started(state, p) || current.includes(v)) return undefined;
  if (senders(state, v).length < deliverThreshold(config)) return undefined;
  const added = [...current, v].sort((a, b) => a - b);
  return { ...state, binValues: new Map([...state.binValues].map(([q, vs]) => [q, q === p ? added : vs])) };
};

/** A Byzantine process may send BVAL for any value at any time. */
export const byzantineSend = (config: BvConfig, state: BvState, b: number, v: Bit): BvState | undefined => {
  if (!config.byzantine.includes(b) || hasSent(state, b, v)) return undefined;
  return withMsg(state, { src: b, val: v });
};

const correctInputs = (state: BvState): ReadonlySet<Bit> => new Set(state.input.values());

/** TLA+ `TypeOK`. */
export const typeOk = (config: BvConfig, state: BvState): boolean => {
  const isBit = (x: unknown): boolean => x === 0 || x === 1;
  const sameDomain = (m: ReadonlyMap<number, unknown>): boolean =>
    m.size === config.correct.length && config.correct.every((p) => m.has(p));
  return (
    sameDomain(state.input) &&
    [...state.input.values()].every(isBit) &&
    state.msgs.every((m) => Number.isInteger(m.src) && m.src >= 1 && m.src <= config.n && isBit(m.val)) &&
    sameDomain(state.binValues) &&
    [...state.binValues.values()].every((vs) => vs.every(isBit))
  );
};

/**
 * BV-Justification: every value in a correct process's bin_values is some correct process's input.
 *
 * @spec CONS-BVB-JUSTIFY.1
 */
export const bvJustification = (state: BvState): boolean => {
  const inputs = correctInputs(state);
  return [...state.binValues.values()].every((vs) => vs.every((v) => inputs.has(v)));
};

/**
 * Relay safety: a correct process only sends BVAL(v), by broadcasting or relaying, for a value that
 * is some correct process's input.
 *
 * @spec CONS-BVB-RELAY-JUSTIFY.1
 */
export const bvRelayJustification = (state: BvState): boolean => {
  const inputs = correctInputs(state);
  return state.msgs.every((m) => !state.input.has(m.src) || inputs.has(m.val));
};

/**
 * Delivery support: when a correct process has BV-delivered v, at least `f + 1` correct processes
 * have sent BVAL(v), so every correct process will relay v; this is the safety core of
 * Uniformity and Obligation.
 *
 * @spec CONS-BVB-DELIVERY-SUPPORT.1
 */
export const bvDeliverySupport = (config: BvConfig, state: BvState): boolean =>
  [...state.binValues.values()].every((vs) =>
    vs.every((v) => senders(state, v).filter((p) => state.input.has(p)).length >= relayThreshold(config)),
  );

/**
 * No correct process can broadcast, relay or deliver: every correct process has taken every step
 * open to it (Byzantine processes may still send). Every fair behaviour of a finite configuration
 * ends in such a state, so this is where the liveness properties can be checked as invariants.
 */
export const correctQuiescent = (config: BvConfig, state: BvState): boolean =>
  config.correct.every(
    (p) =>
      started(state, p) &&
      BITS.every((v) => relay(config, state, p, v) === undefined && deliver(config, state, p, v) === undefined),
  );

/**
 * BV-Obligation at quiescence: a value that is the input of at least `f + 1` correct processes
 * has been delivered by every correct process.
 *
 * @spec CONS-BVB-OBLIGATION.1
 */
export const quiescentObligation = (config: BvConfig, state: BvState): boolean =>
  !correctQuiescent(config, state) ||
  BITS.every(
    (v) =>
      [...state.input.values()].filter((x) => x === v).length < relayThreshold(config) ||
      [...state.binValues.values()].every((vs) => vs.includes(v)),
  );

/**
 * BV-Uniformity at quiescence: all correct processes have delivered the same values.
 *
 * @spec CONS-BVB-UNIFORMITY.1
 */
export const quiescentUniformity = (config: BvConfig, state: BvState): boolean => {
  if (!correctQuiescent(config, state)) return true;
  const sets = [...state.binValues.values()].map((vs) => vs.join(','));
  return sets.every((x) => x === sets[0]);
};

/**
 * BV-Termination at quiescence: every correct process has delivered some value.
 *
 * @spec CONS-BVB-TERMINATION.1
 */
export const quiescentTermination = (config: BvConfig, state: BvState): boolean =>
  !correctQuiescent(config, state) || [...state.binValues.values()].every((vs) => vs.length > 0);

/** The invariants by their TLA+ names, in the order the passing configs list them. */
export const bvInvariants = (config: BvConfig): readonly Invariant<BvState>[] => [
  { name: 'TypeOK', holds: (s) => typeOk(config, s) },
  { name: 'BVJustification', holds: bvJustification },
  { name: 'BVRelayJustification', holds: bvRelayJustification },
  { name: 'BVDeliverySupport', holds: (s) => bvDeliverySupport(config, s) },
  { name: 'QuiescentObligation', holds: (s) => quiescentObligation(config, s) },
  { name: 'QuiescentUniformity', holds: (s) => quiescentUniformity(config, s) },
  { name: 'QuiescentTermination', holds: (s) => quiescentTermination(config, s) },
];

// ---------------------------------------------------------------------------------------------
// Rendering: the state written as TLA+ values, in the layout tla-checker prints states in.

const renderFunction = <T>(m: ReadonlyMap<number, T>, show: (t: T) => string): string => {
  const keys = [...m.keys()].sort((a, b) => a - b);
  // A function whose domain is 1..k is the tuple of its values in TLA+.
  if (keys.every((k, i) => k === i + 1)) return `<<${keys.map((k) => show(m.get(k)!)).join(', ')}>>`;
  return `(${keys.map((k) => `${k} :> ${show(m.get(k)!)}`).join(' @@ ')})`;
};

const renderBits = (vs: readonly Bit[]): string => `{${vs.join(', ')}}`;

/**
 * The state as TLA+ values, one variable per line (`input=...`, `msgs=...`, `binValues=...`).
 * Sets are written in ascending order, so this is a canonical key; it is also exactly how
 * tla-checker labels the same state, so reachable sets can be compared state by state.
 */
export const renderBvState = (state: BvState): string =>
  [
    `input=${renderFunction(state.input, String)}`,
    `msgs={${state.msgs.map((m) => `[src |-> ${m.src}, val |-> ${m.val}]`).join(', ')}}`,
    `binValues=${renderFunction(state.binValues, renderBits)}`,
  ].join('\n');

// ---------------------------------------------------------------------------------------------
// Explorer adapter.

/**
 * The state machine for the explorer: one action per TLA+ action instance (`Relay(2, 1)`), so
 * counterexample traces read like TLC's. No symmetry is declared: TLC checks the module without
 * one, and the counts must agree.
 */
export const bvBroadcastMachine = (config: BvConfig, invariants = bvInvariants(config)): Machine<BvState> => {
  const lift = (name: string, step: (s: BvState) => BvState | undefined): Action<BvState> => ({
    name,
    next: (s) => {
      const t = step(s);
      return t === undefined ? [] : [t];
    },
  });
  const actions: Action<BvState>[] = [
    ...config.correct.map((p) => lift(`BroadcastInput(${p})`, (s) => broadcastInput(s, p))),
    ...config.correct.flatMap((p) => BITS.map((v) => lift(`Relay(${p}, ${v})`, (s) => relay(config, s, p, v)))),
    ...config.correct.flatMap((p) => BITS.map((v) => lift(`Deliver(${p}, ${v})`, (s) => deliver(config, s, p, v)))),
    ...config.byzantine.flatMap((b) =>
      BITS.map((v) => lift(`ByzantineSend(${b}, ${v})`, (s) => byzantineSend(config, s, b, v))),
    ),
  ];
  return { init: initialStates(config), actions, invariants, key: renderBvState };
};
