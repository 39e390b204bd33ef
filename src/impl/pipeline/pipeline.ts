/**
 * The overlapped pipeline: three stages (ordering, execution, commit) that each work on a
 * different block at the same time, with at most `depth` blocks between ordering and block
 * finality. Execution of a block runs optimistically in parallel (BlockStm) on the post-state of
 * the block before it, which is known as soon as that block has executed, so block n executes
 * while block n - 1 is being hashed and committed and block n + 1 is being ordered. A schedule
 * (a sequence of choices) decides which enabled stage and which execution task runs at each step;
 * every schedule must give the same receipts, roots and per-transaction tier events.
 */
import type { Result } from '../../model/encoding/result.js';
import type { Block, LedgerEntry } from '../../model/consensus/ledger.js';
import type { Receipt, Tx } from '../../model/pipeline/tx.js';
import type { BlockResult, PipelineInput, PipelineRun, TierEvent } from '../../model/pipeline/serial.js';
import { checkGenesis, checkTx, hashTx, hex, receiptHash } from './exec.js';
import { BlockStm, type StmCounters } from './stm.js';
import { Commitment, indexPath, textKeyPath, valueHash } from './trie.js';
import type { Journal, JournalRecord } from './journal.js';

export type Stage = 'order' | 'execute' | 'commit';

export interface PipelineOptions {
  /** Maximum number of blocks ordered but not yet block final. */
  readonly depth?: number;
  /** Simulated execution workers inside a block. */
  readonly workers?: number;
  /** Choices, used cyclically; the default always takes the first enabled stage from the back (commit, execute, order). */
  readonly schedule?: readonly number[];
  /**
   * Where the node persists each stage's completion before announcing it; a node created on a
   * journal that already holds records resumes after them.
   */
  readonly journal?: Journal;
}

export interface Listener {
  (event: TierEvent): void;
}

export interface Subscription {
  /** Only events of this transaction (its block's ordering and block events, and its own receipt). */
  readonly tx?: string;
  /** Only events of this block. */
  readonly seq?: bigint;
}

interface InFlight {
  readonly seq: bigint;
  readonly hashes: readonly string[];
  readonly txs: readonly Tx[];
  stm: BlockStm | null;
  receipts: Receipt[] | null;
  writes: Map<string, bigint> | null;
}

const fail = (code: string, message: string): Result<never> => ({ ok: false, error: { code, message } });

/** Checks the consensus output shape: ascending sequence numbers and proposers, well-formed hashes with bodies. */
const checkBlocks = (blocks: readonly Block[]): Result<never> | null => {
  const H = /^0x[0-9a-f]{64}$/;
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    if (b > 0 && block.seq <= blocks[b - 1]!.seq) return fail('Consensus.Ledger.SEQ_ORDER', `blocks[${b}].seq ${block.seq} does not follow ${blocks[b - 1]!.seq}`);
    for (let p = 0; p < block.proposals.length; p++) {
      const prop = block.proposals[p]!;
      if (p > 0 && prop.proposer <= block.proposals[p - 1]!.proposer) return fail('Consensus.Ledger.PROPOSER_ORDER', `blocks[${b}].proposals[${p}].proposer ${prop.proposer} does not follow ${block.proposals[p - 1]!.proposer}`);
      for (let t = 0; t < prop.txs.length; t++) {
        if (!H.test(prop.txs[t]!)) return fail('Consensus.Ledger.BAD_TX_HASH', `blocks[${b}].proposals[${p}].txs[${t}] is not 32 bytes of lowercase 0x-hex`);
      }
    }
  }
  return null;
};

const checkBodiesPresent = (blocks: readonly Block[], bodies: ReadonlyMap<string, Tx>): Result<never> | null => {
  for (let b = 0; b < blocks.length; b++) {
    for (let p = 0; p < blocks[b]!.proposals.length; p++) {
      const txs = blocks[b]!.proposals[p]!.txs;
      for (let t = 0; t < txs.length; t++) if (!bodies.has(txs[t]!)) return fail('Pipeline.Input.UNKNOWN_TX', `blocks[${b}].proposals[${p}].txs[${t}]: no body has hash ${txs[t]}`);
    }
  }
  return null;
};

