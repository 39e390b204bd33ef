import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as model from '../../model/store/index.js';
import { type PharosStore, type StoreOptions, openStore, verifyProofBytes } from './index.js';
import { type PageRecord, applyRecord, decodePageRecord, emptyPage, encodePageRecord, replay, settle } from './page.js';
import { ByteReader, ByteWriter, DecodeError, scanFrames } from './bytes.js';
import { decodeValueRecord } from './engine.js';

const dirs: string[] = [];
const freshDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'pharos-store-'));
  dirs.push(d);
  return d;
};
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** Tiny limits so a few dozen commits checkpoint, seal segments, roll value files, write bases and deltas and evict pages. */
const SMALL: StoreOptions = { tCheckpoint: 3, tDelta: 2, tBase: 40, tSmall: 1, segmentBytes: 1500, valueFileBytes: 800, pageCacheSize: 6, indexBlockCacheSize: 2 };

const open = (dir: string, options: StoreOptions = SMALL): PharosStore => {
  const r = openStore(dir, options);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const keyArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 40 }).map((k) => Uint8Array.of(k)) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 5 }) });
const opArb: fc.Arbitrary<model.Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('put' as const), key: keyArb, value: fc.uint8Array({ maxLength: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), key: keyArb }) },
);
type Action =
  | { readonly t: 'commit'; readonly ops: readonly model.Op[] }
  | { readonly t: 'reopen' }
  | { readonly t: 'crash' }
  | { readonly t: 'get' | 'prove'; readonly at: number; readonly key: Uint8Array }
  | { readonly t: 'prune'; readonly at: number };
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.array(opArb, { maxLength: 14 }).map((ops): Action => ({ t: 'commit', ops })) },
  { weight: 1, arbitrary: fc.constantFrom<Action>({ t: 'reopen' }, { t: 'crash' }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constantFrom('get' as const, 'prove' as const), at: fc.nat(), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('prune' as const), at: fc.nat() }) },
);

