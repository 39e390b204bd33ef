/**
 * Certificate validity: quorum certificates over BVAL and main-vote certificates over PROM/AUX.
 * Signatures are identified with their signers (the aggregate signature with its signer set); what
 * is checked is everything the public code checks apart from the cryptography.
 *
 * @module
 */
import { type Result, ok, fail } from '../encoding/result.js';
import { type ValidatorId, type ValidatorSet, stakeOfSet } from './validators.js';

/** A 32-byte value as lowercase 0x-hex: ZERO or a proposal hash. */
export type Value = string;

export const ZERO: Value = `0x${'00'.repeat(32)}`;

/** The bit of a value: ZERO is 0, every hash is 1. @spec CONS-MYBA-INSTANCE.1 */
export const bitOf = (v: Value): 0 | 1 => (v === ZERO ? 0 : 1);

/** QC(r, v): aggregated BVAL(r, v) signatures. */
export interface QuorumCertificate {
  readonly round: number;
  readonly value: Value;
  readonly signers: readonly ValidatorId[];
}

export interface MainVoteEntry {
  readonly value: Value;
  readonly signers: readonly ValidatorId[];
  readonly qc: QuorumCertificate;
}

/** A main-vote certificate of one round. */
export interface MainVote {
  readonly round: number;
  readonly proms: readonly MainVoteEntry[];
  readonly auxes: readonly MainVoteEntry[];
}

/** What a valid main vote says: its values (ascending) and whether it is pure PROM. */
export interface MainVoteSummary {
  readonly values: readonly Value[];
  readonly purePromise: boolean;
  readonly signerStake: bigint;
}

const checkSigners = (set: ValidatorSet, signers: readonly ValidatorId[], where: string): Result<true> => {
  const unknown = signers.find((s) => !set.stakeOf.has(s));
  if (unknown !== undefined) return fail('Consensus.Certificate.UNKNOWN_SIGNER', `${where}: signer ${unknown} is not a validator`);
  const seen = new Set<ValidatorId>();
  for (const s of signers) {
    if (seen.has(s)) return fail('Consensus.Certificate.DUPLICATE_SIGNER', `${where}: signer ${s} signs twice`);
    seen.add(s);
  }
  return ok(true);
};

/**
 * A QC is valid when its signers are distinct validators holding at least `quorum` stake, and it
 * is for the round and value it is used for.
 *
 * @spec CONS-MYBA-QC.1
 */
export const checkQuorumCertificate = (set: ValidatorSet, qc: QuorumCertificate, round: number, value: Value, where = 'qc'): Result<true> => {
  if (qc.round !== round || qc.value !== value) {
    return fail('Consensus.Certificate.QC_MISMATCH', `${where}: a QC for round ${qc.round} and ${qc.value} is used for round ${round} and ${value}`);
  }
  const signers = checkSigners(set, qc.signers, where);
  if (!signers.ok) return signers;
  const stake = stakeOfSet(set, qc.signers);
  if (stake < set.thresholds.quorum) {
    return fail('Consensus.Certificate.NO_QUORUM', `${where}: signers hold ${stake}, quorum is ${set.thresholds.quorum}`);
  }
  return ok(true);
};

/**
 * Main-vote certificate validity, with the first reason it fails in the order the rule lists them.
 *
 * @spec CONS-MYBA-MAINVOTE.1
 */
export const checkMainVote = (set: ValidatorSet, mv: MainVote): Result<MainVoteSummary> => {
  if (mv.proms.length + mv.auxes.length === 0) return fail('Consensus.Certificate.EMPTY', 'the main vote has no entries');
  if (mv.proms.length > 2 || mv.auxes.length > 2) {
    return fail('Consensus.Certificate.TOO_MANY_ENTRIES', `the main vote has ${mv.proms.length} PROM and ${mv.auxes.length} AUX entries, at most 2 of each`);
  }
  for (const [kind, entries] of [['proms', mv.proms], ['auxes', mv.auxes]] as const) {
    if (entries.length === 2 && entries[0]!.value === entries[1]!.value) {
      return fail('Consensus.Certificate.DUPLICATE_VALUE', `${kind}[0] and ${kind}[1] are both for ${entries[0]!.value}`);
    }
  }
  const all = [...mv.proms.map((e, i) => [`proms[${i}]`, e] as const), ...mv.auxes.map((e, i) => [`auxes[${i}]`, e] as const)];
  const seen = new Map<ValidatorId, string>();
  for (const [where, e] of all) {
    if (e.signers.length === 0) return fail('Consensus.Certificate.NO_SIGNERS', `${where} has no signers`);
    const checked = checkSigners(set, e.signers, where);
    if (!checked.ok) return checked;
    for (const s of e.signers) {
      const before = seen.get(s);
      if (before !== undefined) return fail('Consensus.Certificate.DUPLICATE_SIGNER', `${where}: signer ${s} also signs ${before}`);
      seen.set(s, where);
    }
  }
  const signerStake = stakeOfSet(set, seen.keys());
  if (signerStake < set.thresholds.quorum) {
    return fail('Consensus.Certificate.NO_QUORUM', `the main vote's signers hold ${signerStake}, quorum is ${set.thresholds.quorum}`);
  }
  const values = [...new Set(all.map(([, e]) => e.value))].sort();
  if (values.length > 1) {
    for (const [where, e] of all) {
      const qc = checkQuorumCertificate(set, e.qc, mv.round, e.value, `${where}.qc`);
      if (!qc.ok) return fail('Consensus.Certificate.BAD_INNER_QC', qc.error.message);
    }
  }
  return ok({ values, purePromise: mv.auxes.length === 0 && values.length === 1, signerStake });
};

/** The outcome of a valid main vote for a validator in the certificate's round. */
export type MainVoteOutcome =
  | { readonly kind: 'decide'; readonly value: Value; readonly fast: boolean }
  | { readonly kind: 'next-round'; readonly estimate: Value };

/**
 * The fast path and the coin rule: pure PROM for one value decides it; one value decides when its
 * bit equals the coin and is the next estimate otherwise; two values give ZERO on coin 0 and the
 * least hash on coin 1.
 *
 * @spec CONS-MYBA-FAST.1 CONS-MYBA-COIN.1
 */
export const mainVoteOutcome = (values: readonly Value[], purePromise: boolean, coin: 0 | 1): MainVoteOutcome => {
  const sorted = [...new Set(values)].sort();
  if (sorted.length === 1) {
    const v = sorted[0]!;
    if (purePromise) return { kind: 'decide', value: v, fast: true };
    return bitOf(v) === coin ? { kind: 'decide', value: v, fast: false } : { kind: 'next-round', estimate: v };
  }
  if (coin === 0) return { kind: 'next-round', estimate: ZERO };
  return { kind: 'next-round', estimate: sorted.find((v) => v !== ZERO) ?? ZERO };
};
