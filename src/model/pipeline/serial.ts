/**
 * The serial reference pipeline: ordered blocks from consensus in, deduplicated with the
 * consensus ledger rule, every transaction executed in ledger order on the post-state of the one
 * before it, each block's writes committed to the store model as one version, and the tier events
 * emitted in the order the tiers are reached. The overlapped, parallel pipeline must be
 * indistinguishable from this function.
 *
 * @module
 */
import { type Result, ok, fail } from '../encoding/result.js';
import { bytesToHex } from '../encoding/hex.js';
import { utf8 } from '../encoding/hash.js';
import { type Block, type LedgerEntry, buildLedger } from '../consensus/ledger.js';
import { commit, emptyStore, rootOfEntries, type Op, type StoreModel } from '../store/index.js';
import { type Account, type Receipt, type Tx, encodeValue, executeTx, receiptBytes, txHash, validateTx, balanceKey, MAX_AMOUNT } from './tx.js';

export interface GenesisAccount {
  readonly account: Account;
  readonly balance: bigint;
}

export interface PipelineInput {
  /** Balances before the first block; committed as store version 1. */
  readonly genesis: readonly GenesisAccount[];
  /** The consensus output: blocks by ascending sequence number, transactions as hashes. */
  readonly blocks: readonly Block[];
  /** The transaction bodies the hashes refer to. */
  readonly bodies: readonly Tx[];
}

export type TierEvent =
  | { readonly tier: 'ordering'; readonly seq: bigint; readonly txs: readonly string[] }
  | { readonly tier: 'transaction'; readonly receipt: Receipt }
  | { readonly tier: 'block'; readonly seq: bigint; readonly root: string; readonly receiptsRoot: string; readonly txCount: number };

export interface BlockResult {
  readonly seq: bigint;
  /** The store root after the block's writes, 0x-hex. */
  readonly root: string;
  readonly receiptsRoot: string;
  readonly receipts: readonly Receipt[];
}

export interface PipelineRun {
  readonly genesisRoot: string;
  readonly blocks: readonly BlockResult[];
  /** Later occurrences of a transaction hash, skipped by the ledger rule. */
  readonly duplicates: readonly LedgerEntry[];
  readonly events: readonly TierEvent[];
}

export const INPUT_ERROR_CODES = [
  'Pipeline.Input.BAD_TX',
  'Pipeline.Input.UNKNOWN_TX',
  'Pipeline.Input.BAD_GENESIS',
  'Consensus.Ledger.SEQ_ORDER',
  'Consensus.Ledger.PROPOSER_ORDER',
  'Consensus.Ledger.BAD_TX_HASH',
] as const;

const ACCOUNT = /^[a-z0-9]{1,16}$/;

/**
 * Genesis lists each account at most once, with a well-formed name and a balance in [0, 2^64 - 1].
 *
 * @spec PIPE-GENESIS.1
 */
export const validateGenesis = (genesis: readonly GenesisAccount[]): Result<readonly GenesisAccount[]> => {
  const seen = new Set<string>();
  for (const [i, g] of genesis.entries()) {
    if (!ACCOUNT.test(g.account)) return fail('Pipeline.Input.BAD_GENESIS', `genesis[${i}]: account ${JSON.stringify(g.account)} is not 1 to 16 lowercase letters or digits`);
    if (g.balance < 0n || g.balance > MAX_AMOUNT) return fail('Pipeline.Input.BAD_GENESIS', `genesis[${i}]: balance ${g.balance} is outside [0, 2^64 - 1]`);
    if (seen.has(g.account)) return fail('Pipeline.Input.BAD_GENESIS', `genesis[${i}]: account ${g.account} is listed twice`);
    seen.add(g.account);
  }
  return ok(genesis);
};

/**
 * Indexes the bodies by hash after checking each, and checks that every hash in a block has a
 * body; a body nobody orders is ignored.
 *
 * @spec PIPE-TX-FORM.2 PIPE-TX-HASH.2 PIPE-ORDER-INPUT.1
 */
export const indexBodies = (blocks: readonly Block[], bodies: readonly Tx[]): Result<ReadonlyMap<string, Tx>> => {
  const byHash = new Map<string, Tx>();
  for (const [i, tx] of bodies.entries()) {
    const v = validateTx(tx, `bodies[${i}]`);
    if (!v.ok) return v;
    byHash.set(txHash(tx), tx);
  }
  for (const [b, block] of blocks.entries()) {
    for (const [p, proposal] of block.proposals.entries()) {
      for (const [t, h] of proposal.txs.entries()) {
        if (!byHash.has(h)) return fail('Pipeline.Input.UNKNOWN_TX', `blocks[${b}].proposals[${p}].txs[${t}]: no body has hash ${h}`);
      }
    }
  }
  return ok(byHash);
};

