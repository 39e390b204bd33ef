/**
 * The code a pipeline worker thread runs.
 *
 * An execution worker runs a contiguous run of a block's transactions in order against the
 * block's pre-state, applying the run's own writes as it goes, and reports each transaction's
 * outcome with the values it read, so the ordered merge can check them.
 *
 * A commit shard keeps one part of the state commitment: the subtrees under the root's children
 * whose nibbles the main thread routes to it. For each executed block it hashes the values of its
 * part of the block's writes into its subtrees (rehashing only dirty paths), builds its part of
 * the receipts tree, and replies with the hashes of its root children; the main thread puts the
 * shards' children side by side into the two root nodes. Shards work on block n while the
 * execution workers run block n + 1.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Tx } from '../../model/pipeline/tx.js';
import type { ExecOutcome } from './exec.js';
import { executeRun, receiptHash } from './exec.js';
import { keccak256 } from '../encoding/keccak.js';
import { Commitment, indexPath, valueHash } from './trie.js';
import { ByteReader } from '../store/bytes.js';

/** The transaction bodies of a run, sent once before it starts (as a node holds disseminated bodies before they are ordered). */
export interface LoadRequest { readonly load: readonly Tx[] }
/** A contiguous run of a block: indices into the loaded bodies, and the pre-state of the keys they may read. */
export interface ExecRequest { readonly id: number; readonly txs: Int32Array; readonly keys: readonly string[]; readonly values: readonly bigint[] }
export interface ExecReply { readonly id: number; readonly outcomes: readonly ExecOutcome[]; readonly busyMs: number }

/**
 * One block's share of a commit shard, packed to cross the thread boundary as two buffers, where
 * text is a length (2 bytes) and UTF-8 bytes:
 * - `state`: entries `key number (4 bytes) | flags (1 byte) | path (32 bytes, with flag STATE_PATH:
 *   the first time the shard sees the key) | value`, the value a u64, or with flag STATE_TEXT
 *   (values outside [0, 2^53)) the decimal text;
 * - `receipts`: entries `index (4 bytes) | body (4 bytes) | status (1 byte: 1 success, 0 revert) |
 *   text(code) | text(output)`, body being the transaction's index in `hashes`; the shard puts
 *   each receipt's committed text together itself.
 * `reset` starts a new chain and carries the hashes of the run's transaction bodies.
 */
export interface CommitRequest { readonly seq: bigint; readonly reset: boolean; readonly hashes?: readonly string[]; readonly state: Uint8Array; readonly receipts: Uint8Array }
/**
 * The shard's root children after the block: 16 entries of `present (1 byte) | hash (32 bytes)`
 * for the state tree and for the receipts tree, and when it worked (epoch milliseconds).
 */
export interface CommitReply { readonly seq: bigint; readonly state: Uint8Array; readonly receipts: Uint8Array; readonly startMs: number; readonly busyMs: number }

export type WorkerRole = { readonly role: 'exec' } | { readonly role: 'commit' };

/** Packs the 16 root children of a tree: presence byte and hash per nibble. */
export const packChildren = (children: readonly (Uint8Array | undefined)[]): Uint8Array => {
  const out = new Uint8Array(16 * 33);
  children.forEach((h, n) => { if (h !== undefined) { out[n * 33] = 1; out.set(h, n * 33 + 1); } });
  return out;
};

/** Reads back `packChildren` into `into`, filling only the nibbles present. */
export const unpackChildren = (packed: Uint8Array, into: (Uint8Array | undefined)[]): void => {
  for (let n = 0; n < 16; n++) if (packed[n * 33] === 1) into[n] = packed.slice(n * 33 + 1, n * 33 + 33);
};

export const STATE_PATH = 1;
export const STATE_TEXT = 2;

/** A packed text: its length (2 bytes) and UTF-8 bytes. */
const readText = (r: ByteReader, field: string): Uint8Array => r.subarray(r.u16(field), field);
const decoded = (bytes: Uint8Array): string => (bytes.length === 0 ? '' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));

/**
 * Applies packed state entries to a commitment, hashing each value's decimal text here; `paths`
 * holds the paths of the keys the shard has seen, by key number.
 */
export const applyState = (c: Commitment, paths: Uint8Array[], buf: Uint8Array): void => {
  const r = new ByteReader(buf, 'commit shard state');
  while (r.at < buf.length) {
    const id = r.u32('key number');
    const flags = r.u8('flags');
    if ((flags & STATE_PATH) !== 0) paths[id] = r.bytes(32, 'path');
    // A value's text crosses as is: hashing its bytes is hashing its decimal text.
    c.putPath(paths[id]!, (flags & STATE_TEXT) !== 0 ? keccak256(readText(r, 'value')) : valueHash(r.u64('value')));
  }
};

/** Builds a fresh receipts commitment of block `seq` from packed receipt entries. */
export const receiptsOf = (buf: Uint8Array, hashes: readonly string[], seq: bigint): Commitment => {
  const c = new Commitment();
  const seqText = seq.toString();
  const r = new ByteReader(buf, 'commit shard receipts');
  while (r.at < buf.length) {
    const index = r.u32('index');
    const tx = hashes[r.u32('body')]!;
    const status = r.u8('status') === 1 ? 'success' : 'revert';
    const code = decoded(readText(r, 'code'));
    const output = decoded(readText(r, 'output'));
    c.putPath(indexPath(index), receiptHash({ tx, seq: seqText, index, status, code: code === '' ? null : code, output }));
  }
  return c;
};

const port = parentPort;
const role = workerData as WorkerRole | null;
// Only a thread started by the threaded pipeline (which passes a role) serves requests.
if (port !== null && role !== null && typeof role === 'object' && (role.role === 'exec' || role.role === 'commit')) {
  if (role.role === 'exec') {
    let bodies: readonly Tx[] = [];
    port.on('message', (req: ExecRequest | LoadRequest) => {
      if ('load' in req) {
        bodies = req.load;
        port.postMessage({ id: -1, outcomes: [], busyMs: 0 } satisfies ExecReply);
        return;
      }
      const t0 = performance.now();
      const state = new Map<string, bigint>();
      req.keys.forEach((k, i) => state.set(k, req.values[i]!));
      const outcomes = executeRun(Array.from(req.txs, (i) => bodies[i]!), (k) => state.get(k));
      port.postMessage({ id: req.id, outcomes, busyMs: performance.now() - t0 } satisfies ExecReply);
    });
  } else {
    let state = new Commitment();
    let paths: Uint8Array[] = [];
    let hashes: readonly string[] = [];
    port.on('message', (req: CommitRequest) => {
      const t0 = performance.now();
      if (req.reset) { state = new Commitment(); paths = []; hashes = req.hashes ?? []; }
      applyState(state, paths, req.state);
      const stateChildren = packChildren(state.childHashes());
      const receiptChildren = packChildren(receiptsOf(req.receipts, hashes, req.seq).childHashes());
      const reply: CommitReply = { seq: req.seq, state: stateChildren, receipts: receiptChildren, startMs: performance.timeOrigin + t0, busyMs: performance.now() - t0 };
      port.postMessage(reply, [stateChildren.buffer as ArrayBuffer, receiptChildren.buffer as ArrayBuffer]);
    });
  }
}
