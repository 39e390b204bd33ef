/**
 * The TypeScript twin of `spec/tla/MyBARounds.tla`: MyBA over rounds 0..MaxRound with every coin
 * sequence, the correct validators counter-abstracted (a multiset of local states) and the rounds
 * sequentialized (one open round at a time). Same variables, same actions, same invariants, so
 * exhausting a configuration here reaches exactly the states a TLA+ checker reaches there; the
 * abstraction itself is argued in the consensus chapter ("Model checking", "MyBA over rounds").
 *
 * @module
 */
import { type Result, ok, fail } from '../../model/encoding/result.js';
import { cfgReaders, type CfgValue } from '../tla/cfg.js';
import type { Action, Invariant, Machine } from './explore.js';

/** ZERO is 0; proposal hashes are 1..3. */
const ZERO = 0;
/** `NoEst`: the validator has not left the open round. */
export const NO_EST = 9;
const NO_VOTE = 0;

export interface RoundsConfig {
  readonly n: number;
  readonly f: number;
  readonly byzantine: readonly number[];
  readonly hashes: readonly number[];
  readonly maxRound: number;
  /** The PROM lock (CONS-MYBA-PHASE2-STOP.1): no BVAL after the phase-2 vote of the round. */
  readonly promLock: boolean;
}

/** The local state of one correct validator (a record of the TLA+ bag's domain). */
export interface Local {
  /** Values it sent BVAL for in the open round, ascending. */
  readonly own: readonly number[];
  /** Its phase-2 vote of the open round (`VoteCode`), 0 for none. */
  readonly vote: number;
  /** The estimate it left the open round with, `NO_EST` while it has not. */
  readonly est: number;
  /** Values it could decide with certificates of the closed rounds it took part in, ascending. */
  readonly dec: readonly number[];
}

export interface RoundsState {
  /** `coin[r]`: the coin of round r, for rounds 0..open round. */
  readonly coin: readonly (0 | 1)[];
  /** The bag of local states, sorted by key, each with its multiplicity. */
  readonly procs: readonly (readonly [Local, number])[];
}

export const roundsConfig = (c: RoundsConfig): Result<RoundsConfig> => {
  if (!Number.isInteger(c.n) || c.n < 1 || c.n > 10) return fail('Consensus.MybaRounds.BAD_N', `N must be in 1..10, got ${c.n}`);
  if (!Number.isInteger(c.f) || c.f < 0 || c.f > 3) return fail('Consensus.MybaRounds.BAD_F', `F must be in 0..3, got ${c.f}`);
  if (c.byzantine.some((b) => !Number.isInteger(b) || b < 1 || b > c.n)) return fail('Consensus.MybaRounds.BAD_BYZANTINE', `Byzantine must be a subset of 1..${c.n}`);
  if (c.hashes.some((h) => !Number.isInteger(h) || h < 1 || h > 3)) return fail('Consensus.MybaRounds.BAD_HASHES', 'Hashes must be a subset of 1..3');
  if (!Number.isInteger(c.maxRound) || c.maxRound < 0 || c.maxRound > 4) return fail('Consensus.MybaRounds.BAD_MAX_ROUND', `MaxRound must be in 0..4, got ${c.maxRound}`);
  return ok({ ...c, byzantine: [...new Set(c.byzantine)].sort((a, b) => a - b), hashes: [...new Set(c.hashes)].sort((a, b) => a - b) });
};

/** A phase-2 vote as the MyBA TLA+ modules encode it: 0 none, 1 + 2v for PROM(v), 2 + 2v for AUX(v). */
export const voteCode = (v: number, kind: 'prom' | 'aux'): number => 1 + 2 * v + (kind === 'aux' ? 1 : 0);
const bit = (v: number): 0 | 1 => (v === ZERO ? 0 : 1);
const union = (a: readonly number[], b: readonly number[]): readonly number[] => [...new Set([...a, ...b])].sort((x, y) => x - y);
const localKey = (l: Local): string => `${l.own.join(',')}/${l.vote}/${l.est}/${l.dec.join(',')}`;

/** Builds the configuration from a cfg's constants (`PromLock` is TRUE or FALSE). */
export const roundsFromConstants = (constants: ReadonlyMap<string, CfgValue>): Result<Machine<RoundsState>> => {
  const { int, ints, bool } = cfgReaders(constants);
  const [n, f, byzantine, hashes, maxRound, promLock] = [int('N'), int('F'), ints('Byzantine'), ints('Hashes'), int('MaxRound'), bool('PromLock')];
  if (n === undefined || f === undefined || byzantine === undefined || hashes === undefined || maxRound === undefined || promLock === undefined) {
    return fail('Consensus.MybaRounds.BAD_CONSTANTS', 'the cfg must set N, F, MaxRound to integers, Byzantine and Hashes to sets of integers and PromLock to TRUE or FALSE');
  }
  const config = roundsConfig({ n, f, byzantine, hashes, maxRound, promLock });
  return config.ok ? ok(roundsMachine(config.value)) : config;
};