/** Checks the whole input in the order the serial reference does and indexes the bodies by hash. */
export const checkInput = (input: PipelineInput): Result<ReadonlyMap<string, Tx>> => {
  const g = checkGenesis(input.genesis);
  if (g !== null) return g;
  const b = checkBlocks(input.blocks);
  if (b !== null) return b;
  const bodies = new Map<string, Tx>();
  for (let i = 0; i < input.bodies.length; i++) {
    const e = checkTx(input.bodies[i]!, `bodies[${i}]`);
    if (e !== null) return e;
    bodies.set(hashTx(input.bodies[i]!), input.bodies[i]!);
  }
  const u = checkBodiesPresent(input.blocks, bodies);
  return u ?? { ok: true, value: bodies };
};

export interface StageCounters {
  steps: Record<Stage, number>;
  stm: StmCounters;
  /** Steps at which two or more blocks were in different stages at once. */
  overlappedSteps: number;
  maxInFlight: number;
}

export class PipelineNode {
  private readonly depth: number;
  private readonly workers: number;
  private readonly schedule: readonly number[];
  private cursor = 0;
  private readonly seen = new Set<string>();
  private readonly flight: InFlight[] = [];
  private nextInput = 0;
  private executed = 0;
  /** The post-state of the newest executed block; only keys ever written. */
  private readonly latest = new Map<string, bigint>();
  private readonly commitment = new Commitment();
  private readonly listeners = new Set<{ readonly fn: Listener; readonly filter: Subscription }>();
  readonly genesisRoot: string;
  readonly results: BlockResult[] = [];
  readonly duplicates: LedgerEntry[] = [];
  readonly log: TierEvent[] = [];
  readonly counters: StageCounters = { steps: { order: 0, execute: 0, commit: 0 }, stm: { executions: 0, validations: 0, aborts: 0, blocked: 0 }, overlappedSteps: 0, maxInFlight: 0 };

  private constructor(private readonly blocks: readonly Block[], private readonly bodies: ReadonlyMap<string, Tx>, input: PipelineInput, private readonly options: PipelineOptions) {
    this.depth = Math.max(1, options.depth ?? 3);
    this.workers = Math.max(1, options.workers ?? 4);
    this.schedule = options.schedule !== undefined && options.schedule.length > 0 ? options.schedule : [0];
    for (const g of input.genesis) {
      this.latest.set(`bal/${g.account}`, g.balance);
      this.commitment.putPath(textKeyPath(`bal/${g.account}`), valueHash(g.balance));
    }
    this.genesisRoot = hex(this.commitment.root());
  }

  /** Checks the whole input and makes a node ready to run it. */
  static create(input: PipelineInput, options: PipelineOptions = {}): Result<PipelineNode> {
    const bodies = checkInput(input);
    if (!bodies.ok) return bodies;
    const node = new PipelineNode(input.blocks, bodies.value, input, options);
    if (options.journal === undefined) return { ok: true, value: node };
    const records = options.journal.records();
    if (!records.ok) return records;
    const restored = node.restore(records.value);
    return restored === null ? { ok: true, value: node } : restored;
  }

  /** True while records are replayed: nothing is persisted or announced again. */
  private restoring = false;

  private persist(record: JournalRecord): void {
    if (!this.restoring) this.options.journal?.append(record);
  }

