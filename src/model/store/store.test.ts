import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { keccak256 } from '../encoding/hash.js';
import {
  EMPTY_ROOT, type Entry, type Op, commit, decodeProof, emptyStore, getAt, keyPath, latestVersion, nibbleAt, proveAt, prune, rootAt,
  rootOfEntries, verifyProof, MAX_KEY_BYTES, MAX_VALUE_BYTES,
} from './index.js';

const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
// Hashes written out from the chapter's formulas, not through the model's helpers.
const leafH = (key: Uint8Array, value: Uint8Array): Uint8Array => keccak256(concat(b(0), keccak256(key), keccak256(value)));
const nodeH = (children: Record<number, Uint8Array>): Uint8Array => {
  const idx = Object.keys(children).map(Number).sort((x, y) => x - y);
  const bitmap = idx.reduce((m, i) => m | (1 << i), 0);
  return keccak256(concat(b(1, bitmap >> 8, bitmap & 0xff), ...idx.map((i) => children[i]!)));
};

/** Finds small keys whose paths share or split at chosen nibbles, by search (deterministic). */
const keyWithPathPrefix = (prefix: number[], skip: Uint8Array[] = []): Uint8Array => {
  for (let i = 0; ; i++) {
    const k = b(i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff);
    const p = keyPath(k);
    if (prefix.every((n, j) => nibbleAt(p, j) === n) && !skip.some((s) => s.every((x, j) => x === k[j]))) return k;
  }
};

describe('root commitment from the key-value set', () => {
  it('STORE-ROOT.1: the empty set commits to the hash of an empty root node', () => {
    expect(EMPTY_ROOT).toEqual(keccak256(b(1, 0, 0)));
    expect(rootOfEntries([])).toEqual(EMPTY_ROOT);
  });

  it('STORE-TREE-SHAPE.1 STORE-HASH-LEAF.1: a single key is a leaf directly under the root', () => {
    const key = b(1, 2, 3);
    const value = b(9);
    const first = nibbleAt(keyPath(key), 0);
    expect(rootOfEntries([{ key, value }])).toEqual(nodeH({ [first]: leafH(key, value) }));
  });

  it('STORE-TREE-SHAPE.1 STORE-HASH-NODE.1: keys sharing two nibbles get index nodes at depths 1 and 2', () => {
    const k1 = keyWithPathPrefix([3, 7]);
    const p1 = keyPath(k1);
    const other = (nibbleAt(p1, 2) + 1) % 16;
    const k2 = keyWithPathPrefix([3, 7, other]);
    const k3 = keyWithPathPrefix([9]);
    const v = b(0xaa);
    const depth2 = nodeH({ [nibbleAt(p1, 2)]: leafH(k1, v), [other]: leafH(k2, v) });
    const depth1 = nodeH({ 7: depth2 });
    const expected = nodeH({ 3: depth1, 9: leafH(k3, v) });
    expect(rootOfEntries([{ key: k1, value: v }, { key: k2, value: v }, { key: k3, value: v }])).toEqual(expected);
  });

  it('STORE-ROOT.1: the root depends on the set, not on the order or batching of updates', () => {
    const entries = fc.uniqueArray(fc.record({ key: fc.uint8Array({ maxLength: 6 }), value: fc.uint8Array({ maxLength: 8 }) }), { selector: (e) => e.key.join(','), maxLength: 40 });
    fc.assert(fc.property(entries, fc.infiniteStream(fc.nat()), fc.nat({ max: 5 }), (es, rnd, splits) => {
      const it = rnd[Symbol.iterator]();
      const shuffled = [...es].sort(() => (it.next().value! % 3) - 1);
      // Noise: extra keys put and then deleted, and earlier values overwritten, in several batches.
      const ops: Op[] = [...shuffled.map((e): Op => ({ op: 'put', key: concat(e.key, b(0xff)), value: e.value })), ...shuffled.map((e): Op => ({ op: 'put', key: e.key, value: b(1) }))];
      ops.push(...shuffled.map((e): Op => ({ op: 'delete', key: concat(e.key, b(0xff)) })), ...shuffled.map((e): Op => ({ op: 'put', key: e.key, value: e.value })));
      let s = emptyStore;
      const size = Math.max(1, Math.ceil(ops.length / (splits + 1)));
      let root = EMPTY_ROOT;
      for (let i = 0; i < ops.length; i += size) {
        const c = commit(s, ops.slice(i, i + size));
        if (!c.ok) throw new Error(c.error.message);
        s = c.value.store;
        root = c.value.root;
      }
      expect(root).toEqual(rootOfEntries(es as Entry[]));
    }), { numRuns: 60 });
  });
});

