/**
 * The ledger rules of the host: which proposer a transaction is designated to, and the
 * deduplicated, ordered ledger built from blocks.
 *
 * @module
 */
import { type Result, ok, fail } from '../encoding/result.js';
import type { ValidatorId } from './validators.js';

/** A transaction is identified by its 32-byte hash, lowercase 0x-hex. */
export type TxHash = string;

const TX_HASH = /^0x[0-9a-f]{64}$/;

export interface Designation {
  readonly partition: number;
  readonly proposer: ValidatorId;
}

/**
 * Partition = first byte of the transaction hash; designated proposer = the proposer at index
 * `partition mod k` of the k current proposers sorted by id.
 *
 * @spec CONS-LEDGER-MAP.1
 */
export const designatedProposer = (txHash: TxHash, proposers: readonly ValidatorId[]): Result<Designation> => {
  if (!TX_HASH.test(txHash)) return fail('Consensus.Ledger.BAD_TX_HASH', `the transaction hash must be 32 bytes of lowercase 0x-hex, got ${JSON.stringify(txHash)}`);
  if (proposers.length === 0) return fail('Consensus.Ledger.NO_PROPOSERS', 'the proposer set is empty');
  const sorted = [...proposers].sort((a, b) => a - b);
  const dup = sorted.find((p, i) => i > 0 && sorted[i - 1] === p);
  if (dup !== undefined) return fail('Consensus.Ledger.DUPLICATE_PROPOSER', `proposer ${dup} is listed twice`);
  const partition = parseInt(txHash.slice(2, 4), 16);
  return ok({ partition, proposer: sorted[partition % sorted.length]! });
};

export interface BlockProposal {
  readonly proposer: ValidatorId;
  readonly txs: readonly TxHash[];
}

export interface Block {
  readonly seq: bigint;
  readonly proposals: readonly BlockProposal[];
}

export interface LedgerEntry {
  readonly seq: bigint;
  readonly proposer: ValidatorId;
  /** Position of the transaction in its proposal's payload. */
  readonly position: number;
  readonly tx: TxHash;
}

export interface Ledger {
  /** The transactions executed, in ledger order, each hash once. */
  readonly entries: readonly LedgerEntry[];
  /** The later occurrences that were skipped, in ledger order. */
  readonly duplicates: readonly LedgerEntry[];
}

/**
 * The ledger of a sequence of blocks: blocks by ascending sequence number, proposals by ascending
 * proposer id, transactions in payload order, and the first occurrence of each hash wins.
 *
 * @spec CONS-LEDGER-ORDER.1 CONS-LEDGER-DEDUP.1
 */
export const buildLedger = (blocks: readonly Block[]): Result<Ledger> => {
  const entries: LedgerEntry[] = [];
  const duplicates: LedgerEntry[] = [];
  const seen = new Set<TxHash>();
  for (const [b, block] of blocks.entries()) {
    if (b > 0 && block.seq <= blocks[b - 1]!.seq) {
      return fail('Consensus.Ledger.SEQ_ORDER', `blocks[${b}].seq ${block.seq} does not follow ${blocks[b - 1]!.seq}`);
    }
    for (const [p, proposal] of block.proposals.entries()) {
      if (p > 0 && proposal.proposer <= block.proposals[p - 1]!.proposer) {
        return fail('Consensus.Ledger.PROPOSER_ORDER', `blocks[${b}].proposals[${p}].proposer ${proposal.proposer} does not follow ${block.proposals[p - 1]!.proposer}`);
      }
      for (const [position, tx] of proposal.txs.entries()) {
        if (!TX_HASH.test(tx)) return fail('Consensus.Ledger.BAD_TX_HASH', `blocks[${b}].proposals[${p}].txs[${position}] is not 32 bytes of lowercase 0x-hex`);
        const entry = { seq: block.seq, proposer: proposal.proposer, position, tx };
        if (seen.has(tx)) duplicates.push(entry);
        else {
          seen.add(tx);
          entries.push(entry);
        }
      }
    }
  }
  return ok({ entries, duplicates });
};