  /**
   * Replays a journal: blocks recorded as ordered are ordered again (ordering is a function of the
   * consensus output), recorded executions are taken as they are (never re-executed, so a receipt
   * already announced cannot change), recorded commits are recomputed and must give the recorded
   * roots. The records must be a prefix of the stage sequence this input gives.
   */
  private restore(records: readonly JournalRecord[]): Result<never> | null {
    const corrupt = (message: string): Result<never> => fail('Pipeline.Journal.CORRUPT', message);
    this.restoring = true;
    try {
      for (const [i, r] of records.entries()) {
        const at = `journal record ${i} (${r.kind} ${r.seq})`;
        if (r.kind === 'ordered') {
          if (this.nextInput >= this.blocks.length || this.blocks[this.nextInput]!.seq !== r.seq) return corrupt(`${at}: not the next block of the input`);
          if (this.flight.length >= this.depth) return corrupt(`${at}: exceeds the depth bound`);
          this.order();
        } else if (r.kind === 'executed') {
          const f = this.pendingExecution();
          if (f === null || f.seq !== r.seq || r.receipts.length !== f.hashes.length || r.receipts.some((x, k) => x.tx !== f.hashes[k] || x.seq !== f.seq || x.index !== k)) {
            return corrupt(`${at}: not the execution of the next ordered block`);
          }
          this.finishExecution(f, [...r.receipts], new Map(r.writes));
        } else {
          if (this.executed <= this.committedCount() || this.flight[0]!.seq !== r.seq) return corrupt(`${at}: not the commit of the oldest executed block`);
          this.commit();
          const done = this.results[this.results.length - 1]!;
          if (done.root !== r.root || done.receiptsRoot !== r.receiptsRoot) return fail('Pipeline.Journal.ROOT_MISMATCH', `${at}: recomputed roots differ from the recorded ones`);
        }
      }
      return null;
    } finally {
      this.restoring = false;
    }
  }

  /** Streams tier events to `fn` from now on; returns the function that ends the subscription. */
  subscribe(fn: Listener, filter: Subscription = {}): () => void {
    const entry = { fn, filter };
    this.listeners.add(entry);
    return () => { this.listeners.delete(entry); };
  }

  private emit(e: TierEvent): void {
    if (this.restoring) return;
    this.log.push(e);
    for (const { fn, filter } of this.listeners) {
      const seq = e.tier === 'transaction' ? e.receipt.seq : e.seq;
      if (filter.seq !== undefined && filter.seq !== seq) continue;
      if (filter.tx !== undefined) {
        const mine = e.tier === 'ordering' ? e.txs.includes(filter.tx) : e.tier === 'transaction' ? e.receipt.tx === filter.tx : this.blockOf(filter.tx) === e.seq;
        if (!mine) continue;
      }
      fn(e);
    }
  }

  private readonly txBlock = new Map<string, bigint>();
  private blockOf(tx: string): bigint | undefined { return this.txBlock.get(tx); }

  private committedCount(): number { return this.results.length; }

  private enabled(): Stage[] {
    const s: Stage[] = [];
    if (this.executed > this.committedCount()) s.push('commit');
    if (this.pendingExecution() !== null) s.push('execute');
    if (this.nextInput < this.blocks.length && this.inFlight() < this.depth) s.push('order');
    return s;
  }

  /** Blocks ordered and not yet block final. */
  private inFlight(): number { return this.flight.length; }

  private pendingExecution(): InFlight | null {
    return this.flight.find((f) => f.receipts === null) ?? null;
  }

  get finished(): boolean { return this.nextInput === this.blocks.length && this.flight.length === 0; }

  /** Runs one step of one stage; false when nothing is left to do. */
  step(): boolean {
    const stages = this.enabled();
    if (stages.length === 0) return false;
    const choice = this.schedule[this.cursor++ % this.schedule.length]!;
    const stage = stages[choice % stages.length]!;
    this.counters.steps[stage]++;
    if (new Set(this.flight.map((f) => (f.receipts === null ? (f.stm === null ? 'o' : 'x') : 'c'))).size > 1) this.counters.overlappedSteps++;
    if (stage === 'order') this.order();
    else if (stage === 'execute') this.execute(choice);
    else this.commit();
    this.counters.maxInFlight = Math.max(this.counters.maxInFlight, this.flight.length);
    return true;
  }

  /** Ordering: dedup against every earlier block and announce the block's transaction list. */
  private order(): void {
    const block = this.blocks[this.nextInput++]!;
    const hashes: string[] = [];
    for (const prop of block.proposals) {
      prop.txs.forEach((tx, position) => {
        if (this.seen.has(tx)) this.duplicates.push({ seq: block.seq, proposer: prop.proposer, position, tx });
        else { this.seen.add(tx); hashes.push(tx); this.txBlock.set(tx, block.seq); }
      });
    }
    this.flight.push({ seq: block.seq, hashes, txs: hashes.map((h) => this.bodies.get(h)!), stm: null, receipts: null, writes: null });
    this.persist({ kind: 'ordered', seq: block.seq });
    this.emit({ tier: 'ordering', seq: block.seq, txs: hashes });
  }

