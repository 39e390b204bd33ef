/**
 * The block timestamp: the median of the included proposals' timestamps, clamped to
 * (last, last + 300000] milliseconds.
 *
 * @module
 */
import { type Result, ok, fail } from '../encoding/result.js';

/** The most a block timestamp may advance over the previous one, in milliseconds. */
export const MAX_ADVANCE_MS = 300_000n;

/** The default advance of a block with no proposal: the hard-pass interval. */
export const DEFAULT_EMPTY_ADVANCE_MS = 5_000n;

const U64_MAX = (1n << 64n) - 1n;

export interface TimestampInput {
  readonly last: bigint;
  readonly timestamps: readonly bigint[];
  readonly emptyAdvance: bigint;
}

/**
 * Upper median of the proposal timestamps (or last + emptyAdvance without proposals), then at
 * least last + 1, then at most last + 300000.
 *
 * @spec CONS-TUMB-TIMESTAMP.1
 */
export const blockTimestamp = (input: TimestampInput): Result<bigint> => {
  const inRange = (x: bigint): boolean => x >= 0n && x <= U64_MAX;
  if (!inRange(input.last)) return fail('Consensus.Timestamp.OUT_OF_RANGE', `last ${input.last} is not a u64`);
  if (!inRange(input.emptyAdvance)) return fail('Consensus.Timestamp.OUT_OF_RANGE', `emptyAdvance ${input.emptyAdvance} is not a u64`);
  const bad = input.timestamps.findIndex((t) => !inRange(t));
  if (bad >= 0) return fail('Consensus.Timestamp.OUT_OF_RANGE', `timestamps[${bad}] ${input.timestamps[bad]} is not a u64`);
  if (input.last + MAX_ADVANCE_MS > U64_MAX) {
    return fail('Consensus.Timestamp.OVERFLOW', `last ${input.last} leaves no room for a later timestamp below 2^64`);
  }
  const sorted = [...input.timestamps].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const candidate = sorted.length === 0 ? input.last + input.emptyAdvance : sorted[Math.floor(sorted.length / 2)]!;
  const atLeast = candidate > input.last ? candidate : input.last + 1n;
  return ok(atLeast - input.last > MAX_ADVANCE_MS ? input.last + MAX_ADVANCE_MS : atLeast);
};
