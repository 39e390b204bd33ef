/**
 * The pipeline on real threads. Three stages run as asynchronous loops joined by queues, so that
 * while the main thread orders block n + 1 and merges the execution of block n, commit threads
 * hash block n - 1 into the state root.
 *
 * Execution of a block is optimistic and parallel: its transactions are split into contiguous
 * runs, each run is executed on an execution worker thread against the block's pre-state (seeing
 * only its own run's earlier writes), and the main thread then merges the outcomes in index order,
 * checking every value each transaction read against the state left by the transactions before it
 * and re-executing those whose reads changed. A transaction whose reads all match computes exactly
 * what serial execution computes (execution is a function of the values read), so the merged block
 * equals serial execution whatever the timing.
 *
 * The state commitment is incremental (only the paths of written keys are rehashed) and split by
 * the first nibble of the key paths over commit shard threads; the receipts tree is split the same
 * way. Block finalization puts the shards' root children together into the two roots and announces
 * the block.
 *
 * With depth 1, no execution workers and no commit threads, the same code is the serial pipeline
 * (every stage of a block on the main thread, back to back, before the next block is ordered),
 * which is what the benchmark compares against. Compiled JavaScript only: the worker threads load
 * `worker.js` next to this module.
 */
import { Worker } from 'node:worker_threads';
import type { Result } from '../../model/encoding/result.js';
import type { Block, LedgerEntry } from '../../model/consensus/ledger.js';
import type { Receipt, Tx } from '../../model/pipeline/tx.js';
import type { BlockResult, PipelineInput, PipelineRun, TierEvent } from '../../model/pipeline/serial.js';
import { nodeHashOf } from '../store/hash.js';
import { ByteWriter } from '../store/bytes.js';
import { hex, receiptHash, run, type Outcome } from './exec.js';
import { checkInput, type Listener, type Subscription } from './pipeline.js';
import { Commitment, indexPath, textKeyPath, valueHash } from './trie.js';
import { executeRun, type ExecOutcome } from './exec.js';
import { type CommitReply, type CommitRequest, type ExecReply, type ExecRequest, type LoadRequest, type WorkerRole, STATE_PATH, STATE_TEXT, unpackChildren } from './worker.js';

/**
 * The threads a threaded pipeline runs on: execution workers and commit shards. Starting a thread
 * costs tens of milliseconds, so a set can be started once and lent to many runs, one run at a
 * time.
 */
export class PipelineThreads {
  private readonly execWaiting: ((r: ExecReply) => void)[][];
  private readonly commitWaiting: ((r: CommitReply) => void)[][];
  private failure: Error | null = null;
  private readonly failed: Promise<never>;

  private constructor(readonly exec: readonly Worker[], readonly shards: readonly Worker[]) {
    this.execWaiting = exec.map(() => []);
    this.commitWaiting = shards.map(() => []);
    exec.forEach((w, i) => w.on('message', (r: ExecReply) => this.execWaiting[i]!.shift()?.(r)));
    shards.forEach((w, i) => w.on('message', (r: CommitReply) => this.commitWaiting[i]!.shift()?.(r)));
    this.failed = new Promise<never>((_, reject) => {
      for (const w of [...exec, ...shards]) w.on('error', (e) => { this.failure = e; reject(e); });
    });
    this.failed.catch(() => { /* reported through `crashed` to the run in progress */ });
  }

  /** Starts `workers` execution threads and `commitShards` commit threads running the compiled `worker.js` beside this module. */
  static start(workers: number, commitShards = 2): PipelineThreads {
    const url = new URL('./worker.js', import.meta.url);
    return new PipelineThreads(
      Array.from({ length: workers }, () => new Worker(url, { workerData: { role: 'exec' } satisfies WorkerRole })),
      Array.from({ length: Math.max(1, commitShards) }, () => new Worker(url, { workerData: { role: 'commit' } satisfies WorkerRole })),
    );
  }