const storeKey = (key: string): Uint8Array => utf8(key);

const indexKey = (i: number): Uint8Array => new Uint8Array([(i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]);

/**
 * The receipts root of a block: the store commitment of the set mapping the 4-byte big-endian
 * index of each receipt to its receipt bytes.
 *
 * @spec PIPE-RECEIPT-ROOT.1
 */
export const receiptsRoot = (receipts: readonly Receipt[]): string =>
  bytesToHex(rootOfEntries(receipts.map((r, i) => ({ key: indexKey(i), value: receiptBytes(r) }))));

/**
 * Executes one block's deduplicated transactions in ledger order, each on the state left by the
 * one before, and returns the receipts and the block's final writes (the last value per key).
 *
 * @spec PIPE-EXEC-SERIAL.1 PIPE-EXEC-REVERT.1
 */
export const executeBlock = (
  state: ReadonlyMap<string, bigint>,
  seq: bigint,
  txs: readonly { readonly hash: string; readonly tx: Tx }[],
): { readonly receipts: readonly Receipt[]; readonly writes: ReadonlyMap<string, bigint>; readonly state: ReadonlyMap<string, bigint> } => {
  const next = new Map(state);
  const writes = new Map<string, bigint>();
  const receipts = txs.map(({ hash, tx }, index): Receipt => {
    const e = executeTx(tx, (k) => next.get(k) ?? 0n);
    for (const [k, v] of e.writes) {
      next.set(k, v);
      writes.set(k, v);
    }
    return { tx: hash, seq, index, status: e.status, code: e.code, output: e.output };
  });
  return { receipts, writes, state: next };
};

const opsOf = (writes: ReadonlyMap<string, bigint>): Op[] =>
  [...writes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => ({ op: 'put', key: storeKey(k), value: encodeValue(v) }));

/**
 * Runs the serial pipeline. For each block in order: the block's ordering event (its deduplicated
 * transaction list), then its transaction events in ledger order, then the block event with the state root and the
 * receipts root. Genesis is store version 1 and block k (from 0) is version k + 2.
 *
 * @spec PIPE-STAGE-ORDER.1 PIPE-STAGE-EXEC.1 PIPE-STAGE-COMMIT.1 PIPE-ORDER-DEDUP.1 PIPE-TIER-ORDERING.1 PIPE-TIER-TRANSACTION.1 PIPE-TIER-BLOCK.1 PIPE-EVENT-ORDER.1
 */
export const runSerial = (input: PipelineInput): Result<PipelineRun> => {
  const genesis = validateGenesis(input.genesis);
  if (!genesis.ok) return genesis;
  const ledger = buildLedger(input.blocks);
  if (!ledger.ok) return ledger;
  const bodies = indexBodies(input.blocks, input.bodies);
  if (!bodies.ok) return bodies;

  const genesisWrites = new Map(input.genesis.map((g) => [balanceKey(g.account), g.balance] as const));
  const g = commit(emptyStore, opsOf(genesisWrites));
  if (!g.ok) return g;
  let store: StoreModel = g.value.store;
  let state: ReadonlyMap<string, bigint> = genesisWrites;

  const blocks: BlockResult[] = [];
  const events: TierEvent[] = [];
  for (const block of input.blocks) {
    const txs = ledger.value.entries.filter((e) => e.seq === block.seq).map((e) => ({ hash: e.tx, tx: bodies.value.get(e.tx)! }));
    events.push({ tier: 'ordering', seq: block.seq, txs: txs.map((t) => t.hash) });
    const ex = executeBlock(state, block.seq, txs);
    state = ex.state;
    for (const receipt of ex.receipts) events.push({ tier: 'transaction', receipt });
    const c = commit(store, opsOf(ex.writes));
    if (!c.ok) return c;
    store = c.value.store;
    const result: BlockResult = { seq: block.seq, root: bytesToHex(c.value.root), receiptsRoot: receiptsRoot(ex.receipts), receipts: ex.receipts };
    blocks.push(result);
    events.push({ tier: 'block', seq: block.seq, root: result.root, receiptsRoot: result.receiptsRoot, txCount: ex.receipts.length });
  }
  return ok({ genesisRoot: bytesToHex(g.value.root), blocks, duplicates: ledger.value.duplicates, events });
};
