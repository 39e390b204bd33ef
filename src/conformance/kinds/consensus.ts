import { Schema } from 'effect';
import { BigIntFromDecimal } from '../../model/encoding/index.js';
import { createHash } from 'node:crypto';
import { type Result, fail, flatMapResult, mapResult, ok } from '../../model/encoding/result.js';
import * as mv from '../../model/consensus/validators.js';
import * as mc from '../../model/consensus/certificate.js';
import * as ml from '../../model/consensus/ledger.js';
import * as mt from '../../model/consensus/timestamp.js';
import * as mn from '../../model/consensus/node.js';
import type { Message, NodeEvent, NodeOutput } from '../../model/consensus/node.js';
import type { Send } from '../../model/consensus/myba.js';
import * as impl from '../../impl/consensus/rules.js';
import * as ie from '../../impl/consensus/engine.js';
import { type CaseDraft, defineKind } from './kind.js';
import { type Prng, prng } from '../vectors/prng.js';

const Int = Schema.Int;
const Str = Schema.String;
const Dec = BigIntFromDecimal;

const draft = (id: string, description: string, requirements: readonly string[], input: unknown): CaseDraft => ({ id, description, requirements, input });
/** Drafts hold JSON: bigints become decimal strings through the kind's own input schema. */
const encoded = <A, I>(schema: Schema.Schema<A, I>) => (id: string, description: string, requirements: readonly string[], input: A): CaseDraft =>
  draft(id, description, requirements, Schema.encodeSync(schema)(input));