  /** Rejects when any thread fails. */
  get crashed(): Promise<never> { return this.failed; }
  get error(): Error | null { return this.failure; }

  execute(w: number, req: ExecRequest | LoadRequest): Promise<ExecReply> {
    return new Promise((resolve) => { this.execWaiting[w]!.push(resolve); this.exec[w]!.postMessage(req); });
  }

  commit(shard: number, req: CommitRequest): Promise<CommitReply> {
    return new Promise((resolve) => {
      this.commitWaiting[shard]!.push(resolve);
      // Copied, not transferred: transferring detaches the buffers, which costs the main thread
      // more than copying a block's few tens of kilobytes.
      this.shards[shard]!.postMessage(req);
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.exec, ...this.shards].map((w) => w.terminate()));
  }
}

export interface ThreadedOptions {
  /** Maximum number of blocks ordered but not yet block final (1: the serial pipeline). */
  readonly depth?: number;
  /** Execution worker threads; 0 executes every block serially on the main thread. */
  readonly workers?: number;
  /** Blocks with fewer transactions than this are executed on the main thread. */
  readonly minParallel?: number;
  /**
   * `always`: every block of at least `minParallel` transactions runs on the execution threads.
   * `adaptive`: per block, whichever of the two the node predicts is faster, from what it measured
   * on earlier blocks (time per transaction on the main thread; the round trip to the threads; the
   * share of transactions re-executed at the merge, or predicted from blocks run on the main
   * thread), trying the threads again now and then while they might win (`chooseParallel`).
   * Results are the same either way; only timing differs.
   */
  readonly parallel?: 'always' | 'adaptive';
  /** Whether the state commitment is computed on the commit shard threads (true) or on the main thread. */
  readonly commitThread?: boolean;
  /** When each block becomes available to the ordering stage, in milliseconds from the start of `run`. */
  readonly arrivalsMs?: readonly number[];
  /** Threads to run on (their execution workers are used, up to `workers`); otherwise the run starts and stops its own. */
  readonly threads?: PipelineThreads;
}

/** Where time went: busy milliseconds per stage, summed over the threads that run it. */
export interface StageTimes {
  order: number;
  /** Execution proper: worker threads, or the main thread for blocks executed there. */
  execute: number;
  /** The ordered merge on the main thread: read checks, re-executions, applying writes. */
  merge: number;
  /** Hashing into the state and receipts trees: commit threads, or the main thread; includes routing the writes to the shards. */
  commit: number;
  /** Putting the roots together and announcing the block. */
  finalize: number;
  wallMs: number;
}

/**
 * When each step of a block happened, in milliseconds from the start of `run`: its arrival, the
 * start and end of its ordering, the start of its execution (when the execution stage took it),
 * the end of execution proper, the end of the merge (its receipts announced), the start of the
 * first commit work on it, the end of the commit (every shard's reply received) and its block
 * finality event.
 */
export interface BlockTiming {
  arrivalMs: number;
  orderStartMs: number;
  orderedMs: number;
  execStartMs: number;
  executedMs: number;
  mergedMs: number;
  commitStartMs: number;
  committedMs: number;
  finalMs: number;
}

export interface ThreadedCounters {
  /** Transactions whose optimistic result was discarded and re-executed at the merge. */
  reexecuted: number;
  /** Transactions executed on worker threads. */
  parallel: number;
  /** Blocks executed on the execution threads, and on the main thread. */
  parallelBlocks: number;
  inlineBlocks: number;
  maxInFlight: number;
}

/**
 * A state key's latest value with its key path, so that the merge finds the path with the lookup it
 * makes anyway; `writtenIn` is the last block (by input index) that wrote it and `firstWriter` the
 * index of the first transaction in that block that wrote it. For the commit shards, the key has a
 * number (`id`), the first nibble of its path (`nibble`, kept so that routing a write does not
 * touch the path) and whether its shard has its path yet.
 */
