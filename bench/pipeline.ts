/**
 * Pipeline benchmark: the threaded pipeline (ordering, execution on worker threads with the
 * ordered merge, and the state commitment on its own thread, overlapping across blocks with depth
 * 3) against the serial pipeline (the same code with depth 1, execution and commitment on the
 * main thread), on the same generated workloads, in one process on this machine.
 *
 * Two measurements per workload:
 * - throughput: every block available at the start (a backlog); blocks and transactions per second;
 * - latency per tier: blocks arrive at a fixed interval and the latency of a tier is the time from
 *   a block's arrival to its event (the block's ordering event, its last transaction event, its
 *   block event). The "high-throughput" rate sets the interval to the serial pipeline's measured
 *   per-block service time (the serial pipeline is then fully loaded); the moderate rate doubles it.
 * Runs alternate between the two sides; medians over rounds. Utilisation is each stage's busy time
 * over the wall time of the backlog run (execution summed over worker threads).
 */
import { prng } from '../src/conformance/vectors/prng.js';
import { textTable } from '../src/conformance/runner/report.js';
import { type PipelineInput, type TierEvent, type Tx, txHash } from '../src/model/pipeline/index.js';
import { PipelineThreads, ThreadedPipeline, type StageTimes, type ThreadedOptions } from '../src/impl/pipeline/index.js';

interface Workload { readonly name: string; readonly contention: 'low' | 'high'; readonly input: PipelineInput; readonly txs: number }

/** Blocks of transfers and counter calls; low contention over 5,000 accounts and slots, high over eight accounts and two slots. */
const makeWorkload = (contention: 'low' | 'high', blocks: number, perBlock: number, seed: number): Workload => {
  const r = prng(seed);
  const accounts = contention === 'low' ? 5_000 : 8;
  const slots = contention === 'low' ? 256 : 2;
  const bodies: Tx[] = [];
  const out = [];
  let salt = 0;
  for (let b = 0; b < blocks; b++) {
    const hashes: string[] = [];
    for (let i = 0; i < perBlock; i++) {
      const from = `a${r.below(accounts)}`;
      const tx: Tx = r.below(4) === 0
        ? { kind: 'call', from, contract: `k${r.below(4)}`, slot: r.below(slots), op: r.pick(['add', 'sub', 'move'] as const), amount: BigInt(r.below(5)), salt: salt++ }
        : { kind: 'transfer', from, to: `a${r.below(accounts)}`, amount: BigInt(r.below(50)), salt: salt++ };
      bodies.push(tx);
      hashes.push(txHash(tx));
    }
    out.push({ seq: BigInt(b + 1), proposals: [{ proposer: 0, txs: hashes }] });
  }
  const genesis = Array.from({ length: accounts }, (_, i) => ({ account: `a${i}`, balance: 1_000n }));
  return { name: `${contention} contention, ${blocks} blocks x ${perBlock} txs`, contention, input: { genesis, blocks: out, bodies }, txs: blocks * perBlock };
};

const SERIAL: ThreadedOptions = { depth: 1, workers: 0, commitThread: false };
const pipelined = (threads: PipelineThreads): ThreadedOptions => ({ depth: 3, workers: threads.exec.length, minParallel: 64, commitThread: true, threads });

interface RunStats { readonly wallMs: number; readonly times: StageTimes; readonly reexecuted: number; readonly tier: { ordering: number[]; transaction: number[]; block: number[] } }

const once = async (w: Workload, options: ThreadedOptions): Promise<RunStats> => {
  const node = ThreadedPipeline.create(w.input, options);
  if (!node.ok) throw new Error(`${node.error.code}: ${node.error.message}`);
  const run = await node.value.run();
  if (run.blocks.length !== w.input.blocks.length) throw new Error('the pipeline did not finish every block');
  const n = w.input.blocks.length;
  const tier = { ordering: new Array<number>(n).fill(0), transaction: new Array<number>(n).fill(0), block: new Array<number>(n).fill(0) };
  const index = new Map(w.input.blocks.map((b, i) => [b.seq, i]));
  run.events.forEach((e: TierEvent, k) => {
    const at = node.value.logTimesMs[k]!;
    const i = index.get(e.tier === 'transaction' ? e.receipt.seq : e.seq)!;
    const arrival = options.arrivalsMs?.[i] ?? 0;
    // The last transaction event of a block is when all its receipts are known.
    tier[e.tier][i] = at - arrival;
  });
  return { wallMs: node.value.times.wallMs, times: { ...node.value.times }, reexecuted: node.value.counters.reexecuted, tier };
};

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (xs: readonly number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };
const ms = (x: number): string => `${x.toFixed(1)} ms`;