describe('proofs', () => {
  const setAndKey = fc.uniqueArray(fc.record({ key: fc.uint8Array({ minLength: 1, maxLength: 4 }), value: fc.uint8Array({ maxLength: 6 }) }), { selector: (e) => e.key.join(','), maxLength: 60 })
    .chain((es) => fc.tuple(fc.constant(es), es.length > 0 ? fc.oneof(fc.constantFrom(...es.map((e) => e.key)), fc.uint8Array({ maxLength: 4 })) : fc.uint8Array({ maxLength: 4 })));

  const build = (es: readonly Entry[]) => {
    const c = commit(emptyStore, es.map((e) => ({ op: 'put' as const, key: e.key, value: e.value })));
    if (!c.ok) throw new Error(c.error.message);
    return c.value;
  };

  it('STORE-PROOF-BUILD.1 STORE-PROOF-VERIFY.1: every proof verifies for the true claim', () => {
    fc.assert(fc.property(setAndKey, ([es, key]) => {
      const { store, root } = build(es);
      const p = proveAt(store, 1, key);
      if (!p.ok) throw new Error(p.error.message);
      const expectedValue = es.find((e) => e.key.join(',') === key.join(','))?.value ?? null;
      expect(p.value.value).toEqual(expectedValue);
      expect(verifyProof(root, key, p.value.value, p.value.proof)).toEqual({ ok: true, value: { included: expectedValue !== null } });
    }), { numRuns: 150 });
  });

  it('STORE-PROOF-VERIFY.1: a false claim, another root or any changed byte of the proof fails', () => {
    fc.assert(fc.property(setAndKey, fc.nat(), fc.integer({ min: 1, max: 255 }), ([es, key], where, xor) => {
      const { store, root } = build(es);
      const p = proveAt(store, 1, key);
      if (!p.ok) throw new Error(p.error.message);
      const { value, proof } = p.value;
      const wrongValue = value === null ? b(0x42) : concat(value, b(0));
      expect(verifyProof(root, key, wrongValue, proof).ok).toBe(false);
      if (value !== null) expect(verifyProof(root, key, null, proof)).toMatchObject({ ok: false, error: { code: 'Store.Proof.KIND_MISMATCH' } });
      const otherRoot = root.map((x, i) => (i === 0 ? x ^ 1 : x));
      expect(verifyProof(otherRoot, key, value, proof)).toMatchObject({ ok: false, error: { code: 'Store.Proof.ROOT_MISMATCH' } });
      const tampered = proof.slice();
      const i = where % tampered.length;
      tampered[i] = tampered[i]! ^ xor;
      const r = verifyProof(root, key, value, tampered);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(['Store.Proof.MALFORMED', 'Store.Proof.PATH_MISMATCH', 'Store.Proof.KIND_MISMATCH', 'Store.Proof.ROOT_MISMATCH']).toContain(r.error.code);
      expect(verifyProof(root, key, value, concat(proof, b(0)))).toMatchObject({ ok: false, error: { code: 'Store.Proof.MALFORMED' } });
      expect(verifyProof(root, key, value, proof.slice(0, proof.length - 1))).toMatchObject({ ok: false, error: { code: 'Store.Proof.MALFORMED' } });
    }), { numRuns: 150 });
  });

  it('STORE-PROOF-FORMAT.1: the proof decoder never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const r = decodeProof(bytes);
      if (!r.ok) expect(r.error.code).toBe('Store.Proof.MALFORMED');
      expect(() => verifyProof(EMPTY_ROOT, b(1), null, bytes)).not.toThrow();
    }), { numRuns: 2000 });
    // Structured near-misses: a valid header followed by random bytes.
    fc.assert(fc.property(fc.integer({ min: 0, max: 70 }), fc.uint8Array({ maxLength: 200 }), (levels, rest) => {
      expect(() => decodeProof(concat(b(1, levels), rest))).not.toThrow();
    }), { numRuns: 1000 });
  });

  it('STORE-PROOF-BUILD.1: the empty set proves any key absent with one empty level', () => {
    const p = proveAt(emptyStore, 0, b(7));
    expect(p).toEqual({ ok: true, value: { value: null, proof: b(1, 1, 0, 0, 1) } });
    expect(verifyProof(EMPTY_ROOT, b(7), null, b(1, 1, 0, 0, 1))).toEqual({ ok: true, value: { included: false } });
  });
});

