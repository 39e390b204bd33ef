/**
 * Random simulator configurations for the consensus conformance properties: small validator sets,
 * one or two sequence numbers, every latency distribution, duplication, partitions that heal,
 * loss, a crashed validator or a Byzantine one with any strategy, and any coin.
 *
 * @module
 */
import fc from 'fast-check';
import type { Routing } from '../../model/consensus/myba.js';
import { BYZANTINE_STRATEGIES, type ByzantineStrategy, type Latency, type SimOptions } from '../../impl/consensus/sim.js';

export interface Schedule {
  readonly options: SimOptions;
  readonly routing: Routing;
  readonly coin: readonly (0 | 1)[];
  /** Messages can be lost: liveness is not expected. */
  readonly lossy: boolean;
}

const latency: fc.Arbitrary<Latency> = fc.oneof(
  fc.integer({ min: 1, max: 50 }).map((ms) => ({ kind: 'fixed' as const, ms })),
  fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 200 })).map(([min, d]) => ({ kind: 'uniform' as const, min, max: min + d })),
  fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 5, max: 150 })).map(([min, mean]) => ({ kind: 'exponential' as const, min, mean })),
);

export const scheduleArb = (opts: { readonly n?: readonly number[]; readonly seqs?: number } = {}): fc.Arbitrary<Schedule> =>
  fc.record({
    n: fc.constantFrom(...(opts.n ?? [4])),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
    seqs: fc.integer({ min: 1, max: opts.seqs ?? 2 }),
    routing: fc.constantFrom<Routing>('normal', 'optimistic'),
    coin: fc.array(fc.constantFrom<0 | 1>(0, 1), { minLength: 1, maxLength: 4 }),
    latency,
    fault: fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.record({ kind: fc.constant('crash' as const), at: fc.integer({ min: 0, max: 400 }) }),
      fc.record({ kind: fc.constant('byzantine' as const), strategy: fc.constantFrom<ByzantineStrategy>(...BYZANTINE_STRATEGIES) }),
    ),
    faulty: fc.nat(),
    duplication: fc.oneof(fc.constant(0), fc.constant(0.1), fc.constant(0.3)),
    loss: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(0.05) }),
    partition: fc.option(fc.record({ start: fc.integer({ min: 0, max: 200 }), length: fc.integer({ min: 1, max: 2000 }), side: fc.nat() }), { nil: undefined }),
  }).map((c) => {
    const ids = Array.from({ length: c.n }, (_, i) => i);
    const faulty = c.faulty % c.n;
    const f = Math.floor((c.n - 1) / 3);
    const options: SimOptions = {
      ids, seed: c.seed, seqs: c.seqs, latency: c.latency, duplication: c.duplication, loss: c.loss,
      ...(c.partition === undefined ? {} : { partitions: [{ start: c.partition.start, end: c.partition.start + c.partition.length, side: ids.filter((i) => ((c.partition!.side >> i) & 1) === 1) }] }),
      ...(c.fault.kind === 'crash' && f > 0 ? { crashes: new Map([[faulty, c.fault.at]]) } : {}),
      ...(c.fault.kind === 'byzantine' && f > 0 ? { byzantine: new Map([[faulty, c.fault.strategy]]) } : {}),
      maxEvents: 3000,
      timers: { skip: 300, softPass: 600, hardPass: 2500, request: 800 },
      txsPerProposal: 2,
    };
    return { options, routing: c.routing, coin: c.coin, lossy: c.loss > 0 };
  });
