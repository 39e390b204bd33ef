/**
 * The code a pipeline worker thread runs. An execution worker runs a contiguous run of a block's
 * transactions in order against the block's pre-state, applying the run's own writes as it goes,
 * and reports each transaction's outcome with the values it read, so the ordered merge can check
 * them. The commit worker keeps the state commitment and hashes each executed block's writes and
 * receipts into its state root and receipts root, while execution moves on to the next block.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Tx, Receipt } from '../../model/pipeline/tx.js';
import type { ExecOutcome } from './exec.js';
import { executeRun, hex, receiptBytes, utf8 } from './exec.js';
import { Commitment } from './trie.js';

export interface ExecRequest { readonly id: number; readonly txs: readonly Tx[]; readonly state: ReadonlyMap<string, bigint> }
export interface ExecReply { readonly id: number; readonly outcomes: readonly ExecOutcome[]; readonly busyMs: number }

export interface CommitRequest { readonly seq: bigint; readonly writes: readonly (readonly [string, bigint])[]; readonly receipts: readonly Receipt[] }
export interface CommitReply { readonly seq: bigint; readonly root: string; readonly receiptsRoot: string; readonly busyMs: number }

export interface GenesisRequest { readonly genesis: readonly (readonly [string, bigint])[] }

export type WorkerRole = { readonly role: 'exec' } | { readonly role: 'commit' };

const indexKey = (i: number): Uint8Array => new Uint8Array([i >>> 24, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]);

const port = parentPort;
const role = workerData as WorkerRole | null;
// Only a thread started by the threaded pipeline (which passes a role) serves requests.
if (port !== null && role !== null && typeof role === 'object' && (role.role === 'exec' || role.role === 'commit')) {
  if (role.role === 'exec') {
    port.on('message', (req: ExecRequest) => {
      const t0 = performance.now();
      const outcomes = executeRun(req.txs, req.state);
      port.postMessage({ id: req.id, outcomes, busyMs: performance.now() - t0 } satisfies ExecReply);
    });
  } else {
    // A genesis message starts a new chain; commit messages follow, one per block, in order.
    let state = new Commitment();
    port.on('message', (req: CommitRequest | GenesisRequest) => {
      const t0 = performance.now();
      if ('genesis' in req) {
        state = new Commitment();
        for (const [k, v] of req.genesis) state.put(utf8(k), utf8(v.toString()));
        return;
      }
      for (const [k, v] of req.writes) state.put(utf8(k), utf8(v.toString()));
      const receipts = new Commitment();
      req.receipts.forEach((r, i) => receipts.put(indexKey(i), receiptBytes(r)));
      port.postMessage({ seq: req.seq, root: hex(state.root()), receiptsRoot: hex(receipts.root()), busyMs: performance.now() - t0 } satisfies CommitReply);
    });
  }
}
