import type { Schema } from 'effect';
import type { Result } from '../../model/encoding/result.js';

/** One case as a generator writes it, before the model fills in `expected` and `hash`. */
export interface CaseDraft {
  readonly id: string;
  readonly description: string;
  readonly requirements: readonly string[];
  readonly input: unknown;
}

/** A suite of one kind: a named, seeded, deterministic list of case drafts. */
export interface SuiteGenerator {
  readonly suite: string;
  readonly description: string;
  readonly seed: number;
  readonly cases: (seed: number) => readonly CaseDraft[];
}

/**
 * A vector kind: the shape of its input and output (as Effect Schemas over JSON), the error codes
 * it may produce, and how the model and the implementation answer it. Both answer decoded input
 * with decoded output; the runner encodes outputs back to JSON before comparing, so what is
 * compared is exactly what an external client would send.
 */
export interface KindDefinition<I = unknown, O = unknown, EncodedI = unknown, EncodedO = unknown> {
  readonly kind: string;
  readonly area: string;
  readonly description: string;
  readonly input: Schema.Schema<I, EncodedI>;
  readonly output: Schema.Schema<O, EncodedO>;
  readonly errorCodes: readonly string[];
  readonly model: (input: I) => Result<O>;
  readonly impl: (input: I) => Result<O>;
  readonly suites: readonly SuiteGenerator[];
}

/** Erases the type parameters so kinds of different shapes fit in one registry. */
export const defineKind = <I, O, EI, EO>(k: KindDefinition<I, O, EI, EO>): KindDefinition => k as unknown as KindDefinition;