/** The state as one string: equal exactly when the TLA+ states are equal. */
export const roundsKey = (s: RoundsState): string => `${s.coin.join('')}|${s.procs.map(([l, k]) => `${localKey(l)}*${k}`).join(';')}`;

const bagOf = (entries: Iterable<readonly [Local, number]>): RoundsState['procs'] => {
  const m = new Map<string, [Local, number]>();
  for (const [l, k] of entries) {
    const key = localKey(l);
    const e = m.get(key);
    if (e === undefined) m.set(key, [l, k]);
    else e[1] += k;
  }
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, e]) => e);
};

/** The TLA+ operators over one state, for one configuration. */
const ops = (c: RoundsConfig, s: RoundsState) => {
  const nByz = c.byzantine.length;
  const quorum = c.n - c.f;
  const amplify = c.f + 1;
  const values = [ZERO, ...c.hashes];
  const cur = s.coin.length - 1;
  const coinNow = s.coin[cur]!;
  const count = (p: (l: Local) => boolean): number => s.procs.reduce((sum, [l, k]) => (p(l) ? sum + k : sum), 0);
  const voted = (l: Local, v: number): boolean => l.vote === voteCode(v, 'prom') || l.vote === voteCode(v, 'aux');
  const inRound = (l: Local): boolean => cur === 0 || l.own.length > 0;
  const active = (l: Local): boolean => inRound(l) && l.est === NO_EST;
  const bvals = (v: number): number => count((l) => l.own.includes(v)) + nByz;
  const qc = (v: number): boolean => bvals(v) >= quorum;
  const byzFor = (vs: readonly number[]): number => (vs.every(qc) ? nByz : 0);
  const support = (vs: readonly number[]): number => count((l) => vs.some((v) => voted(l, v))) + byzFor(vs);
  const pureCert = (v: number): boolean => count((l) => l.vote === voteCode(v, 'prom')) + byzFor([v]) >= quorum;
  const singleCert = (v: number): boolean =>
    support([v]) >= quorum && (s.procs.some(([l]) => l.vote === voteCode(v, 'aux')) || byzFor([v]) > 0);
  const twoCert = (vs: readonly number[]): boolean => vs.every(qc) && support(vs) >= quorum;
  const twoEstimate = (vs: readonly number[]): number => (coinNow === 0 ? ZERO : Math.min(...vs.filter((v) => v !== ZERO)));
  const decidableNow = (): readonly number[] => values.filter((v) => pureCert(v) || (singleCert(v) && bit(v) === coinNow)).sort((a, b) => a - b);
  return { quorum, amplify, values, cur, coinNow, inRound, active, bvals, qc, pureCert, singleCert, twoCert, twoEstimate, decidableNow };
};

const move = (s: RoundsState, from: Local, to: Local): RoundsState => ({
  ...s,
  procs: bagOf([...s.procs.map(([l, k]) => [l, l === from ? k - 1 : k] as const).filter(([, k]) => k > 0), [to, 1] as const]),
});

/** The initial states: both coins of round 0, every correct validator fresh. */
export const roundsInit = (c: RoundsConfig): readonly RoundsState[] => {
  const fresh: Local = { own: [], vote: NO_VOTE, est: NO_EST, dec: [] };
  const correct = c.n - c.byzantine.length;
  return ([0, 1] as const).map((coin) => ({ coin: [coin], procs: correct > 0 ? [[fresh, correct] as const] : [] }));
};

