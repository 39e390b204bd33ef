/**
 * The pipeline on real threads. Three stages run as asynchronous loops joined by queues, so that
 * while the main thread orders block n + 1 and merges the execution of block n, a commit thread
 * hashes block n - 1 into the state root. Execution of a block is optimistic and parallel: its
 * transactions are split into contiguous runs, each run is executed on an execution worker thread
 * against the block's pre-state (seeing only its own run's earlier writes), and the main thread
 * then merges the outcomes in index order, checking every value each transaction read against the
 * state left by the transactions before it and re-executing those whose reads changed. A
 * transaction whose reads all match computes exactly what serial execution computes (execution is
 * a function of the values read), so the merged block equals serial execution whatever the
 * timing. Compiled JavaScript only: the worker threads load `worker.js` next to this module.
 */
import { Worker } from 'node:worker_threads';
import type { Result } from '../../model/encoding/result.js';
import type { Block, LedgerEntry } from '../../model/consensus/ledger.js';
import type { Receipt, Tx } from '../../model/pipeline/tx.js';
import type { BlockResult, PipelineInput, PipelineRun, TierEvent } from '../../model/pipeline/serial.js';
import { hex, receiptBytes, run, utf8 } from './exec.js';
import { checkInput, indexKey, type Listener, type Subscription } from './pipeline.js';
import { Commitment } from './trie.js';
import { executeRun, type ExecOutcome } from './exec.js';
import type { CommitReply, CommitRequest, ExecReply, ExecRequest, GenesisRequest, WorkerRole } from './worker.js';

/**
 * The threads a threaded pipeline runs on: execution workers and one commit worker. Starting a
 * thread costs tens of milliseconds, so a set can be started once and lent to many runs, one run
 * at a time.
 */
export class PipelineThreads {
  private readonly execWaiting: ((r: ExecReply) => void)[][];
  private readonly commitWaiting: ((r: CommitReply) => void)[] = [];
  private failure: Error | null = null;
  private readonly failed: Promise<never>;

  private constructor(readonly exec: readonly Worker[], private readonly committer: Worker) {
    this.execWaiting = exec.map(() => []);
    exec.forEach((w, i) => w.on('message', (r: ExecReply) => this.execWaiting[i]!.shift()?.(r)));
    committer.on('message', (r: CommitReply) => this.commitWaiting.shift()?.(r));
    this.failed = new Promise<never>((_, reject) => {
      for (const w of [...exec, committer]) w.on('error', (e) => { this.failure = e; reject(e); });
    });
    this.failed.catch(() => { /* reported through `failed` to the run in progress */ });
  }

  /** Starts `workers` execution threads and a commit thread running the compiled `worker.js` beside this module. */
  static start(workers: number): PipelineThreads {
    const url = new URL('./worker.js', import.meta.url);
    return new PipelineThreads(
      Array.from({ length: workers }, () => new Worker(url, { workerData: { role: 'exec' } satisfies WorkerRole })),
      new Worker(url, { workerData: { role: 'commit' } satisfies WorkerRole }),
    );
  }

  /** Rejects when any thread fails. */
  get crashed(): Promise<never> { return this.failed; }
  get error(): Error | null { return this.failure; }

  execute(w: number, req: ExecRequest): Promise<ExecReply> {
    return new Promise((resolve) => { this.execWaiting[w]!.push(resolve); this.exec[w]!.postMessage(req); });
  }

  genesis(req: GenesisRequest): void { this.committer.postMessage(req); }

  commit(req: CommitRequest): Promise<CommitReply> {
    return new Promise((resolve) => { this.commitWaiting.push(resolve); this.committer.postMessage(req); });
  }

  async close(): Promise<void> {
    await Promise.all([...this.exec, this.committer].map((w) => w.terminate()));
  }
}

export interface ThreadedOptions {
  /** Maximum number of blocks ordered but not yet block final (1: the serial pipeline). */
  readonly depth?: number;
  /** Execution worker threads; 0 executes every block serially on the main thread. */
  readonly workers?: number;
  /** Blocks with fewer transactions than this are executed on the main thread. */
  readonly minParallel?: number;
  /** Whether the state commitment is computed on its own thread (true) or on the main thread. */
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
  commit: number;
  wallMs: number;
}

export interface ThreadedCounters {
  /** Transactions whose optimistic result was discarded and re-executed at the merge. */
  reexecuted: number;
  /** Transactions executed on worker threads. */
  parallel: number;
  maxInFlight: number;
}

interface Ordered { readonly seq: bigint; readonly hashes: readonly string[]; readonly txs: readonly Tx[] }

/** The state keys a transaction may read, so that a worker receives only the slice it needs. */
const keysOf = (tx: Tx): readonly string[] =>
  tx.kind === 'transfer' ? [`bal/${tx.from}`, `bal/${tx.to}`] : [`sto/${tx.contract}/${tx.slot}`, `bal/${tx.from}`];