describe('versions, history and pruning', () => {
  it('STORE-VERSION.1 STORE-HISTORY.1: every committed version stays readable with its own root', () => {
    let s = emptyStore;
    const roots = [EMPTY_ROOT];
    for (let v = 1; v <= 5; v++) {
      const c = commit(s, [{ op: 'put', key: b(v), value: b(v, v) }, { op: 'delete', key: b(v - 1) }]);
      if (!c.ok) throw new Error(c.error.message);
      expect(c.value.version).toBe(v);
      s = c.value.store;
      roots.push(c.value.root);
    }
    expect(latestVersion(s)).toBe(5);
    for (let v = 0; v <= 5; v++) {
      expect(rootAt(s, v)).toEqual({ ok: true, value: roots[v] });
      expect(getAt(s, v, b(v))).toEqual({ ok: true, value: v === 0 ? null : b(v, v) });
      if (v > 1) expect(getAt(s, v, b(v - 1))).toEqual({ ok: true, value: null });
    }
    expect(getAt(s, 6, b(1))).toMatchObject({ ok: false, error: { code: 'Store.Version.UNKNOWN' } });
    expect(getAt(s, -1, b(1))).toMatchObject({ ok: false, error: { code: 'Store.Version.UNKNOWN' } });
  });

  it('STORE-PRUNE.1: pruning hides older versions, keeps newer ones, never moves back', () => {
    let s = emptyStore;
    for (let v = 1; v <= 4; v++) {
      const c = commit(s, [{ op: 'put', key: b(v), value: b(v) }]);
      if (!c.ok) throw new Error(c.error.message);
      s = c.value.store;
    }
    const p = prune(s, 3);
    if (!p.ok) throw new Error(p.error.message);
    expect(getAt(p.value, 2, b(1))).toMatchObject({ ok: false, error: { code: 'Store.Version.PRUNED' } });
    expect(getAt(p.value, 3, b(1))).toEqual({ ok: true, value: b(1) });
    expect(prune(p.value, 1)).toEqual({ ok: true, value: p.value });
    expect(prune(p.value, 5)).toMatchObject({ ok: false, error: { code: 'Store.Prune.BEYOND_LATEST' } });
  });

  it('STORE-KEY-LIMITS.1 STORE-COMMIT-BATCH.1: oversized keys and values are rejected, later operations win', () => {
    expect(commit(emptyStore, [{ op: 'delete', key: new Uint8Array(MAX_KEY_BYTES + 1) }])).toMatchObject({ ok: false, error: { code: 'Store.Key.TOO_LONG' } });
    expect(commit(emptyStore, [{ op: 'put', key: b(1), value: new Uint8Array(MAX_VALUE_BYTES + 1) }])).toMatchObject({ ok: false, error: { code: 'Store.Value.TOO_LONG' } });
    const c = commit(emptyStore, [{ op: 'put', key: b(1), value: b(1) }, { op: 'delete', key: b(1) }, { op: 'put', key: b(2), value: b() }, { op: 'put', key: b(2), value: b(5) }]);
    if (!c.ok) throw new Error(c.error.message);
    expect(getAt(c.value.store, 1, b(1))).toEqual({ ok: true, value: null });
    expect(getAt(c.value.store, 1, b(2))).toEqual({ ok: true, value: b(5) });
    expect(c.value.root).toEqual(rootOfEntries([{ key: b(2), value: b(5) }]));
  });
});
