/**
 * The incremental commitment against the store model's root of the same key-value set: after
 * every batch of puts (new keys, overwrites, keys sharing long path prefixes), and when the set is
 * split over several commitments by the first nibble of the key paths.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rootOfEntries } from '../../model/store/index.js';
import { keccak256 } from '../../model/encoding/hash.js';
import { Commitment, indexPath, keyPath, rootOfPaths } from './trie.js';
import { nodeHashOf } from '../store/hash.js';

const key = fc.uint8Array({ minLength: 0, maxLength: 3 });
const batches = fc.array(fc.array(fc.tuple(key, fc.uint8Array({ maxLength: 6 })), { maxLength: 30 }), { minLength: 1, maxLength: 8 });

const modelRoot = (set: Map<string, [Uint8Array, Uint8Array]>): Uint8Array => rootOfEntries([...set.values()].map(([k, v]) => ({ key: k, value: v })));

describe('incremental state commitment', () => {
  // @spec PIPE-STAGE-COMMIT.1 PIPE-COMMIT-INCREMENTAL.1
  it('has the store root of the key-value set after every batch of puts', () => {
    fc.assert(fc.property(batches, (bs) => {
      const c = new Commitment();
      const set = new Map<string, [Uint8Array, Uint8Array]>();
      expect(c.root()).toEqual(modelRoot(set));
      for (const b of bs) {
        for (const [k, v] of b) { c.put(k, v); set.set(Buffer.from(k).toString('hex'), [k, v]); }
        expect(c.root()).toEqual(modelRoot(set));
        expect(c.keys).toBe(set.size);
      }
    }), { numRuns: 300 });
  });

  // @spec PIPE-STAGE-COMMIT.1 PIPE-COMMIT-INCREMENTAL.1
  it('rehashes only the nodes on the paths of changed keys', () => {
    const c = new Commitment();
    for (let i = 0; i < 4096; i++) c.put(new Uint8Array([i >> 8, i & 255]), new Uint8Array([1]));
    c.root();
    c.put(new Uint8Array([0, 7]), new Uint8Array([2]));
    c.root();
    // One leaf and the index nodes above it (4096 keys: about three levels).
    expect(c.hashed).toBeLessThanOrEqual(6);
    expect(c.hashed).toBeGreaterThanOrEqual(2);
  });

  // @spec PIPE-STAGE-COMMIT.1 PIPE-COMMIT-INCREMENTAL.1
  it('split by the first path nibble over several commitments, gives the same root', () => {
    fc.assert(fc.property(fc.array(fc.tuple(key, fc.uint8Array({ maxLength: 4 }))), fc.integer({ min: 1, max: 5 }), (entries, parts) => {
      const shards = Array.from({ length: parts }, () => new Commitment());
      const set = new Map<string, [Uint8Array, Uint8Array]>();
      for (const [k, v] of entries) {
        const p = keyPath(k);
        shards[(p[0]! >> 4) % parts]!.putPath(p, keccak256(v));
        set.set(Buffer.from(k).toString('hex'), [k, v]);
      }
      const children = Array.from({ length: 16 }, (_, n) => shards[n % parts]!.childHashes()[n]);
      expect(nodeHashOf(children)).toEqual(modelRoot(set));
    }), { numRuns: 200 });
  });

  // @spec PIPE-RECEIPT-ROOT.1
  it('computes a fresh root from index paths as the store does from index keys', () => {
    const values = Array.from({ length: 40 }, (_, i) => new Uint8Array([i, i * 3]));
    const keys = values.map((_, i) => new Uint8Array([i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255]));
    expect(rootOfPaths(values.map((v, i) => [indexPath(i), keccak256(v)]))).toEqual(rootOfEntries(values.map((v, i) => ({ key: keys[i]!, value: v }))));
  });
});