/** The actions, one per TLA+ action and local state (the bag's domain), as in `Next`. */
export const roundsSuccessors = (c: RoundsConfig): readonly Action<RoundsState>[] => {
  const unlocked = (l: Local): boolean => !c.promLock || l.vote === NO_VOTE;
  const each = (name: string, f: (s: RoundsState, o: ReturnType<typeof ops>, l: Local) => readonly RoundsState[]): Action<RoundsState> => ({
    name,
    next: (s) => {
      const o = ops(c, s);
      return s.procs.flatMap(([l]) => f(s, o, l));
    },
  });
  const values = [ZERO, ...c.hashes];
  const pairs = values.flatMap((v, i) => values.slice(i + 1).map((w) => [v, w] as const));
  const leave = (s: RoundsState, o: ReturnType<typeof ops>, l: Local, e: number): readonly RoundsState[] =>
    o.cur < c.maxRound && o.active(l) ? [move(s, l, { ...l, est: e })] : [];
  return [
    each('Endorse', (s, o, l) =>
      o.cur === 0 && l.est === NO_EST && l.own.length === 0 && l.vote === NO_VOTE ? c.hashes.map((h) => move(s, l, { ...l, own: [h] })) : []),
    each('VoteZero', (s, o, l) =>
      o.cur === 0 && l.est === NO_EST && !l.own.includes(ZERO) && unlocked(l) ? [move(s, l, { ...l, own: union(l.own, [ZERO]) })] : []),
    each('AmplifyBval', (s, o, l) =>
      o.cur > 0 && o.active(l) && unlocked(l)
        ? values.filter((v) => !l.own.includes(v) && o.bvals(v) >= o.amplify).map((v) => move(s, l, { ...l, own: union(l.own, [v]) }))
        : []),
    each('Phase2', (s, o, l) =>
      o.active(l) && l.vote === NO_VOTE
        ? values.filter(o.qc).map((v) => move(s, l, { ...l, vote: voteCode(v, l.own.every((x) => x === v) ? 'prom' : 'aux') }))
        : []),
    each('CoinSingle', (s, o, l) => values.filter((v) => o.singleCert(v) && bit(v) !== o.coinNow).flatMap((v) => leave(s, o, l, v))),
    each('CoinTwo', (s, o, l) => pairs.filter((p) => o.twoCert(p)).flatMap((p) => leave(s, o, l, o.twoEstimate(p)))),
    {
      name: 'Close',
      next: (s) => {
        const o = ops(c, s);
        if (o.cur >= c.maxRound || !s.procs.some(([l]) => l.est !== NO_EST)) return [];
        const d = o.decidableNow();
        const procs = bagOf(s.procs.map(([l, k]) => [
          o.inRound(l)
            ? { own: l.est === NO_EST ? [] : [l.est], vote: NO_VOTE, est: NO_EST, dec: union(l.dec, d) }
            : { own: [], vote: NO_VOTE, est: NO_EST, dec: l.dec },
          k,
        ] as const));
        return ([0, 1] as const).map((coin) => ({ coin: [...s.coin, coin], procs }));
      },
    },
  ];
};

/** The invariants by their TLA+ names. */
export const roundsInvariants = (c: RoundsConfig): readonly Invariant<RoundsState>[] => {
  const decided = (s: RoundsState): readonly number[] => s.procs.reduce<readonly number[]>((acc, [l]) => union(acc, l.dec), []);
  const values = [ZERO, ...c.hashes];
  const correct = c.n - c.byzantine.length;
  return [
    {
      name: 'TypeOK',
      holds: (s) =>
        s.coin.length >= 1 && s.coin.length <= c.maxRound + 1 &&
        s.procs.reduce((sum, [, k]) => sum + k, 0) === correct &&
        s.procs.every(([l]) => l.own.every((v) => values.includes(v)) && l.dec.every((v) => values.includes(v)) && (l.est === NO_EST || values.includes(l.est))),
    },
    { name: 'Agreement', holds: (s) => union(decided(s), ops(c, s).decidableNow()).length <= 1 },
    {
      name: 'Integrity',
      holds: (s) => {
        const o = ops(c, s);
        const now = o.decidableNow();
        return s.procs.every(([l]) => union(l.dec, o.inRound(l) ? now : []).length <= 1);
      },
    },
    { name: 'Validity', holds: (s) => ops(c, s).decidableNow().every((v) => s.procs.some(([l]) => l.own.includes(v))) },
    {
      name: 'PromiseLock',
      holds: (s) => {
        const o = ops(c, s);
        return o.values.every((v) => !o.pureCert(v) || o.values.every((w) => w === v || !o.qc(w)));
      },
    },
    {
      name: 'EstimateLock',
      holds: (s) => {
        const all = union(decided(s), ops(c, s).decidableNow());
        return s.procs.every(([l]) => l.est === NO_EST || all.every((v) => v === l.est));
      },
    },
  ];
};

/** The explorer machine: the twin of MyBARounds.tla's `Spec` and invariants. @spec CONS-MC-ROUNDS.1 */
export const roundsMachine = (c: RoundsConfig): Machine<RoundsState> => ({
  init: roundsInit(c),
  actions: roundsSuccessors(c),
  invariants: roundsInvariants(c),
  key: roundsKey,
});