interface StateEntry {
  value: bigint;
  readonly path: Uint8Array;
  readonly id: number;
  readonly nibble: number;
  writtenIn: number;
  firstWriter: number;
  shardHasPath: boolean;
}

/** A block's writes as the commit takes them: each written key and its final value. */
interface Writes { readonly entries: readonly StateEntry[]; readonly values: readonly bigint[] }

interface Ordered { readonly index: number; readonly seq: bigint; readonly hashes: readonly string[]; readonly txs: readonly Tx[]; readonly ids: Int32Array }

/**
 * The state keys a transaction may read, so that a worker receives only the slice it needs; null
 * when they are not known before running it (a contract's storage keys depend on its code), and
 * the worker then receives every contract storage key of that contract instance.
 */
const keysOf = (tx: Tx): readonly string[] | null =>
  tx.kind === 'transfer' ? [`bal/${tx.from}`, `bal/${tx.to}`] : tx.kind === 'call' ? [`sto/${tx.contract}/${tx.slot}`, `bal/${tx.from}`] : null;

/** Where run w of `runs` contiguous runs of n transactions starts (run w ends where w + 1 starts). */
const runStart = (w: number, n: number, runs: number): number => Math.floor((w * n) / runs);

/** For each of n transactions, the run (of `runs`) it is executed in on the threads. */
const runIndices = (n: number, runs: number): Int32Array => {
  const out = new Int32Array(n);
  for (let w = 0; w < runs; w++) out.fill(w, runStart(w, n, runs), runStart(w + 1, n, runs));
  return out;
};

/** An unbounded queue whose `take` waits for the next item. */
class Channel<T> {
  private readonly items: T[] = [];
  private readonly takers: ((t: T) => void)[] = [];
  push(t: T): void { const w = this.takers.shift(); if (w !== undefined) w(t); else this.items.push(t); }
  take(): Promise<T> { return this.items.length > 0 ? Promise.resolve(this.items.shift()!) : new Promise((resolve) => { this.takers.push(resolve); }); }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => { setTimeout(resolve, ms); });

const encoder = new TextEncoder();

/** A string's UTF-8 bytes after their length as u16; ASCII (codes, decimal numbers) a character at a time. */
const putText = (w: ByteWriter, s: string): void => {
  const buf = w.reserve(2 + 3 * s.length);
  const at = w.length + 2;
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) { n = encoder.encodeInto(s, buf.subarray(at)).written; break; }
    buf[at + i] = c;
  }
  buf[at - 2] = n >> 8;
  buf[at - 1] = n & 0xff;
  w.length = at + n;
};

type CommitWork = { readonly inline: { readonly root: Uint8Array; readonly receiptsRoot: Uint8Array; readonly busyMs: number } } | { readonly replies: Promise<CommitReply[]> };

export class ThreadedPipeline {
  private readonly depth: number;
  private readonly workerCount: number;
  private readonly minParallel: number;
  private readonly commitThread: boolean;
  private readonly latest = new Map<string, StateEntry>();
  /** The storage keys of each contract instance present in the latest state, for the execution workers' slices. */
  private readonly contractKeys = new Map<string, string[]>();
  /** The main thread's commitment, used when no commit threads are. */
  private readonly commitment = new Commitment();
  private readonly listeners = new Set<{ readonly fn: Listener; readonly filter: Subscription }>();
  /** For each body (by index), the block that ordered it: -1 before that. */
  private readonly orderedIn: Int32Array;
  /** The bodies as the execution workers hold them, and each hash's index there. */
  private readonly bodyList: readonly Tx[];
  private readonly bodyIndex = new Map<string, number>();
  readonly genesisRoot: string;
  readonly results: BlockResult[] = [];
  readonly duplicates: LedgerEntry[] = [];
  readonly log: TierEvent[] = [];
  /** The time each event of `log` was emitted, in milliseconds from the start of `run`. */
  readonly logTimesMs: number[] = [];
  /** Per block of the input, in input order. */
  readonly timings: BlockTiming[];
  readonly times: StageTimes = { order: 0, execute: 0, merge: 0, commit: 0, finalize: 0, wallMs: 0 };
  readonly counters: ThreadedCounters = { reexecuted: 0, parallel: 0, parallelBlocks: 0, inlineBlocks: 0, maxInFlight: 0 };
  /**
   * What the adaptive execution policy has measured (milliseconds; NaN before the first
   * measurement), and how many blocks ran on the main thread since the threads were last tried
   * and since the re-execution share was last measured there.
   */
  private readonly policy = { inlineMsPerTx: NaN, overheadMs: NaN, reexecRate: NaN, sinceProbe: 0, probeEvery: 8, sinceCheck: 0 };
  private started = 0;
  private ran = false;

