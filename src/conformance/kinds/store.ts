import { Schema } from 'effect';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Result, bytesToHex, hexToBytes, HexString } from '../../model/encoding/index.js';
import * as model from '../../model/store/index.js';
import * as impl from '../../impl/store/index.js';
import { type CaseDraft, defineKind } from './kind.js';
import { type Prng, prng } from '../vectors/prng.js';

const Hex = HexString.annotations({ jsonSchema: { type: 'string', pattern: '^0x([0-9a-f]{2})*$' } });
const Version = Schema.Int.annotations({ jsonSchema: { type: 'integer' } });

/** Hex strings in inputs are valid by their schema; this only converts them. */
const bytes = (h: string): Uint8Array => {
  const r = hexToBytes(h);
  return r.ok ? r.value : new Uint8Array();
};

const draft = (id: string, description: string, requirements: readonly string[], input: unknown): CaseDraft => ({ id, description, requirements, input });

const OpSchema = Schema.Union(
  Schema.Struct({ op: Schema.Literal('put'), key: Hex, value: Hex }),
  Schema.Struct({ op: Schema.Literal('delete'), key: Hex }),
);
type OpJson = typeof OpSchema.Type;
const toOp = (o: OpJson): model.Op => (o.op === 'put' ? { op: 'put', key: bytes(o.key), value: bytes(o.value) } : { op: 'delete', key: bytes(o.key) });

