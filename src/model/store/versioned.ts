/**
 * The store as a pure versioned key-value map: version 0 is the empty set, every commit of a batch
 * makes the next version, any retained version can be read, committed to and proved, and pruning
 * moves the horizon below which versions are no longer readable.
 *
 * @module
 */
import { type Result, ok, fail } from '../encoding/result.js';
import { bytesToHex } from '../encoding/hex.js';
import { type Entry, type Hash, MAX_KEY_BYTES, MAX_VALUE_BYTES, pathEntryOf, rootOfPathEntries } from './commitment.js';
import { buildProof, encodeProof } from './proof.js';

export type Op =
  | { readonly op: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly op: 'delete'; readonly key: Uint8Array };

/** One version's key-value set, keyed by the hex of the key. */
export type Snapshot = ReadonlyMap<string, Entry>;

export interface StoreModel {
  /** snapshots[v] is the set at version v; snapshots[0] is empty. */
  readonly snapshots: readonly Snapshot[];
  /** Versions below this are pruned. */
  readonly prunedBelow: number;
}

export interface Committed {
  readonly store: StoreModel;
  readonly version: number;
  readonly root: Hash;
}

/** The store before the first commit: version 0, the empty set. @spec STORE-VERSION.1 */
export const emptyStore: StoreModel = { snapshots: [new Map()], prunedBelow: 0 };

/** The newest committed version. @spec STORE-VERSION.1 */
export const latestVersion = (s: StoreModel): number => s.snapshots.length - 1;

/**
 * Keys are at most MAX_KEY_BYTES and values at most MAX_VALUE_BYTES long; a batch with an
 * oversized entry is rejected whole.
 *
 * @spec STORE-KEY-LIMITS.1
 */
export const validateBatch = (ops: readonly Op[]): Result<readonly Op[]> => {
  for (const [i, o] of ops.entries()) {
    if (o.key.length > MAX_KEY_BYTES) return fail('Store.Key.TOO_LONG', `operation ${i}: key has ${o.key.length} bytes, at most ${MAX_KEY_BYTES} allowed`);
    if (o.op === 'put' && o.value.length > MAX_VALUE_BYTES) return fail('Store.Value.TOO_LONG', `operation ${i}: value has ${o.value.length} bytes, at most ${MAX_VALUE_BYTES} allowed`);
  }
  return ok(ops);
};

/**
 * Applies a batch to a set in order: a put sets the key's value (an empty value is a value, not a
 * deletion), a delete removes the key (deleting an absent key changes nothing), and when a batch
 * touches a key twice the later operation wins.
 *
 * @spec STORE-COMMIT-BATCH.1
 */
export const applyBatch = (snapshot: Snapshot, ops: readonly Op[]): Snapshot => {
  const next = new Map(snapshot);
  for (const o of ops) {
    const id = bytesToHex(o.key);
    if (o.op === 'put') next.set(id, { key: o.key, value: o.value });
    else next.delete(id);
  }
  return next;
};

/** The root commitment of a snapshot. @spec STORE-ROOT.1 */
export const rootOfSnapshot = (snapshot: Snapshot): Hash => rootOfPathEntries([...snapshot.values()].map(pathEntryOf));

/**
 * Commits a batch as the next version and returns it with its root.
 *
 * @spec STORE-VERSION.1 STORE-COMMIT-BATCH.1 STORE-ROOT.1
 */
export const commit = (s: StoreModel, ops: readonly Op[]): Result<Committed> => {
  const valid = validateBatch(ops);
  if (!valid.ok) return valid;
  const snapshot = applyBatch(s.snapshots[latestVersion(s)]!, ops);
  const store: StoreModel = { ...s, snapshots: [...s.snapshots, snapshot] };
  return ok({ store, version: latestVersion(store), root: rootOfSnapshot(snapshot) });
};

/**
 * A version can be read when it has been committed and is not below the pruning horizon.
 *
 * @spec STORE-HISTORY.1 STORE-PRUNE.1
 */
export const snapshotAt = (s: StoreModel, version: number): Result<Snapshot> => {
  if (!Number.isSafeInteger(version) || version < 0 || version > latestVersion(s)) {
    return fail('Store.Version.UNKNOWN', `version ${version} is not committed; the latest is ${latestVersion(s)}`);
  }
  if (version < s.prunedBelow) return fail('Store.Version.PRUNED', `version ${version} is pruned; versions from ${s.prunedBelow} are retained`);
  return ok(s.snapshots[version]!);
};

/** The value of `key` at `version`, or null when absent. @spec STORE-HISTORY.1 */
export const getAt = (s: StoreModel, version: number, key: Uint8Array): Result<Uint8Array | null> => {
  const snap = snapshotAt(s, version);
  return snap.ok ? ok(snap.value.get(bytesToHex(key))?.value ?? null) : snap;
};

/** The root at `version`. @spec STORE-HISTORY.1 STORE-ROOT.1 */
export const rootAt = (s: StoreModel, version: number): Result<Hash> => {
  const snap = snapshotAt(s, version);
  return snap.ok ? ok(rootOfSnapshot(snap.value)) : snap;
};

/**
 * The value of `key` at `version` (null when absent) with the proof bytes of its inclusion or
 * exclusion under that version's root.
 *
 * @spec STORE-PROOF-BUILD.1 STORE-HISTORY.1
 */
export const proveAt = (s: StoreModel, version: number, key: Uint8Array): Result<{ readonly value: Uint8Array | null; readonly proof: Uint8Array }> => {
  const snap = snapshotAt(s, version);
  if (!snap.ok) return snap;
  const proof = encodeProof(buildProof([...snap.value.values()].map(pathEntryOf), key));
  return ok({ value: snap.value.get(bytesToHex(key))?.value ?? null, proof });
};

/**
 * Pruning below `below` makes every version under it unreadable and keeps every version from it
 * on exactly as it was. The horizon never moves back: pruning below an older version changes
 * nothing. The newest version can never be pruned.
 *
 * @spec STORE-PRUNE.1
 */
export const prune = (s: StoreModel, below: number): Result<StoreModel> => {
  if (!Number.isSafeInteger(below) || below < 0 || below > latestVersion(s)) {
    return fail('Store.Prune.BEYOND_LATEST', `cannot prune below ${below}; the latest version is ${latestVersion(s)}`);
  }
  return ok(below <= s.prunedBelow ? s : { ...s, prunedBelow: below });
};
