/**
 * Pipeline benchmark: the pipelined implementation against a serial pipeline, on the same
 * generated workloads, in one process on this machine, in interleaved rounds.
 *
 * The two sides run the same code (`ThreadedPipeline`: the same execution, the same incremental
 * state commitment, the same finalization), configured differently:
 * - serial: depth 1, every stage of a block on the main thread back to back (order, execute,
 *   commit into the incremental trie, finalize) before the next block is ordered;
 * - pipelined: depth 3; the commit of block n on two commit shard threads (split by the first
 *   nibble of the key paths) while block n + 1 executes and block n + 2 is ordered; execution of a
 *   block on two execution worker threads with the ordered merge on the main thread, or on the
 *   main thread, as the adaptive policy predicts is faster (at the high-throughput rate the two
 *   fixed policies are measured as well).
 * The serial model (src/model/pipeline) is not a side: it is a specification, not a contender.
 *
 * Measurements per workload (`makeWorkload`: transfers, counter calls and WASM and EVM contract
 * calls; low and high contention):
 * - throughput: every block available at the start; blocks and transactions per second;
 * - latency per finality tier: blocks arrive at a steady interval and the latency of a tier is the
 *   time from a block's arrival to its event (its ordering event, its last transaction event, its
 *   block event). The high-throughput rate sets the interval to 1.05 times the serial pipeline's
 *   per-block service time, measured again at the start of each round because the machine's load
 *   drifts (the serial pipeline is 95% busy: it can just about keep up); the moderate rate to 2
 *   times;
 * - where the time goes: per block, the median of each segment from arrival to block finality
 *   (waiting to be ordered, ordering, waiting for execution, execution, merge, waiting for the
 *   commit, commit, finalization); and each stage's busy time over the run's wall time, summed over
 *   the threads that run it (so a stage on two threads can exceed 100%).
 * `npm run bench` runs Node with a 32 MiB young-generation semi-space (`--max-semi-space-size`),
 * for every thread of both sides: with the default, the commit shard threads (a fresh receipts tree
 * and thousands of digests per block) spent about a sixth of their time collecting the young
 * generation. Every result records the flags.
 */
import { cpus, loadavg } from 'node:os';
import { prng } from '../src/conformance/vectors/prng.js';
import { textTable } from '../src/conformance/runner/report.js';
import { median } from './harness.js';
import { type PipelineInput, type TierEvent, type Tx, accountId, txHash } from '../src/model/pipeline/index.js';
import { PipelineThreads, ThreadedPipeline, type BlockTiming, type StageTimes, type ThreadedOptions } from '../src/impl/pipeline/index.js';

interface Workload { readonly name: string; readonly contention: 'low' | 'high'; readonly input: PipelineInput; readonly txs: number }

/**
 * Blocks of transfers (half), built-in counter calls (a fifth) and contract calls on dMIR (the
 * rest: WASM token mints and transfers, counter increments and hot-spot touches with 32 rounds of
 * computation; one in twenty transactions an EVM token mint or transfer or counter increment,
 * lowered to dMIR). Low contention: 50,000 accounts, 64 token and counter instances and 256 counter
 * slots; high contention: eight accounts, one instance of each contract and two slots.
 */
