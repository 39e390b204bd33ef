/**
 * The observable guarantees of a tier-event stream, as a checker any pipeline's stream can be
 * held to: each block reaches the tiers in order, blocks reach each tier in sequence order, the
 * receipts observed at transaction finality are the ones the final block commits to, and the
 * number of blocks between ordering and block finality never exceeds the depth bound.
 *
 * @module
 */
import { type Result, ok, fail } from '../encoding/result.js';
import type { TierEvent } from './serial.js';
import { receiptsRoot } from './serial.js';
import type { Receipt } from './tx.js';

interface BlockProgress {
  readonly txs: readonly string[];
  readonly receipts: Receipt[];
  final: boolean;
}

/**
 * Checks a stream of tier events against the tier rules; `depth` is the pipeline depth bound.
 * Failures name the event index.
 *
 * @spec PIPE-TIER-MONOTONE.1 PIPE-TIER-PREFIX.1 PIPE-TIER-EARLY-FINAL.1 PIPE-DEPTH-BOUND.1 PIPE-EVENT-ORDER.1
 */
export const checkTierStream = (events: readonly TierEvent[], depth: number): Result<{ readonly blocks: number }> => {
  const blocks: { seq: bigint; p: BlockProgress }[] = [];
  let executedBlocks = 0;
  let finalBlocks = 0;
  for (const [i, e] of events.entries()) {
    const at = `events[${i}]`;
    if (e.tier === 'ordering') {
      const last = blocks[blocks.length - 1];
      if (last !== undefined && e.seq <= last.seq) return fail('Pipeline.Tier.PREFIX', `${at}: block ${e.seq} ordered after block ${last.seq}`);
      blocks.push({ seq: e.seq, p: { txs: e.txs, receipts: [], final: false } });
      if (blocks.length - finalBlocks > depth) return fail('Pipeline.Tier.DEPTH', `${at}: ${blocks.length - finalBlocks} blocks between ordering and block finality, bound ${depth}`);
    } else if (e.tier === 'transaction') {
      // Transaction events arrive block by block and in ledger order inside a block.
      while (executedBlocks < blocks.length && blocks[executedBlocks]!.p.receipts.length === blocks[executedBlocks]!.p.txs.length) executedBlocks++;
      const cur = blocks[executedBlocks];
      if (cur === undefined) return fail('Pipeline.Tier.MONOTONE', `${at}: transaction ${e.receipt.tx} is final before its block is ordered`);
      const idx = cur.p.receipts.length;
      if (e.receipt.seq !== cur.seq || e.receipt.index !== idx || e.receipt.tx !== cur.p.txs[idx]) {
        return fail('Pipeline.Tier.PREFIX', `${at}: expected the receipt of block ${cur.seq} index ${idx}, got block ${e.receipt.seq} index ${e.receipt.index}`);
      }
      cur.p.receipts.push(e.receipt);
    } else {
      const cur = blocks[finalBlocks];
      if (cur === undefined || cur.seq !== e.seq) return fail('Pipeline.Tier.PREFIX', `${at}: block ${e.seq} final out of sequence`);
      if (cur.p.receipts.length !== cur.p.txs.length) return fail('Pipeline.Tier.MONOTONE', `${at}: block ${e.seq} final before all its transactions are`);
      if (e.txCount !== cur.p.txs.length || receiptsRoot(cur.p.receipts) !== e.receiptsRoot) {
        return fail('Pipeline.Tier.EARLY_FINAL', `${at}: block ${e.seq} commits to receipts other than those reported at transaction finality`);
      }
      cur.p.final = true;
      finalBlocks++;
    }
  }
  return ok({ blocks: finalBlocks });
};

/** The tier events that concern one transaction, in stream order. @spec PIPE-EVENT-ORDER.1 */
export const eventsOfTx = (events: readonly TierEvent[], tx: string): readonly TierEvent[] => {
  let seq: bigint | null = null;
  return events.filter((e) => {
    if (e.tier === 'ordering' && e.txs.includes(tx)) { seq = e.seq; return true; }
    if (e.tier === 'transaction') return e.receipt.tx === tx;
    return e.tier === 'block' && seq !== null && e.seq === seq;
  });
};