  private constructor(private readonly blocks: readonly Block[], bodies: ReadonlyMap<string, Tx>, input: PipelineInput, private readonly options: ThreadedOptions) {
    this.depth = Math.max(1, options.depth ?? 3);
    this.workerCount = Math.max(0, options.workers ?? 2);
    this.minParallel = options.minParallel ?? 16;
    this.commitThread = options.commitThread ?? true;
    this.bodyList = [...bodies.values()];
    [...bodies.keys()].forEach((h, i) => this.bodyIndex.set(h, i));
    this.orderedIn = new Int32Array(this.bodyList.length).fill(-1);
    for (const g of input.genesis) {
      const e = this.newEntry(`bal/${g.account}`, g.balance, -1, -1);
      this.commitment.putPath(e.path, valueHash(g.balance));
    }
    this.genesisRoot = hex(this.commitment.root());
    this.timings = blocks.map(() => ({ arrivalMs: 0, orderStartMs: 0, orderedMs: 0, execStartMs: 0, executedMs: 0, mergedMs: 0, commitStartMs: 0, committedMs: 0, finalMs: 0 }));
  }

  static create(input: PipelineInput, options: ThreadedOptions = {}): Result<ThreadedPipeline> {
    const bodies = checkInput(input);
    return bodies.ok ? { ok: true, value: new ThreadedPipeline(input.blocks, bodies.value, input, options) } : bodies;
  }

  /** Adds a key never written before to the latest state, with its path. */
  private newEntry(key: string, value: bigint, writtenIn: number, firstWriter: number): StateEntry {
    const path = textKeyPath(key);
    const e: StateEntry = { value, path, id: this.latest.size, nibble: path[0]! >> 4, writtenIn, firstWriter, shardHasPath: false };
    this.latest.set(key, e);
    if (key.startsWith('wsto/') || key.startsWith('esto/')) {
      const contract = key.slice(5, key.indexOf('/', 5));
      const list = this.contractKeys.get(contract);
      if (list === undefined) this.contractKeys.set(contract, [key]); else list.push(key);
    }
    return e;
  }

  /** The latest state as the commit takes it. */
  private allWrites(): Writes {
    const entries = [...this.latest.values()];
    return { entries, values: entries.map((e) => e.value) };
  }

  private now(): number { return performance.now() - this.started; }

  /** The sequence number of the block that ordered a transaction, if one has. */
  private blockOf(tx: string): bigint | undefined {
    const b = this.orderedIn[this.bodyIndex.get(tx) ?? -1] ?? -1;
    return b < 0 ? undefined : this.blocks[b]!.seq;
  }

  /** Streams tier events to `fn` from now on; returns the function that ends the subscription. */
  subscribe(fn: Listener, filter: Subscription = {}): () => void {
    const entry = { fn, filter };
    this.listeners.add(entry);
    return () => { this.listeners.delete(entry); };
  }