const makeWorkload = (contention: 'low' | 'high', blocks: number, perBlock: number, seed: number): Workload => {
  const r = prng(seed);
  const accounts = contention === 'low' ? 50_000 : 8;
  const slots = contention === 'low' ? 256 : 2;
  const instances = contention === 'low' ? 64 : 1;
  const bodies: Tx[] = [];
  const out = [];
  let salt = 0;
  for (let b = 0; b < blocks; b++) {
    const hashes: string[] = [];
    for (let i = 0; i < perBlock; i++) {
      const from = `a${r.below(accounts)}`;
      const kind = r.below(10);
      let tx: Tx;
      if (kind < 5) tx = { kind: 'transfer', from, to: `a${r.below(accounts)}`, amount: BigInt(r.below(50)), salt: salt++ };
      else if (kind < 7) tx = { kind: 'call', from, contract: `k${r.below(4)}`, slot: r.below(slots), op: r.pick(['add', 'sub', 'move'] as const), amount: BigInt(r.below(5)), salt: salt++ };
      else if (kind === 7) tx = { kind: 'wasm', from, contract: `t${r.below(instances)}`, code: 'token', method: 'mint', args: [BigInt(r.below(100))], salt: salt++ };
      else if (kind === 8) tx = { kind: 'wasm', from, contract: `t${r.below(instances)}`, code: 'token', method: 'transfer', args: [accountId(`a${r.below(accounts)}`), BigInt(r.below(60))], salt: salt++ };
      else {
        const c = r.below(4);
        if (c === 0) tx = { kind: 'wasm', from, contract: `c${r.below(instances)}`, code: 'counter', method: 'inc', args: [BigInt(r.below(10))], salt: salt++ };
        else if (c === 1) tx = { kind: 'wasm', from, contract: `h${r.below(instances)}`, code: 'hotspot', method: 'touch', args: [BigInt(r.below(8)), BigInt(r.below(10)), 32n, BigInt(r.below(3))], salt: salt++ };
        else if (c === 2) {
          tx = r.below(2) === 0
            ? { kind: 'evm', from, contract: `t${r.below(instances)}`, code: 'token', method: 'mint', args: [BigInt(r.below(100))], salt: salt++ }
            : { kind: 'evm', from, contract: `t${r.below(instances)}`, code: 'token', method: 'transfer', args: [accountId(`a${r.below(accounts)}`), BigInt(r.below(60))], salt: salt++ };
        }
        else tx = { kind: 'evm', from, contract: `c${r.below(instances)}`, code: 'counter', method: 'inc', args: [BigInt(r.below(10))], salt: salt++ };
      }
      bodies.push(tx);
      hashes.push(txHash(tx));
    }
    out.push({ seq: BigInt(b + 1), proposals: [{ proposer: 0, txs: hashes }] });
  }
  const genesis = Array.from({ length: accounts }, (_, i) => ({ account: `a${i}`, balance: 1_000n }));
  return { name: `${contention} contention, ${blocks} blocks x ${perBlock} txs`, contention, input: { genesis, blocks: out, bodies }, txs: blocks * perBlock };
};

const SERIAL: ThreadedOptions = { depth: 1, workers: 0, commitThread: false };
const pipelined = (threads: PipelineThreads): ThreadedOptions => ({ depth: 3, workers: threads.exec.length, minParallel: 64, parallel: 'adaptive', commitThread: true, threads });
/** Variants at the high-throughput rate: every block on the execution threads, or every block on the main thread. */
const VARIANTS = {
  pipelinedAlwaysThreads: { label: 'pipelined, exec always on threads', options: (threads: PipelineThreads): ThreadedOptions => ({ ...pipelined(threads), parallel: 'always' }) },
  pipelinedMainExec: { label: 'pipelined, exec on main thread', options: (threads: PipelineThreads): ThreadedOptions => ({ ...pipelined(threads), workers: 0 }) },
} as const;
type Variant = keyof typeof VARIANTS;
const VARIANT_NAMES = Object.keys(VARIANTS) as Variant[];

const TIERS = ['ordering', 'transaction', 'block'] as const;
type Tier = (typeof TIERS)[number];
const SEGMENTS = ['waitOrder', 'order', 'waitExecute', 'execute', 'merge', 'waitCommit', 'commit', 'finalize'] as const;
type Segment = (typeof SEGMENTS)[number];
const STAGES = ['order', 'execute', 'merge', 'commit', 'finalize'] as const;
type StageName = (typeof STAGES)[number];

interface RunStats {
  readonly wallMs: number;
  readonly times: StageTimes;
  readonly reexecuted: number;
  readonly parallelBlocks: number;
  readonly tier: Record<Tier, number[]>;
  readonly segments: Record<Segment, number[]>;
  readonly roots: readonly string[];
}

