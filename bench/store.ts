/**
 * Store workload benchmark: the Pharos Store engine against @ethereumjs/mpt on classic-level
 * (LevelDB), in one process, on the same keys, values and Keccak-256 implementation.
 *
 * Phases: load N keys (commits of 10,000 keys), then 200 blocks of 1,000 random updates of
 * existing keys (one commit per block on both sides; the MPT side writes each block as one
 * synchronous LevelDB batch, as the engine fsyncs each commit), then both stores are closed and
 * reopened (the reopen is timed as recovery) and 10,000 random existing keys are read cold.
 * Blocks and gets alternate between the two sides so that drift in machine load hits both alike.
 *
 * Storage reads are counted where each side talks to its storage: for the engine, its file reads
 * (index blocks, page records, values); for the MPT, calls to the database's `get` (each of which
 * LevelDB may serve from its block cache or with several file reads of its own).
 * Bytes written are the engine's own counter and, for both sides, the kernel's write_bytes: the
 * engine writes from the main thread, LevelDB from its worker and compaction threads, so the
 * main thread's /proc/self/task/<pid>/io is the engine and the rest of /proc/self/io is LevelDB.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { type MerklePatriciaTrie, createMPT, createMerkleProof } from '@ethereumjs/mpt';
import { type BatchDBOp, type DB, ValueEncoding } from '@ethereumjs/util';
import { keccak256 } from '../src/impl/encoding/keccak.js';
import { type PharosStore, openStore } from '../src/impl/store/index.js';
import { prng } from '../src/conformance/vectors/prng.js';
import { textTable } from '../src/conformance/runner/report.js';

export interface StoreBenchConfig {
  readonly keys: number;
  readonly loadBatch: number;
  readonly blocks: number;
  readonly updatesPerBlock: number;
  readonly coldGets: number;
  readonly proofs: number;
  readonly seed: number;
}

export const DEFAULT_CONFIG: StoreBenchConfig = { keys: 100_000, loadBatch: 10_000, blocks: 200, updatesPerBlock: 1_000, coldGets: 10_000, proofs: 200, seed: 20240601 };
export const LARGE_CONFIG: StoreBenchConfig = { ...DEFAULT_CONFIG, keys: 1_000_000, loadBatch: 50_000 };

/** A classic-level database behind the MPT's DB interface, counting what the trie asks of it. */
class CountingLevel implements DB<string, string | Uint8Array> {
  gets = 0;
  batches = 0;
  putOps = 0;
  bytesPut = 0;
  constructor(readonly level: ClassicLevel<string, Uint8Array>) {}
  async get(key: string): Promise<Uint8Array | undefined> {
    this.gets++;
    return this.level.get(key);
  }
  async put(key: string, value: string | Uint8Array): Promise<void> {
    this.putOps++;
    const v = typeof value === 'string' ? Buffer.from(value, 'hex') : value;
    this.bytesPut += key.length + v.length;
    await this.level.put(key, v, { sync: true });
  }
  async del(key: string): Promise<void> { await this.level.del(key, { sync: true }); }
  /** One trie commit is one batch: written synchronously, so it is durable when the promise settles. */
  async batch(ops: BatchDBOp<string, string | Uint8Array>[]): Promise<void> {
    this.batches++;
    const out = ops.map((o) => {
      if (o.type === 'del') return { type: 'del' as const, key: o.key };
      const v = typeof o.value === 'string' ? Buffer.from(o.value, 'hex') : o.value;
      this.putOps++;
      this.bytesPut += o.key.length + v.length;
      return { type: 'put' as const, key: o.key, value: v };
    });
    await this.level.batch(out, { sync: true });
  }
  shallowCopy(): DB<string, string | Uint8Array> { return this; }
  async open(): Promise<void> { await this.level.open(); }
}

const openLevel = async (dir: string): Promise<CountingLevel> => {
  const level = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await level.open();
  return new CountingLevel(level);
};

const openTrie = (db: CountingLevel, root?: Uint8Array): Promise<MerklePatriciaTrie> =>
  createMPT({ db, useKeyHashing: true, useKeyHashingFunction: keccak256, valueEncoding: ValueEncoding.Bytes, ...(root === undefined ? {} : { root }) });