/** Runs `f` on a fresh engine in a temporary directory that is removed afterwards. */
const withEngine = <T>(f: (dir: string, store: impl.PharosStore) => Result<T>): Result<T> => {
  const dir = mkdtempSync(join(tmpdir(), 'pharos-store-vector-'));
  try {
    const opened = impl.openStore(dir);
    if (!opened.ok) return opened;
    try { return f(dir, opened.value); } finally { opened.value.close(); }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const LIMIT_ERRORS = ['Store.Key.TOO_LONG', 'Store.Value.TOO_LONG'];
const PROOF_ERRORS = ['Store.Proof.MALFORMED', 'Store.Proof.PATH_MISMATCH', 'Store.Proof.KIND_MISMATCH', 'Store.Proof.ROOT_MISMATCH'];

const randomKey = (r: Prng): Uint8Array => r.bytes(1 + r.below(r.below(4) === 0 ? 40 : 4));
const randomValue = (r: Prng): Uint8Array => r.bytes(r.below(r.below(5) === 0 ? 200 : 12));

// ---------------------------------------------------------------------------------------------
// store/root

const RootInput = Schema.Struct({ puts: Schema.Array(Schema.Struct({ key: Hex, value: Hex })) });
const ROOT = ['STORE-KEY-PATH.1', 'STORE-HASH-LEAF.1', 'STORE-HASH-NODE.1', 'STORE-TREE-SHAPE.1', 'STORE-ROOT.1'];

const puts = (entries: readonly (readonly [Uint8Array, Uint8Array])[]): { puts: { key: string; value: string }[] } =>
  ({ puts: entries.map(([k, v]) => ({ key: bytesToHex(k), value: bytesToHex(v) })) });

const rootCases = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
  return [
    draft('empty-set', 'The empty set commits to the hash of a root node with no children', ROOT, puts([])),
    draft('single-key', 'One key is a leaf directly under the root', ROOT, puts([[b(1), b(2)]])),
    draft('empty-key-and-value', 'The empty key and the empty value are ordinary bytes', [...ROOT, 'STORE-KEY-LIMITS.1'], puts([[b(), b()]])),
    draft('later-put-wins', 'Putting a key twice keeps the later value', [...ROOT, 'STORE-COMMIT-BATCH.1'], puts([[b(1), b(1)], [b(2), b(2)], [b(1), b(3)]])),
    draft('key-too-long', 'A key of 1025 bytes is refused', ['STORE-KEY-LIMITS.1'], puts([[new Uint8Array(1025), b(1)]])),
    draft('key-at-limit', 'A key of exactly 1024 bytes is accepted', ['STORE-KEY-LIMITS.1', 'STORE-ROOT.1'], puts([[new Uint8Array(1024).fill(7), b(1)]])),
    ...[2, 3, 16, 17, 100, 300].map((n) => draft(`sequential-${n}`, `${n} two-byte keys 0..${n - 1}`, ROOT, puts(Array.from({ length: n }, (_, i) => [b(i >> 8, i & 0xff), b(i % 251)] as const)))),
    ...Array.from({ length: 30 }, (_, i) => {
      const n = r.below(i < 20 ? 20 : 80);
      return draft(`random-${String(i).padStart(3, '0')}`, `${n} random keys and values`, ROOT, puts(Array.from({ length: n }, () => [randomKey(r), randomValue(r)] as const)));
    }),
  ];
};

export const storeRootKind = defineKind({
  kind: 'store/root',
  area: 'store',
  description: 'Put the given keys and values (in order, later wins) into an empty store and return the root commitment.',
  input: RootInput,
  output: Schema.Struct({ root: Hex }),
  errorCodes: LIMIT_ERRORS,
  model: (input): Result<{ root: string }> => {
    const c = model.commit(model.emptyStore, input.puts.map((p) => ({ op: 'put', key: bytes(p.key), value: bytes(p.value) })));
    return c.ok ? { ok: true, value: { root: bytesToHex(c.value.root) } } : c;
  },
  impl: (input) => withEngine((_, store) => {
    const c = store.commit(input.puts.map((p) => ({ op: 'put', key: bytes(p.key), value: bytes(p.value) })));
    return c.ok ? { ok: true, value: { root: bytesToHex(c.value.root) } } : c;
  }),
  suites: [{ suite: 'sets', description: 'Roots of hand-picked and seeded random key-value sets', seed: 0x5702_0001, cases: rootCases }],
});

// ---------------------------------------------------------------------------------------------
// store/batches

const StepSchema = Schema.Union(
  Schema.Struct({ step: Schema.Literal('commit'), ops: Schema.Array(OpSchema) }),
  Schema.Struct({ step: Schema.Literal('get'), version: Version, key: Hex }),
  Schema.Struct({ step: Schema.Literal('prove'), version: Version, key: Hex }),
  Schema.Struct({ step: Schema.Literal('prune'), below: Version }),
  Schema.Struct({ step: Schema.Literal('reopen') }),
);
type Step = typeof StepSchema.Type;
const StepResult = Schema.Union(
  Schema.Struct({ kind: Schema.Literal('committed'), version: Version, root: Hex }),
  Schema.Struct({ kind: Schema.Literal('value'), value: Schema.NullOr(Hex) }),
  Schema.Struct({ kind: Schema.Literal('proof'), value: Schema.NullOr(Hex), proof: Hex }),
  Schema.Struct({ kind: Schema.Literal('pruned'), below: Version }),
  Schema.Struct({ kind: Schema.Literal('reopened'), latest: Version }),
  Schema.Struct({ kind: Schema.Literal('error'), code: Schema.String }),
);
type StepOut = typeof StepResult.Type;
const BatchesOutput = Schema.Struct({ results: Schema.Array(StepResult) });

const errorOut = (r: { readonly error: { readonly code: string } }): StepOut => ({ kind: 'error', code: r.error.code });
const hexOrNull = (b: Uint8Array | null): string | null => (b === null ? null : bytesToHex(b));

const runModelSteps = (input: { readonly steps: readonly Step[] }): Result<{ results: StepOut[] }> => {
  let s = model.emptyStore;
  const results = input.steps.map((step): StepOut => {
    switch (step.step) {
      case 'commit': {
        const c = model.commit(s, step.ops.map(toOp));
        if (!c.ok) return errorOut(c);
        s = c.value.store;
        return { kind: 'committed', version: c.value.version, root: bytesToHex(c.value.root) };
      }
      case 'get': {
        const g = model.getAt(s, step.version, bytes(step.key));
        return g.ok ? { kind: 'value', value: hexOrNull(g.value) } : errorOut(g);
      }
      case 'prove': {
        const p = model.proveAt(s, step.version, bytes(step.key));
        return p.ok ? { kind: 'proof', value: hexOrNull(p.value.value), proof: bytesToHex(p.value.proof) } : errorOut(p);
      }
      case 'prune': {
        const p = model.prune(s, step.below);
        if (!p.ok) return errorOut(p);
        s = p.value;
        return { kind: 'pruned', below: s.prunedBelow };
      }
      case 'reopen':
        return { kind: 'reopened', latest: model.latestVersion(s) };
    }
  });
  return { ok: true, value: { results } };
};

const runEngineSteps = (input: { readonly steps: readonly Step[] }): Result<{ results: StepOut[] }> => withEngine((dir, first) => {
  let store = first;
  const results: StepOut[] = [];
  try {
    for (const step of input.steps) {
      switch (step.step) {
        case 'commit': {
          const c = store.commit(step.ops.map(toOp));
          results.push(c.ok ? { kind: 'committed', version: c.value.version, root: bytesToHex(c.value.root) } : errorOut(c));
          break;
        }
        case 'get': {
          const g = store.get(step.version, bytes(step.key));
          results.push(g.ok ? { kind: 'value', value: hexOrNull(g.value) } : errorOut(g));
          break;
        }
        case 'prove': {
          const p = store.prove(step.version, bytes(step.key));
          results.push(p.ok ? { kind: 'proof', value: hexOrNull(p.value.value), proof: bytesToHex(p.value.proof) } : errorOut(p));
          break;
        }
        case 'prune': {
          const p = store.prune(step.below);
          results.push(p.ok ? { kind: 'pruned', below: p.value.prunedBelow } : errorOut(p));
          break;
        }
        case 'reopen': {
          store.close();
          const o = impl.openStore(dir);
          if (!o.ok) return o;
          store = o.value;
          results.push({ kind: 'reopened', latest: store.latestVersion });
          break;
        }
      }
    }
    return { ok: true, value: { results } };
  } finally {
    if (store !== first) store.close();
  }
});

const BATCHES = ['STORE-VERSION.1', 'STORE-COMMIT-BATCH.1', 'STORE-ROOT.1', 'STORE-HISTORY.1'];

const batchesCases = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  const key = (k: number): string => bytesToHex(Uint8Array.of(k));
  const put = (k: number, v: number): OpJson => ({ op: 'put', key: key(k), value: bytesToHex(Uint8Array.of(v)) });
  const del = (k: number): OpJson => ({ op: 'delete', key: key(k) });
  const fixed: CaseDraft[] = [
    draft('history-of-one-key', 'A key written, overwritten and deleted stays readable at every version', BATCHES,
      { steps: [{ step: 'commit', ops: [put(1, 1)] }, { step: 'commit', ops: [put(1, 2)] }, { step: 'commit', ops: [del(1)] },
        ...[0, 1, 2, 3].map((version) => ({ step: 'get', version, key: key(1) }))] }),
    draft('empty-commits', 'Empty batches and no-op deletes still create versions with an unchanged root', BATCHES,
      { steps: [{ step: 'commit', ops: [] }, { step: 'commit', ops: [del(5)] }, { step: 'commit', ops: [put(5, 5)] }, { step: 'commit', ops: [] }] }),
    draft('put-then-delete-in-one-batch', 'The later operation on a key in a batch wins', BATCHES,
      { steps: [{ step: 'commit', ops: [put(1, 1), del(1), put(2, 2), put(2, 3), del(3), put(3, 4)] }, ...[1, 2, 3].map((k) => ({ step: 'get', version: 1, key: key(k) }))] }),
    draft('unknown-versions', 'Reads above the latest version or below zero fail', [...BATCHES, 'STORE-HISTORY.1'],
      { steps: [{ step: 'commit', ops: [put(1, 1)] }, { step: 'get', version: 2, key: key(1) }, { step: 'get', version: -1, key: key(1) }, { step: 'prove', version: 9, key: key(1) }] }),
    draft('prune-horizon', 'Pruning hides older versions, keeps newer ones, and never moves back', [...BATCHES, 'STORE-PRUNE.1'],
      { steps: [...[1, 2, 3, 4].map((v) => ({ step: 'commit', ops: [put(v, v), del(v - 1)] })), { step: 'prune', below: 3 },
        { step: 'get', version: 2, key: key(2) }, { step: 'get', version: 3, key: key(3) }, { step: 'prune', below: 1 }, { step: 'prune', below: 5 },
        { step: 'prove', version: 2, key: key(2) }, { step: 'prove', version: 4, key: key(4) }] }),
    draft('reopen-keeps-everything', 'Closing and reopening changes no version, root, value or proof', [...BATCHES, 'STORE-RECOVERY.1', 'STORE-COMMIT-DURABLE.1'],
      { steps: [{ step: 'commit', ops: [put(1, 1), put(2, 2)] }, { step: 'reopen' }, { step: 'commit', ops: [del(1)] }, { step: 'reopen' },
        { step: 'get', version: 1, key: key(1) }, { step: 'get', version: 2, key: key(1) }, { step: 'prove', version: 1, key: key(2) }] }),
    draft('limits-refuse-the-batch', 'A batch with an oversized key creates no version', [...BATCHES, 'STORE-KEY-LIMITS.1'],
      { steps: [{ step: 'commit', ops: [put(1, 1), { op: 'delete', key: bytesToHex(new Uint8Array(1025)) }] }, { step: 'commit', ops: [put(1, 1)] }] }),
  ];
  const random = Array.from({ length: 16 }, (_, i) => {
    const keys = Array.from({ length: 4 + r.below(30) }, () => bytesToHex(randomKey(r)));
    const steps: unknown[] = [];
    let latest = 0;
    const n = 3 + r.below(14);
    for (let j = 0; j < n; j++) {
      const what = r.below(10);
      if (what < 5) {
        steps.push({ step: 'commit', ops: Array.from({ length: r.below(20) }, () => (r.below(4) === 0 ? { op: 'delete', key: r.pick(keys) } : { op: 'put', key: r.pick(keys), value: bytesToHex(randomValue(r)) })) });
        latest++;
      } else if (what < 7) steps.push({ step: 'get', version: r.below(latest + 2), key: r.pick(keys) });
      else if (what < 9) steps.push({ step: 'prove', version: r.below(latest + 2), key: r.pick(keys) });
      else if (r.below(2) === 0) steps.push({ step: 'prune', below: r.below(latest + 1) });
      else steps.push({ step: 'reopen' });
    }
    return draft(`random-${String(i).padStart(3, '0')}`, 'Seeded random commits, reads, proofs, prunes and reopens', [...BATCHES, 'STORE-PROOF-BUILD.1', 'STORE-PRUNE.1'], { steps });
  });
  return [...fixed, ...random];
};