const segmentsOf = (t: BlockTiming): Record<Segment, number> => ({
  waitOrder: t.orderStartMs - t.arrivalMs,
  order: t.orderedMs - t.orderStartMs,
  waitExecute: t.execStartMs - t.orderedMs,
  execute: t.executedMs - t.execStartMs,
  merge: t.mergedMs - t.executedMs,
  waitCommit: Math.max(0, t.commitStartMs - t.mergedMs),
  commit: t.committedMs - Math.max(t.commitStartMs, t.mergedMs),
  finalize: t.finalMs - t.committedMs,
});

const once = async (w: Workload, options: ThreadedOptions): Promise<RunStats> => {
  const node = ThreadedPipeline.create(w.input, options);
  if (!node.ok) throw new Error(`${node.error.code}: ${node.error.message}`);
  const run = await node.value.run();
  if (run.blocks.length !== w.input.blocks.length) throw new Error('the pipeline did not finish every block');
  const n = w.input.blocks.length;
  const tier: Record<Tier, number[]> = { ordering: new Array<number>(n).fill(0), transaction: new Array<number>(n).fill(0), block: new Array<number>(n).fill(0) };
  const index = new Map(w.input.blocks.map((b, i) => [b.seq, i]));
  run.events.forEach((e: TierEvent, k) => {
    const i = index.get(e.tier === 'transaction' ? e.receipt.seq : e.seq)!;
    // The last transaction event of a block is when all its receipts are known.
    tier[e.tier][i] = node.value.logTimesMs[k]! - node.value.timings[i]!.arrivalMs;
  });
  const segments = Object.fromEntries(SEGMENTS.map((s) => [s, node.value.timings.map((t) => segmentsOf(t)[s])])) as Record<Segment, number[]>;
  return { wallMs: node.value.times.wallMs, times: { ...node.value.times }, reexecuted: node.value.counters.reexecuted, parallelBlocks: node.value.counters.parallelBlocks, tier, segments, roots: run.blocks.map((b) => b.root) };
};

const pct = (xs: readonly number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!; };
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const pc = (x: number): string => `${(100 * x).toFixed(0)}%`;
/** A latency reduction against serial in words: "12% below serial" or "30% above serial". */
const vsSerial = (reduction: number): string => (reduction >= 0 ? `${pc(reduction)} below serial` : `${pc(-reduction)} above serial`);

/** Runs both sides `rounds` times, alternating which goes first. */
const interleaved = async (rounds: number, a: () => Promise<RunStats>, b: () => Promise<RunStats>): Promise<{ a: RunStats[]; b: RunStats[] }> => {
  const out = { a: [] as RunStats[], b: [] as RunStats[] };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) { out.a.push(await a()); out.b.push(await b()); } else { out.b.push(await b()); out.a.push(await a()); }
  }
  return out;
};

/** Runs every configuration once per round, starting each round one configuration later. */
const rotated = async (rounds: number, runs: readonly (() => Promise<RunStats>)[], first = 0): Promise<RunStats[][]> => {
  const out = runs.map(() => [] as RunStats[]);
  for (let r = first; r < first + rounds; r++) {
    for (let k = 0; k < runs.length; k++) {
      const i = (r + k) % runs.length;
      out[i]!.push(await runs[i]!());
    }
  }
  return out;
};

const summarise = (w: Workload, blocks: number, runs: readonly RunStats[]) => {
  const wall = median(runs.map((x) => x.wallMs));
  return {
    wallMs: round3(wall),
    blocksPerS: round3((blocks * 1000) / wall),
    txPerS: Math.round((w.txs * 1000) / wall),
    latency: Object.fromEntries(TIERS.map((t) => { const all = runs.flatMap((x) => x.tier[t]); return [t, { medianMs: round3(median(all)), p99Ms: round3(pct(all, 0.99)) }]; })) as Record<Tier, { medianMs: number; p99Ms: number }>,
    /** Median per block of each segment between arrival and block finality. */
    breakdownMs: Object.fromEntries(SEGMENTS.map((s) => [s, round3(median(runs.flatMap((x) => x.segments[s])))])) as Record<Segment, number>,
    /** Busy time of each stage over wall time, summed over the threads running it. */
    utilisation: Object.fromEntries(STAGES.map((s) => [s, round3(median(runs.map((x) => x.times[s as StageName] / x.wallMs)))])) as Record<StageName, number>,
    reexecuted: median(runs.map((x) => x.reexecuted)),
    /** Blocks executed on the execution threads (the rest on the main thread). */
    parallelBlocks: median(runs.map((x) => x.parallelBlocks)),
  };
};

