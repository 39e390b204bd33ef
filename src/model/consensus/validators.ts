/**
 * The validator set and the stake-weighted thresholds every consensus rule counts with.
 *
 * @module
 */
import { type Result, ok, fail } from '../encoding/result.js';

/** Validator ids are small non-negative integers; "ordered by id" is ascending numeric order. */
export type ValidatorId = number;

export interface Validator {
  readonly id: ValidatorId;
  /** A positive integer below 2^64. */
  readonly stake: bigint;
}

/** The thresholds derived from a validator set (CONS-VAL-THRESHOLDS.1). */
export interface Thresholds {
  readonly total: bigint;
  /** The most stake Byzantine validators may hold: floor((total - 1) / 3). */
  readonly fStake: bigint;
  /** total - fStake. */
  readonly quorum: bigint;
}

/** A checked validator set: validators sorted by id, with their thresholds. */
export interface ValidatorSet {
  readonly validators: readonly Validator[];
  readonly stakeOf: ReadonlyMap<ValidatorId, bigint>;
  readonly thresholds: Thresholds;
}

const U64_LIMIT = 1n << 64n;
const MAX_ID = 65535;

/**
 * Checks a validator set: non-empty, distinct integer ids in 0..65535, stakes positive and below
 * 2^64 (so that, as in the public code, the total of up to 65536 stakes never needs more than
 * 80 bits and every comparison is exact).
 *
 * @spec CONS-VAL-SET.1
 */
export const validatorSet = (validators: readonly Validator[]): Result<ValidatorSet> => {
  if (validators.length === 0) return fail('Consensus.Validators.EMPTY', 'the validator set is empty');
  for (const [i, v] of validators.entries()) {
    if (!Number.isInteger(v.id) || v.id < 0 || v.id > MAX_ID) {
      return fail('Consensus.Validators.BAD_ID', `validators[${i}].id must be an integer in 0..${MAX_ID}, got ${v.id}`);
    }
    if (v.stake <= 0n || v.stake >= U64_LIMIT) {
      return fail('Consensus.Validators.BAD_STAKE', `validators[${i}].stake must be in 1..2^64-1, got ${v.stake}`);
    }
  }
  const sorted = [...validators].sort((a, b) => a.id - b.id);
  const dup = sorted.find((v, i) => i > 0 && sorted[i - 1]!.id === v.id);
  if (dup !== undefined) return fail('Consensus.Validators.DUPLICATE_ID', `validator id ${dup.id} appears twice`);
  return ok({
    validators: sorted,
    stakeOf: new Map(sorted.map((v) => [v.id, v.stake])),
    thresholds: thresholds(sorted.reduce((t, v) => t + v.stake, 0n)),
  });
};

/**
 * f_stake = floor((total - 1) / 3), quorum = total - f_stake.
 *
 * @spec CONS-VAL-THRESHOLDS.1
 */
export const thresholds = (total: bigint): Thresholds => {
  const fStake = total > 0n ? (total - 1n) / 3n : 0n;
  return { total, fStake, quorum: total - fStake };
};

/**
 * The stake of a set of validators, each counted once; ids outside the set count nothing.
 *
 * @spec CONS-VAL-COUNT.1
 */
export const stakeOfSet = (set: ValidatorSet, ids: Iterable<ValidatorId>): bigint => {
  let sum = 0n;
  for (const id of new Set(ids)) sum += set.stakeOf.get(id) ?? 0n;
  return sum;
};

/** Stake of at least `quorum`. @spec CONS-VAL-THRESHOLDS.1 CONS-VAL-COUNT.1 */
export const reachesQuorum = (set: ValidatorSet, ids: Iterable<ValidatorId>): boolean =>
  stakeOfSet(set, ids) >= set.thresholds.quorum;

/** Stake greater than `f_stake`: the set contains a correct validator. @spec CONS-VAL-THRESHOLDS.1 CONS-VAL-COUNT.1 */
export const exceedsFaulty = (set: ValidatorSet, ids: Iterable<ValidatorId>): boolean =>
  stakeOfSet(set, ids) > set.thresholds.fStake;

/** Validators of stake 1 with ids 0..n-1, the configuration of the model-checked instances. */
export const equalStakes = (n: number): readonly Validator[] =>
  Array.from({ length: n }, (_, id) => ({ id, stake: 1n }));