export const pipelineBench = {
  run: async (args: readonly string[]): Promise<{ readonly result: unknown; readonly table: string }> => {
    const quick = args.includes('--quick');
    const rounds = quick ? 2 : 3;
    const [blocks, perBlock] = quick ? [10, 500] : [20, 1_000];
    const workers = 2;
    const threads = PipelineThreads.start(workers);
    const log = (line: string): void => { process.stderr.write(`  ${line}\n`); };
    const results = [];
    try {
      for (const w of [makeWorkload('low', blocks, perBlock, 0x7a11), makeWorkload('high', blocks, perBlock, 0x7a12)]) {
        // Warm up both sides (JIT, thread start) before measuring.
        await once(w, SERIAL); await once(w, pipelined(threads));
        const backlog = { serial: [] as RunStats[], pipelined: [] as RunStats[] };
        for (let r = 0; r < rounds; r++) {
          backlog.serial.push(await once(w, SERIAL));
          backlog.pipelined.push(await once(w, pipelined(threads)));
        }
        const serviceMs = median(backlog.serial.map((s) => s.wallMs)) / blocks;
        log(`${w.name}: serial service time ${ms(serviceMs)} per block`);
        const rates = [{ name: 'high-throughput', intervalMs: serviceMs }, { name: 'moderate', intervalMs: 2 * serviceMs }];
        const latency = [];
        for (const rate of rates) {
          const arrivalsMs = Array.from({ length: blocks }, (_, i) => i * rate.intervalMs);
          const lat = { serial: [] as RunStats[], pipelined: [] as RunStats[] };
          for (let r = 0; r < rounds; r++) {
            lat.serial.push(await once(w, { ...SERIAL, arrivalsMs }));
            lat.pipelined.push(await once(w, { ...pipelined(threads), arrivalsMs }));
          }
          const tiers = (runs: RunStats[]) => Object.fromEntries((['ordering', 'transaction', 'block'] as const).map((t) => {
            const all = runs.flatMap((x) => x.tier[t]);
            return [t, { medianMs: median(all), p90Ms: pct(all, 0.9) }];
          })) as Record<'ordering' | 'transaction' | 'block', { medianMs: number; p90Ms: number }>;
          const s = tiers(lat.serial);
          const p = tiers(lat.pipelined);
          latency.push({ rate: rate.name, intervalMs: rate.intervalMs, serial: s, pipelined: p, blockFinalityReduction: 1 - p.block.medianMs / s.block.medianMs });
          log(`${w.name}, ${rate.name}: block finality ${ms(s.block.medianMs)} serial, ${ms(p.block.medianMs)} pipelined`);
        }
        const throughput = (runs: RunStats[]) => {
          const wall = median(runs.map((x) => x.wallMs));
          const share = (k: keyof Omit<StageTimes, 'wallMs'>): number => median(runs.map((x) => x.times[k] / x.wallMs));
          return { wallMs: wall, blocksPerS: (blocks * 1000) / wall, txPerS: (w.txs * 1000) / wall, utilisation: { order: share('order'), execute: share('execute'), merge: share('merge'), commit: share('commit') }, reexecuted: median(runs.map((x) => x.reexecuted)) };
        };
        results.push({ workload: w.name, contention: w.contention, blocks, txsPerBlock: perBlock, serial: throughput(backlog.serial), pipelined: throughput(backlog.pipelined), latency });
      }
    } finally {
      await threads.close();
    }
    const rows = results.flatMap((r) => [
      ...(['serial', 'pipelined'] as const).map((side) => {
        const t = r[side];
        const u = t.utilisation;
        return [r.workload, side, 'backlog', `${Math.round(t.txPerS)}`, '', '', '', `order ${(100 * u.order).toFixed(0)}% exec ${(100 * u.execute).toFixed(0)}% merge ${(100 * u.merge).toFixed(0)}% commit ${(100 * u.commit).toFixed(0)}%`];
      }),
      ...r.latency.flatMap((l) => (['serial', 'pipelined'] as const).map((side) => [
        r.workload, side, `${l.rate} (${ms(l.intervalMs)})`, '', ms(l[side].ordering.medianMs), ms(l[side].transaction.medianMs), `${ms(l[side].block.medianMs)} (p90 ${ms(l[side].block.p90Ms)})`,
        side === 'pipelined' ? `block finality ${l.blockFinalityReduction >= 0 ? `${(100 * l.blockFinalityReduction).toFixed(0)}% below` : `${(-100 * l.blockFinalityReduction).toFixed(0)}% above`} serial` : '',
      ])),
    ]);
    const table = textTable(['workload', 'pipeline', 'load', 'tx/s', 'OF median', 'TF median', 'BF median', 'utilisation / comparison'], rows);
    return { result: { node: process.version, cpus: (await import('node:os')).cpus().length, rounds, workers, results }, table };
  },
};
