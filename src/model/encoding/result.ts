/**
 * Failures are values. Every area returns `Result<T>` instead of throwing for bad input; the
 * `code` is a stable, never-renamed string such as `"Encoding.Hex.ODD_LENGTH"`, the `message` is
 * free text for humans and names what was wrong and where.
 *
 * @spec ENC-RESULT-CODES.1
 */
export interface Failure {
  readonly code: string;
  readonly message: string;
}

export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Failure };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = <T = never>(code: string, message: string): Result<T> => ({
  ok: false,
  error: { code, message },
});

/** Applies `f` to a successful value; a failure passes through unchanged. */
export const mapResult = <A, B>(r: Result<A>, f: (a: A) => B): Result<B> =>
  r.ok ? ok(f(r.value)) : r;

/** Chains a computation that may itself fail. */
export const flatMapResult = <A, B>(r: Result<A>, f: (a: A) => Result<B>): Result<B> =>
  r.ok ? f(r.value) : r;

/**
 * Collects a list of results into a result of a list; the first failure wins, so the reported
 * error is the one a reader scanning the input left to right meets first.
 */
export const allResults = <T>(rs: readonly Result<T>[]): Result<readonly T[]> => {
  const values: T[] = [];
  for (const r of rs) {
    if (!r.ok) return r;
    values.push(r.value);
  }
  return ok(values);
};