  private emit(e: TierEvent): void {
    this.log.push(e);
    this.logTimesMs.push(this.now());
    const seq = e.tier === 'transaction' ? e.receipt.seq : e.seq;
    for (const { fn, filter } of this.listeners) {
      if (filter.seq !== undefined && filter.seq !== seq) continue;
      if (filter.tx !== undefined) {
        const mine = e.tier === 'ordering' ? e.txs.includes(filter.tx) : e.tier === 'transaction' ? e.receipt.tx === filter.tx : this.blockOf(filter.tx) === e.seq;
        if (!mine) continue;
      }
      fn(e);
    }
  }

  /** Runs every block through the pipeline and stops the threads it started. */
  async run(): Promise<PipelineRun> {
    // The node's state moves on as it runs: running the input again would start from its end.
    if (this.ran) throw new Error('Pipeline.Run.ONCE: a ThreadedPipeline runs its input once; create another to run it again');
    this.ran = true;
    const own = this.options.threads === undefined && (this.workerCount > 0 || this.commitThread);
    const threads = this.options.threads ?? (own ? PipelineThreads.start(this.workerCount) : null);
    try {
      await (threads === null ? this.runOn(null) : Promise.race([this.runOn(threads), threads.crashed]));
    } finally {
      if (own) await threads?.close();
    }
    return { genesisRoot: this.genesisRoot, blocks: this.results, duplicates: this.duplicates, events: this.log };
  }

