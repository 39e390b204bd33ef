/**
 * Optimistic parallel execution of one block, Block-STM style: every transaction runs against a
 * multi-version memory holding the writes of lower-indexed transactions, records where each read
 * came from, and is validated by re-checking those reads; a failed validation turns its writes
 * into estimates and re-executes it, and a read of an estimate parks the reader until the writer
 * has run again. Concurrency is simulated: `choice` picks which of the first `workers` pending
 * tasks runs next, so a schedule reproduces any interleaving of `workers` racing threads.
 */
import type { Tx } from '../../model/pipeline/tx.js';
import { type Outcome, ReadBlocked, run } from './exec.js';

const ESTIMATE = Symbol('estimate');

interface Version { readonly incarnation: number; readonly value: bigint | typeof ESTIMATE }
interface ReadFrom { readonly key: string; readonly writer: number; readonly incarnation: number }

type Task = { readonly kind: 0 | 1; readonly tx: number }; // 0 = execute, 1 = validate

export interface StmCounters { executions: number; validations: number; aborts: number; blocked: number }

export class BlockStm {
  private readonly mv = new Map<string, Map<number, Version>>();
  private readonly reads: ReadFrom[][];
  private readonly writes: Set<string>[];
  private readonly outcomes: (Outcome | null)[];
  private readonly incarnation: number[];
  /** pending: waiting to execute; blocked: parked on a writer; executed: has a current result. */
  private readonly status: ('pending' | 'blocked' | 'executed')[];
  private readonly waiters = new Map<number, number[]>();
  private tasks: Task[] = [];
  readonly counters: StmCounters = { executions: 0, validations: 0, aborts: 0, blocked: 0 };

  constructor(private readonly txs: readonly Tx[], private readonly base: (key: string) => bigint) {
    const n = txs.length;
    this.reads = Array.from({ length: n }, () => []);
    this.writes = Array.from({ length: n }, () => new Set());
    this.outcomes = new Array(n).fill(null);
    this.incarnation = new Array(n).fill(0);
    this.status = new Array(n).fill('pending');
    this.tasks = txs.map((_, tx) => ({ kind: 0, tx }));
  }

  get done(): boolean {
    return this.tasks.length === 0;
  }

  private push(t: Task): void {
    // Tasks are kept sorted by transaction, execution before validation, without duplicates.
    let i = 0;
    while (i < this.tasks.length && (this.tasks[i]!.tx < t.tx || (this.tasks[i]!.tx === t.tx && this.tasks[i]!.kind < t.kind))) i++;
    const at = this.tasks[i];
    if (at !== undefined && at.tx === t.tx && at.kind === t.kind) return;
    this.tasks.splice(i, 0, t);
  }

  /** The newest version below `tx`, or the pre-state. */
  private locate(key: string, tx: number): { writer: number; v: Version } | null {
    const versions = this.mv.get(key);
    if (versions === undefined) return null;
    let best = -1;
    for (const w of versions.keys()) if (w < tx && w > best) best = w;
    return best < 0 ? null : { writer: best, v: versions.get(best)! };
  }

  private execute(tx: number): void {
    if (this.status[tx] !== 'pending') return;
    this.counters.executions++;
    const reads: ReadFrom[] = [];
    let outcome: Outcome;
    try {
      outcome = run(this.txs[tx]!, (key) => {
        const found = this.locate(key, tx);
        if (found === null) { reads.push({ key, writer: -1, incarnation: 0 }); return this.base(key); }
        if (found.v.value === ESTIMATE) throw new ReadBlocked(found.writer);
        reads.push({ key, writer: found.writer, incarnation: found.v.incarnation });
        return found.v.value;
      });
    } catch (e) {
      if (!(e instanceof ReadBlocked)) throw e;
      this.counters.blocked++;
      this.status[tx] = 'blocked';
      const list = this.waiters.get(e.on) ?? [];
      list.push(tx);
      this.waiters.set(e.on, list);
      return;
    }
    const inc = ++this.incarnation[tx]!;
    const written = new Set<string>();
    for (const [key, value] of outcome.writes) {
      written.add(key);
      let versions = this.mv.get(key);
      if (versions === undefined) { versions = new Map(); this.mv.set(key, versions); }
      versions.set(tx, { incarnation: inc, value });
    }
    for (const key of this.writes[tx]!) if (!written.has(key)) this.mv.get(key)!.delete(tx);
    this.writes[tx] = written;
    this.reads[tx] = reads;
    this.outcomes[tx] = outcome;
    this.status[tx] = 'executed';
    for (let j = tx; j < this.txs.length; j++) if (this.status[j] === 'executed') this.push({ kind: 1, tx: j });
    for (const w of this.waiters.get(tx) ?? []) { this.status[w] = 'pending'; this.push({ kind: 0, tx: w }); }
    this.waiters.delete(tx);
  }

  private validate(tx: number): void {
    if (this.status[tx] !== 'executed') return;
    this.counters.validations++;
    const valid = this.reads[tx]!.every((r) => {
      const found = this.locate(r.key, tx);
      if (found === null) return r.writer === -1;
      return found.v.value !== ESTIMATE && found.writer === r.writer && found.v.incarnation === r.incarnation;
    });
    if (valid) return;
    this.counters.aborts++;
    for (const key of this.writes[tx]!) {
      const versions = this.mv.get(key)!;
      versions.set(tx, { incarnation: versions.get(tx)!.incarnation, value: ESTIMATE });
    }
    this.status[tx] = 'pending';
    this.outcomes[tx] = null;
    this.push({ kind: 0, tx });
  }

  /** Runs one task: the one at `choice` mod min(workers, pending tasks). */
  step(choice: number, workers: number): void {
    const span = Math.min(Math.max(1, workers), this.tasks.length);
    const [task] = this.tasks.splice(choice % span, 1);
    if (task === undefined) return;
    if (task.kind === 0) this.execute(task.tx);
    else this.validate(task.tx);
  }

  /** The committed outcome of every transaction, in index order; only when done. */
  results(): readonly Outcome[] {
    return this.outcomes.map((o, i) => {
      if (o === null) throw new Error(`transaction ${i} has no result`);
      return o;
    });
  }
}
