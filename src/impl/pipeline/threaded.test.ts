/**
 * The threaded pipeline (worker threads for execution and for the state commitment, stages as
 * concurrent loops) against the serial reference. Worker threads run compiled JavaScript, so this
 * file loads the pipeline from dist/ (`npm test` builds first); without dist/ it is skipped.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PipelineInput, type TierEvent, type Tx, checkTierStream, eventsOfTx, runSerial, txHash } from '../../model/pipeline/index.js';
import { CONTENTION_LEVELS, generatedWorkload } from '../../conformance/kinds/pipeline.js';
import { prng } from '../../conformance/vectors/prng.js';

type Compiled = typeof import('./index.js');
type Threads = import('./index.js').PipelineThreads;
const DIST = new URL('../../../dist/src/impl/pipeline/index.js', import.meta.url);
const HAVE_DIST = existsSync(fileURLToPath(DIST));
const RUNS = Number(process.env['PIPELINE_THREADED_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 10_000 : 2_000));

const seqOf = (e: TierEvent): bigint => (e.tier === 'transaction' ? e.receipt.seq : e.seq);

const workloadArb = fc.record({ seed: fc.nat(), contention: fc.constantFrom(...CONTENTION_LEVELS), blocks: fc.integer({ min: 1, max: 6 }), txs: fc.integer({ min: 0, max: 24 }) })
  .map(({ seed, contention, blocks, txs }) => generatedWorkload(prng(seed), contention, blocks, txs));

const optionsArb = fc.record({
  depth: fc.integer({ min: 1, max: 4 }),
  workers: fc.integer({ min: 0, max: 2 }),
  minParallel: fc.integer({ min: 0, max: 6 }),
  commitThread: fc.boolean(),
  parallel: fc.constantFrom('always' as const, 'adaptive' as const),
});

describe.skipIf(!HAVE_DIST)(`threaded pipeline equals the serial pipeline${HAVE_DIST ? '' : ' (skipped: dist/ is missing, run npm run build)'}`, () => {
  let mod: Compiled;
  let threads: Threads;
  beforeAll(async () => {
    mod = (await import(DIST.href)) as Compiled;
    threads = mod.PipelineThreads.start(2);
  });
  afterAll(async () => { await threads.close(); });

  const equivalent = async (input: PipelineInput, opts: { depth: number; workers: number; minParallel: number; commitThread: boolean; parallel?: 'always' | 'adaptive'; arrivalsMs?: number[] }): Promise<void> => {
    const model = runSerial(input);
    const node = mod.ThreadedPipeline.create(input, { ...opts, threads });
    expect(node.ok).toBe(model.ok);
    if (!model.ok || !node.ok) {
      if (!model.ok && !node.ok) expect(node.error.code).toBe(model.error.code);
      return;
    }
    const run = await node.value.run();
    expect(run.genesisRoot).toBe(model.value.genesisRoot);
    expect(run.blocks).toEqual(model.value.blocks);
    expect(run.duplicates).toEqual(model.value.duplicates);
    expect(run.events.length).toBe(model.value.events.length);
    for (const b of model.value.blocks) {
      expect(run.events.filter((e) => seqOf(e) === b.seq)).toEqual(model.value.events.filter((e) => seqOf(e) === b.seq));
      for (const r of b.receipts) expect(eventsOfTx(run.events, r.tx)).toEqual(eventsOfTx(model.value.events, r.tx));
    }
    const stream = checkTierStream(run.events, opts.depth);
    expect(stream.ok ? null : stream.error).toBeNull();
  };

  // @spec PIPE-EXEC-SERIAL.1 PIPE-EXEC-PARALLEL.1 PIPE-OVERLAP.1 PIPE-TIER-EARLY-FINAL.1 PIPE-TIER-MONOTONE.1 PIPE-DEPTH-BOUND.1 PIPE-EVENT-ORDER.1
  it(`over ${RUNS} generated workloads on worker threads, contention none to total`, async () => {
    await fc.assert(fc.asyncProperty(workloadArb, optionsArb, (input, opts) => equivalent(input, opts)), { numRuns: RUNS });
  }, 300_000);

  // @spec PIPE-OVERLAP.1 PIPE-STAGE-COMMIT.1
  it('equals serial when blocks arrive spread out in time, so stages meet at different points', async () => {
    await fc.assert(fc.asyncProperty(workloadArb, optionsArb, fc.array(fc.nat(3), { minLength: 6, maxLength: 6 }), async (input, opts, gaps) => {
      let t = 0;
      await equivalent(input, { ...opts, arrivalsMs: gaps.map((g) => (t += g)) });
    }), { numRuns: 40 });
  }, 120_000);

  // @spec PIPE-EXEC-PARALLEL.1
  it('re-executes conflicting transactions at the merge under total contention and still equals serial', async () => {
    const input = generatedWorkload(prng(7), 'total', 6, 40);
    const node = mod.ThreadedPipeline.create(input, { depth: 3, workers: 2, minParallel: 0, threads });
    if (!node.ok) throw new Error(node.error.message);
    const run = await node.value.run();
    expect(node.value.counters.parallel).toBeGreaterThan(0);
    expect(node.value.counters.reexecuted).toBeGreaterThan(0);
    const serial = runSerial(input);
    expect(serial.ok && serial.value.blocks).toEqual(run.blocks);
  });

  // @spec PIPE-STAGE-COMMIT.1 PIPE-TX-FORM.2
  it('commits values of 2^53 and above on the commit shards as serial does', async () => {
    // Below 2^53 a value crosses to a shard as a number, from there on as decimal text.
    const big = [2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n];
    const bodies: Tx[] = [
      ...big.map((_, i): Tx => ({ kind: 'transfer', from: `b${i}`, to: `c${i}`, amount: 1n, salt: i })),
      { kind: 'call', from: 'b2', contract: 'k', slot: 0, op: 'add', amount: 2n ** 64n - 1n, salt: 9 },
      { kind: 'call', from: 'b2', contract: 'k', slot: 0, op: 'add', amount: 2n ** 64n - 1n, salt: 10 },
      { kind: 'call', from: 'b2', contract: 'k', slot: 1, op: 'add', amount: 2n ** 53n, salt: 11 },
    ];
    const input: PipelineInput = {
      genesis: big.map((balance, i) => ({ account: `b${i}`, balance })),
      blocks: [{ seq: 1n, proposals: [{ proposer: 0, txs: bodies.slice(0, 3).map(txHash) }] }, { seq: 2n, proposals: [{ proposer: 0, txs: bodies.slice(3).map(txHash) }] }],
      bodies,
    };
    await equivalent(input, { depth: 3, workers: 0, minParallel: 0, commitThread: true });
  });

  // @spec PIPE-EXEC-PARALLEL.1
  it('adaptive policy: blocks whose predicted re-executions rule the threads out stay on the main thread, others try them', async () => {
    const parallelBlocks = async (input: PipelineInput): Promise<number> => {
      const node = mod.ThreadedPipeline.create(input, { depth: 3, workers: 2, minParallel: 8, parallel: 'adaptive', threads });
      if (!node.ok) throw new Error(node.error.message);
      await node.value.run();
      return node.value.counters.parallelBlocks;
    };
    const blocks = (contention: 'none' | 'total'): PipelineInput => {
      const bodies: Tx[] = Array.from({ length: 6 * 40 }, (_, i) => contention === 'none'
        ? { kind: 'transfer', from: `u${i}`, to: `v${i}`, amount: 1n, salt: i }
        : { kind: 'call', from: 'a0', contract: 'k', slot: 0, op: 'add', amount: 1n, salt: i });
      const genesis = contention === 'none' ? bodies.map((_, i) => ({ account: `u${i}`, balance: 5n })) : [{ account: 'a0', balance: 5n }];
      return { genesis, bodies, blocks: Array.from({ length: 6 }, (_, b) => ({ seq: BigInt(b + 1), proposals: [{ proposer: 0, txs: bodies.slice(40 * b, 40 * b + 40).map(txHash) }] })) };
    };
    // Every transaction of the second run reads what the first run wrote: never worth a try.
    expect(await parallelBlocks(blocks('total'))).toBe(0);
    // No transaction reads another's writes: the threads are tried once their round trip is unknown.
    expect(await parallelBlocks(blocks('none'))).toBeGreaterThan(0);
  });

  // @spec PIPE-SUBSCRIBE.1
  it('streams to a subscription by transaction exactly that transaction\'s events, in the serial order', async () => {
    for (let seed = 0; seed < 10; seed++) {
      const input = generatedWorkload(prng(seed), CONTENTION_LEVELS[seed % CONTENTION_LEVELS.length]!, 4, 12);
      const model = runSerial(input);
      const node = mod.ThreadedPipeline.create(input, { depth: 3, workers: 2, minParallel: 0, threads });
      if (!model.ok || !node.ok) throw new Error('generated workloads are well formed');
      const tx = model.value.blocks.flatMap((b) => b.receipts.map((r) => r.tx))[seed];
      if (tx === undefined) continue;
      const seen: TierEvent[] = [];
      node.value.subscribe((e) => seen.push(e), { tx });
      await node.value.run();
      expect(seen).toEqual(eventsOfTx(model.value.events, tx));
    }
  });

  it('runs its input once: a second run is refused', async () => {
    const node = mod.ThreadedPipeline.create(generatedWorkload(prng(5), 'low', 2, 6), { threads });
    if (!node.ok) throw new Error(node.error.message);
    await node.value.run();
    await expect(node.value.run()).rejects.toThrow('Pipeline.Run.ONCE');
  });

  // @spec PIPE-ORDER-INPUT.1 PIPE-TX-FORM.2
  it('rejects bad input with the serial codes', () => {
    const input = generatedWorkload(prng(3), 'low', 3, 5);
    const code = (i: PipelineInput): string | undefined => { const r = mod.ThreadedPipeline.create(i); return r.ok ? undefined : r.error.code; };
    const serialCode = (i: PipelineInput): string | undefined => { const r = runSerial(i); return r.ok ? undefined : r.error.code; };
    for (const bad of [{ ...input, bodies: [] }, { ...input, genesis: [...input.genesis, ...input.genesis] }, { ...input, blocks: [...input.blocks].reverse() }]) {
      expect(code(bad)).toBe(serialCode(bad));
    }
  });
});