export const storeBatchesKind = defineKind({
  kind: 'store/batches',
  area: 'store',
  description: 'Run steps on an empty store (commit a batch, get or prove a key at a version, prune, reopen) and return the result of every step; a refused step is an error result, not a failed case.',
  input: Schema.Struct({ steps: Schema.Array(StepSchema) }),
  output: BatchesOutput,
  errorCodes: ['Store.Disk.CORRUPT', 'Store.Disk.IO'],
  model: runModelSteps,
  impl: runEngineSteps,
  suites: [{ suite: 'scenarios', description: 'Histories of commits with reads, proofs, pruning and reopening at every step', seed: 0x5702_0002, cases: batchesCases }],
});

// ---------------------------------------------------------------------------------------------
// store/proof

const ProofInput = Schema.Struct({ root: Hex, key: Hex, value: Schema.NullOr(Hex), proof: Hex });
const VERIFY = ['STORE-PROOF-VERIFY.1', 'STORE-PROOF-FORMAT.1'];

const proofCases = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  const cases: CaseDraft[] = [];
  const add = (id: string, description: string, root: Uint8Array, key: Uint8Array, value: Uint8Array | null, proof: Uint8Array, reqs: readonly string[] = VERIFY): void => {
    cases.push(draft(id, description, reqs, { root: bytesToHex(root), key: bytesToHex(key), value: value === null ? null : bytesToHex(value), proof: bytesToHex(proof) }));
  };
  for (let i = 0; i < 12; i++) {
    const size = i === 0 ? 0 : i === 1 ? 1 : 2 + r.below(i < 8 ? 30 : 200);
    const entries = Array.from({ length: size }, () => [randomKey(r), randomValue(r)] as const);
    const c = model.commit(model.emptyStore, entries.map(([key, value]) => ({ op: 'put' as const, key, value })));
    if (!c.ok) continue;
    const { store, root } = c.value;
    const present = size > 0 ? entries[r.below(size)]![0] : Uint8Array.of(1);
    const absent = randomKey(r);
    const tag = String(i).padStart(2, '0');
    for (const [which, key] of [['present', present], ['absent', absent]] as const) {
      const p = model.proveAt(store, 1, key);
      if (!p.ok) continue;
      const { value, proof } = p.value;
      const id = `set${tag}-${which}`;
      add(`${id}-valid`, `A valid ${value === null ? 'exclusion' : 'inclusion'} proof in a set of ${size}`, root, key, value, proof, [...VERIFY, 'STORE-PROOF-BUILD.1']);
      add(`${id}-wrong-claim`, 'The same proof for the opposite claim', root, key, value === null ? Uint8Array.of(0) : null, proof);
      if (value !== null) add(`${id}-wrong-value`, 'An inclusion proof with another value', root, key, Uint8Array.of(...value, 1), proof);
      add(`${id}-other-root`, 'A valid proof checked against another root', root.map((x, j) => (j === 31 ? x ^ 0x80 : x)), key, value, proof);
      const flipAt = 2 + r.below(proof.length - 2);
      add(`${id}-flipped-byte`, `Byte ${flipAt} of the proof changed`, root, key, value, proof.map((x, j) => (j === flipAt ? x ^ (1 + r.below(255)) : x)));
      add(`${id}-truncated`, 'The last byte is missing', root, key, value, proof.slice(0, proof.length - 1));
      add(`${id}-trailing-byte`, 'One byte too many', root, key, value, Uint8Array.of(...proof, 0));
      const decoded = model.decodeProof(proof);
      if (decoded.ok) {
        const path = model.keyPath(key);
        const level0 = decoded.value.levels[0]!;
        const on = model.nibbleAt(path, 0);
        // Claim a sibling on the key's own nibble: the verifier must refuse before hashing.
        const siblings = [...level0.siblings];
        const before = [...Array(on).keys()].filter((j) => (level0.siblingBitmap >> j) & 1).length;
        siblings.splice(before, 0, new Uint8Array(32));
        const moved = model.encodeProof({ ...decoded.value, levels: [{ siblingBitmap: level0.siblingBitmap | (1 << on), siblings }, ...decoded.value.levels.slice(1)] });
        add(`${id}-sibling-on-path`, 'Level 0 lists a sibling at the key\'s own nibble', root, key, value, moved);
        const t = decoded.value.terminal;
        if (t.kind === 'other') {
          const skewed = t.path.slice();
          skewed[0] = skewed[0]! ^ 0xf0;
          add(`${id}-other-leaf-off-path`, 'The other leaf does not share the key\'s prefix', root, key, value, model.encodeProof({ ...decoded.value, terminal: { ...t, path: skewed } }));
        }
      }
    }
  }
  const k = Uint8Array.of(7);
  const zeroRoot = model.EMPTY_ROOT;
  add('malformed-empty', 'No bytes at all', zeroRoot, k, null, new Uint8Array());
  add('malformed-format', 'Unknown format byte', zeroRoot, k, null, Uint8Array.of(2, 1, 0, 0, 1));
  add('malformed-zero-levels', 'Level count 0', zeroRoot, k, null, Uint8Array.of(1, 0, 1));
  add('malformed-65-levels', 'Level count 65', zeroRoot, k, null, Uint8Array.of(1, 65, ...new Uint8Array(131)));
  add('malformed-terminal', 'Terminal code 3', zeroRoot, k, null, Uint8Array.of(1, 1, 0, 0, 3));
  add('malformed-missing-hashes', 'A bitmap promising hashes that are not there', zeroRoot, k, null, Uint8Array.of(1, 1, 0, 3, 1));
  add('empty-set-exclusion', 'The empty set proves any key absent', zeroRoot, k, null, Uint8Array.of(1, 1, 0, 0, 1), [...VERIFY, 'STORE-ROOT.1']);
  return cases;
};

export const storeProofKind = defineKind({
  kind: 'store/proof',
  area: 'store',
  description: 'Verify proof bytes for a claim (a value, or null for absence) about a key under a root; return whether the key is included.',
  input: ProofInput,
  output: Schema.Struct({ included: Schema.Boolean }),
  errorCodes: PROOF_ERRORS,
  model: (input) => model.verifyProof(bytes(input.root), bytes(input.key), input.value === null ? null : bytes(input.value), bytes(input.proof)),
  impl: (input) => impl.verifyProofBytes(bytes(input.root), bytes(input.key), input.value === null ? null : bytes(input.value), bytes(input.proof)),
  suites: [{ suite: 'verify', description: 'Valid inclusion and exclusion proofs of seeded sets, and tampered or malformed ones', seed: 0x5702_0003, cases: proofCases }],
});

export const storeKinds = [storeRootKind, storeBatchesKind, storeProofKind];