  /** The run proper: the stages as three loops, on `threads` (or on the main thread alone). */
  private async runOn(threads: PipelineThreads | null): Promise<void> {
    const workers = threads === null ? 0 : Math.min(this.workerCount, threads.exec.length);
    const shards = this.commitThread && threads !== null ? threads : null;
    // The shards start a new chain from the genesis state before the clock starts, as the main
    // thread's commitment did in the constructor; their replies to it carry nothing needed.
    if (shards !== null) await this.sendCommit(shards, 0n, this.allWrites(), [], new Int32Array(), [...this.bodyIndex.keys()]);
    // Likewise the execution workers receive the transaction bodies before the clock starts.
    if (threads !== null && workers > 0) await Promise.all(Array.from({ length: workers }, (_, w) => threads.execute(w, { load: this.bodyList })));
    this.started = performance.now();

    const toExecute = new Channel<Ordered>();
    const toCommit = new Channel<{ readonly block: Ordered; readonly receipts: Receipt[]; readonly work: CommitWork }>();
    const slotWaiters: (() => void)[] = [];
    let inFlight = 0;

    const orderLoop = async (): Promise<void> => {
      for (const [b, block] of this.blocks.entries()) {
        const at = this.options.arrivalsMs?.[b] ?? 0;
        this.timings[b]!.arrivalMs = at;
        // Timers may fire a little early: sleep until the arrival time has really passed.
        while (this.now() < at) await sleep(Math.max(1, at - this.now()));
        while (inFlight >= this.depth) await new Promise<void>((resolve) => { slotWaiters.push(resolve); });
        const t0 = this.now();
        this.timings[b]!.orderStartMs = t0;
        const hashes: string[] = [];
        const bodyIds: number[] = [];
        for (const prop of block.proposals) {
          prop.txs.forEach((tx, position) => {
            // The input check gave every ordered hash a body.
            const id = this.bodyIndex.get(tx)!;
            if (this.orderedIn[id]! >= 0) this.duplicates.push({ seq: block.seq, proposer: prop.proposer, position, tx });
            else { this.orderedIn[id] = b; hashes.push(tx); bodyIds.push(id); }
          });
        }
        inFlight++;
        this.counters.maxInFlight = Math.max(this.counters.maxInFlight, inFlight);
        const ids = Int32Array.from(bodyIds);
        const ordered = { index: b, seq: block.seq, hashes, txs: bodyIds.map((i) => this.bodyList[i]!), ids };
        this.emit({ tier: 'ordering', seq: block.seq, txs: hashes });
        const t1 = this.now();
        this.times.order += t1 - t0;
        this.timings[b]!.orderedMs = t1;
        toExecute.push(ordered);
      }
    };

    const executeLoop = async (): Promise<void> => {
      for (let b = 0; b < this.blocks.length; b++) {
        const block = await toExecute.take();
        this.timings[block.index]!.execStartMs = this.now();
        const { receipts, writes } = await this.executeBlock(block, threads, workers);
        const t = this.timings[block.index]!;
        let work: CommitWork;
        if (shards !== null) {
          // The block goes to the commit shards before its receipts are announced, so that the
          // shards hash while that happens.
          const c0 = this.now();
          work = { replies: this.sendCommit(shards, block.seq, writes, receipts, block.ids) };
          this.times.commit += this.now() - c0;
          for (const receipt of receipts) this.emit({ tier: 'transaction', receipt });
          t.mergedMs = this.now();
        } else {
          for (const receipt of receipts) this.emit({ tier: 'transaction', receipt });
          t.mergedMs = this.now();
          t.commitStartMs = t.mergedMs;
          work = { inline: this.commitInline(writes, receipts) };
          t.committedMs = this.now();
        }
        toCommit.push({ block, receipts, work });
        // Let the event loop deliver the commit shards' replies before the next block: with blocks
        // queued, `take` resolves at once and the replies would wait until the queue is empty.
        if (shards !== null) await new Promise<void>((resolve) => { setImmediate(resolve); });
      }
    };

    const commitLoop = async (): Promise<void> => {
      for (let b = 0; b < this.blocks.length; b++) {
        const { block, receipts, work } = await toCommit.take();
        const t = this.timings[block.index]!;
        let root: Uint8Array;
        let receiptsRoot: Uint8Array;
        if ('inline' in work) {
          ({ root, receiptsRoot } = work.inline);
          this.times.commit += work.inline.busyMs;
        } else {
          const replies = await work.replies;
          t.committedMs = this.now();
          t.commitStartMs = Math.min(...replies.map((r) => r.startMs - performance.timeOrigin - this.started));
          const f0 = this.now();
          const state: (Uint8Array | undefined)[] = new Array(16).fill(undefined);
          const rec: (Uint8Array | undefined)[] = new Array(16).fill(undefined);
          for (const r of replies) {
            this.times.commit += r.busyMs;
            unpackChildren(r.state, state);
            unpackChildren(r.receipts, rec);
          }
          root = nodeHashOf(state);
          receiptsRoot = nodeHashOf(rec);
          this.times.finalize += this.now() - f0;
        }
        const f1 = this.now();
        const result: BlockResult = { seq: block.seq, root: hex(root), receiptsRoot: hex(receiptsRoot), receipts };
        this.results.push(result);
        this.emit({ tier: 'block', seq: block.seq, root: result.root, receiptsRoot: result.receiptsRoot, txCount: receipts.length });
        t.finalMs = this.now();
        this.times.finalize += t.finalMs - f1;
        inFlight--;
        slotWaiters.shift()?.();
      }
    };

    await Promise.all([orderLoop(), executeLoop(), commitLoop()]);
    this.times.wallMs = this.now();
  }

  /**
   * Routes a block's writes and receipts to the commit shards by the first nibble of their paths;
   * `ids` are the receipts' transactions as body indices. With `hashes` (the bodies' hashes) the
   * shards start a new chain.
   */
  private sendCommit(threads: PipelineThreads, seq: bigint, writes: Writes, receipts: readonly Receipt[], ids: Int32Array, hashes?: readonly string[]): Promise<CommitReply[]> {
    const k = threads.shards.length;
    const state = Array.from({ length: k }, () => new ByteWriter());
    const rec = Array.from({ length: k }, () => new ByteWriter());
    writes.entries.forEach((e, i) => {
      const p = state[e.nibble % k]!;
      const v = writes.values[i]!;
      const small = v >= 0n && v <= MAX_SAFE;
      p.u32(e.id).u8((e.shardHasPath ? 0 : STATE_PATH) | (small ? 0 : STATE_TEXT));
      if (!e.shardHasPath) { p.bytes(e.path); e.shardHasPath = true; }
      if (small) p.u64(Number(v));
      else putText(p, v.toString());
    });
    receipts.forEach((r, i) => {
      const p = rec[(indexPath(i)[0]! >> 4) % k]!;
      p.u32(i).u32(ids[i]!).u8(r.status === 'success' ? 1 : 0);
      putText(p, r.code ?? '');
      putText(p, r.output.toString());
    });
    return Promise.all(state.map((s, i) => threads.commit(i, { seq, ...(hashes === undefined ? { reset: false } : { reset: true, hashes }), state: s.result(), receipts: rec[i]!.result() })));
  }

