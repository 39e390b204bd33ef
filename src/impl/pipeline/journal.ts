/**
 * The pipeline's persisted watermark: one record per stage a block completes, written before the
 * tier event that announces it. On restart a node replays the records (ordering is recomputed
 * from the consensus output, executed results and roots are taken from the records) and resumes
 * without announcing any block or receipt a second time. Executed results must be persisted
 * before transaction finality is reported: otherwise a restart re-executes and re-announces them
 * (the `volatile` configuration of Pipeline.tla).
 *
 * @module
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import type { Result } from '../../model/encoding/result.js';
import type { Receipt } from '../../model/pipeline/tx.js';

export type JournalRecord =
  | { readonly kind: 'ordered'; readonly seq: bigint }
  | { readonly kind: 'executed'; readonly seq: bigint; readonly receipts: readonly Receipt[]; readonly writes: readonly (readonly [string, bigint])[] }
  | { readonly kind: 'committed'; readonly seq: bigint; readonly root: string; readonly receiptsRoot: string };

export interface Journal {
  /** Persists a record; returns once it is durable. */
  append(record: JournalRecord): void;
  /** Every record persisted so far, in append order. */
  records(): Result<readonly JournalRecord[]>;
}

/** A journal kept in memory: it survives dropping the node that wrote it, not the process. */
export class MemoryJournal implements Journal {
  private readonly list: JournalRecord[] = [];
  append(record: JournalRecord): void { this.list.push(record); }
  records(): Result<readonly JournalRecord[]> { return { ok: true, value: [...this.list] }; }
}

const encode = (r: JournalRecord): unknown => {
  switch (r.kind) {
    case 'ordered': return { kind: r.kind, seq: r.seq.toString() };
    case 'executed': return {
      kind: r.kind, seq: r.seq.toString(),
      receipts: r.receipts.map((x) => ({ ...x, seq: x.seq.toString(), output: x.output.toString() })),
      writes: r.writes.map(([k, v]) => [k, v.toString()]),
    };
    case 'committed': return { kind: r.kind, seq: r.seq.toString(), root: r.root, receiptsRoot: r.receiptsRoot };
  }
};

const DEC = /^(0|[1-9][0-9]*)$/;
const big = (v: unknown): bigint => {
  if (typeof v !== 'string' || !DEC.test(v)) throw new TypeError(`not a decimal integer: ${JSON.stringify(v)}`);
  return BigInt(v);
};
const str = (v: unknown): string => {
  if (typeof v !== 'string') throw new TypeError(`not a string: ${JSON.stringify(v)}`);
  return v;
};
const int = (v: unknown): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TypeError(`not an index: ${JSON.stringify(v)}`);
  return v;
};

const decode = (j: Record<string, unknown>): JournalRecord => {
  const seq = big(j['seq']);
  if (j['kind'] === 'ordered') return { kind: 'ordered', seq };
  if (j['kind'] === 'committed') return { kind: 'committed', seq, root: str(j['root']), receiptsRoot: str(j['receiptsRoot']) };
  if (j['kind'] !== 'executed' || !Array.isArray(j['receipts']) || !Array.isArray(j['writes'])) throw new TypeError(`unknown record kind ${JSON.stringify(j['kind'])}`);
  const receipts = (j['receipts'] as Record<string, unknown>[]).map((x): Receipt => {
    const status = x['status'];
    if (status !== 'success' && status !== 'revert') throw new TypeError(`bad receipt status ${JSON.stringify(status)}`);
    return { tx: str(x['tx']), seq: big(x['seq']), index: int(x['index']), status, code: x['code'] === null ? null : str(x['code']), output: big(x['output']) };
  });
  const writes = (j['writes'] as unknown[]).map((w): [string, bigint] => {
    if (!Array.isArray(w) || w.length !== 2) throw new TypeError('a write is not a [key, value] pair');
    return [str(w[0]), big(w[1])];
  });
  return { kind: 'executed', seq, receipts, writes };
};

/**
 * A journal in a file of JSON lines, each record written and fsynced before `append` returns. A
 * torn last line (a crash in the middle of a write) is ignored: that record was never durable, so
 * its event was never emitted.
 */
export class FileJournal implements Journal {
  constructor(private readonly path: string) {}

  append(record: JournalRecord): void {
    const fd = openSync(this.path, 'a');
    try {
      appendFileSync(fd, `${JSON.stringify(encode(record))}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  records(): Result<readonly JournalRecord[]> {
    if (!existsSync(this.path)) return { ok: true, value: [] };
    const text = readFileSync(this.path, 'utf8');
    const lines = text.split('\n');
    // Everything up to the last newline was fully written; what follows it is a torn record.
    lines.pop();
    const out: JournalRecord[] = [];
    for (const [i, line] of lines.entries()) {
      try {
        out.push(decode(JSON.parse(line) as Record<string, unknown>));
      } catch (e) {
        return { ok: false, error: { code: 'Pipeline.Journal.CORRUPT', message: `journal line ${i + 1}: ${(e as Error).message}` } };
      }
    }
    return { ok: true, value: out };
  }
}