const openEngine = (dir: string): PharosStore => {
  const r = openStore(dir);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

const writeBytes = (file: string): number => Number(/write_bytes: (\d+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
/** Bytes the main thread (the engine) and the other threads (LevelDB) have sent to storage. */
const ioNow = (): { main: number; others: number } => {
  const all = writeBytes('/proc/self/io');
  const main = writeBytes(`/proc/self/task/${process.pid}/io`);
  return { main, others: all - main };
};

const dirSize = (dir: string): number => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);

const now = (): number => performance.now();

export interface Distribution { readonly mean: number; readonly p50: number; readonly p99: number; readonly max: number }
const distribution = (xs: readonly number[]): Distribution => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1]! };
};

export interface SideResult {
  readonly loadSeconds: number;
  readonly updateSeconds: number;
  readonly updatesPerSecond: number;
  /** Storage reads per cold get (engine: file reads; MPT: database gets). */
  readonly readsPerColdGet: Distribution;
  readonly coldGetMicros: Distribution;
  /** The store's own count of bytes it wrote, per block (engine counter; MPT: bytes in its batches). */
  readonly loggedBytesPerBlock: number;
  /** Kernel write_bytes per block over the update phase, closing included. */
  readonly kernelBytesPerBlock: number;
  /** Growth of the directory over the update phase, per block. */
  readonly dirGrowthPerBlock: number;
  readonly diskBytes: number;
  readonly proofBytes: Distribution;
  readonly recoveryMs: number;
  readonly extra: Readonly<Record<string, number>>;
}

export interface StoreBenchResult {
  readonly config: StoreBenchConfig;
  readonly root: string;
  readonly engine: SideResult;
  readonly mpt: SideResult;
}