  private commitInline(writes: Writes, receipts: readonly Receipt[]): { root: Uint8Array; receiptsRoot: Uint8Array; busyMs: number } {
    const t0 = performance.now();
    writes.entries.forEach((e, i) => this.commitment.putPath(e.path, valueHash(writes.values[i]!)));
    const rc = new Commitment();
    receipts.forEach((r, i) => rc.putPath(indexPath(i), receiptHash(r)));
    return { root: this.commitment.root(), receiptsRoot: rc.root(), busyMs: performance.now() - t0 };
  }

  /** Executes one block on the post-state of the block before it and makes its writes the latest state. */
  private async executeBlock(block: Ordered, threads: PipelineThreads | null, workers: number): Promise<{ receipts: Receipt[]; writes: Writes }> {
    const n = block.txs.length;
    let outcomes: readonly ExecOutcome[];
    let optimistic: boolean;
    const timing = this.timings[block.index]!;
    const start = performance.now();
    if (threads === null || workers === 0 || n < Math.max(1, this.minParallel) || !this.chooseParallel(n, Math.min(workers, n))) {
      const t0 = performance.now();
      outcomes = executeRun(block.txs, (k) => this.latest.get(k)?.value);
      this.times.execute += performance.now() - t0;
      optimistic = false;
      this.counters.inlineBlocks++;
    } else {
      const runs = Math.min(workers, n);
      const replies = await Promise.all(Array.from({ length: runs }, (_, w) => {
        const lo = runStart(w, n, runs);
        const hi = runStart(w + 1, n, runs);
        const keys: string[] = [];
        const values: bigint[] = [];
        const contracts = new Set<string>();
        const add = (k: string): void => { const e = this.latest.get(k); if (e !== undefined) { keys.push(k); values.push(e.value); } };
        for (let i = lo; i < hi; i++) {
          const tx = block.txs[i]!;
          const ks = keysOf(tx);
          if (ks !== null) ks.forEach(add);
          else if ((tx.kind === 'wasm' || tx.kind === 'evm') && !contracts.has(tx.contract)) { contracts.add(tx.contract); this.contractKeys.get(tx.contract)?.forEach(add); }
        }
        return threads.execute(w, { id: w, txs: block.ids.subarray(lo, hi), keys, values });
      }));
      for (const r of replies) this.times.execute += r.busyMs;
      outcomes = replies.flatMap((r) => r.outcomes);
      this.counters.parallel += n;
      this.counters.parallelBlocks++;
      optimistic = true;
    }
    timing.executedMs = this.now();
    const reexecutedBefore = this.counters.reexecuted;
    const t0 = performance.now();
    const written: StateEntry[] = [];
    const read = (k: string): bigint => this.latest.get(k)?.value ?? 0n;
    // On a block run here, the policy may ask how many transactions parallel runs would have
    // re-executed: at least those that read a key written in the block by an earlier run, whose
    // value that run could not see.
    const runOf = !optimistic && this.wantsConflictCheck(workers, n) ? runIndices(n, Math.min(workers, n)) : null;
    let conflicts = 0;
    const receipts = outcomes.map((o, index): Receipt => {
      let result: Outcome = o;
      if (optimistic && !o.reads.every(([k, v]) => read(k) === v)) {
        result = run(block.txs[index]!, read);
        this.counters.reexecuted++;
      }
      if (runOf !== null && o.reads.some(([k]) => { const e = this.latest.get(k); return e !== undefined && e.writtenIn === block.index && runOf[e.firstWriter]! < runOf[index]!; })) conflicts++;
      for (const [k, v] of result.writes) {
        const e = this.latest.get(k);
        if (e === undefined) written.push(this.newEntry(k, v, block.index, index));
        else {
          e.value = v;
          if (e.writtenIn !== block.index) { e.writtenIn = block.index; e.firstWriter = index; written.push(e); }
        }
      }
      return { tx: block.hashes[index]!, seq: block.seq, index, status: result.status, code: result.code, output: result.output };
    });
    const end = performance.now();
    this.times.merge += end - t0;
    if (n > 0) this.learn(n, optimistic, end - start, Math.min(workers, n), optimistic ? this.counters.reexecuted - reexecutedBefore : runOf === null ? null : conflicts);
    return { receipts, writes: { entries: written, values: written.map((e) => e.value) } };
  }