export const pipelineBench = {
  run: async (args: readonly string[]): Promise<{ readonly result: unknown; readonly table: string }> => {
    const quick = args.includes('--quick');
    const rounds = quick ? 2 : 6;
    const [blocks, perBlock] = quick ? [12, 500] : [30, 1_000];
    const loadStart = loadavg()[0]!;
    const threads = PipelineThreads.start(2, 2);
    const log = (line: string): void => { process.stderr.write(`  ${line}\n`); };
    const results = [];
    try {
      for (const w of [makeWorkload('low', blocks, perBlock, 0x7a11), makeWorkload('high', blocks, perBlock, 0x7a12)]) {
        // Warm up both sides (JIT, threads) and check that they agree on every root.
        const s0 = await once(w, SERIAL);
        const p0 = await once(w, pipelined(threads));
        if (s0.roots.join() !== p0.roots.join()) throw new Error(`${w.name}: the two sides computed different state roots`);
        const backlog = await interleaved(rounds, () => once(w, SERIAL), () => once(w, pipelined(threads)));
        const serviceMs = median(backlog.a.map((s) => s.wallMs)) / blocks;
        log(`${w.name}: serial service time ${ms(serviceMs)} per block`);
        const rates = [{ name: 'high-throughput', factor: 1.05 }, { name: 'moderate', factor: 2 }];
        const latency = [];
        for (const rate of rates) {
          // The machine's load drifts over minutes, so each round first measures the serial
          // configuration's service time again (a backlog run) and sets that round's interval from it.
          const names = rate.name === 'high-throughput' ? VARIANT_NAMES : [];
          const lat: RunStats[][] = [[], [], ...names.map(() => [])];
          const intervals: number[] = [];
          for (let r = 0; r < rounds; r++) {
            const calibration = await once(w, SERIAL);
            const intervalMs = (rate.factor * calibration.wallMs) / blocks;
            intervals.push(intervalMs);
            const arrivalsMs = Array.from({ length: blocks }, (_, i) => i * intervalMs);
            // Every configuration once per round, in a rotating order; at the high-throughput rate
            // also the two fixed execution policies of the pipelined side.
            const configs: ThreadedOptions[] = [{ ...SERIAL, arrivalsMs }, { ...pipelined(threads), arrivalsMs }, ...names.map((v) => ({ ...VARIANTS[v].options(threads), arrivalsMs }))];
            const one = await rotated(1, configs.map((c) => () => once(w, c)), r);
            one.forEach((x, i) => lat[i]!.push(...x));
          }
          const intervalMs = median(intervals);
          const s = summarise(w, blocks, lat[0]!);
          const p = summarise(w, blocks, lat[1]!);
          const reduction = 1 - p.latency.block.medianMs / s.latency.block.medianMs;
          const variants: Partial<Record<Variant, ReturnType<typeof summarise> & { blockFinalityReduction: number }>> = {};
          names.forEach((v, i) => {
            const sum = summarise(w, blocks, lat[2 + i]!);
            variants[v] = { ...sum, blockFinalityReduction: round3(1 - sum.latency.block.medianMs / s.latency.block.medianMs) };
          });
          latency.push({ rate: rate.name, intervalMs: round3(intervalMs), intervalsMs: intervals.map(round3), serialBusy: round3(1 / rate.factor), serial: s, pipelined: p, blockFinalityReduction: round3(reduction), ...variants });
          log(`${w.name}, ${rate.name}: block finality median ${ms(s.latency.block.medianMs)} serial, ${ms(p.latency.block.medianMs)} pipelined (${vsSerial(reduction)})`);
        }
        results.push({
          workload: w.name, contention: w.contention, blocks, txsPerBlock: perBlock, serialServiceMsPerBlock: round3(serviceMs),
          throughput: { serial: summarise(w, blocks, backlog.a), pipelined: summarise(w, blocks, backlog.b) },
          latency,
        });
      }
    } finally {
      await threads.close();
    }
    const acceptance = results.map((r) => {
      const high = r.latency.find((l) => l.rate === 'high-throughput')!;
      return { workload: r.workload, rate: 'high-throughput', blockFinalityReduction: high.blockFinalityReduction, atLeast30Percent: high.blockFinalityReduction >= 0.3 };
    });
    const rows = results.flatMap((r) => [
      ...(['serial', 'pipelined'] as const).map((side) => {
        const t = r.throughput[side];
        return [r.workload, side, 'backlog', `${t.txPerS}`, '', '', '', ''];
      }),
      ...r.latency.flatMap((l) => [...(['serial', 'pipelined'] as const), ...VARIANT_NAMES.filter((v) => l[v] !== undefined)].map((side) => {
        const v = side === 'serial' || side === 'pipelined' ? l[side] : l[side]!;
        const x = v.latency;
        const u = v.utilisation;
        const reduction = side === 'serial' ? null : side === 'pipelined' ? l.blockFinalityReduction : l[side]!.blockFinalityReduction;
        return [
          r.workload, side === 'serial' || side === 'pipelined' ? side : VARIANTS[side].label, `${l.rate} (${ms(l.intervalMs)})`, `${v.txPerS}`,
          `${ms(x.ordering.medianMs)} / ${ms(x.ordering.p99Ms)}`, `${ms(x.transaction.medianMs)} / ${ms(x.transaction.p99Ms)}`, `${ms(x.block.medianMs)} / ${ms(x.block.p99Ms)}`,
          `order ${pc(u.order)} exec ${pc(u.execute)} merge ${pc(u.merge)} commit ${pc(u.commit)} final ${pc(u.finalize)}${side === 'serial' ? '' : `; ${v.parallelBlocks}/${blocks} blocks on threads`}${reduction === null ? '' : `; BF ${vsSerial(reduction)}`}`,
        ];
      })),
    ]);
    const breakdown = results.flatMap((r) => r.latency.filter((l) => l.rate === 'high-throughput').flatMap((l) => [
      ...(['serial', 'pipelined'] as const).map((side) => [r.workload, side, ...SEGMENTS.map((s) => ms(l[side].breakdownMs[s]))]),
      ...VARIANT_NAMES.filter((v) => l[v] !== undefined).map((v) => [r.workload, VARIANTS[v].label, ...SEGMENTS.map((s) => ms(l[v]!.breakdownMs[s]))]),
    ]));
    const table = [
      textTable(['workload', 'pipeline', 'load', 'tx/s', 'OF median / p99', 'TF median / p99', 'BF median / p99', 'utilisation (busy / wall)'], rows),
      'Median per block from arrival to block finality at the high-throughput rate:',
      textTable(['workload', 'pipeline', ...SEGMENTS], breakdown),
      ...acceptance.map((a) => `${a.workload}: block finality median ${vsSerial(a.blockFinalityReduction)} at the high-throughput rate (${a.atLeast30Percent ? 'meets' : 'misses'} the 30% target)`),
    ].join('\n');
    return {
      result: {
        node: process.version, cpus: cpus().length, loadAverageAtStart: round3(loadStart), loadAverageAtEnd: round3(loadavg()[0]!), rounds,
        sides: {
          serial: 'ThreadedPipeline with depth 1, no worker threads: order, execute, commit (incremental trie) and finalize each block on the main thread, back to back',
          pipelined: 'ThreadedPipeline with depth 3, two commit shard threads, two execution worker threads (optimistic runs, ordered merge on the main thread) used per block by the adaptive policy; commit of block n overlaps execution of block n + 1',
          pipelinedAlwaysThreads: 'the pipelined configuration with every block executed on the execution threads',
          pipelinedMainExec: 'the pipelined configuration with every block executed on the main thread',
        },
        results, acceptance,
      },
      table,
    };
  },
};
