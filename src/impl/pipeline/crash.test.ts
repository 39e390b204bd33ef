/**
 * Crash and resume: a pipeline stopped between any two stage steps and restarted from its
 * journal (the persisted watermark) finishes with the serial results, and the events its clients
 * saw before and after the restart together are exactly the serial per-block events: nothing
 * final lost, nothing announced twice.
 */
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type PipelineInput, type TierEvent, checkTierStream, runSerial } from '../../model/pipeline/index.js';
import { CONTENTION_LEVELS, generatedWorkload } from '../../conformance/kinds/pipeline.js';
import { prng } from '../../conformance/vectors/prng.js';
import { FileJournal, type Journal, type JournalRecord, MemoryJournal, PipelineNode, type PipelineOptions } from './index.js';

const RUNS = Number(process.env['PIPELINE_CRASH_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 5_000 : 500));
const seqOf = (e: TierEvent): bigint => (e.tier === 'transaction' ? e.receipt.seq : e.seq);
const dir = mkdtempSync(join(tmpdir(), 'pharos-pipeline-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `input` with a crash after each given number of steps (counted per incarnation); returns every event clients saw and the last node's results. */
const runWithCrashes = (input: PipelineInput, opts: PipelineOptions, journal: Journal, crashes: readonly number[]): { seen: TierEvent[]; node: PipelineNode } => {
  const seen: TierEvent[] = [];
  for (const after of [...crashes, Infinity]) {
    const node = PipelineNode.create(input, { ...opts, journal });
    if (!node.ok) throw new Error(`${node.error.code}: ${node.error.message}`);
    node.value.subscribe((e) => seen.push(e));
    let steps = 0;
    while (steps < after && node.value.step()) steps++;
    // Dropping the node is the crash: only the journal survives.
    if (after === Infinity) return { seen, node: node.value };
  }
  throw new Error('unreachable');
};

const workloadArb = fc.record({ seed: fc.nat(), contention: fc.constantFrom(...CONTENTION_LEVELS), blocks: fc.integer({ min: 1, max: 6 }), txs: fc.integer({ min: 0, max: 10 }) })
  .map(({ seed, contention, blocks, txs }) => generatedWorkload(prng(seed), contention, blocks, txs));

describe('crash between stages and resume from the journal', () => {
  // @spec PIPE-RESUME.1 PIPE-TIER-MONOTONE.1 PIPE-TIER-EARLY-FINAL.1 PIPE-TIER-PREFIX.1 PIPE-EVENT-ORDER.1 PIPE-STAGE-DISSEMINATE.1
  it(`loses and repeats nothing over ${RUNS} workloads with up to three crashes at generated points`, () => {
    const opts = fc.record({ depth: fc.integer({ min: 1, max: 4 }), workers: fc.integer({ min: 1, max: 6 }), schedule: fc.array(fc.nat(1000), { minLength: 1, maxLength: 20 }) });
    let n = 0;
    fc.assert(fc.property(workloadArb, opts, fc.array(fc.nat(60), { maxLength: 3 }), fc.boolean(), (input, o, crashes, onDisk) => {
      const serial = runSerial(input);
      if (!serial.ok) return;
      const journal = onDisk ? new FileJournal(join(dir, `j${n++}.jsonl`)) : new MemoryJournal();
      const { seen, node } = runWithCrashes(input, o, journal, crashes);
      const done = node.runToEnd();
      expect(done.blocks).toEqual(serial.value.blocks);
      expect(done.duplicates).toEqual(serial.value.duplicates);
      expect(seen.length).toBe(serial.value.events.length);
      for (const b of serial.value.blocks) expect(seen.filter((e) => seqOf(e) === b.seq)).toEqual(serial.value.events.filter((e) => seqOf(e) === b.seq));
      const stream = checkTierStream(seen, o.depth);
      expect(stream.ok ? null : stream.error).toBeNull();
    }), { numRuns: RUNS });
  });

  // @spec PIPE-TIER-MONOTONE.1
  it('announces a receipt twice when executed results are persisted only at the commit (the volatile configuration)', () => {
    /** Holds execution records back until their block commits, as a node that persists only roots and their inputs would. */
    class CommitOnlyJournal implements Journal {
      private readonly inner = new MemoryJournal();
      private held: JournalRecord | null = null;
      append(r: JournalRecord): void {
        if (r.kind === 'executed') { this.held = r; return; }
        if (r.kind === 'committed' && this.held !== null) { this.inner.append(this.held); this.held = null; }
        this.inner.append(r);
      }
      records() { return this.inner.records(); }
    }
    const input = generatedWorkload(prng(11), 'low', 4, 6);
    const serial = runSerial(input);
    if (!serial.ok) throw new Error(serial.error.message);
    const opts = { depth: 2, workers: 2, schedule: [0] };
    // Step until some block is executed but not committed, then crash there.
    const probe = PipelineNode.create(input, opts);
    if (!probe.ok) throw new Error(probe.error.message);
    let steps = 0;
    const tiers: string[] = [];
    probe.value.subscribe((e) => tiers.push(e.tier));
    while (!(tiers[tiers.length - 1] === 'transaction') && probe.value.step()) steps++;
    expect(tiers).toContain('transaction');
    const volatile = runWithCrashes(input, opts, new CommitOnlyJournal(), [steps]);
    volatile.node.runToEnd();
    const txEvents = volatile.seen.filter((e) => e.tier === 'transaction').length;
    expect(txEvents).toBeGreaterThan(serial.value.events.filter((e) => e.tier === 'transaction').length);
    expect(checkTierStream(volatile.seen, 2).ok).toBe(false);
    // The same crash with the journal persisting executions first repeats nothing.
    const durable = runWithCrashes(input, opts, new MemoryJournal(), [steps]);
    durable.node.runToEnd();
    expect(durable.seen.length).toBe(serial.value.events.length);
  });

  // @spec PIPE-RESUME.1
  it('ignores a torn last journal line and rejects a corrupt or foreign journal with stable codes', () => {
    const input = generatedWorkload(prng(5), 'high', 3, 6);
    const path = join(dir, 'torn.jsonl');
    runWithCrashes(input, { depth: 2 }, new FileJournal(path), [4]);
    const serial = runSerial(input);
    appendFileSync(path, '{"kind":"ordered","se');
    const resumed = PipelineNode.create(input, { depth: 2, journal: new FileJournal(path) });
    expect(resumed.ok).toBe(true);
    expect(resumed.ok && resumed.value.runToEnd().blocks).toEqual(serial.ok && serial.value.blocks);

    const bad = join(dir, 'corrupt.jsonl');
    writeFileSync(bad, '{"kind":"executed","seq":"1","receipts":7,"writes":[]}\n');
    const c = PipelineNode.create(input, { journal: new FileJournal(bad) });
    expect(c.ok ? null : c.error.code).toBe('Pipeline.Journal.CORRUPT');

    const other = generatedWorkload(prng(6), 'none', 3, 6);
    const foreign = new MemoryJournal();
    runWithCrashes(other, { depth: 2 }, foreign, [6]);
    const f = PipelineNode.create(input, { journal: foreign });
    expect(f.ok ? null : f.error.code).toMatch(/^Pipeline\.Journal\.(CORRUPT|ROOT_MISMATCH)$/);
  });
});