describe('engine against the model', () => {
  it('STORE-ROOT.1 STORE-HISTORY.1 STORE-PRUNE.1 STORE-PROOF-BUILD.1 STORE-RECOVERY.1 STORE-CHECKPOINT.1: random commits, reopens, reads, proofs and prunes agree with the model', () => {
    fc.assert(fc.property(fc.array(actionArb, { minLength: 1, maxLength: 30 }), (actions) => {
      const dir = freshDir();
      let store = open(dir);
      let m = model.emptyStore;
      try {
        for (const a of actions) {
          const pick = (n: number): number => n % (model.latestVersion(m) + 2);
          if (a.t === 'commit') {
            const r = store.commit(a.ops);
            const mr = model.commit(m, a.ops);
            if (!mr.ok || !r.ok) throw new Error(`commit failed: ${JSON.stringify(r)}`);
            m = mr.value.store;
            expect(r.value.version).toBe(mr.value.version);
            expect(hex(r.value.root)).toBe(hex(mr.value.root));
          } else if (a.t === 'reopen' || a.t === 'crash') {
            // A crash leaves the files as they are after the last returned commit: no checkpoint.
            store.close({ checkpoint: a.t === 'reopen' });
            store = open(dir);
            expect(store.latestVersion).toBe(model.latestVersion(m));
            expect(store.recovery.discarded).toEqual([]);
            if (a.t === 'reopen') expect(store.recovery.replayedVersions).toBe(0);
          } else if (a.t === 'get') {
            expect(store.get(pick(a.at), a.key)).toEqual(model.getAt(m, pick(a.at), a.key));
          } else if (a.t === 'prove') {
            const v = pick(a.at);
            const p = store.prove(v, a.key);
            expect(p).toEqual(model.proveAt(m, v, a.key));
            if (p.ok) {
              const root = model.rootAt(m, v);
              if (!root.ok) throw new Error(root.error.message);
              expect(verifyProofBytes(root.value, a.key, p.value.value, p.value.proof)).toEqual({ ok: true, value: { included: p.value.value !== null } });
            }
          } else {
            const below = a.at % (model.latestVersion(m) + 1);
            const r = store.prune(below);
            const mr = model.prune(m, below);
            expect(r.ok).toBe(mr.ok);
            if (mr.ok) m = mr.value;
          }
        }
        // Every version: same root as the model, or the same refusal; every key reads the same.
        const keys = [...new Set(m.snapshots.flatMap((s) => [...s.values()].map((e) => hex(e.key))))].map((k) => Uint8Array.from(Buffer.from(k, 'hex')));
        for (let v = 0; v <= model.latestVersion(m) + 1; v++) {
          const r = store.root(v);
          const mr = model.rootAt(m, v);
          expect(r.ok ? hex(r.value) : r.error.code).toBe(mr.ok ? hex(mr.value) : mr.error.code);
          for (const k of keys) expect(store.get(v, k)).toEqual(model.getAt(m, v, k));
        }
      } finally {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }), { numRuns: 40 });
  });

  it('STORE-KEY-LIMITS.1: oversized keys and values are refused without a new version', () => {
    const store = open(freshDir());
    expect(store.commit([{ op: 'put', key: new Uint8Array(1025), value: new Uint8Array(1) }])).toMatchObject({ ok: false, error: { code: 'Store.Key.TOO_LONG' } });
    expect(store.commit([{ op: 'put', key: new Uint8Array(1), value: new Uint8Array((1 << 20) + 1) }])).toMatchObject({ ok: false, error: { code: 'Store.Value.TOO_LONG' } });
    expect(store.latestVersion).toBe(0);
    expect(store.prune(1)).toMatchObject({ ok: false, error: { code: 'Store.Prune.BEYOND_LATEST' } });
    store.close();
  });

  it('STORE-PROOF-VERIFY.1: the engine verifier agrees with the model verifier on valid and tampered proofs', () => {
    const store = open(freshDir(), {});
    const ops: model.Op[] = Array.from({ length: 300 }, (_, i) => ({ op: 'put', key: Uint8Array.of(i & 0xff, i >> 8), value: Uint8Array.of(i % 7) }));
    const c = store.commit(ops);
    if (!c.ok) throw new Error(c.error.message);
    fc.assert(fc.property(fc.integer({ min: 0, max: 600 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (k, where, xor, claimWrong) => {
      const key = Uint8Array.of(k & 0xff, k >> 8);
      const p = store.prove(1, key);
      if (!p.ok) throw new Error(p.error.message);
      const proof = p.value.proof.slice();
      proof[where % proof.length] = proof[where % proof.length]! ^ xor;
      const claim = claimWrong ? (p.value.value === null ? Uint8Array.of(1) : null) : p.value.value;
      const mine = verifyProofBytes(c.value.root, key, claim, proof);
      const theirs = model.verifyProof(c.value.root, key, claim, proof);
      expect(mine.ok ? mine.value : mine.error.code).toEqual(theirs.ok ? theirs.value : theirs.error.code);
      if (xor === 0 && !claimWrong) expect(mine.ok).toBe(true);
      if (xor !== 0 || claimWrong) expect(mine.ok).toBe(false);
    }), { numRuns: 300 });
    store.close();
  });

  it('STORE-PAGE-POLICY.2 STORE-PAGE-LOAD.2 STORE-CHECKPOINT.1: records are written at checkpoints, and a page load reads at most a base and T_d deltas', () => {
    const dir = freshDir();
    const options: StoreOptions = { tCheckpoint: 4, tDelta: 2, tBase: 10_000, tSmall: 0 };
    let store = open(dir, options);
    for (let v = 1; v <= 40; v++) {
      const r = store.commit(Array.from({ length: 30 }, (_, i) => ({ op: 'put' as const, key: Uint8Array.of((v * 31 + i * 7) % 251, i), value: Uint8Array.of(v) })));
      if (!r.ok) throw new Error(r.error.message);
      // Nothing is written to the page store between checkpoints.
      expect(store.counters.checkpoints).toBe(Math.floor(v / 4));
    }
    expect(store.counters.deltaWrites).toBeGreaterThan(0);
    expect(store.counters.baseWrites).toBeGreaterThan(0);
    store.close();
    store = open(dir, options);
    expect(store.recovery.replayedVersions).toBe(0);
    // Each cold page costs at most 1 + T_d record reads; a path has at most 3 pages here.
    for (let v = 1; v <= 40; v += 3) {
      for (let k = 0; k < 20; k++) {
        const start = store.counters.pageLoads;
        expect(store.get(v, Uint8Array.of(k, 3)).ok).toBe(true);
        expect(store.counters.pageLoads - start).toBeLessThanOrEqual(3 * 3);
      }
    }
    expect(store.counters.pageLoads).toBeGreaterThan(0);
    store.close();
  });

  it('STORE-RECOVERY.1 STORE-RECOVERY-REPLAY.1 STORE-CHECKPOINT.1: a store left without a checkpoint replays its last versions from the value log', () => {
    const dir = freshDir();
    let store = open(dir, { tCheckpoint: 5 });
    let m = model.emptyStore;
    for (let v = 1; v <= 13; v++) {
      const ops: model.Op[] = Array.from({ length: 9 }, (_, i) => (i === 8 ? { op: 'delete', key: Uint8Array.of((v * 3) % 40) } : { op: 'put', key: Uint8Array.of((v * 11 + i) % 40), value: Uint8Array.of(v, i) }));
      const r = store.commit(ops);
      const mr = model.commit(m, ops);
      if (!r.ok || !mr.ok) throw new Error('commit failed');
      m = mr.value.store;
    }
    store.close({ checkpoint: false });
    store = open(dir, { tCheckpoint: 5 });
    expect(store.recovery.checkpoint).toBe(10);
    expect(store.recovery.replayedVersions).toBe(3);
    for (let v = 0; v <= 13; v++) for (let k = 0; k < 40; k++) expect(store.get(v, Uint8Array.of(k))).toEqual(model.getAt(m, v, Uint8Array.of(k)));
    store.close();
  });
});

describe('on-disk formats are decoders of untrusted bytes', () => {
  it('STORE-PAGE-DELTA.2: LEB128 integers round-trip up to 2^53 - 1 and refuse redundant or overlong encodings', () => {
    fc.assert(fc.property(fc.oneof(fc.nat(), fc.maxSafeNat()), (x) => {
      const bytes = new ByteWriter().varint(x).result();
      const r = new ByteReader(bytes, 'test');
      expect(r.varint('x')).toBe(x);
      r.end();
    }), { numRuns: 500 });
    expect(() => new ByteReader(Uint8Array.of(0x80, 0x00), 'test').varint('x')).toThrow(DecodeError);
    expect(() => new ByteReader(new Uint8Array(9).fill(0xff), 'test').varint('x')).toThrow(DecodeError);
  });

  it('STORE-DISK-FRAME.1 STORE-VDLS-RECORD.2: frame scanning, page and value record decoding never throw anything but a decode error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const s = scanFrames(bytes);
      expect(s.goodEnd).toBeLessThanOrEqual(bytes.length);
      try { decodePageRecord(bytes, 'fuzz'); } catch (e) { expect(e).toBeInstanceOf(DecodeError); }
      try { decodeValueRecord(bytes, 'fuzz'); } catch (e) { expect(e).toBeInstanceOf(DecodeError); }
    }), { numRuns: 3000 });
  });

  const buildStore = (): { dir: string; m: model.StoreModel } => {
    const dir = freshDir();
    const store = open(dir);
    let m = model.emptyStore;
    for (let v = 1; v <= 12; v++) {
      const ops: model.Op[] = Array.from({ length: 8 }, (_, i) => (i === 7 ? { op: 'delete', key: Uint8Array.of((v + 3) % 20) } : { op: 'put', key: Uint8Array.of((v * 5 + i) % 20), value: Uint8Array.of(v, i) }));
      const r = store.commit(ops);
      const mr = model.commit(m, ops);
      if (!r.ok || !mr.ok) throw new Error('commit failed');
      m = mr.value.store;
    }
    store.close();
    return { dir, m };
  };

  it('STORE-RECOVERY-CORRUPT.1 STORE-RECOVERY-TORN.1 STORE-VDLS-RECORD.2: damaged files are refused or reported, never read as wrong data', () => {
    const { dir, m } = buildStore();
    const pristine = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    const files = [...pristine.keys()].sort();
    fc.assert(fc.property(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (fi, where, xor, cut) => {
      for (const [f, bytes] of pristine) writeFileSync(join(dir, f), bytes);
      for (const f of readdirSync(dir)) if (!pristine.has(f)) rmSync(join(dir, f));
      const name = files[fi % files.length]!;
      const bytes = Buffer.from(pristine.get(name)!);
      if (bytes.length === 0) return;
      if (cut) truncateSync(join(dir, name), where % bytes.length);
      else { const i = where % bytes.length; bytes[i] = bytes[i]! ^ xor; writeFileSync(join(dir, name), bytes); }
      const r = openStore(dir, SMALL);
      if (!r.ok) {
        expect(['Store.Disk.CORRUPT', 'Store.Disk.IO']).toContain(r.error.code);
        return;
      }
      const store = r.value;
      try {
        // A lost version is only acceptable when the open reported the cut.
        if (store.latestVersion < model.latestVersion(m)) expect(store.recovery.discarded.length).toBeGreaterThan(0);
        for (let v = 0; v <= store.latestVersion; v++) {
          const root = store.root(v);
          const mroot = model.rootAt(m, v);
          if (root.ok && mroot.ok) expect(hex(root.value)).toBe(hex(mroot.value));
          for (let k = 0; k < 20; k++) {
            const g = store.get(v, Uint8Array.of(k));
            if (g.ok) expect(g).toEqual(model.getAt(m, v, Uint8Array.of(k)));
            else expect(g.error.code).toBe('Store.Disk.CORRUPT');
          }
        }
      } finally {
        store.close();
      }
    }), { numRuns: 150 });
  });

  it('STORE-RECOVERY-TORN.1: a half-written commit record is cut and reported', () => {
    const { dir, m } = buildStore();
    const log = join(dir, 'commits.log');
    const bytes = readFileSync(log);
    writeFileSync(log, Buffer.concat([bytes, Buffer.from([0, 0, 0, 90, 1, 2, 3])]));
    const store = open(dir);
    expect(store.latestVersion).toBe(model.latestVersion(m));
    expect(store.recovery.discarded).toEqual([expect.objectContaining({ file: 'commits.log', offset: bytes.length, bytes: 7 })]);
    store.close();
    expect(readFileSync(log).length).toBe(bytes.length);
  });
});