/** An unbounded queue whose `take` waits for the next item. */
class Channel<T> {
  private readonly items: T[] = [];
  private readonly takers: ((t: T) => void)[] = [];
  push(t: T): void { const w = this.takers.shift(); if (w !== undefined) w(t); else this.items.push(t); }
  take(): Promise<T> { return this.items.length > 0 ? Promise.resolve(this.items.shift()!) : new Promise((resolve) => { this.takers.push(resolve); }); }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => { setTimeout(resolve, ms); });

export class ThreadedPipeline {
  private readonly depth: number;
  private readonly workerCount: number;
  private readonly minParallel: number;
  private readonly commitThread: boolean;
  private readonly latest = new Map<string, bigint>();
  private readonly genesis: readonly (readonly [string, bigint])[];
  private readonly commitment = new Commitment();
  private readonly listeners = new Set<{ readonly fn: Listener; readonly filter: Subscription }>();
  private readonly txBlock = new Map<string, bigint>();
  readonly genesisRoot: string;
  readonly results: BlockResult[] = [];
  readonly duplicates: LedgerEntry[] = [];
  readonly log: TierEvent[] = [];
  /** The time each event of `log` was emitted, in milliseconds from the start of `run`. */
  readonly logTimesMs: number[] = [];
  readonly times: StageTimes = { order: 0, execute: 0, merge: 0, commit: 0, wallMs: 0 };
  readonly counters: ThreadedCounters = { reexecuted: 0, parallel: 0, maxInFlight: 0 };
  private started = 0;

  private constructor(private readonly blocks: readonly Block[], private readonly bodies: ReadonlyMap<string, Tx>, input: PipelineInput, private readonly options: ThreadedOptions) {
    this.depth = Math.max(1, options.depth ?? 3);
    this.workerCount = Math.max(0, options.workers ?? 2);
    this.minParallel = options.minParallel ?? 16;
    this.commitThread = options.commitThread ?? true;
    this.genesis = input.genesis.map((g) => [`bal/${g.account}`, g.balance] as const);
    for (const [k, v] of this.genesis) {
      this.latest.set(k, v);
      this.commitment.put(utf8(k), utf8(v.toString()));
    }
    this.genesisRoot = hex(this.commitment.root());
  }

  static create(input: PipelineInput, options: ThreadedOptions = {}): Result<ThreadedPipeline> {
    const bodies = checkInput(input);
    return bodies.ok ? { ok: true, value: new ThreadedPipeline(input.blocks, bodies.value, input, options) } : bodies;
  }

  /** Streams tier events to `fn` from now on; returns the function that ends the subscription. */
  subscribe(fn: Listener, filter: Subscription = {}): () => void {
    const entry = { fn, filter };
    this.listeners.add(entry);
    return () => { this.listeners.delete(entry); };
  }

  private emit(e: TierEvent): void {
    this.log.push(e);
    this.logTimesMs.push(performance.now() - this.started);
    const seq = e.tier === 'transaction' ? e.receipt.seq : e.seq;
    for (const { fn, filter } of this.listeners) {
      if (filter.seq !== undefined && filter.seq !== seq) continue;
      if (filter.tx !== undefined) {
        const mine = e.tier === 'ordering' ? e.txs.includes(filter.tx) : e.tier === 'transaction' ? e.receipt.tx === filter.tx : this.txBlock.get(filter.tx) === e.seq;
        if (!mine) continue;
      }
      fn(e);
    }
  }