/** Runs the whole workload on both sides; the stores live in fresh temporary directories. */
export const runStoreBench = async (config: StoreBenchConfig, log: (line: string) => void = () => {}): Promise<StoreBenchResult> => {
  const rng = prng(config.seed);
  const keys = Array.from({ length: config.keys }, () => rng.bytes(32));
  const value = (): Uint8Array => rng.bytes(32);
  const base = mkdtempSync(join(tmpdir(), 'pharos-store-bench-'));
  const engineDir = join(base, 'engine');
  const levelDir = join(base, 'level');
  try {
    let engine = openEngine(engineDir);
    let db = await openLevel(levelDir);
    let trie = await openTrie(db);
    let trieRoot = trie.root();

    const engineBlock = (ops: readonly { key: Uint8Array; value: Uint8Array }[]): number => {
      const t = now();
      const r = engine.commit(ops.map((o) => ({ op: 'put' as const, key: o.key, value: o.value })));
      if (!r.ok) throw new Error(`engine commit: ${r.error.code}: ${r.error.message}`);
      return now() - t;
    };
    const mptBlock = async (ops: readonly { key: Uint8Array; value: Uint8Array }[]): Promise<number> => {
      const t = now();
      trie.checkpoint();
      for (const o of ops) await trie.put(o.key, o.value);
      await trie.commit();
      trieRoot = trie.root();
      return now() - t;
    };

    // Load.
    let engineLoad = 0;
    let mptLoad = 0;
    for (let i = 0; i < config.keys; i += config.loadBatch) {
      const ops = keys.slice(i, i + config.loadBatch).map((key) => ({ key, value: value() }));
      engineLoad += engineBlock(ops);
      mptLoad += await mptBlock(ops);
      log(`load ${Math.min(config.keys, i + config.loadBatch)}/${config.keys}`);
    }
    // Settle both stores before the measured phase: close (LevelDB finishes its compaction) and reopen.
    engine.close();
    await db.level.close();
    engine = openEngine(engineDir);
    db = await openLevel(levelDir);
    trie = await openTrie(db, trieRoot);

    // Updates.
    const io0 = ioNow();
    const engineDir0 = dirSize(engineDir);
    const levelDir0 = dirSize(levelDir);
    const engineWritten0 = engine.counters.bytesWritten;
    const engineFsyncs0 = engine.counters.fsyncs;
    const bases0 = engine.counters.baseWrites;
    const deltas0 = engine.counters.deltaWrites;
    const checkpoints0 = engine.counters.checkpoints;
    const mptBytes0 = db.bytesPut;
    let engineUpdate = 0;
    let mptUpdate = 0;
    for (let b = 0; b < config.blocks; b++) {
      const ops = Array.from({ length: config.updatesPerBlock }, () => ({ key: keys[rng.below(config.keys)]!, value: value() }));
      if (b % 2 === 0) { engineUpdate += engineBlock(ops); mptUpdate += await mptBlock(ops); } else { mptUpdate += await mptBlock(ops); engineUpdate += engineBlock(ops); }
      if ((b + 1) % 50 === 0) log(`blocks ${b + 1}/${config.blocks}`);
    }
    const engineLatest = engine.latestVersion;
    const engineRoot = engine.root(engineLatest);
    const mptBytes = db.bytesPut - mptBytes0;
    // A clean close writes the pages of the last checkpoint window: counted with the update phase.
    engine.close();
    const engineWritten = engine.counters.bytesWritten - engineWritten0;
    const engineFsyncs = engine.counters.fsyncs - engineFsyncs0;
    const bases = engine.counters.baseWrites - bases0;
    const deltas = engine.counters.deltaWrites - deltas0;
    const checkpoints = engine.counters.checkpoints - checkpoints0;
    await db.level.close();
    const io1 = ioNow();
    const engineGrowth = dirSize(engineDir) - engineDir0;
    const levelGrowth = dirSize(levelDir) - levelDir0;

    // Reopen (recovery), then cold reads.
    let t = now();
    engine = openEngine(engineDir);
    const engineRecovery = now() - t;
    t = now();
    db = await openLevel(levelDir);
    trie = await openTrie(db, trieRoot);
    const mptRecovery = now() - t;
    const engineReads: number[] = [];
    const engineMicros: number[] = [];
    const mptReads: number[] = [];
    const mptMicros: number[] = [];
    const c0 = { ...engine.counters };
    for (let g = 0; g < config.coldGets; g++) {
      const key = keys[rng.below(config.keys)]!;
      const runEngine = (): void => {
        const before = engine.counters.fileReads;
        const s = now();
        const r = engine.get(engineLatest, key);
        engineMicros.push((now() - s) * 1000);
        if (!r.ok || r.value === null) throw new Error(`engine get: ${r.ok ? 'missing key' : r.error.message}`);
        engineReads.push(engine.counters.fileReads - before);
      };
      const runMpt = async (): Promise<void> => {
        const before = db.gets;
        const s = now();
        const v = await trie.get(key);
        mptMicros.push((now() - s) * 1000);
        if (v === null) throw new Error('mpt get: missing key');
        mptReads.push(db.gets - before);
      };
      if (g % 2 === 0) { runEngine(); await runMpt(); } else { await runMpt(); runEngine(); }
    }
    const c1 = engine.counters;

    // Proofs of random keys at the latest version.
    const engineProofs: number[] = [];
    const mptProofs: number[] = [];
    for (let p = 0; p < config.proofs; p++) {
      const key = keys[rng.below(config.keys)]!;
      const ep = engine.prove(engineLatest, key);
      if (!ep.ok) throw new Error(ep.error.message);
      engineProofs.push(ep.value.proof.length);
      const mp = await createMerkleProof(trie, key);
      mptProofs.push(mp.reduce((n, node) => n + node.length, 0));
    }
    engine.close();
    await db.level.close();

    const blocks = config.blocks;
    const updates = blocks * config.updatesPerBlock;
    return {
      config,
      root: engineRoot.ok ? Buffer.from(engineRoot.value).toString('hex') : engineRoot.error.code,
      engine: {
        loadSeconds: engineLoad / 1000,
        updateSeconds: engineUpdate / 1000,
        updatesPerSecond: updates / (engineUpdate / 1000),
        readsPerColdGet: distribution(engineReads),
        coldGetMicros: distribution(engineMicros),
        loggedBytesPerBlock: engineWritten / blocks,
        kernelBytesPerBlock: (io1.main - io0.main) / blocks,
        dirGrowthPerBlock: engineGrowth / blocks,
        diskBytes: dirSize(engineDir),
        proofBytes: distribution(engineProofs),
        recoveryMs: engineRecovery,
        extra: {
          fsyncsPerBlock: engineFsyncs / blocks,
          checkpointsPerBlock: checkpoints / blocks,
          baseRecordsPerBlock: bases / blocks,
          deltaRecordsPerBlock: deltas / blocks,
          pageLoadsPerColdGet: (c1.pageLoads - c0.pageLoads) / config.coldGets,
          indexBlockReadsPerColdGet: (c1.indexBlockReads - c0.indexBlockReads) / config.coldGets,
          pageCacheHitsPerColdGet: (c1.pageCacheHits - c0.pageCacheHits) / config.coldGets,
          bytesReadPerColdGet: (c1.bytesRead - c0.bytesRead) / config.coldGets,
        },
      },
      mpt: {
        loadSeconds: mptLoad / 1000,
        updateSeconds: mptUpdate / 1000,
        updatesPerSecond: updates / (mptUpdate / 1000),
        readsPerColdGet: distribution(mptReads),
        coldGetMicros: distribution(mptMicros),
        loggedBytesPerBlock: mptBytes / blocks,
        kernelBytesPerBlock: (io1.others - io0.others) / blocks,
        dirGrowthPerBlock: levelGrowth / blocks,
        diskBytes: dirSize(levelDir),
        proofBytes: distribution(mptProofs),
        recoveryMs: mptRecovery,
        extra: {},
      },
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
};

const kib = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);
const fixed = (n: number, d = 2): string => n.toFixed(d);

/** The comparison as a text table: one row per measure, engine, MPT and the ratio in the engine's favour. */
export const storeTable = (r: StoreBenchResult): string => {
  const e = r.engine;
  const m = r.mpt;
  const better = (ours: number, peer: number, lowerIsBetter: boolean): string => `${fixed(lowerIsBetter ? peer / ours : ours / peer)}x`;
  const rows: (readonly string[])[] = [
    ['updates/s (200 blocks x 1,000)', fixed(e.updatesPerSecond, 0), fixed(m.updatesPerSecond, 0), better(e.updatesPerSecond, m.updatesPerSecond, false), '>= 15x'],
    ['load time (s)', fixed(e.loadSeconds, 1), fixed(m.loadSeconds, 1), better(e.loadSeconds, m.loadSeconds, true), ''],
    ['reads per cold get, mean', fixed(e.readsPerColdGet.mean), fixed(m.readsPerColdGet.mean), better(e.readsPerColdGet.mean, m.readsPerColdGet.mean, true), '<= 3'],
    ['reads per cold get, p50', String(e.readsPerColdGet.p50), String(m.readsPerColdGet.p50), '', ''],
    ['reads per cold get, p99', String(e.readsPerColdGet.p99), String(m.readsPerColdGet.p99), '', ''],
    ['cold get time, mean (us)', fixed(e.coldGetMicros.mean, 0), fixed(m.coldGetMicros.mean, 0), better(e.coldGetMicros.mean, m.coldGetMicros.mean, true), ''],
    ['bytes written per block (store counter)', kib(e.loggedBytesPerBlock), kib(m.loggedBytesPerBlock), better(e.loggedBytesPerBlock, m.loggedBytesPerBlock, true), ''],
    ['bytes written per block (kernel write_bytes)', kib(e.kernelBytesPerBlock), kib(m.kernelBytesPerBlock), better(e.kernelBytesPerBlock, m.kernelBytesPerBlock, true), '<= 1/10'],
    ['directory growth per block', kib(e.dirGrowthPerBlock), kib(m.dirGrowthPerBlock), better(e.dirGrowthPerBlock, m.dirGrowthPerBlock, true), ''],
    ['on-disk size after the run', kib(e.diskBytes), kib(m.diskBytes), better(e.diskBytes, m.diskBytes, true), '<= 1/5'],
    ['proof size, mean (bytes)', fixed(e.proofBytes.mean, 0), fixed(m.proofBytes.mean, 0), better(e.proofBytes.mean, m.proofBytes.mean, true), ''],
    ['recovery (reopen) time (ms)', fixed(e.recoveryMs, 1), fixed(m.recoveryMs, 1), better(e.recoveryMs, m.recoveryMs, true), ''],
  ];
  const extra = Object.entries(e.extra).map(([k, v]) => `${k} ${fixed(v)}`).join(', ');
  return `${textTable(['measure', 'pharos store', 'mpt + classic-level', 'pharos advantage', 'target'], rows)}\n` +
    `engine: ${extra}\n` +
    `${r.config.keys} keys; ${r.config.blocks} blocks of ${r.config.updatesPerBlock} updates; ${r.config.coldGets} cold gets; ` +
    'reads are engine file reads against MPT database gets (each may cost LevelDB more than one file read).';
};

/** `npm run bench -- store [--large]` (or PHAROS_BENCH_LARGE=1): 100k keys by default, 1M keys with --large. */
export const storeBench = {
  run: async (args: readonly string[]): Promise<{ readonly result: unknown; readonly table: string }> => {
    const large = args.includes('--large') || process.env['PHAROS_BENCH_LARGE'] === '1';
    const result = await runStoreBench(large ? LARGE_CONFIG : DEFAULT_CONFIG, (line) => process.stderr.write(`  ${line}\n`));
    return { result: { ...result, node: process.version }, table: storeTable(result) };
  },
};