describe('pages, segments and reclamation', () => {
  const fill = (store: PharosStore, m0: model.StoreModel, versions: number): model.StoreModel => {
    let m = m0;
    for (let v = 1; v <= versions; v++) {
      const ops: model.Op[] = Array.from({ length: 12 }, (_, i) => ({ op: 'put', key: Uint8Array.of((v * 7 + i * 13) % 90), value: Uint8Array.of(v, i) }));
      const r = store.commit(ops);
      const mr = model.commit(m, ops);
      if (!r.ok || !mr.ok) throw new Error('commit failed');
      m = mr.value.store;
    }
    return m;
  };

  it('STORE-DMM-SLOT.1 STORE-PAGE-LAYOUT.1 STORE-PAGE-KEY.2 STORE-PAGE-BASE.2 STORE-PAGE-DELTA.2: page records round-trip, and base plus delta replays to the page at every version', () => {
    const leaf = { k: 1 as const, version: 3, path: new Uint8Array(32).fill(0x12), valueHash: new Uint8Array(32).fill(9), file: 1, offset: 40, length: 30, hash: undefined };
    const node = { k: 2 as const, version: 5, hash: new Uint8Array(32).fill(7) };
    // Page "12": top child 3 holds an index node whose child 4 is a leaf with path 1234... (slot 16 + 3 * 16 + 4).
    const leafUnder = { ...leaf, path: Uint8Array.from([0x12, 0x34, ...new Uint8Array(30)]) };
    const node6 = { ...node, version: 6 };
    const leaf6 = { ...leafUnder, version: 6, offset: 90 };
    // A base at checkpoint 6: before the window, slot 3 holds a node (version 2) over a leaf (version 2); version 5 and 6 change them.
    const base: PageRecord = { type: 0, version: 6, tid: 0, pid: '12', prev: 0, updates: 0, start: [[3, { ...node, version: 2 }], [16 + 3 * 16 + 4, { ...leafUnder, version: 2 }]], items: [[5, 3, node], [5, 16 + 3 * 16 + 4, { ...leafUnder, version: 5 }], [6, 3, node6], [6, 16 + 3 * 16 + 4, leaf6]] };
    const decoded = decodePageRecord(encodePageRecord(base).result(), 'test');
    expect(decoded).toEqual(base);
    const delta: PageRecord = { type: 1, version: 9, tid: 0, pid: '12', prev: 6, updates: 2 + 16, start: [], items: [[8, 3, null], ...Array.from({ length: 16 }, (_, i) => [8, 16 + 3 * 16 + i, null] as const)] };
    expect(decodePageRecord(encodePageRecord(delta).result(), 'test')).toEqual(delta);
    const at = (records: PageRecord[], v: number): ReturnType<typeof emptyPage> => {
      const page = emptyPage('12');
      for (const r of records) applyRecord(page, r, v);
      settle(page, 'test');
      return page;
    };
    expect(at([base], 5).nodes[4]?.[4]).toEqual({ ...leafUnder, version: 5 });
    expect(at([base], 6).nodes[4]?.[4]).toEqual(leaf6);
    expect(at([base, delta], 8).nodes[0]![3]).toBeNull();
    expect(at([base, delta], 8).nodes[4]).toBeNull();
    // A leaf that does not lie under its page is corrupt.
    expect(() => replay(emptyPage('12'), [[5, leafUnder]], 'x')).toThrow(DecodeError);
    // A base listing an empty start slot, a delta naming a later record, and items out of order are corrupt.
    expect(() => decodePageRecord(encodePageRecord({ ...base, start: [[3, null]] }).result(), 'x')).toThrow(DecodeError);
    expect(() => decodePageRecord(encodePageRecord({ ...delta, prev: 9 }).result(), 'x')).toThrow(DecodeError);
    expect(() => decodePageRecord(encodePageRecord({ ...base, items: [...base.items].reverse() }).result(), 'x')).toThrow(DecodeError);
    expect(() => decodePageRecord(encodePageRecord({ ...delta, items: [[6, 3, null]] }).result(), 'x')).toThrow(DecodeError);
  });

  it('STORE-LSVPS-SEGMENT.1 STORE-LSVPS-INDEX.1: full segments are sealed with an index file, and a lost index is rebuilt on open', () => {
    const dir = freshDir();
    let store = open(dir);
    const m = fill(store, model.emptyStore, 25);
    store.close();
    const indexes = readdirSync(dir).filter((f) => f.endsWith('.idx'));
    expect(indexes.length).toBeGreaterThan(2);
    rmSync(join(dir, indexes[0]!));
    writeFileSync(join(dir, indexes[1]!), Buffer.from('not an index'));
    store = open(dir);
    expect(store.recovery.rebuiltIndexes.length).toBe(2);
    for (let v = 0; v <= 25; v++) for (let k = 0; k < 90; k += 5) expect(store.get(v, Uint8Array.of(k))).toEqual(model.getAt(m, v, Uint8Array.of(k)));
    store.close();
  });

  it('STORE-PRUNE-RECLAIM.1 STORE-GC.1 STORE-PRUNE.1: pruning deletes dead segments and value files and keeps every retained read', () => {
    const dir = freshDir();
    let store = open(dir);
    let m = fill(store, model.emptyStore, 40);
    const before = store.diskUsage();
    const r = store.prune(30);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.segmentsDeleted).toBeGreaterThan(0);
    expect(r.value.valueFilesDeleted).toBeGreaterThan(0);
    expect(store.diskUsage()).toBeLessThan(before);
    const p = model.prune(m, 30);
    if (!p.ok) throw new Error(p.error.message);
    m = p.value;
    store.close();
    store = open(dir);
    expect(store.prunedBelow).toBe(30);
    for (let v = 28; v <= 40; v++) {
      for (let k = 0; k < 90; k += 3) expect(store.get(v, Uint8Array.of(k))).toEqual(model.getAt(m, v, Uint8Array.of(k)));
      const root = store.root(v);
      const mroot = model.rootAt(m, v);
      expect(root.ok ? hex(root.value) : root.error.code).toBe(mroot.ok ? hex(mroot.value) : mroot.error.code);
    }
    store.close();
  });

  it('STORE-GC.1 STORE-PRUNE-RECLAIM.1 STORE-ROOT.1: relocation moves live values out of dead value files in a new version, and a prune then deletes the files', () => {
    const dir = freshDir();
    let store = open(dir);
    // Keys 0..89 written once, then keys 0..29 overwritten many times: the early value files keep a
    // few live values (keys 30..89) among many dead ones.
    let m = model.emptyStore;
    const apply = (ops: model.Op[]): void => {
      const r = store.commit(ops);
      const mr = model.commit(m, ops);
      if (!r.ok || !mr.ok) throw new Error('commit failed');
      m = mr.value.store;
      expect(hex(r.value.root)).toBe(hex(mr.value.root));
    };
    apply(Array.from({ length: 90 }, (_, k): model.Op => ({ op: 'put', key: Uint8Array.of(k), value: Uint8Array.of(k, 0) })));
    for (let v = 2; v <= 30; v++) apply(Array.from({ length: 12 }, (_, i): model.Op => (i === 11 ? { op: 'delete', key: Uint8Array.of(60 + v) } : { op: 'put', key: Uint8Array.of((v * 7 + i) % 30), value: Uint8Array.of(v, i, 1) })));
    const latest = store.latestVersion;
    const pruned = store.prune(latest);
    if (!pruned.ok) throw new Error(pruned.error.message);
    const m0 = model.prune(m, latest);
    if (!m0.ok) throw new Error(m0.error.message);
    m = m0.value;
    const valueFiles = (): string[] => readdirSync(dir).filter((f) => f.startsWith('vdls-')).sort();
    const before = valueFiles();
    expect(before.length).toBeGreaterThan(2);

    const moved = store.relocate(0.9);
    if (!moved.ok) throw new Error(moved.error.message);
    expect(moved.value.version).toBe(latest + 1);
    expect(moved.value.victims.length).toBeGreaterThan(0);
    expect(moved.value.valuesMoved).toBeGreaterThan(0);
    // The key-value set is unchanged: the model of a relocation is a commit that changes nothing.
    const mr = model.commit(m, []);
    if (!mr.ok) throw new Error(mr.error.message);
    m = mr.value.store;
    expect(hex(moved.value.root)).toBe(hex(mr.value.root));
    // The version before the relocation still reads its values from the victims.
    for (let k = 0; k < 100; k += 3) expect(store.get(latest, Uint8Array.of(k))).toEqual(model.getAt(m, latest, Uint8Array.of(k)));
    for (const id of moved.value.victims) expect(before).toContain(`vdls-${String(id).padStart(6, '0')}.log`);

    const reclaimed = store.prune(moved.value.version);
    if (!reclaimed.ok) throw new Error(reclaimed.error.message);
    expect(reclaimed.value.valueFilesDeleted).toBeGreaterThanOrEqual(moved.value.victims.length);
    for (const id of moved.value.victims) expect(valueFiles()).not.toContain(`vdls-${String(id).padStart(6, '0')}.log`);
    const m1 = model.prune(m, moved.value.version);
    if (!m1.ok) throw new Error(m1.error.message);
    m = m1.value;
    store.close();
    store = open(dir);
    const v = store.latestVersion;
    for (let k = 0; k < 100; k++) expect(store.get(v, Uint8Array.of(k))).toEqual(model.getAt(m, v, Uint8Array.of(k)));
    for (let k = 0; k < 100; k += 7) {
      const p = store.prove(v, Uint8Array.of(k));
      expect(p).toEqual(model.proveAt(m, v, Uint8Array.of(k)));
    }
    // Nothing left to move at ratio 0 still creates a version with the same root.
    const again = store.relocate(0);
    if (!again.ok) throw new Error(again.error.message);
    expect(again.value.version).toBe(v + 1);
    expect(hex(again.value.root)).toBe(hex(moved.value.root));
    expect(store.relocate(2)).toMatchObject({ ok: false, error: { code: 'Store.Gc.BAD_RATIO' } });
    store.close();
  });

  it('STORE-ERRORS.1 STORE-RECOVERY-CORRUPT.1: a commit that meets corrupt pages fails, and the store then refuses writes until reopened', () => {
    const dir = freshDir();
    let store = open(dir, { ...SMALL, pageCacheSize: 1 });
    fill(store, model.emptyStore, 20);
    // Damage every page record of every sealed segment: the open segment holds the latest root
    // page, so the store opens, but deleting every key must read pages written earlier.
    const segs = readdirSync(dir).filter((f) => f.startsWith('lsvps-') && f.endsWith('.log')).sort();
    expect(segs.length).toBeGreaterThan(1);
    for (const seg of segs.slice(0, -1)) {
      const bytes = readFileSync(join(dir, seg));
      for (let i = 12; i < bytes.length; i += 17) bytes[i] = bytes[i]! ^ 0x55;
      writeFileSync(join(dir, seg), bytes);
    }
    store.close();
    store = open(dir, { ...SMALL, pageCacheSize: 1 });
    const old = store.get(1, Uint8Array.of(7));
    expect(old).toMatchObject({ ok: false, error: { code: 'Store.Disk.CORRUPT' } });
    const ops: model.Op[] = Array.from({ length: 90 }, (_, k) => ({ op: 'delete', key: Uint8Array.of(k) }));
    expect(store.commit(ops)).toMatchObject({ ok: false, error: { code: 'Store.Disk.CORRUPT' } });
    expect(store.commit([])).toMatchObject({ ok: false, error: { code: 'Store.Disk.IO' } });
    store.close();
  });
});
