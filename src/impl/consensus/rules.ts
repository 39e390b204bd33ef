/**
 * The pure consensus rules, written for speed and independently of the model: validator sets as
 * dense arrays with an id-to-index table, signer sets as bitsets, stake sums without intermediate
 * sets, the median by selection, and the ledger in one pass. Same signatures and error codes as
 * `src/model/consensus`.
 *
 * @module
 */
import type { Result } from '../../model/encoding/result.js';

export type ValidatorId = number;
export type Value = string;
export type TxHash = string;

export interface Validator { readonly id: ValidatorId; readonly stake: bigint }
export interface Thresholds { readonly total: bigint; readonly fStake: bigint; readonly quorum: bigint }

/** A validator set with dense indexes: `index[id]` is the position of `id` in `ids` (or -1). */
export interface FastSet {
  readonly ids: Int32Array;
  readonly stakes: readonly bigint[];
  readonly index: Int32Array;
  readonly thresholds: Thresholds;
  readonly words: number;
}

const failure = (code: string, message: string): Result<never> => ({ ok: false, error: { code, message } });
const success = <T>(value: T): Result<T> => ({ ok: true, value });

export const ZERO: Value = '0x0000000000000000000000000000000000000000000000000000000000000000';
const STAKE_LIMIT = 18446744073709551616n;
const ID_LIMIT = 65536;

export const thresholds = (total: bigint): Thresholds => {
  if (total <= 0n) return { total, fStake: 0n, quorum: total };
  const fStake = (total - 1n) / 3n;
  return { total, fStake, quorum: total - fStake };
};

/** Validates and indexes a validator set; errors in the order the rule lists them. */
export const fastSet = (validators: readonly Validator[]): Result<FastSet> => {
  const n = validators.length;
  if (n === 0) return failure('Consensus.Validators.EMPTY', 'the validator set is empty');
  for (let i = 0; i < n; i++) {
    const v = validators[i]!;
    if (!Number.isSafeInteger(v.id) || v.id < 0 || v.id >= ID_LIMIT) return failure('Consensus.Validators.BAD_ID', `validators[${i}].id is not an integer in 0..65535: ${v.id}`);
    if (!(v.stake > 0n && v.stake < STAKE_LIMIT)) return failure('Consensus.Validators.BAD_STAKE', `validators[${i}].stake is not in 1..2^64-1: ${v.stake}`);
  }
  let maxId = 0;
  for (const v of validators) if (v.id > maxId) maxId = v.id;
  // Counting sort over ids: a second occurrence of an id is a duplicate.
  const slot = new Int32Array(maxId + 1).fill(-1);
  let dupMin = -1;
  for (let i = 0; i < n; i++) {
    const id = validators[i]!.id;
    if (slot[id]! >= 0) { if (dupMin < 0 || id < dupMin) dupMin = id; } else slot[id] = i;
  }
  if (dupMin >= 0) return failure('Consensus.Validators.DUPLICATE_ID', `validator id ${dupMin} is listed more than once`);
  const ids = new Int32Array(n);
  const stakes: bigint[] = [];
  const index = new Int32Array(maxId + 1).fill(-1);
  let k = 0;
  let total = 0n;
  for (let id = 0; id <= maxId; id++) {
    const at = slot[id]!;
    if (at < 0) continue;
    ids[k] = id;
    index[id] = k;
    const stake = validators[at]!.stake;
    stakes.push(stake);
    total += stake;
    k++;
  }
  return success({ ids, stakes, index, thresholds: thresholds(total), words: (n + 31) >>> 5 });
};

export const indexOf = (set: FastSet, id: number): number => (Number.isInteger(id) && id >= 0 && id < set.index.length ? set.index[id]! : -1);

/** The stake of distinct ids; unknown ids count nothing. */
export const stakeOfIds = (set: FastSet, ids: readonly number[]): bigint => {
  const seen = new Uint32Array(set.words);
  let sum = 0n;
  for (const id of ids) {
    const i = indexOf(set, id);
    if (i < 0) continue;
    const bit = 1 << (i & 31);
    if ((seen[i >>> 5]! & bit) !== 0) continue;
    seen[i >>> 5] = seen[i >>> 5]! | bit;
    sum += set.stakes[i]!;
  }
  return sum;
};

// ---------------------------------------------------------------------------------------------
// Certificates

export interface QuorumCertificate { readonly round: number; readonly value: Value; readonly signers: readonly ValidatorId[] }
export interface MainVoteEntry { readonly value: Value; readonly signers: readonly ValidatorId[]; readonly qc: QuorumCertificate }
export interface MainVote { readonly round: number; readonly proms: readonly MainVoteEntry[]; readonly auxes: readonly MainVoteEntry[] }
export interface MainVoteSummary { readonly values: readonly Value[]; readonly purePromise: boolean; readonly signerStake: bigint }

