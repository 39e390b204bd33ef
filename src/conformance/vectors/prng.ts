/**
 * A small seeded generator (SplitMix32-style) so that vector generation is reproducible from the
 * seed recorded in each file's header, on any platform.
 */
export interface Prng {
  /** A uniform 32-bit unsigned integer. */
  readonly next: () => number;
  /** A uniform integer in [0, n). */
  readonly below: (n: number) => number;
  readonly bytes: (n: number) => Uint8Array;
  readonly pick: <T>(xs: readonly T[]) => T;
}

export const prng = (seed: number): Prng => {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const below = (n: number): number => Math.floor((next() / 2 ** 32) * n);
  return {
    next,
    below,
    bytes: (n) => Uint8Array.from({ length: n }, () => next() & 0xff),
    pick: (xs) => xs[below(xs.length)]!,
  };
};