  /**
   * Whether the adaptive policy runs a block of n transactions on `runs` execution threads. A block
   * for which the threads would save less than a quarter of the time even without their round trip
   * (its predicted re-executions taken into account) stays here without trying them;
   * otherwise the threads are tried when their round trip is unknown or has not been measured for
   * a while (after 8 blocks run here; the wait doubles, up to 64, each time a try shows them slower,
   * and is 8 again after a try they win).
   */
  private chooseParallel(n: number, runs: number): boolean {
    if (this.options.parallel !== 'adaptive') return true;
    const p = this.policy;
    if (Number.isNaN(p.inlineMsPerTx) || Number.isNaN(p.reexecRate)) return false;
    const serial = n * p.inlineMsPerTx;
    const withoutRoundTrip = serial / runs + p.reexecRate * serial;
    if (withoutRoundTrip > 0.75 * serial) return false;
    if (Number.isNaN(p.overheadMs) || p.sinceProbe >= p.probeEvery) return true;
    return p.overheadMs + withoutRoundTrip < serial;
  }

  /** Whether a block of n transactions run on the main thread should measure the re-executions parallel runs would have had. */
  private wantsConflictCheck(workers: number, n: number): boolean {
    const p = this.policy;
    return this.options.parallel === 'adaptive' && workers > 0 && n >= Math.max(1, this.minParallel) && (Number.isNaN(p.reexecRate) || p.sinceCheck >= 8);
  }

  /**
   * Updates the policy's estimates from a block's execution and merge time and its re-executions
   * (on the threads: those at the merge; here: those predicted, when measured, else null).
   */
  private learn(n: number, parallel: boolean, ms: number, runs: number, reexec: number | null): void {
    const p = this.policy;
    const ema = (old: number, x: number): number => (Number.isNaN(old) ? x : (old + x) / 2);
    if (reexec !== null) { p.reexecRate = ema(p.reexecRate, reexec / n); p.sinceCheck = 0; } else p.sinceCheck++;
    if (!parallel) {
      p.inlineMsPerTx = ema(p.inlineMsPerTx, ms / n);
      p.sinceProbe++;
      return;
    }
    const inlineMs = n * p.inlineMsPerTx;
    if (!Number.isNaN(inlineMs)) {
      p.overheadMs = ema(p.overheadMs, Math.max(0, ms - inlineMs / runs - (reexec! * p.inlineMsPerTx)));
      p.probeEvery = ms < inlineMs ? 8 : Math.min(64, 2 * p.probeEvery);
    }
    p.sinceProbe = 0;
  }
}

/** Runs the threaded pipeline over a whole input; the same answer as the serial reference. */
export const runThreaded = async (input: PipelineInput, options: ThreadedOptions = {}): Promise<Result<PipelineRun>> => {
  const node = ThreadedPipeline.create(input, options);
  return node.ok ? { ok: true, value: await node.value.run() } : node;
};
