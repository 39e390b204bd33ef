/**
 * The Pharos Store engine: DMM-Tree pages in LSVPS segments, values in VDLS files, a commit log,
 * recovery on open, historical reads, proofs, pruning and value-file collection.
 *
 * @module
 */
export { PharosStore, openStore, type StoreOp, type StoreOptions, type RecoveryReport, type PruneReport, type RelocationReport, type Discarded, KEY_LIMIT, VALUE_LIMIT } from './engine.js';
export { verifyProofBytes } from './proof.js';
export { EMPTY_ROOT, keyPath } from './hash.js';
export type { Counters } from './counters.js';
