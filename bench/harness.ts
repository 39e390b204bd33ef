/**
 * Side-by-side benchmarks: each comparison runs this project's code and a peer in the same
 * process, in interleaved rounds (A, B, A, B, ...) so that drift in machine load hits both sides
 * alike, and reports medians, extremes and the ratio of medians. No absolute time is a target.
 */
export interface BenchSide {
  readonly name: string;
  /** One unit of work; its result is kept so the engine cannot drop the call. */
  readonly run: () => unknown;
}

export interface Comparison {
  readonly name: string;
  /** What one unit of work is, for the report (e.g. "hash 1 KiB"). */
  readonly unit: string;
  readonly ours: BenchSide;
  readonly peer: BenchSide;
}

export interface SideStats {
  readonly name: string;
  /** Nanoseconds per unit of work in each round. */
  readonly medianNs: number;
  readonly minNs: number;
  readonly maxNs: number;
  readonly rounds: number;
}

export interface ComparisonResult {
  readonly name: string;
  readonly unit: string;
  readonly ours: SideStats;
  readonly peer: SideStats;
  /** ours / peer on medians: below 1 means ours is faster. */
  readonly ratio: number;
}

export interface BenchOptions {
  readonly rounds: number;
  /** Each round runs a side for about this long. */
  readonly roundMs: number;
}

let sink: unknown;

/** The median (the mean of the two middle values for an even count; NaN for none). */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** How many calls fill about `ms` milliseconds, found by doubling. */
const calibrate = (side: BenchSide, ms: number): number => {
  for (let n = 1; ; n *= 2) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink = side.run();
    if (performance.now() - t0 >= ms || n >= 1 << 26) return n;
  }
};

const timeRound = (side: BenchSide, calls: number): number => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink = side.run();
  return Number(process.hrtime.bigint() - t0) / calls;
};

const stats = (name: string, samples: readonly number[]): SideStats => ({
  name, medianNs: median(samples), minNs: Math.min(...samples), maxNs: Math.max(...samples), rounds: samples.length,
});

export const compare = (c: Comparison, options: BenchOptions): ComparisonResult => {
  // Warm both sides up so that neither is measured while the JIT is still compiling it.
  const oursCalls = calibrate(c.ours, options.roundMs);
  const peerCalls = calibrate(c.peer, options.roundMs);
  const ours: number[] = [];
  const peer: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    // Alternate which side goes first so neither always runs on a warmer cache.
    if (r % 2 === 0) {
      ours.push(timeRound(c.ours, oursCalls));
      peer.push(timeRound(c.peer, peerCalls));
    } else {
      peer.push(timeRound(c.peer, peerCalls));
      ours.push(timeRound(c.ours, oursCalls));
    }
  }
  const o = stats(c.ours.name, ours);
  const p = stats(c.peer.name, peer);
  void sink;
  return { name: c.name, unit: c.unit, ours: o, peer: p, ratio: o.medianNs / p.medianNs };
};

export const formatNs = (ns: number): string =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(0)} ns`;