const hex32 = (r: Prng): string => `0x${[...r.bytes(32)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
const VALIDATOR_ERRORS = ['Consensus.Validators.EMPTY', 'Consensus.Validators.BAD_ID', 'Consensus.Validators.BAD_STAKE', 'Consensus.Validators.DUPLICATE_ID'];

const ValidatorS = Schema.Struct({ id: Int, stake: Dec });
type ValidatorIn = typeof ValidatorS.Type;

// ---------------------------------------------------------------------------------------------
// consensus/thresholds

const ThresholdsIn = Schema.Struct({ validators: Schema.Array(ValidatorS), subsets: Schema.Array(Schema.Array(Int)) });
type ThresholdsIn = typeof ThresholdsIn.Type;
const ThresholdsOut = Schema.Struct({
  total: Dec, fStake: Dec, quorum: Dec,
  subsets: Schema.Array(Schema.Struct({ stake: Dec, exceedsFaulty: Schema.Boolean, reachesQuorum: Schema.Boolean })),
});
type ThresholdsOut = typeof ThresholdsOut.Type;

const thresholdsModel = (input: ThresholdsIn): Result<ThresholdsOut> =>
  mapResult(mv.validatorSet(input.validators), (set) => ({
    ...set.thresholds,
    subsets: input.subsets.map((ids) => ({ stake: mv.stakeOfSet(set, ids), exceedsFaulty: mv.exceedsFaulty(set, ids), reachesQuorum: mv.reachesQuorum(set, ids) })),
  }));

const thresholdsImpl = (input: ThresholdsIn): Result<ThresholdsOut> =>
  mapResult(impl.fastSet(input.validators), (set) => ({
    ...set.thresholds,
    subsets: input.subsets.map((ids) => {
      const stake = impl.stakeOfIds(set, ids);
      return { stake, exceedsFaulty: stake > set.thresholds.fStake, reachesQuorum: stake >= set.thresholds.quorum };
    }),
  }));

const eq = (n: number, stake = 1n): ValidatorIn[] => Array.from({ length: n }, (_, id) => ({ id, stake }));
const T = ['CONS-VAL-THRESHOLDS.1', 'CONS-VAL-COUNT.1'];
const thrDraft = encoded(ThresholdsIn);

const thresholdCases = (): readonly CaseDraft[] => [
  thrDraft('n4-equal', 'Four validators of stake 1: f_stake 1, quorum 3', T, { validators: eq(4), subsets: [[0], [0, 1], [0, 1, 2], [0, 0, 0, 1], [0, 1, 2, 3], []] }),
  thrDraft('n7-total', 'Total 7: f_stake 2, quorum 5', T, { validators: [{ id: 3, stake: 2n }, { id: 1, stake: 5n }], subsets: [[3], [1], [1, 3]] }),
  thrDraft('n1', 'A single validator: f_stake 0, quorum = its stake', T, { validators: [{ id: 9, stake: 10n }], subsets: [[9], [8]] }),
  thrDraft('total-multiple-of-3', 'Total 6: f_stake 1, quorum 5', T, { validators: eq(6), subsets: [[0, 1], [0, 1, 2, 3, 4]] }),
  thrDraft('unknown-ids-count-nothing', 'Ids outside the set add no stake', T, { validators: eq(4), subsets: [[7, 8, 9], [0, 99, 1]] }),
  thrDraft('max-stakes', 'Stakes just below 2^64 sum exactly', T, { validators: [{ id: 0, stake: (1n << 64n) - 1n }, { id: 1, stake: (1n << 64n) - 1n }, { id: 2, stake: (1n << 64n) - 1n }, { id: 3, stake: 1n }], subsets: [[0], [0, 1], [0, 1, 3]] }),
  thrDraft('unequal-whale', 'One validator holds more than a third: it alone exceeds the faulty stake', T, { validators: [{ id: 0, stake: 100n }, { id: 1, stake: 1n }, { id: 2, stake: 1n }, { id: 3, stake: 1n }], subsets: [[0], [1, 2, 3], [0, 1]] }),
  thrDraft('empty', 'An empty validator set', ['CONS-VAL-SET.1'], { validators: [], subsets: [] }),
  thrDraft('zero-stake', 'A stake of zero', ['CONS-VAL-SET.1'], { validators: [{ id: 0, stake: 1n }, { id: 1, stake: 0n }], subsets: [] }),
  thrDraft('negative-stake', 'A negative stake', ['CONS-VAL-SET.1'], { validators: [{ id: 0, stake: -5n }], subsets: [] }),
  thrDraft('stake-2-64', 'A stake of 2^64', ['CONS-VAL-SET.1'], { validators: [{ id: 0, stake: 1n << 64n }], subsets: [] }),
  thrDraft('duplicate-id', 'The same id twice', ['CONS-VAL-SET.1'], { validators: [{ id: 5, stake: 1n }, { id: 2, stake: 1n }, { id: 5, stake: 2n }], subsets: [] }),
  thrDraft('negative-id', 'A negative id', ['CONS-VAL-SET.1'], { validators: [{ id: -1, stake: 1n }], subsets: [] }),
  thrDraft('id-too-large', 'An id above 65535', ['CONS-VAL-SET.1'], { validators: [{ id: 65536, stake: 1n }], subsets: [] }),
  thrDraft('bad-id-before-bad-stake', 'The first bad entry is reported', ['CONS-VAL-SET.1'], { validators: [{ id: 1, stake: 0n }, { id: 70000, stake: 1n }], subsets: [] }),
];

const randomStake = (r: Prng): bigint => {
  switch (r.below(5)) {
    case 0: return 1n;
    case 1: return BigInt(1 + r.below(10));
    case 2: return BigInt(r.next()) * BigInt(r.next()) + 1n;
    case 3: return (1n << 64n) - 1n - BigInt(r.below(3));
    default: return BigInt(r.below(1000));
  }
};

const thresholdRandom = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  return Array.from({ length: 80 }, (_, i) => {
    const n = 1 + r.below(12);
    const validators = Array.from({ length: n }, () => ({ id: r.below(5) === 0 ? r.below(70000) - 2 : r.below(24), stake: randomStake(r) }));
    const subsets = Array.from({ length: 3 }, () => Array.from({ length: r.below(n + 2) }, () => r.below(26)));
    return thrDraft(`random-${String(i).padStart(3, '0')}`, 'Random stakes and ids (some invalid), random subsets', [...T, 'CONS-VAL-SET.1'], { validators, subsets });
  });
};

export const thresholdsKind = defineKind({
  kind: 'consensus/thresholds',
  area: 'consensus',
  description: 'Check a validator set and compute f_stake and quorum; the stake of id subsets (each id once) and whether it exceeds f_stake or reaches quorum.',
  input: ThresholdsIn,
  output: ThresholdsOut,
  errorCodes: VALIDATOR_ERRORS,
  model: thresholdsModel,
  impl: thresholdsImpl,
  suites: [
    { suite: 'hand-picked', description: 'Small sets, extreme stakes and every invalid-set reason', seed: 0, cases: thresholdCases },
    { suite: 'random', description: 'Seeded random validator sets and subsets', seed: 3101, cases: thresholdRandom },
  ],
});

// ---------------------------------------------------------------------------------------------
// consensus/certificate

const QcS = Schema.Struct({ round: Int, value: Str, signers: Schema.Array(Int) });
const EntryS = Schema.Struct({ value: Str, signers: Schema.Array(Int), qc: QcS });
const MainVoteS = Schema.Struct({ round: Int, proms: Schema.Array(EntryS), auxes: Schema.Array(EntryS) });
const CertIn = Schema.Struct({
  validators: Schema.Array(ValidatorS),
  coin: Schema.Literal(0, 1),
  certificate: Schema.Union(
    Schema.Struct({ type: Schema.Literal('qc'), round: Int, value: Str, qc: QcS }),
    Schema.Struct({ type: Schema.Literal('mainvote'), cert: MainVoteS }),
  ),
});
type CertIn = typeof CertIn.Type;
const OutcomeS = Schema.Union(
  Schema.Struct({ kind: Schema.Literal('decide'), value: Str, fast: Schema.Boolean }),
  Schema.Struct({ kind: Schema.Literal('next-round'), estimate: Str }),
);
const CertOut = Schema.Union(
  Schema.Struct({ type: Schema.Literal('qc') }),
  Schema.Struct({ type: Schema.Literal('mainvote'), values: Schema.Array(Str), purePromise: Schema.Boolean, signerStake: Dec, outcome: OutcomeS }),
);
type CertOut = typeof CertOut.Type;

const certModel = (input: CertIn): Result<CertOut> =>
  flatMapResult(mv.validatorSet(input.validators), (set): Result<CertOut> => {
    const c = input.certificate;
    if (c.type === 'qc') return mapResult(mc.checkQuorumCertificate(set, c.qc, c.round, c.value), () => ({ type: 'qc' as const }));
    return mapResult(mc.checkMainVote(set, c.cert), (s) => ({ type: 'mainvote' as const, ...s, outcome: mc.mainVoteOutcome(s.values, s.purePromise, input.coin) }));
  });

const certImpl = (input: CertIn): Result<CertOut> => {
  const set = impl.fastSet(input.validators);
  if (!set.ok) return set;
  const c = input.certificate;
  if (c.type === 'qc') {
    const r = impl.checkQuorumCertificate(set.value, c.qc, c.round, c.value);
    return r.ok ? ok({ type: 'qc' as const }) : r;
  }
  const s = impl.checkMainVote(set.value, c.cert);
  if (!s.ok) return s;
  return ok({ type: 'mainvote' as const, ...s.value, outcome: impl.mainVoteOutcome(s.value.values, s.value.purePromise, input.coin) });
};

const H1 = `0x${'ab'.repeat(32)}`;
const H2 = `0x${'cd'.repeat(32)}`;
const Z = mc.ZERO;
const qcOf = (value: string, signers: number[], round = 0) => ({ round, value, signers });
const entry = (value: string, signers: number[], qcSigners = [0, 1, 2], round = 0) => ({ value, signers, qc: qcOf(value, qcSigners, round) });
const CERT = ['CONS-MYBA-MAINVOTE.1', 'CONS-MYBA-QC.1'];
const certDraft = encoded(CertIn);
const mvCase = (id: string, description: string, reqs: readonly string[], cert: typeof MainVoteS.Type, coin: 0 | 1 = 1, validators = eq(4)) =>
  certDraft(id, description, reqs, { validators, coin, certificate: { type: 'mainvote', cert } });
const qcCase = (id: string, description: string, qc: typeof QcS.Type, round: number, value: string, validators = eq(4)) =>
  certDraft(id, description, ['CONS-MYBA-QC.1', 'CONS-VAL-COUNT.1'], { validators, coin: 0, certificate: { type: 'qc', round, value, qc } });

const certCases = (): readonly CaseDraft[] => [
  qcCase('qc-valid', 'Three of four distinct signers', qcOf(H1, [2, 0, 1]), 0, H1),
  qcCase('qc-no-quorum', 'Two of four signers', qcOf(H1, [0, 1]), 0, H1),
  qcCase('qc-duplicate-signer', 'A signer listed twice does not count twice', qcOf(H1, [0, 1, 1]), 0, H1),
  qcCase('qc-unknown-signer', 'A signer that is not a validator', qcOf(H1, [0, 1, 7]), 0, H1),
  qcCase('qc-wrong-round', 'A QC of round 0 used for round 1', qcOf(H1, [0, 1, 2]), 1, H1),
  qcCase('qc-wrong-value', 'A QC for H used for ZERO', qcOf(H1, [0, 1, 2]), 0, Z),
  qcCase('qc-weighted', 'Stake-weighted: the whale and one more reach quorum', qcOf(Z, [0, 1]), 2, Z, [{ id: 0, stake: 5n }, { id: 1, stake: 1n }, { id: 2, stake: 1n }]),
  mvCase('pure-prom-fast', 'Pure PROM for one value decides it without the coin', [...CERT, 'CONS-MYBA-FAST.1'], { round: 0, proms: [entry(H1, [0, 1, 2], [])], auxes: [] }, 0),
  mvCase('pure-prom-zero', 'Pure PROM for ZERO decides ZERO', [...CERT, 'CONS-MYBA-FAST.1'], { round: 3, proms: [entry(Z, [3, 1, 2], [])], auxes: [] }, 1),
  mvCase('single-value-coin-match', 'PROM and AUX for H, coin 1: decide H', [...CERT, 'CONS-MYBA-COIN.1'], { round: 0, proms: [entry(H1, [0, 1])], auxes: [entry(H1, [2])] }, 1),
  mvCase('single-value-coin-miss', 'PROM and AUX for H, coin 0: estimate H', [...CERT, 'CONS-MYBA-COIN.1'], { round: 0, proms: [entry(H1, [0, 1])], auxes: [entry(H1, [2])] }, 0),
  mvCase('aux-only-zero-coin-0', 'AUX only for ZERO, coin 0: decide ZERO', [...CERT, 'CONS-MYBA-COIN.1'], { round: 1, proms: [], auxes: [entry(Z, [0, 1, 3])] }, 0),
  mvCase('two-values-coin-0', 'H and ZERO, coin 0: estimate ZERO', [...CERT, 'CONS-MYBA-COIN.1'], { round: 0, proms: [entry(H1, [0])], auxes: [entry(Z, [1, 2])] }, 0),
  mvCase('two-values-coin-1', 'H and ZERO, coin 1: estimate H', [...CERT, 'CONS-MYBA-COIN.1'], { round: 0, proms: [entry(Z, [0]), entry(H1, [3])], auxes: [entry(Z, [1])] }, 1),
  mvCase('two-hashes-coin-1', 'Two hashes, coin 1: the least hash', [...CERT, 'CONS-MYBA-COIN.1'], { round: 0, proms: [entry(H2, [0]), entry(H1, [3])], auxes: [entry(H2, [1])] }, 1),
  mvCase('empty', 'No entries', CERT, { round: 0, proms: [], auxes: [] }),
  mvCase('too-many-entries', 'Three PROM entries', CERT, { round: 0, proms: [entry(H1, [0]), entry(H2, [1]), entry(Z, [2])], auxes: [] }),
  mvCase('duplicate-value', 'Two AUX entries for one value', CERT, { round: 0, proms: [], auxes: [entry(H1, [0]), entry(H1, [1, 2])] }),
  mvCase('no-signers', 'An entry without signers', CERT, { round: 0, proms: [entry(H1, [0, 1, 2]), entry(Z, [])], auxes: [] }),
  mvCase('unknown-signer', 'A signer outside the set', CERT, { round: 0, proms: [entry(H1, [0, 1, 9])], auxes: [] }),
  mvCase('signer-in-two-entries', 'One validator signs PROM and AUX', CERT, { round: 0, proms: [entry(H1, [0, 1])], auxes: [entry(H1, [1, 2])] }),
  mvCase('signer-twice-in-entry', 'One validator listed twice in an entry', CERT, { round: 0, proms: [entry(H1, [0, 1, 1])], auxes: [] }),
  mvCase('no-quorum', 'Signers hold 2 of 4', CERT, { round: 0, proms: [entry(H1, [0])], auxes: [entry(H1, [1])] }),
  mvCase('bad-inner-qc', 'Two values, one inner QC without quorum', CERT, { round: 0, proms: [entry(H1, [0, 1], [0, 1])], auxes: [entry(Z, [2])] }),
  mvCase('inner-qc-wrong-round', 'Two values, an inner QC of another round', CERT, { round: 1, proms: [entry(H1, [0, 1], [0, 1, 2], 1)], auxes: [entry(Z, [2], [0, 1, 2], 0)] }),
  mvCase('single-value-bad-qc-ignored', 'One value: inner QCs are not checked', CERT, { round: 0, proms: [entry(H1, [0, 1, 2], [9, 9])], auxes: [] }, 0),
  mvCase('weighted-quorum', 'Stake-weighted quorum (total 7, quorum 5)', CERT, { round: 0, proms: [entry(H1, [0, 1])], auxes: [] }, 1, [{ id: 0, stake: 4n }, { id: 1, stake: 1n }, { id: 2, stake: 2n }]),
  certDraft('invalid-validator-set', 'The validator set is checked first', ['CONS-VAL-SET.1'], { validators: [], coin: 0, certificate: { type: 'qc', round: 0, value: H1, qc: qcOf(H1, [0]) } }),
];

const certRandom = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  const values = [Z, H1, H2, hex32(r)];
  const signers = (n: number): number[] => Array.from({ length: r.below(n + 1) }, () => (r.below(12) === 0 ? n + r.below(3) : r.below(n)));
  return Array.from({ length: 150 }, (_, i) => {
    const n = 4 + r.below(4);
    const validators = Array.from({ length: n }, (_, id) => ({ id, stake: r.below(3) === 0 ? BigInt(1 + r.below(4)) : 1n }));
    const round = r.below(3);
    const mkEntry = () => {
      const value = r.pick(values);
      return { value, signers: signers(n), qc: { round: r.below(6) === 0 ? round + 1 : round, value: r.below(8) === 0 ? r.pick(values) : value, signers: signers(n) } };
    };
    // Two thirds are built valid (disjoint signers, inner QCs from a quorum), then perhaps broken.
    const wellFormed = () => {
      const picked = [...new Set(Array.from({ length: 1 + r.below(3) }, () => r.pick(values)))];
      const slots = [...picked.map((value) => ({ kind: 'prom', value })), ...picked.map((value) => ({ kind: 'aux', value }))].filter(() => r.below(3) > 0);
      if (slots.length === 0) slots.push({ kind: 'prom', value: picked[0]! });
      const bySlot = slots.map(() => [] as number[]);
      for (let id = 0; id < n; id++) if (r.below(6) > 0) bySlot[r.below(slots.length)]!.push(id);
      const quorumQc = (value: string) => ({ round, value, signers: Array.from({ length: n }, (_, id) => id).filter(() => r.below(5) > 0) });
      const es = slots.map((sl, k) => ({ kind: sl.kind, e: { value: sl.value, signers: bySlot[k]!, qc: quorumQc(sl.value) } })).filter((x) => x.e.signers.length > 0 || r.below(8) === 0);
      return { round, proms: es.filter((x) => x.kind === 'prom').map((x) => x.e), auxes: es.filter((x) => x.kind === 'aux').map((x) => x.e) };
    };
    const cert = r.below(3) > 0 ? wellFormed() : { round, proms: Array.from({ length: r.below(3) }, mkEntry), auxes: Array.from({ length: r.below(r.below(4) === 0 ? 4 : 3) }, mkEntry) };
    const coin = r.below(2) as 0 | 1;
    if (r.below(4) === 0) {
      const value = r.pick(values);
      return certDraft(`random-qc-${String(i).padStart(3, '0')}`, 'Random QC', ['CONS-MYBA-QC.1'], { validators, coin, certificate: { type: 'qc', round, value, qc: { round: r.below(5) === 0 ? round + 1 : round, value: r.below(5) === 0 ? r.pick(values) : value, signers: signers(n) } } });
    }
    return mvCase(`random-${String(i).padStart(3, '0')}`, 'Random main-vote certificate and coin', [...CERT, 'CONS-MYBA-FAST.1', 'CONS-MYBA-COIN.1'], cert, coin, validators);
  });
};

export const certificateKind = defineKind({
  kind: 'consensus/certificate',
  area: 'consensus',
  description: 'Check a quorum certificate or a main-vote certificate (first failing reason as a code) and, for a valid main vote, what it decides under the given coin.',
  input: CertIn,
  output: CertOut,
  errorCodes: [...VALIDATOR_ERRORS, 'Consensus.Certificate.QC_MISMATCH', 'Consensus.Certificate.UNKNOWN_SIGNER', 'Consensus.Certificate.DUPLICATE_SIGNER', 'Consensus.Certificate.NO_QUORUM',
    'Consensus.Certificate.EMPTY', 'Consensus.Certificate.TOO_MANY_ENTRIES', 'Consensus.Certificate.DUPLICATE_VALUE', 'Consensus.Certificate.NO_SIGNERS', 'Consensus.Certificate.BAD_INNER_QC'],
  model: certModel,
  impl: certImpl,
  suites: [
    { suite: 'hand-picked', description: 'Every validity reason, the fast path and every branch of the coin rule', seed: 0, cases: certCases },
    { suite: 'random', description: 'Seeded random certificates, mostly invalid in some way', seed: 3102, cases: certRandom },
  ],
});

// ---------------------------------------------------------------------------------------------
// consensus/tx-mapping

const MapIn = Schema.Struct({ txHash: Str, proposers: Schema.Array(Int) });
const MapOut = Schema.Struct({ partition: Int, proposer: Int });
const MAP = ['CONS-LEDGER-MAP.1'];

const mapCases = (): readonly CaseDraft[] => [
  draft('partition-5-of-3', 'First byte 5, proposers {3, 5, 7}: index 5 mod 3 = 2', MAP, { txHash: `0x05${'00'.repeat(31)}`, proposers: [7, 3, 5] }),
  draft('partition-255', 'First byte 0xff', MAP, { txHash: `0xff${'11'.repeat(31)}`, proposers: [0, 1, 2, 3] }),
  draft('partition-0', 'First byte 0', MAP, { txHash: `0x00${'ff'.repeat(31)}`, proposers: [4, 2] }),
  draft('one-proposer', 'A single proposer gets everything', MAP, { txHash: H2, proposers: [42] }),
  draft('short-hash', 'A hash of one byte', MAP, { txHash: '0x05', proposers: [1] }),
  draft('uppercase-hash', 'Uppercase hex is not canonical', MAP, { txHash: `0x${'AB'.repeat(32)}`, proposers: [1] }),
  draft('no-prefix', 'A hash without 0x', MAP, { txHash: 'ab'.repeat(32), proposers: [1] }),
  draft('no-proposers', 'An empty proposer set', MAP, { txHash: H1, proposers: [] }),
  draft('duplicate-proposer', 'A proposer listed twice', MAP, { txHash: H1, proposers: [1, 2, 1] }),
];

const mapRandom = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  return Array.from({ length: 100 }, (_, i) => {
    const k = 1 + r.below(r.below(4) === 0 ? 100 : 8);
    const proposers = Array.from({ length: k }, () => r.below(200));
    return draft(`random-${String(i).padStart(3, '0')}`, 'Random hash and proposer set', MAP, { txHash: hex32(r), proposers });
  });
};

export const txMappingKind = defineKind({
  kind: 'consensus/tx-mapping',
  area: 'consensus',
  description: 'The partition (first byte) of a transaction hash and the proposer it is designated to.',
  input: MapIn,
  output: MapOut,
  errorCodes: ['Consensus.Ledger.BAD_TX_HASH', 'Consensus.Ledger.NO_PROPOSERS', 'Consensus.Ledger.DUPLICATE_PROPOSER'],
  model: (i: typeof MapIn.Type) => ml.designatedProposer(i.txHash, i.proposers),
  impl: (i: typeof MapIn.Type) => impl.designatedProposer(i.txHash, i.proposers),
  suites: [
    { suite: 'hand-picked', description: 'Partition boundaries and invalid hashes and proposer sets', seed: 0, cases: mapCases },
    { suite: 'random', description: 'Seeded random hashes and proposer sets (some with duplicates)', seed: 3103, cases: mapRandom },
  ],
});

// ---------------------------------------------------------------------------------------------
// consensus/dedup

const BlockS = Schema.Struct({ seq: Dec, proposals: Schema.Array(Schema.Struct({ proposer: Int, txs: Schema.Array(Str) })) });
const DedupIn = Schema.Struct({ blocks: Schema.Array(BlockS) });
const EntryOut = Schema.Struct({ seq: Dec, proposer: Int, position: Int, tx: Str });
const DedupOut = Schema.Struct({ entries: Schema.Array(EntryOut), duplicates: Schema.Array(EntryOut) });
const DEDUP = ['CONS-LEDGER-ORDER.1', 'CONS-LEDGER-DEDUP.1', 'CONS-SAFETY-NO-DUP.1'];
const dedupDraft = encoded(DedupIn);
const tx = (i: number): string => `0x${i.toString(16).padStart(64, '0')}`;

const dedupCases = (): readonly CaseDraft[] => [
  dedupDraft('first-occurrence-wins', 'A transaction in two proposals of one block and again in the next block', DEDUP, {
    blocks: [{ seq: 1n, proposals: [{ proposer: 0, txs: [tx(1), tx(2)] }, { proposer: 2, txs: [tx(2), tx(3)] }] }, { seq: 2n, proposals: [{ proposer: 1, txs: [tx(1), tx(4)] }] }],
  }),
  dedupDraft('within-one-proposal', 'A proposal that repeats a transaction', DEDUP, { blocks: [{ seq: 5n, proposals: [{ proposer: 3, txs: [tx(7), tx(7), tx(7)] }] }] }),
  dedupDraft('empty-blocks', 'Blocks without proposals and proposals without transactions', DEDUP, { blocks: [{ seq: 1n, proposals: [] }, { seq: 4n, proposals: [{ proposer: 0, txs: [] }] }] }),
  dedupDraft('no-blocks', 'No blocks at all', DEDUP, { blocks: [] }),
  dedupDraft('large-seq', 'Sequence numbers beyond 2^53', DEDUP, { blocks: [{ seq: (1n << 60n), proposals: [{ proposer: 1, txs: [tx(1)] }] }, { seq: (1n << 60n) + 1n, proposals: [{ proposer: 1, txs: [tx(1)] }] }] }),
  dedupDraft('seq-not-increasing', 'Two blocks with the same sequence number', ['CONS-LEDGER-ORDER.1'], { blocks: [{ seq: 2n, proposals: [] }, { seq: 2n, proposals: [] }] }),
  dedupDraft('proposers-out-of-order', 'Proposals not in ascending proposer order', ['CONS-LEDGER-ORDER.1'], { blocks: [{ seq: 1n, proposals: [{ proposer: 2, txs: [] }, { proposer: 1, txs: [] }] }] }),
  dedupDraft('proposer-twice', 'One proposer twice in a block', ['CONS-LEDGER-ORDER.1'], { blocks: [{ seq: 1n, proposals: [{ proposer: 1, txs: [] }, { proposer: 1, txs: [] }] }] }),
  dedupDraft('bad-tx-hash', 'A transaction hash that is not 32 bytes', DEDUP, { blocks: [{ seq: 1n, proposals: [{ proposer: 1, txs: [tx(1), '0x1234'] }] }] }),
];

const dedupRandom = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  return Array.from({ length: 60 }, (_, i) => {
    let seq = BigInt(r.below(5));
    const blocks = Array.from({ length: r.below(6) }, () => {
      seq += BigInt(r.below(12) === 0 ? 0 : 1 + r.below(3));
      let proposer = -1;
      const proposals = Array.from({ length: r.below(5) }, () => {
        proposer += r.below(15) === 0 ? 0 : 1 + r.below(3);
        return { proposer, txs: Array.from({ length: r.below(6) }, () => (r.below(60) === 0 ? '0xzz' : tx(r.below(25)))) };
      });
      return { seq, proposals };
    });
    return dedupDraft(`random-${String(i).padStart(3, '0')}`, 'Random blocks over a small transaction alphabet (duplicates are common)', DEDUP, { blocks });
  });
};

export const dedupKind = defineKind({
  kind: 'consensus/dedup',
  area: 'consensus',
  description: 'The ledger of a list of blocks: ordered by sequence number, proposer and payload position, first occurrence of each transaction hash executed, later ones listed as duplicates.',
  input: DedupIn,
  output: DedupOut,
  errorCodes: ['Consensus.Ledger.SEQ_ORDER', 'Consensus.Ledger.PROPOSER_ORDER', 'Consensus.Ledger.BAD_TX_HASH'],
  model: (i: typeof DedupIn.Type) => ml.buildLedger(i.blocks),
  impl: (i: typeof DedupIn.Type) => impl.buildLedger(i.blocks),
  suites: [
    { suite: 'hand-picked', description: 'Duplicates across proposals and blocks, ordering errors', seed: 0, cases: dedupCases },
    { suite: 'random', description: 'Seeded random blocks with frequent duplicates', seed: 3104, cases: dedupRandom },
  ],
});

// ---------------------------------------------------------------------------------------------
// consensus/median-timestamp

const TsIn = Schema.Struct({ last: Dec, timestamps: Schema.Array(Dec), emptyAdvance: Dec });
const TsOut = Schema.Struct({ timestamp: Dec });
const TS = ['CONS-TUMB-TIMESTAMP.1'];
const tsDraft = encoded(TsIn);
const U64 = (1n << 64n) - 1n;

const tsCases = (): readonly CaseDraft[] => [
  tsDraft('upper-median-even', 'Four timestamps: the upper median', TS, { last: 100n, timestamps: [300n, 100n, 200n, 400n], emptyAdvance: 5000n }),
  tsDraft('median-odd', 'Three timestamps: the median', TS, { last: 0n, timestamps: [9n, 3n, 5n], emptyAdvance: 5000n }),
  tsDraft('empty-block', 'No proposal: last + empty advance', TS, { last: 1000n, timestamps: [], emptyAdvance: 5000n }),
  tsDraft('empty-block-large-advance', 'No proposal, an advance above the clamp', TS, { last: 1000n, timestamps: [], emptyAdvance: 1_000_000n }),
  tsDraft('not-after-last', 'Every timestamp in the past: last + 1', TS, { last: 1000n, timestamps: [5n, 6n, 7n], emptyAdvance: 5000n }),
  tsDraft('equal-to-last', 'The median equals last: last + 1', TS, { last: 1000n, timestamps: [1000n], emptyAdvance: 5000n }),
  tsDraft('clamped', 'Five minutes ahead at most', TS, { last: 0n, timestamps: [10_000_000n], emptyAdvance: 5000n }),
  tsDraft('exactly-300000', 'Exactly five minutes ahead is allowed', TS, { last: 7n, timestamps: [300_007n], emptyAdvance: 5000n }),
  tsDraft('byzantine-outliers', 'Outliers do not move the median', TS, { last: 1000n, timestamps: [0n, U64, 2000n, 2001n, 2002n], emptyAdvance: 5000n }),
  tsDraft('duplicates', 'Equal timestamps', TS, { last: 10n, timestamps: [50n, 50n, 50n, 20n], emptyAdvance: 5000n }),
  tsDraft('last-near-max', 'last + 300000 still fits', TS, { last: U64 - 300_000n, timestamps: [U64], emptyAdvance: 0n }),
  tsDraft('overflow', 'No room after last below 2^64', TS, { last: U64 - 299_999n, timestamps: [], emptyAdvance: 1n }),
  tsDraft('negative-timestamp', 'A negative timestamp', TS, { last: 0n, timestamps: [1n, -1n], emptyAdvance: 1n }),
  tsDraft('timestamp-too-large', 'A timestamp of 2^64', TS, { last: 0n, timestamps: [1n << 64n], emptyAdvance: 1n }),
  tsDraft('last-too-large', 'last of 2^64', TS, { last: 1n << 64n, timestamps: [], emptyAdvance: 1n }),
  tsDraft('advance-negative', 'A negative empty advance', TS, { last: 0n, timestamps: [], emptyAdvance: -1n }),
];

const tsRandom = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  return Array.from({ length: 100 }, (_, i) => {
    const last = r.below(10) === 0 ? U64 - BigInt(r.below(400_000)) : BigInt(r.next()) * 1000n;
    const spread = BigInt(1 + r.below(4) * 200_000);
    const timestamps = Array.from({ length: r.below(9) }, () => {
      const d = BigInt(r.next()) % (2n * spread);
      const t = last + d - spread / 2n;
      return r.below(30) === 0 ? (r.below(2) === 0 ? -1n : 1n << 64n) : t < 0n ? 0n : t > U64 ? U64 : t;
    });
    return tsDraft(`random-${String(i).padStart(3, '0')}`, 'Random timestamps around the last block timestamp', TS, { last, timestamps, emptyAdvance: BigInt(r.below(400_000)) });
  });
};

export const medianTimestampKind = defineKind({
  kind: 'consensus/median-timestamp',
  area: 'consensus',
  description: 'The block timestamp: upper median of the proposal timestamps (or last + empty advance), at least last + 1, at most last + 300000.',
  input: TsIn,
  output: TsOut,
  errorCodes: ['Consensus.Timestamp.OUT_OF_RANGE', 'Consensus.Timestamp.OVERFLOW'],
  model: (i: typeof TsIn.Type) => mapResult(mt.blockTimestamp(i), (timestamp) => ({ timestamp })),
  impl: (i: typeof TsIn.Type) => mapResult(impl.blockTimestamp(i), (timestamp) => ({ timestamp })),
  suites: [
    { suite: 'hand-picked', description: 'Medians, clamping, overflow and range errors', seed: 0, cases: tsCases },
    { suite: 'random', description: 'Seeded random timestamps near the last block timestamp and near 2^64', seed: 3105, cases: tsRandom },
  ],
});


// ---------------------------------------------------------------------------------------------
// consensus/scenario

const TimerS = Schema.Literal('skip', 'soft-pass', 'hard-pass', 'request');
const StepS = Schema.Union(
  Schema.Struct({ node: Int, propose: Schema.Struct({ timestamp: Dec, txs: Schema.Array(Str) }) }),
  Schema.Struct({ node: Int, timer: TimerS }),
  /** Deliver to `node` the `index`-th message (from 0) that `from` has sent to `node`. */
  Schema.Struct({ node: Int, deliver: Schema.Struct({ from: Int, index: Int }) }),
);
type ScenarioStep = typeof StepS.Type;
const ScenarioIn = Schema.Struct({
  validators: Schema.Array(ValidatorS),
  routing: Schema.Literal('normal', 'optimistic'),
  /** coin(r) = coin[r mod length]. */
  coin: Schema.NonEmptyArray(Schema.Literal(0, 1)),
  steps: Schema.Array(StepS),
});
type ScenarioIn = typeof ScenarioIn.Type;
const ScenarioOut = Schema.Struct({
  /** Per step: sha256 of the canonical JSON of the step's messages and outputs. */
  steps: Schema.Array(Str),
  nodes: Schema.Array(Schema.Struct({
    id: Int,
    /** sha256 of the canonical JSON of every message the validator sent, in order. */
    sent: Str,
    decisions: Schema.Array(Schema.Struct({ seq: Int, proposer: Int, value: Str, round: Int, fast: Schema.Boolean })),
    blocks: Schema.Array(Schema.Struct({
      seq: Int, timestamp: Dec,
      proposals: Schema.Array(Schema.Struct({ proposer: Int, timestamp: Dec, txs: Schema.Array(Str), voters: Schema.Array(Int) })),
    })),
  })),
});
type ScenarioOut = typeof ScenarioOut.Type;

/** A validator under test: the model's nodeStep or the engine, behind one step function. */
type Stepper = (event: NodeEvent) => { readonly sends: readonly Send<Message>[]; readonly outputs: readonly NodeOutput[] };

/** Key-sorted JSON with bigints as decimal strings: the same text for equal values whatever the key order. */
const stableJson = (v: unknown): string => {
  if (typeof v === 'bigint') return JSON.stringify(v.toString());
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
};
const digest = (v: unknown): string => `0x${createHash('sha256').update(stableJson(v)).digest('hex')}`;

/**
 * Replays a scenario on one stepper per validator: each step's event goes to its node, and the
 * messages a node sends are queued per (sender, receiver) for later `deliver` steps.
 */
const replayScenario = (input: ScenarioIn, ids: readonly number[], make: (me: number) => Stepper): Result<ScenarioOut> => {
  const nodes = new Map(ids.map((id) => [id, make(id)]));
  const channels = new Map<string, Message[]>();
  const sent = new Map<number, Send<Message>[]>(ids.map((id) => [id, []]));
  const outputs = new Map<number, NodeOutput[]>(ids.map((id) => [id, []]));
  const steps: string[] = [];
  for (const [i, step] of input.steps.entries()) {
    const node = nodes.get(step.node);
    if (node === undefined) return fail('Consensus.Scenario.UNKNOWN_NODE', `steps[${i}].node ${step.node} is not a validator`);
    let event: NodeEvent;
    if ('propose' in step) event = { kind: 'propose', timestamp: step.propose.timestamp, txs: step.propose.txs };
    else if ('timer' in step) event = { kind: 'timer', timer: step.timer };
    else {
      const msg = channels.get(`${step.deliver.from}>${step.node}`)?.[step.deliver.index];
      if (msg === undefined) return fail('Consensus.Scenario.UNKNOWN_MESSAGE', `steps[${i}].deliver: validator ${step.deliver.from} has not sent message ${step.deliver.index} to ${step.node}`);
      event = { kind: 'deliver', from: step.deliver.from, msg };
    }
    const res = node(event);
    for (const s of res.sends) {
      for (const to of s.to === 'all' ? ids.filter((x) => x !== step.node) : [s.to]) {
        const key = `${step.node}>${to}`;
        channels.set(key, [...(channels.get(key) ?? []), s.msg]);
      }
    }
    sent.get(step.node)!.push(...res.sends);
    outputs.get(step.node)!.push(...res.outputs);
    steps.push(digest({ sends: res.sends, outputs: res.outputs }));
  }
  return ok({
    steps,
    nodes: ids.map((id) => {
      const out = outputs.get(id)!;
      return {
        id, sent: digest(sent.get(id)!),
        decisions: out.flatMap((o) => (o.kind === 'decided' ? [{ seq: o.seq, proposer: o.proposer, value: o.value, round: o.round, fast: o.fast }] : [])),
        blocks: out.flatMap((o) => (o.kind === 'block' ? [{ seq: o.seq, timestamp: o.timestamp, proposals: o.proposals.map((p) => ({ ...p, voters: [...p.voters] })) }] : [])),
      };
    }),
  });
};

const coinFn = (bits: readonly (0 | 1)[]) => (r: number): 0 | 1 => bits[r % bits.length]!;

const scenarioModel = (input: ScenarioIn): Result<ScenarioOut> =>
  flatMapResult(mv.validatorSet(input.validators), (validators) =>
    replayScenario(input, validators.validators.map((v) => v.id), (me) => {
      const config: mn.NodeConfig = { validators, me, coin: coinFn(input.coin), routing: input.routing };
      let state = mn.initialNodeState();
      return (ev) => {
        const r = mn.nodeStep(config, state, ev);
        state = r.state;
        return r;
      };
    }));

const scenarioImpl = (input: ScenarioIn): Result<ScenarioOut> =>
  flatMapResult(mv.validatorSet(input.validators), (validators) =>
    replayScenario(input, validators.validators.map((v) => v.id), (me) => {
      const engine = ie.createEngine({ validators, me, coin: coinFn(input.coin), routing: input.routing }, 0, 0n);
      return (ev) => ie.engineStep(engine, ev);
    }));

/**
 * A scenario drawn with a seeded scheduler and recorded as explicit steps: every live validator
 * proposes (or stays silent), then messages are delivered in random order, sometimes twice or
 * never, and when nothing is left to deliver every live validator's timers fire. Decisions are
 * the model's, computed when the vectors are generated.
 */
const drawScenario = (r: Prng, opts: { n: number; silent: readonly number[]; routing: 'normal' | 'optimistic'; coin: readonly (0 | 1)[]; loss: number; dup: number; maxSteps: number }): ScenarioIn => {
  const ids = Array.from({ length: opts.n }, (_, i) => i);
  const validators = ids.map((id) => ({ id, stake: 1n }));
  const live = ids.filter((id) => !opts.silent.includes(id));
  const input: ScenarioIn = { validators, routing: opts.routing, coin: [opts.coin[0]!, ...opts.coin.slice(1)], steps: [] };
  const steps: ScenarioStep[] = [];
  // Drive the model to learn how many messages each step sends, so that deliveries name real ones.
  const set = mv.validatorSet(validators);
  if (!set.ok) return input;
  const states = new Map(live.map((id) => [id, mn.initialNodeState()]));
  const sentCount = new Map<string, number>();
  const pending: { from: number; to: number; index: number }[] = [];
  const channelMsgs = new Map<string, Message[]>();
  const record = (from: number, res: readonly Send<Message>[]): void => {
    for (const s of res) for (const to of s.to === 'all' ? ids.filter((x) => x !== from) : [s.to]) channelMsgs.set(`${from}>${to}`, [...(channelMsgs.get(`${from}>${to}`) ?? []), s.msg]);
  };
  const apply = (step: ScenarioStep, ev: NodeEvent): void => {
    const config: mn.NodeConfig = { validators: set.value, me: step.node, coin: coinFn(opts.coin), routing: opts.routing };
    const res = mn.nodeStep(config, states.get(step.node)!, ev);
    states.set(step.node, res.state);
    steps.push(step);
    record(step.node, res.sends);
    for (const s of res.sends) {
      for (const to of s.to === 'all' ? ids.filter((x) => x !== step.node) : [s.to]) {
        const key = `${step.node}>${to}`;
        const index = sentCount.get(key) ?? 0;
        sentCount.set(key, index + 1);
        if (live.includes(to) && !(r.below(1000) < opts.loss * 1000)) pending.push({ from: step.node, to, index });
      }
    }
  };
  const step = (st: ScenarioStep): void => {
    const ev: NodeEvent = 'propose' in st ? { kind: 'propose', timestamp: st.propose.timestamp, txs: st.propose.txs }
      : 'timer' in st ? { kind: 'timer', timer: st.timer }
      : { kind: 'deliver', from: st.deliver.from, msg: channelMsgs.get(`${st.deliver.from}>${st.node}`)![st.deliver.index]! };
    apply(st, ev);
  };
  for (const id of live) step({ node: id, propose: { timestamp: BigInt(1000 + r.below(100)), txs: [`0x${id.toString(16).padStart(64, '0')}`, `0x${'ab'.repeat(32)}`] } });
  let quiet = 0;
  while (steps.length < opts.maxSteps && quiet < 3) {
    if (pending.length === 0) {
      quiet++;
      for (const id of live) for (const timer of ['skip', 'soft-pass', 'hard-pass', 'request'] as const) step({ node: id, timer });
      continue;
    }
    quiet = 0;
    const k = r.below(pending.length);
    const d = pending[k]!;
    if (!(r.below(1000) < opts.dup * 1000)) pending.splice(k, 1);
    step({ node: d.to, deliver: { from: d.from, index: d.index } });
  }
  return { ...input, steps };
};

const SC = ['CONS-TUMB-SEQ.1', 'CONS-MYBA-AGREEMENT.1', 'CONS-TUMB-COMPLETE.1', 'CONS-TUMB-OUTPUT.1', 'CONS-TUMB-ROUTING.1'];
const scDraft = encoded(ScenarioIn);

const scenarioCases = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  const cases: CaseDraft[] = [];
  const configs = [
    { id: 'all-honest', description: 'Four honest validators, random delivery order', silent: [] as number[], loss: 0, dup: 0 },
    { id: 'one-silent', description: 'One silent validator: its instance is dropped or decided ZERO', silent: [3], loss: 0, dup: 0 },
    { id: 'duplicates', description: 'Messages delivered more than once', silent: [] as number[], loss: 0, dup: 0.2 },
    { id: 'lossy', description: 'Some messages never delivered (no liveness expected)', silent: [] as number[], loss: 0.1, dup: 0 },
  ];
  for (const c of configs) {
    for (const routing of ['normal', 'optimistic'] as const) {
      for (const coin of [[0], [1], [0, 1]] as const) {
        const input = drawScenario(r, { n: 4, silent: c.silent, routing, coin, loss: c.loss, dup: c.dup, maxSteps: 200 });
        cases.push(scDraft(`${c.id}.${routing}.coin-${coin.join('')}`, `${c.description}; ${routing} routing; coin ${coin.join(',')}`, [...SC, ...(routing === 'optimistic' ? ['CONS-TUMB-ROUTING-SWITCH.1'] : [])], input));
      }
    }
  }
  const bad = drawScenario(prng(seed + 1), { n: 4, silent: [], routing: 'normal', coin: [1], loss: 0, dup: 0, maxSteps: 10 });
  cases.push(scDraft('unknown-message', 'A delivery naming a message never sent', SC, { ...bad, steps: [...bad.steps, { node: 0, deliver: { from: 1, index: 999 } }] }));
  cases.push(scDraft('unknown-node', 'A step for a validator not in the set', SC, { ...bad, steps: [{ node: 9, timer: 'skip' }] }));
  return cases;
};

export const scenarioKind = defineKind({
  kind: 'consensus/scenario',
  area: 'consensus',
  description: 'A whole MyTumbler run of four validators on an explicit delivery schedule: per step a digest of the messages and outputs, per validator a digest of everything it sent, its decisions and its blocks.',
  input: ScenarioIn,
  output: ScenarioOut,
  errorCodes: [...VALIDATOR_ERRORS, 'Consensus.Scenario.UNKNOWN_NODE', 'Consensus.Scenario.UNKNOWN_MESSAGE'],
  model: scenarioModel,
  impl: scenarioImpl,
  suites: [{ suite: 'random', description: 'Seeded delivery schedules: honest, one silent validator, duplicates, loss; both routings; three coins', seed: 3333, cases: scenarioCases }],
});

export const consensusKinds = [thresholdsKind, certificateKind, txMappingKind, dedupKind, medianTimestampKind, scenarioKind] as const;