/** Marks signers in `seen`; returns an error for an unknown or repeated signer. */
const markSigners = (set: FastSet, signers: readonly number[], seen: Uint32Array, where: string, owner: Int32Array | undefined, entry: number, names: readonly string[]): Result<bigint> => {
  // Unknown signers are reported before repeated ones, as in the rule.
  for (const s of signers) {
    if (indexOf(set, s) < 0) return failure('Consensus.Certificate.UNKNOWN_SIGNER', `${where}: signer ${s} is not a validator`);
  }
  const local = new Uint32Array(set.words);
  let stake = 0n;
  for (const s of signers) {
    const i = indexOf(set, s);
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    if ((local[w]! & bit) !== 0) return failure('Consensus.Certificate.DUPLICATE_SIGNER', `${where}: signer ${s} signs twice`);
    local[w] = local[w]! | bit;
    if ((seen[w]! & bit) !== 0) return failure('Consensus.Certificate.DUPLICATE_SIGNER', `${where}: signer ${s} also signs ${names[owner![i]!]}`);
    seen[w] = seen[w]! | bit;
    if (owner !== undefined) owner[i] = entry;
    stake += set.stakes[i]!;
  }
  return success(stake);
};

export const checkQuorumCertificate = (set: FastSet, qc: QuorumCertificate, round: number, value: Value, where = 'qc'): Result<true> => {
  if (qc.round !== round || qc.value !== value) return failure('Consensus.Certificate.QC_MISMATCH', `${where}: QC of round ${qc.round} for ${qc.value} used as round ${round} for ${value}`);
  const stake = markSigners(set, qc.signers, new Uint32Array(set.words), where, undefined, 0, []);
  if (!stake.ok) return stake;
  if (stake.value < set.thresholds.quorum) return failure('Consensus.Certificate.NO_QUORUM', `${where}: signers hold ${stake.value}, quorum is ${set.thresholds.quorum}`);
  return success(true);
};

export const checkMainVote = (set: FastSet, mv: MainVote): Result<MainVoteSummary> => {
  const np = mv.proms.length;
  const na = mv.auxes.length;
  if (np + na === 0) return failure('Consensus.Certificate.EMPTY', 'no entries');
  if (np > 2 || na > 2) return failure('Consensus.Certificate.TOO_MANY_ENTRIES', `${np} PROM and ${na} AUX entries, at most 2 of each`);
  if (np === 2 && mv.proms[0]!.value === mv.proms[1]!.value) return failure('Consensus.Certificate.DUPLICATE_VALUE', `proms[0] and proms[1] name the same value`);
  if (na === 2 && mv.auxes[0]!.value === mv.auxes[1]!.value) return failure('Consensus.Certificate.DUPLICATE_VALUE', `auxes[0] and auxes[1] name the same value`);
  const names: string[] = [];
  const entries: MainVoteEntry[] = [];
  mv.proms.forEach((e, i) => { names.push(`proms[${i}]`); entries.push(e); });
  mv.auxes.forEach((e, i) => { names.push(`auxes[${i}]`); entries.push(e); });
  const seen = new Uint32Array(set.words);
  const owner = new Int32Array(set.ids.length);
  let stake = 0n;
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    if (e.signers.length === 0) return failure('Consensus.Certificate.NO_SIGNERS', `${names[k]} has no signers`);
    const s = markSigners(set, e.signers, seen, names[k]!, owner, k, names);
    if (!s.ok) return s;
    stake += s.value;
  }
  if (stake < set.thresholds.quorum) return failure('Consensus.Certificate.NO_QUORUM', `signers hold ${stake}, quorum is ${set.thresholds.quorum}`);
  const values: Value[] = [];
  for (const e of entries) if (!values.includes(e.value)) values.push(e.value);
  values.sort();
  if (values.length > 1) {
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      const qc = checkQuorumCertificate(set, e.qc, mv.round, e.value, `${names[k]}.qc`);
      if (!qc.ok) return failure('Consensus.Certificate.BAD_INNER_QC', qc.error.message);
    }
  }
  return success({ values, purePromise: na === 0 && values.length === 1, signerStake: stake });
};

export type MainVoteOutcome =
  | { readonly kind: 'decide'; readonly value: Value; readonly fast: boolean }
  | { readonly kind: 'next-round'; readonly estimate: Value };

export const mainVoteOutcome = (values: readonly Value[], purePromise: boolean, coin: 0 | 1): MainVoteOutcome => {
  // Least value and least non-ZERO value in one pass.
  let least: Value | undefined;
  let leastHash: Value | undefined;
  let distinct = 0;
  const seen: Value[] = [];
  for (const v of values) {
    if (seen.includes(v)) continue;
    seen.push(v);
    distinct++;
    if (least === undefined || v < least) least = v;
    if (v !== ZERO && (leastHash === undefined || v < leastHash)) leastHash = v;
  }
  if (distinct === 1) {
    const v = least!;
    if (purePromise) return { kind: 'decide', value: v, fast: true };
    return (v === ZERO ? 0 : 1) === coin ? { kind: 'decide', value: v, fast: false } : { kind: 'next-round', estimate: v };
  }
  return { kind: 'next-round', estimate: coin === 0 ? ZERO : (leastHash ?? ZERO) };
};