  /** Runs every block through the pipeline and stops the threads it started. */
  async run(): Promise<PipelineRun> {
    this.started = performance.now();
    const own = this.options.threads === undefined && (this.workerCount > 0 || this.commitThread);
    const threads = this.options.threads ?? (own ? PipelineThreads.start(this.workerCount) : null);
    const workers = threads === null ? 0 : Math.min(this.workerCount, threads.exec.length);
    const committer = this.commitThread ? threads : null;
    committer?.genesis({ genesis: this.genesis });

    const toExecute = new Channel<Ordered>();
    const toCommit = new Channel<{ readonly block: Ordered; readonly receipts: Receipt[]; readonly root: Promise<CommitReply> }>();
    const slotWaiters: (() => void)[] = [];
    let inFlight = 0;

    const orderLoop = async (): Promise<void> => {
      const seen = new Set<string>();
      for (const [b, block] of this.blocks.entries()) {
        const at = this.options.arrivalsMs?.[b];
        if (at !== undefined) { const wait = at - (performance.now() - this.started); if (wait > 0) await sleep(wait); }
        while (inFlight >= this.depth) await new Promise<void>((resolve) => { slotWaiters.push(resolve); });
        const t0 = performance.now();
        const hashes: string[] = [];
        for (const prop of block.proposals) {
          prop.txs.forEach((tx, position) => {
            if (seen.has(tx)) this.duplicates.push({ seq: block.seq, proposer: prop.proposer, position, tx });
            else { seen.add(tx); hashes.push(tx); this.txBlock.set(tx, block.seq); }
          });
        }
        inFlight++;
        this.counters.maxInFlight = Math.max(this.counters.maxInFlight, inFlight);
        const ordered = { seq: block.seq, hashes, txs: hashes.map((h) => this.bodies.get(h)!) };
        this.emit({ tier: 'ordering', seq: block.seq, txs: hashes });
        this.times.order += performance.now() - t0;
        toExecute.push(ordered);
      }
    };

    const executeLoop = async (): Promise<void> => {
      for (let b = 0; b < this.blocks.length; b++) {
        const block = await toExecute.take();
        const { receipts, writes } = await this.executeBlock(block, threads, workers);
        for (const receipt of receipts) this.emit({ tier: 'transaction', receipt });
        const request: CommitRequest = { seq: block.seq, writes: [...writes], receipts };
        const root = committer !== null ? committer.commit(request) : Promise.resolve(this.commitInline(request));
        toCommit.push({ block, receipts, root });
      }
    };

    const commitLoop = async (): Promise<void> => {
      for (let b = 0; b < this.blocks.length; b++) {
        const { block, receipts, root } = await toCommit.take();
        const r = await root;
        this.times.commit += r.busyMs;
        this.results.push({ seq: block.seq, root: r.root, receiptsRoot: r.receiptsRoot, receipts });
        this.emit({ tier: 'block', seq: block.seq, root: r.root, receiptsRoot: r.receiptsRoot, txCount: receipts.length });
        inFlight--;
        slotWaiters.shift()?.();
      }
    };

    try {
      const stages = Promise.all([orderLoop(), executeLoop(), commitLoop()]);
      await (threads === null ? stages : Promise.race([stages, threads.crashed]));
    } finally {
      if (own) await threads?.close();
    }
    this.times.wallMs = performance.now() - this.started;
    return { genesisRoot: this.genesisRoot, blocks: this.results, duplicates: this.duplicates, events: this.log };
  }

  private commitInline(req: CommitRequest): CommitReply {
    const t0 = performance.now();
    for (const [k, v] of req.writes) this.commitment.put(utf8(k), utf8(v.toString()));
    const receipts = new Commitment();
    req.receipts.forEach((r, i) => receipts.put(indexKey(i), receiptBytes(r)));
    return { seq: req.seq, root: hex(this.commitment.root()), receiptsRoot: hex(receipts.root()), busyMs: performance.now() - t0 };
  }

  /** Executes one block on the post-state of the block before it and makes its writes the latest state. */
  private async executeBlock(block: Ordered, threads: PipelineThreads | null, workers: number): Promise<{ receipts: Receipt[]; writes: Map<string, bigint> }> {
    const n = block.txs.length;
    let outcomes: readonly ExecOutcome[];
    let optimistic: boolean;
    if (threads === null || workers === 0 || n < Math.max(1, this.minParallel)) {
      const t0 = performance.now();
      outcomes = executeRun(block.txs, this.latest);
      this.times.execute += performance.now() - t0;
      optimistic = false;
    } else {
      const runs = Math.min(workers, n);
      const replies = await Promise.all(Array.from({ length: runs }, (_, w) => {
        const txs = block.txs.slice(Math.floor((w * n) / runs), Math.floor(((w + 1) * n) / runs));
        const state = new Map<string, bigint>();
        for (const tx of txs) for (const k of keysOf(tx)) { const v = this.latest.get(k); if (v !== undefined) state.set(k, v); }
        return threads.execute(w, { id: w, txs, state });
      }));
      for (const r of replies) this.times.execute += r.busyMs;
      outcomes = replies.flatMap((r) => r.outcomes);
      this.counters.parallel += n;
      optimistic = true;
    }
    const t0 = performance.now();
    const writes = new Map<string, bigint>();
    const read = (k: string): bigint => this.latest.get(k) ?? 0n;
    const receipts = outcomes.map((o, index): Receipt => {
      let result = o;
      if (optimistic && !o.reads.every(([k, v]) => read(k) === v)) {
        const again = run(block.txs[index]!, read);
        result = { ...again, reads: [] };
        this.counters.reexecuted++;
      }
      for (const [k, v] of result.writes) { this.latest.set(k, v); writes.set(k, v); }
      return { tx: block.hashes[index]!, seq: block.seq, index, status: result.status, code: result.code, output: result.output };
    });
    this.times.merge += performance.now() - t0;
    return { receipts, writes };
  }
}

/** Runs the threaded pipeline over a whole input; the same answer as the serial reference. */
export const runThreaded = async (input: PipelineInput, options: ThreadedOptions = {}): Promise<Result<PipelineRun>> => {
  const node = ThreadedPipeline.create(input, options);
  return node.ok ? { ok: true, value: await node.value.run() } : node;
};