  /** Execution: one Block-STM task of the oldest block not yet executed. */
  private execute(choice: number): void {
    const f = this.pendingExecution()!;
    if (f.stm === null) {
      const latest = this.latest;
      f.stm = new BlockStm(f.txs, (k) => latest.get(k) ?? 0n);
    }
    if (!f.stm.done) f.stm.step(choice >>> 2, this.workers);
    if (!f.stm.done) return;
    const outcomes = f.stm.results();
    const s = f.stm.counters;
    this.counters.stm.executions += s.executions; this.counters.stm.validations += s.validations;
    this.counters.stm.aborts += s.aborts; this.counters.stm.blocked += s.blocked;
    const writes = new Map<string, bigint>();
    const receipts = outcomes.map((o, index): Receipt => {
      for (const [k, v] of o.writes) writes.set(k, v);
      return { tx: f.hashes[index]!, seq: f.seq, index, status: o.status, code: o.code, output: o.output };
    });
    this.finishExecution(f, receipts, writes);
  }

  /** Records a block's execution: its writes become the latest state, persisted before its receipts are announced. */
  private finishExecution(f: InFlight, receipts: Receipt[], writes: Map<string, bigint>): void {
    f.receipts = receipts;
    for (const [k, v] of writes) this.latest.set(k, v);
    f.writes = writes;
    f.stm = null;
    this.executed++;
    this.persist({ kind: 'executed', seq: f.seq, receipts, writes: [...writes] });
    for (const receipt of receipts) this.emit({ tier: 'transaction', receipt });
  }

  /** Commit: hash the oldest executed block's writes into the state root and its receipts root. */
  private commit(): void {
    const f = this.flight.shift()!;
    for (const [k, v] of f.writes!) this.commitment.putPath(textKeyPath(k), valueHash(v));
    const receipts = new Commitment();
    f.receipts!.forEach((r, i) => receipts.putPath(indexPath(i), receiptHash(r)));
    const result: BlockResult = { seq: f.seq, root: hex(this.commitment.root()), receiptsRoot: hex(receipts.root()), receipts: f.receipts! };
    this.results.push(result);
    this.persist({ kind: 'committed', seq: f.seq, root: result.root, receiptsRoot: result.receiptsRoot });
    this.emit({ tier: 'block', seq: f.seq, root: result.root, receiptsRoot: result.receiptsRoot, txCount: f.receipts!.length });
  }

  /** Runs to the end synchronously. */
  runToEnd(): PipelineRun {
    while (this.step()) { /* each step advances one stage */ }
    return { genesisRoot: this.genesisRoot, blocks: this.results, duplicates: this.duplicates, events: this.log };
  }

  /** Runs to the end, yielding to the event loop every `chunk` steps so subscribers elsewhere see events as they happen. */
  async run(chunk = 64): Promise<PipelineRun> {
    for (;;) {
      for (let i = 0; i < chunk; i++) if (!this.step()) return { genesisRoot: this.genesisRoot, blocks: this.results, duplicates: this.duplicates, events: this.log };
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** The tier events as an async stream that ends when the pipeline has finished. */
  async *events(filter: Subscription = {}): AsyncGenerator<TierEvent> {
    const queue: TierEvent[] = [];
    let wake: (() => void) | null = null;
    const stop = this.subscribe((e) => { queue.push(e); wake?.(); }, filter);
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (this.finished) return;
        await new Promise<void>((resolve) => { wake = resolve; setImmediate(resolve); });
        wake = null;
      }
    } finally {
      stop();
    }
  }
}

/** Runs the overlapped pipeline over a whole input; the same interface as the serial reference. */
export const runPipelined = (input: PipelineInput, options: PipelineOptions = {}): Result<PipelineRun> => {
  const node = PipelineNode.create(input, options);
  return node.ok ? { ok: true, value: node.value.runToEnd() } : node;
};