// ---------------------------------------------------------------------------------------------
// Ledger

const isTxHash = (s: string): boolean => {
  if (s.length !== 66 || s.charCodeAt(0) !== 48 || s.charCodeAt(1) !== 120) return false;
  for (let i = 2; i < 66; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
};

export interface Designation { readonly partition: number; readonly proposer: ValidatorId }

export const designatedProposer = (txHash: TxHash, proposers: readonly ValidatorId[]): Result<Designation> => {
  if (typeof txHash !== 'string' || !isTxHash(txHash)) return failure('Consensus.Ledger.BAD_TX_HASH', `not a 32-byte lowercase 0x-hex transaction hash: ${JSON.stringify(txHash)}`);
  const k = proposers.length;
  if (k === 0) return failure('Consensus.Ledger.NO_PROPOSERS', 'no proposers');
  const sorted = Float64Array.from(proposers).sort();
  for (let i = 1; i < k; i++) if (sorted[i] === sorted[i - 1]) return failure('Consensus.Ledger.DUPLICATE_PROPOSER', `proposer ${sorted[i]} appears twice`);
  const partition = Number.parseInt(txHash.substring(2, 4), 16);
  return success({ partition, proposer: sorted[partition % k]! });
};

export interface BlockProposal { readonly proposer: ValidatorId; readonly txs: readonly TxHash[] }
export interface Block { readonly seq: bigint; readonly proposals: readonly BlockProposal[] }
export interface LedgerEntry { readonly seq: bigint; readonly proposer: ValidatorId; readonly position: number; readonly tx: TxHash }
export interface Ledger { readonly entries: readonly LedgerEntry[]; readonly duplicates: readonly LedgerEntry[] }

export const buildLedger = (blocks: readonly Block[]): Result<Ledger> => {
  const entries: LedgerEntry[] = [];
  const duplicates: LedgerEntry[] = [];
  const seen = new Set<string>();
  let prevSeq: bigint | undefined;
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    if (prevSeq !== undefined && block.seq <= prevSeq) return failure('Consensus.Ledger.SEQ_ORDER', `blocks[${b}].seq ${block.seq} is not after ${prevSeq}`);
    prevSeq = block.seq;
    let prevProposer = -Infinity;
    for (let p = 0; p < block.proposals.length; p++) {
      const proposal = block.proposals[p]!;
      if (proposal.proposer <= prevProposer) return failure('Consensus.Ledger.PROPOSER_ORDER', `blocks[${b}].proposals[${p}].proposer ${proposal.proposer} is not after ${prevProposer}`);
      prevProposer = proposal.proposer;
      const txs = proposal.txs;
      for (let position = 0; position < txs.length; position++) {
        const tx = txs[position]!;
        if (!isTxHash(tx)) return failure('Consensus.Ledger.BAD_TX_HASH', `blocks[${b}].proposals[${p}].txs[${position}] is not a transaction hash`);
        const entry = { seq: block.seq, proposer: proposal.proposer, position, tx };
        const before = seen.size;
        seen.add(tx);
        (seen.size === before ? duplicates : entries).push(entry);
      }
    }
  }
  return success({ entries, duplicates });
};

// ---------------------------------------------------------------------------------------------
// Block timestamp

export const MAX_ADVANCE_MS = 300_000n;
const U64_MAX = 18446744073709551615n;

export interface TimestampInput { readonly last: bigint; readonly timestamps: readonly bigint[]; readonly emptyAdvance: bigint }

/** The k-th smallest element (0-based) by quickselect on a copy. */
const select = (xs: readonly bigint[], k: number): bigint => {
  const a = xs.slice();
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) { const t = a[i]!; a[i] = a[j]!; a[j] = t; i++; j--; }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
};

export const blockTimestamp = (input: TimestampInput): Result<bigint> => {
  const { last, emptyAdvance, timestamps } = input;
  if (last < 0n || last > U64_MAX) return failure('Consensus.Timestamp.OUT_OF_RANGE', `last is not a u64: ${last}`);
  if (emptyAdvance < 0n || emptyAdvance > U64_MAX) return failure('Consensus.Timestamp.OUT_OF_RANGE', `emptyAdvance is not a u64: ${emptyAdvance}`);
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i]!;
    if (t < 0n || t > U64_MAX) return failure('Consensus.Timestamp.OUT_OF_RANGE', `timestamps[${i}] is not a u64: ${t}`);
  }
  if (last > U64_MAX - MAX_ADVANCE_MS) return failure('Consensus.Timestamp.OVERFLOW', `no timestamp after ${last} fits below 2^64`);
  const t = timestamps.length === 0 ? last + emptyAdvance : select(timestamps, timestamps.length >>> 1);
  if (t <= last) return success(last + 1n);
  return success(t - last > MAX_ADVANCE_MS ? last + MAX_ADVANCE_MS : t);
};
