/**
 * The Pharos Store engine on disk: the DMM-Tree (16-ary, two-level pages, a version on every slot)
 * held in a page cache, LSVPS segments for page records, VDLS files for values, and a commit log
 * whose records make versions durable. Everything is synchronous `node:fs`; a commit returns only
 * after its bytes are fsynced.
 *
 * A commit makes its version durable with its value records (puts and deletes: the redo log) and
 * its commit record. Page changes are kept in memory, per page, for a window of T_c commits; at the
 * checkpoint that closes the window every page changed in it is written once, as a base or delta
 * record holding all its slot changes of the window. Recovery loads the pages of the last
 * checkpoint and replays the value records of the versions after it.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from '../../model/encoding/result.js';
import { ByteReader, ByteWriter, DecodeError, FRAME_HEADER, checkFrame, frame, scanFrames } from './bytes.js';
import { type Counters, zeroCounters } from './counters.js';
import { EMPTY_ROOT, equalBytes, keccak256, keyPath, nibble, toHex } from './hash.js';
import { CorruptError, Segment, segmentIndexName, segmentLogName } from './lsvps.js';
import {
  BASE, DELTA, type Item, type Leaf, type Page, type PageRecord, type Slot, TREE_ID, applyItems, applyRecord, clonePage, leafAt, copyPage, ownNode, decodePageRecord, emptyPage, encodePageRecord, filledAtMost, newLeaf, nodeHashOfSlots, settle, slotAt, slotHash,
} from './page.js';
import { type ProofLevelData, type Terminal, writeProof } from './proof.js';

export type StoreOp =
  | { readonly op: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly op: 'delete'; readonly key: Uint8Array };

export interface StoreOptions {
  /** T_c: a checkpoint writes the changed pages after this many commits. */
  readonly tCheckpoint?: number;
  /** T_d: at most this many delta records follow a base; the next record of the page is a base. */
  readonly tDelta?: number;
  /** T_b: once this many slot changes since the base are recorded, the page's next record is a base. */
  readonly tBase?: number;
  /** T_s: a page that had at most this many non-empty slots before the window is written as a base. */
  readonly tSmall?: number;
  /** A page segment is sealed (indexed) once its log reaches this size. */
  readonly segmentBytes?: number;
  /** A value file is closed once it reaches this size. */
  readonly valueFileBytes?: number;
  /** Pages kept in memory. */
  readonly pageCacheSize?: number;
  /** Index blocks kept in memory per sealed segment. */
  readonly indexBlockCacheSize?: number;
}

export interface Discarded { readonly file: string; readonly offset: number; readonly bytes: number; readonly reason: string }

export interface RecoveryReport {
  readonly lastVersion: number;
  /** Uncommitted or torn bytes cut from file tails. */
  readonly discarded: readonly Discarded[];
  /** Files of uncommitted writes that were removed. */
  readonly removedFiles: readonly string[];
  /** Segments whose index file was missing or damaged and was rebuilt from the log. */
  readonly rebuiltIndexes: readonly number[];
  /** The last checkpoint, and how many versions after it were replayed from the value log. */
  readonly checkpoint: number;
  readonly replayedVersions: number;
}

export interface PruneReport {
  readonly prunedBelow: number;
  readonly segmentsDeleted: number;
  readonly valueFilesDeleted: number;
  readonly bytesFreed: number;
}

export interface RelocationReport {
  /** The version the relocation committed; its root is the root of the version before it. */
  readonly version: number;
  readonly root: Uint8Array;
  /** Value files whose live values were moved; a prune at or above `version` deletes them. */
  readonly victims: readonly number[];
  readonly valuesMoved: number;
  readonly bytesMoved: number;
}

export const KEY_LIMIT = 1024;
export const VALUE_LIMIT = 1 << 20;
const COMMIT_LOG = 'commits.log';
const COMMIT = 1;
const PRUNE = 2;
const CHECKPOINT = 3;
const PUT = 1;
const DELETE = 2;
const valueFileName = (id: number): string => `vdls-${String(id).padStart(6, '0')}.log`;

interface CommitInfo {
  readonly root: Uint8Array;
  readonly rootPageVersion: number;
  readonly valueFile: number;
  readonly valueEnd: number;
}

interface CheckpointInfo { readonly version: number; readonly segment: number; readonly segmentEnd: number }

/** A page changed since the last checkpoint: its state before the window and its slot changes since. */
interface WindowPage {
  /** The page before its first change in the window (null: it did not exist). */
  readonly start: Page | null;
  readonly items: Item[];
}

interface ValueFile { readonly id: number; fd: number; size: number; maxVersion: number }

/** One pending change: a leaf to put at `path`, or null to delete. */
interface WorkOp { readonly path: Uint8Array; readonly hex: string; readonly leaf: Leaf | null }
/** Orders changes by key path (its hex form). */
const byPath = (x: WorkOp, y: WorkOp): number => (x.hex < y.hex ? -1 : x.hex > y.hex ? 1 : 0);

class PoisonedError extends Error {}

/** A value record: `u64 version || u8 kind (1 put, 2 delete) || u16 key length || key || value (puts only)`. */
export const decodeValueRecord = (payload: Uint8Array, where: string): { version: number; key: Uint8Array; value: Uint8Array | null } => {
  const r = new ByteReader(payload, where);
  const version = r.u64('version');
  const kind = r.u8('record kind');
  if (kind !== PUT && kind !== DELETE) throw new DecodeError(`${where}: record kind ${kind} is neither put (1) nor delete (2)`);
  const keyLength = r.u16('key length');
  if (keyLength > KEY_LIMIT) throw new DecodeError(`${where}: key length ${keyLength} exceeds ${KEY_LIMIT}`);
  const key = r.bytes(keyLength, 'key');
  if (kind === DELETE) { r.end(); return { version, key, value: null }; }
  return { version, key, value: r.rest() };
};

const fail = <T>(code: string, message: string): Result<T> => ({ ok: false, error: { code, message } });

const syncDir = (dir: string): void => {
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
};

export class PharosStore {
  readonly counters: Counters = zeroCounters();
  recovery: RecoveryReport = { lastVersion: 0, discarded: [], removedFiles: [], rebuiltIndexes: [], checkpoint: 0, replayedVersions: 0 };
  prunedBelow = 0;

  private readonly tCheckpoint: number;
  private readonly tDelta: number;
  private readonly tBase: number;
  private readonly tSmall: number;
  private readonly segmentBytes: number;
  private readonly valueFileBytes: number;
  private readonly pageCacheSize: number;
  private readonly indexBlockCacheSize: number;

  private readonly commits: CommitInfo[] = [];
  /** Checkpoint versions, increasing, starting with 0. */
  private readonly checkpoints: number[] = [0];
  /** Pages changed since the last checkpoint. */
  private window = new Map<string, WindowPage>();
  private segments: Segment[] = [];
  private readonly valueFiles = new Map<number, ValueFile>();
  private commitFd = -1;
  private commitSize = 0;
  private readonly cache = new Map<string, Page>();
  private poisoned: string | undefined;
  private closed = false;

  // State of the commit in progress.
  private version = 0;
  private dirty = new Map<string, Page>();

  constructor(readonly dir: string, options: StoreOptions = {}) {
    this.tCheckpoint = Math.max(1, options.tCheckpoint ?? 16);
    this.tDelta = options.tDelta ?? 2;
    this.tBase = options.tBase ?? 512;
    this.tSmall = options.tSmall ?? 4;
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.valueFileBytes = options.valueFileBytes ?? 256 * 1024 * 1024;
    this.pageCacheSize = options.pageCacheSize ?? 50_000;
    this.indexBlockCacheSize = options.indexBlockCacheSize ?? 4096;
  }

  get latestVersion(): number { return this.commits.length - 1; }

  private get lastCheckpoint(): number { return this.checkpoints[this.checkpoints.length - 1]!; }

  // -------------------------------------------------------------------------------------------
  // Open and recovery

  /** Opens the directory: reads the commit log, cuts torn tails and uncommitted bytes, rebuilds missing indexes. */
  recover(): void {
    mkdirSync(this.dir, { recursive: true });
    const discarded: Discarded[] = [];
    const removedFiles: string[] = [];
    const rebuilt: number[] = [];
    const logPath = join(this.dir, COMMIT_LOG);
    const isNew = !existsSync(logPath);
    this.commitFd = openSync(logPath, isNew ? 'w+' : 'r+');
    const size = fstatSync(this.commitFd).size;
    const buf = new Uint8Array(size);
    if (size > 0) readSync(this.commitFd, buf, 0, size, 0);
    const scan = scanFrames(buf);
    if (scan.bad !== undefined) {
      if (!scan.bad.last) throw new CorruptError(`${COMMIT_LOG}: ${scan.bad.reason}, and more bytes follow it`);
      discarded.push({ file: COMMIT_LOG, offset: scan.goodEnd, bytes: size - scan.goodEnd, reason: `torn tail: ${scan.bad.reason}` });
      ftruncateSync(this.commitFd, scan.goodEnd);
      fsyncSync(this.commitFd);
    }
    this.commitSize = scan.goodEnd;
    this.commits.push({ root: EMPTY_ROOT, rootPageVersion: 0, valueFile: 1, valueEnd: 0 });
    let ck: CheckpointInfo = { version: 0, segment: 1, segmentEnd: 0 };
    const valueMax = new Map<number, number>();
    for (const f of scan.frames) {
      const r = new ByteReader(f.payload, `${COMMIT_LOG} record at byte ${f.offset}`);
      const type = r.u8('record type');
      if (type === COMMIT) {
        const version = r.u64('version');
        if (version !== this.commits.length) throw new CorruptError(`${COMMIT_LOG}: record at byte ${f.offset} commits version ${version}, expected ${this.commits.length}`);
        const info: CommitInfo = { root: r.bytes(32, 'root'), rootPageVersion: r.u64('root page version'), valueFile: r.u32('value file'), valueEnd: r.u64('value end') };
        r.end();
        if (info.rootPageVersion > version) throw new CorruptError(`${COMMIT_LOG}: version ${version} names a root page from the future`);
        this.commits.push(info);
        valueMax.set(info.valueFile, version);
      } else if (type === PRUNE) {
        const below = r.u64('prune horizon');
        r.end();
        if (below > this.latestVersion) throw new CorruptError(`${COMMIT_LOG}: prune below ${below} is beyond version ${this.latestVersion}`);
        this.prunedBelow = Math.max(this.prunedBelow, below);
      } else if (type === CHECKPOINT) {
        const next = { version: r.u64('checkpoint version'), segment: r.u32('segment'), segmentEnd: r.u64('segment end') };
        r.end();
        if (next.version <= ck.version || next.version > this.latestVersion || next.segment < ck.segment) throw new CorruptError(`${COMMIT_LOG}: checkpoint of version ${next.version} at byte ${f.offset} does not follow checkpoint ${ck.version} or is beyond version ${this.latestVersion}`);
        ck = next;
        this.checkpoints.push(next.version);
      } else throw new CorruptError(`${COMMIT_LOG}: record type ${type} at byte ${f.offset} is unknown`);
    }
    const last = this.commits[this.latestVersion]!;
    const files = readdirSync(this.dir);
    // Page records exist durably up to the last checkpoint; later versions are replayed below.
    const pageEnd = { segment: ck.segment, segmentEnd: ck.segmentEnd };
    const ids = (re: RegExp): number[] => files.flatMap((n) => { const m = re.exec(n); return m ? [Number(m[1])] : []; }).sort((a, b) => a - b);

    // Page segments: drop those begun after the last checkpoint, cut the open one to its end.
    for (const name of files) if (name.endsWith('.tmp')) { unlinkSync(join(this.dir, name)); removedFiles.push(name); }
    for (const id of ids(/^lsvps-(\d{6})\.(?:log|idx)$/)) {
      if (id <= pageEnd.segment) continue;
      for (const n of [segmentLogName(id), segmentIndexName(id)]) if (existsSync(join(this.dir, n))) { unlinkSync(join(this.dir, n)); removedFiles.push(n); }
    }
    for (const id of [...new Set([...ids(/^lsvps-(\d{6})\.log$/), pageEnd.segment])].sort((a, b) => a - b)) {
      if (id > pageEnd.segment) continue;
      const path = join(this.dir, segmentLogName(id));
      if (!existsSync(path)) {
        if (id === pageEnd.segment && pageEnd.segmentEnd === 0) { closeSync(openSync(path, 'w')); } else if (id === pageEnd.segment) throw new CorruptError(`${segmentLogName(id)} is missing but holds committed pages`);
        else continue;
      }
      const fd = openSync(path, 'r+');
      let fsize = fstatSync(fd).size;
      if (id === pageEnd.segment) {
        if (fsize < pageEnd.segmentEnd) throw new CorruptError(`${segmentLogName(id)} has ${fsize} bytes, but ${pageEnd.segmentEnd} were committed`);
        if (fsize > pageEnd.segmentEnd) {
          discarded.push({ file: segmentLogName(id), offset: pageEnd.segmentEnd, bytes: fsize - pageEnd.segmentEnd, reason: 'page records after the last checkpoint' });
          ftruncateSync(fd, pageEnd.segmentEnd);
          fsyncSync(fd);
          fsize = pageEnd.segmentEnd;
        }
      }
      const seg = new Segment(this.dir, id, fd, fsize, this.counters, this.indexBlockCacheSize);
      if (!seg.loadIndex()) {
        seg.scan(fsize);
        if (id < pageEnd.segment) { seg.seal(); rebuilt.push(id); } else if (existsSync(seg.indexPath)) {
          // The open segment is indexed in memory; a damaged index file of it would go stale.
          unlinkSync(seg.indexPath);
          removedFiles.push(segmentIndexName(id));
        }
      }
      this.segments.push(seg);
    }

    // Value files: the same rule.
    for (const id of ids(/^vdls-(\d{6})\.log$/)) {
      if (id <= last.valueFile) continue;
      unlinkSync(join(this.dir, valueFileName(id)));
      removedFiles.push(valueFileName(id));
    }
    for (const id of [...new Set([...ids(/^vdls-(\d{6})\.log$/), last.valueFile])].sort((a, b) => a - b)) {
      if (id > last.valueFile) continue;
      const path = join(this.dir, valueFileName(id));
      if (!existsSync(path)) {
        if (id === last.valueFile && last.valueEnd === 0) closeSync(openSync(path, 'w'));
        else if (id === last.valueFile) throw new CorruptError(`${valueFileName(id)} is missing but holds committed values`);
        else continue;
      }
      const fd = openSync(path, 'r+');
      let fsize = fstatSync(fd).size;
      if (id === last.valueFile) {
        if (fsize < last.valueEnd) throw new CorruptError(`${valueFileName(id)} has ${fsize} bytes, but ${last.valueEnd} were committed`);
        if (fsize > last.valueEnd) {
          discarded.push({ file: valueFileName(id), offset: last.valueEnd, bytes: fsize - last.valueEnd, reason: 'uncommitted values' });
          ftruncateSync(fd, last.valueEnd);
          fsyncSync(fd);
          fsize = last.valueEnd;
        }
      }
      this.valueFiles.set(id, { id, fd, size: fsize, maxVersion: valueMax.get(id) ?? 0 });
    }
    syncDir(this.dir);

    // The root page of the checkpoint must hash to its committed root; the versions after it are
    // rebuilt from their value records, and each must reach its committed root.
    const ckInfo = this.commits[ck.version]!;
    if (ckInfo.rootPageVersion > 0) {
      const root = this.loadPage('', ckInfo.rootPageVersion);
      if (!equalBytes(nodeHashOfSlots(root.nodes[0]!), ckInfo.root)) throw new CorruptError(`root page of version ${ck.version} does not hash to the committed root`);
    }
    const replayed = this.replay(ck.version);
    this.recovery = { lastVersion: this.latestVersion, discarded, removedFiles, rebuiltIndexes: rebuilt, checkpoint: ck.version, replayedVersions: replayed };
  }

  /**
   * Re-applies the versions after checkpoint `from` from their value records (the redo log): each
   * version's records are its deduplicated batch, with their locations, in the order committed.
   */
  private replay(from: number): number {
    const latest = this.latestVersion;
    if (from === latest) return 0;
    const batches = new Map<number, WorkOp[]>();
    const start = this.commits[from]!;
    const lastFile = this.commits[latest]!.valueFile;
    for (let id = start.valueFile; id <= lastFile; id++) {
      const f = this.valueFiles.get(id);
      if (f === undefined) throw new CorruptError(`${valueFileName(id)} is missing but holds values of versions after checkpoint ${from}`);
      const begin = id === start.valueFile ? start.valueEnd : 0;
      const buf = new Uint8Array(f.size - begin);
      if (buf.length > 0) readSync(f.fd, buf, 0, buf.length, begin);
      this.counters.fileReads++;
      this.counters.bytesRead += buf.length;
      const scan = scanFrames(buf);
      if (scan.bad !== undefined) throw new CorruptError(`${valueFileName(id)}: committed values are damaged at byte ${begin + scan.bad.offset}: ${scan.bad.reason}`);
      let prevVersion = from;
      for (const fr of scan.frames) {
        const where = `${valueFileName(id)} at byte ${begin + fr.offset}`;
        const rec = decodeValueRecord(fr.payload, where);
        if (rec.version <= from || rec.version > latest || rec.version < prevVersion) throw new CorruptError(`value ${where} has version ${rec.version}, out of order after checkpoint ${from}`);
        prevVersion = rec.version;
        const path = keyPath(rec.key);
        const leaf = rec.value === null ? null : newLeaf(rec.version, path, keccak256(rec.value), id, begin + fr.offset, fr.payload.length + FRAME_HEADER);
        let batch = batches.get(rec.version);
        if (batch === undefined) batches.set(rec.version, (batch = []));
        batch.push({ path, hex: toHex(path), leaf });
      }
    }
    for (let v = from + 1; v <= latest; v++) {
      const work = batches.get(v) ?? [];
      work.sort(byPath);
      const { root, rootPageVersion } = this.applyWork(v, work);
      const info = this.commits[v]!;
      if (!equalBytes(root, info.root) || rootPageVersion !== info.rootPageVersion) throw new CorruptError(`replaying version ${v} from the value log does not reach its committed root`);
      this.publish(v);
    }
    return latest - from;
  }

  // -------------------------------------------------------------------------------------------
  // Page access

  private segmentFor(version: number): Segment | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i]!;
      if (s.minVersion <= version && version <= s.maxVersion) return s;
    }
    return undefined;
  }

  private readPageRecord(version: number, pid: string): PageRecord {
    const seg = this.segmentFor(version);
    const loc = seg?.find(version, BASE, pid) ?? seg?.find(version, DELTA, pid);
    if (seg === undefined || loc === undefined) throw new CorruptError(`page ${JSON.stringify(pid)} at version ${version} is not in the page store`);
    const payload = seg.readRecord(loc);
    this.counters.pageLoads++;
    try {
      const rec = decodePageRecord(payload, `${segmentLogName(seg.id)} record at byte ${loc.offset}`);
      if (rec.pid !== pid || rec.version !== version) throw new CorruptError(`${segmentLogName(seg.id)} record at byte ${loc.offset} is not page ${pid}@${version}`);
      return rec;
    } catch (e) {
      if (e instanceof DecodeError) throw new CorruptError(e.message);
      throw e;
    }
  }

  /** The first checkpoint at or after `version`: the one whose records hold the page changes of `version`. */
  private checkpointOf(version: number): number {
    const cks = this.checkpoints;
    let lo = 0;
    let hi = cks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cks[mid]! < version) lo = mid + 1; else hi = mid;
    }
    return cks[lo]!;
  }

  /** The page `pid` as it is at `version`, the version of its last change that its parent slot records. */
  private loadPage(pid: string, version: number): Page {
    const key = `${pid}@${version}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      this.counters.pageCacheHits++;
      return cached;
    }
    let page: Page;
    try {
      if (version > this.lastCheckpoint) {
        // Changed since the last checkpoint: the window holds its state before and its changes since.
        const w = this.window.get(pid);
        if (w === undefined || !w.items.some(([v]) => v === version)) throw new CorruptError(`page ${JSON.stringify(pid)} did not change at version ${version}`);
        page = w.start === null ? emptyPage(pid) : copyPage(w.start);
        applyItems(page, w.items, version);
        settle(page, `page ${pid}@${version} in memory`);
      } else {
        const c = this.checkpointOf(version);
        const records = [this.readPageRecord(c, pid)];
        while (records[0]!.type === DELTA) {
          if (records.length > 1024) throw new CorruptError(`page ${pid}@${c} has a delta chain longer than 1024`);
          records.unshift(this.readPageRecord(records[0]!.prev, pid));
        }
        const top = records[records.length - 1]!;
        if (!top.items.some(([v]) => v === version)) throw new CorruptError(`record ${pid}@${c} has no change of version ${version}`);
        page = emptyPage(pid);
        for (const rec of records) applyRecord(page, rec, version);
        settle(page, `page ${pid}@${version} from records ${records.map((r) => r.version).join(', ')}`);
        page.chain = records.map((r) => r.version);
        page.updates = top.updates;
      }
    } catch (e) {
      if (e instanceof DecodeError) throw new CorruptError(e.message);
      throw e;
    }
    page.at = version;
    this.cachePage(key, page);
    return page;
  }

  private cachePage(key: string, page: Page): void {
    this.cache.set(key, page);
    if (this.cache.size <= this.pageCacheSize) return;
    // Evict the least recently used tenth in one pass: removing one entry at a time from the front
    // of a Map rescans the holes earlier deletions left, which made eviction quadratic.
    let excess = this.cache.size - Math.floor(this.pageCacheSize * 0.9);
    for (const k of this.cache.keys()) {
      if (excess-- <= 0) break;
      this.cache.delete(k);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Commit

  private pageForWrite(pid: string, version: number): Page {
    const d = this.dirty.get(pid);
    if (d !== undefined) return d;
    const before = this.loadPage(pid, version);
    const p = clonePage(before);
    this.dirty.set(pid, p);
    if (!this.window.has(pid)) this.window.set(pid, { start: before, items: [] });
    return p;
  }

  private newPage(pid: string): Page {
    const p = emptyPage(pid);
    this.dirty.set(pid, p);
    // A page deleted earlier in the window is empty from its deletion on, so its changes go on.
    const w = this.window.get(pid);
    if (w === undefined || w.items.length === 0) this.window.set(pid, { start: null, items: [] });
    return p;
  }

  private setSlot(page: Page, index: number, s: Slot, old: Slot): void {
    page.nodes[index >> 4]![index & 15] = s;
    page.changed.add(index);
    // A second-level node appearing or disappearing changes all 16 of its slots.
    if (index < 16 && (old?.k === 2) !== (s?.k === 2)) for (let m = 0; m < 16; m++) page.changed.add(16 + index * 16 + m);
  }

  /** Applies ops[lo, hi) (sorted by path, sharing `depth` nibbles) to the slot holding `cur`. */
  private updateSlot(depth: number, cur: Slot, ops: readonly WorkOp[], lo: number, hi: number): Slot {
    const v = this.version;
    const first = ops[lo]!;
    if (cur !== null && cur.k === 2) {
      const even = depth % 2 === 0;
      const page = even ? this.pageForWrite(first.hex.slice(0, depth), cur.version) : this.dirty.get(first.hex.slice(0, depth - 1))!;
      const idx = even ? 0 : 1 + nibble(first.path, depth - 1);
      const slots = ownNode(page, idx);
      let changed = false;
      for (let a = lo; a < hi;) {
        const j = nibble(ops[a]!.path, depth);
        let b = a + 1;
        while (b < hi && nibble(ops[b]!.path, depth) === j) b++;
        const old = slots[j]!;
        const nu = this.updateSlot(depth + 1, old, ops, a, b);
        if (nu !== old) { this.setSlot(page, idx * 16 + j, nu, old); changed = true; }
        a = b;
      }
      if (!changed) return cur;
      let count = 0;
      let only: Slot = null;
      for (const s of slots) if (s !== null) { count++; only = s; }
      if (count === 0 || (count === 1 && only!.k === 1)) {
        // The node no longer separates two keys: it disappears and a lone leaf moves up. A page
        // that disappears records its last slot as emptied, so that its changes read as an empty page.
        if (even) { if (count === 1) this.setSlot(page, slots.indexOf(only), null, only); } else page.nodes[idx] = null;
        return count === 0 ? null : leafAt(only as Leaf, v);
      }
      return { k: 2, version: v, hash: nodeHashOfSlots(slots) };
    }
    // An empty slot or a leaf: find the keys that end up under this prefix.
    const puts: WorkOp[] = [];
    let overridden = false;
    for (let a = lo; a < hi; a++) {
      const o = ops[a]!;
      if (cur !== null && equalBytes(o.path, cur.path)) overridden = true;
      if (o.leaf !== null) puts.push(o);
    }
    if (cur !== null && !overridden) {
      if (puts.length === 0) return cur;
      puts.push({ path: cur.path, hex: toHex(cur.path), leaf: leafAt(cur, v) });
      puts.sort(byPath);
    }
    if (puts.length === 0) return null;
    if (puts.length === 1) return puts[0]!.leaf;
    const even = depth % 2 === 0;
    let page: Page;
    let idx: number;
    if (even) { page = this.newPage(first.hex.slice(0, depth)); idx = 0; } else {
      page = this.dirty.get(first.hex.slice(0, depth - 1))!;
      idx = 1 + nibble(first.path, depth - 1);
      page.nodes[idx] = Array<Slot>(16).fill(null);
      page.owned |= 1 << idx;
    }
    const slots = page.nodes[idx]!;
    for (let a = 0; a < puts.length;) {
      const j = nibble(puts[a]!.path, depth);
      let b = a + 1;
      while (b < puts.length && nibble(puts[b]!.path, depth) === j) b++;
      this.setSlot(page, idx * 16 + j, this.updateSlot(depth + 1, null, puts, a, b), null);
      a = b;
    }
    return { k: 2, version: v, hash: nodeHashOfSlots(slots) };
  }

  private guard(): void {
    if (this.closed) throw new PoisonedError('the store is closed');
    if (this.poisoned !== undefined) throw new PoisonedError(`an earlier write failed (${this.poisoned}); reopen the store`);
  }

  private run<T>(f: () => T, write: boolean): Result<T> {
    try {
      this.guard();
      return { ok: true, value: f() };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (write && !(e instanceof PoisonedError)) this.poisoned = message;
      if (e instanceof CorruptError || e instanceof DecodeError) return fail('Store.Disk.CORRUPT', message);
      return fail('Store.Disk.IO', message);
    }
  }

  private appendAt(fd: number, bytes: Uint8Array, position: number): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
    this.counters.bytesWritten += bytes.length;
  }

  private activeValueFile(): ValueFile {
    let id = 0;
    for (const k of this.valueFiles.keys()) id = Math.max(id, k);
    let f = this.valueFiles.get(id)!;
    if (f.size >= this.valueFileBytes) {
      const next = id + 1;
      f = { id: next, fd: openSync(join(this.dir, valueFileName(next)), 'w+'), size: 0, maxVersion: 0 };
      this.valueFiles.set(next, f);
      syncDir(this.dir);
    }
    return f;
  }

  private activeSegment(): Segment {
    let seg = this.segments[this.segments.length - 1]!;
    if (seg.sealed || seg.size >= this.segmentBytes) {
      if (!seg.sealed) seg.seal();
      const id = seg.id + 1;
      seg = new Segment(this.dir, id, openSync(join(this.dir, segmentLogName(id)), 'w+'), 0, this.counters, this.indexBlockCacheSize);
      this.segments.push(seg);
      syncDir(this.dir);
    }
    return seg;
  }

  /**
   * Commits a batch as the next version: its value records (puts and deletes) are appended to the
   * value log and fsynced, then the commit record is appended to the commit log and fsynced. Only
   * then is the version visible and the call returns. The page changes stay in memory until the
   * checkpoint that closes the window of T_c commits writes them.
   */
  commit(ops: readonly StoreOp[]): Result<{ readonly version: number; readonly root: Uint8Array }> {
    for (const [i, o] of ops.entries()) {
      if (o.key.length > KEY_LIMIT) return fail('Store.Key.TOO_LONG', `operation ${i}: key has ${o.key.length} bytes, at most ${KEY_LIMIT} allowed`);
      if (o.op === 'put' && o.value.length > VALUE_LIMIT) return fail('Store.Value.TOO_LONG', `operation ${i}: value has ${o.value.length} bytes, at most ${VALUE_LIMIT} allowed`);
    }
    return this.run(() => this.commitUnchecked(ops), true);
  }

  private commitUnchecked(ops: readonly StoreOp[]): { version: number; root: Uint8Array } {
    const v = this.latestVersion + 1;

    // The later operation on a key wins; records are appended to the value log in batch order.
    const last = new Map<string, { path: Uint8Array; op: StoreOp }>();
    for (const o of ops) {
      const path = keyPath(o.key);
      const hex = toHex(path);
      last.delete(hex);
      last.set(hex, { path, op: o });
    }
    const vf = this.activeValueFile();
    const values = new ByteWriter();
    const work: WorkOp[] = [];
    for (const [hex, { path, op }] of last) {
      const at = values.beginFrame();
      values.u64(v).u8(op.op === 'put' ? PUT : DELETE).u16(op.key.length).bytes(op.key);
      if (op.op === 'put') values.bytes(op.value);
      values.endFrame(at);
      const leaf = op.op === 'put' ? newLeaf(v, path, keccak256(op.value), vf.id, vf.size + at, values.length - at) : null;
      work.push({ path, hex, leaf });
    }
    work.sort(byPath);
    const { root, rootPageVersion } = this.applyWork(v, work);

    if (values.length > 0) { this.appendAt(vf.fd, values.view_(), vf.size); fsyncSync(vf.fd); this.counters.fsyncs++; }
    vf.size += values.length;
    const info: CommitInfo = { root, rootPageVersion, valueFile: vf.id, valueEnd: vf.size };
    const rec = frame(new ByteWriter().u8(COMMIT).u64(v).bytes(info.root).u64(info.rootPageVersion).u32(info.valueFile).u64(info.valueEnd).result());
    this.appendAt(this.commitFd, rec, this.commitSize);
    fsyncSync(this.commitFd);
    this.counters.fsyncs++;
    this.commitSize += rec.length;

    // The version is durable: publish it.
    this.commits.push(info);
    if (values.length > 0) vf.maxVersion = v;
    this.publish(v);
    if (v - this.lastCheckpoint >= this.tCheckpoint) {
      // Version v is durable whatever happens here; a failed checkpoint poisons the store (the next
      // write is refused) and the next open replays the window.
      try { this.checkpoint(); } catch { /* recorded in this.poisoned */ }
    }
    return { version: v, root };
  }

  /** Applies sorted, deduplicated changes to the tree as version `v`, in copies of the pages it changes. */
  private applyWork(v: number, work: readonly WorkOp[]): { root: Uint8Array; rootPageVersion: number } {
    this.version = v;
    this.dirty = new Map();
    const prev = this.commits[v - 1]!;
    const root = prev.rootPageVersion > 0 ? this.pageForWrite('', prev.rootPageVersion) : this.newPage('');
    const top = ownNode(root, 0);
    for (let a = 0; a < work.length;) {
      const j = nibble(work[a]!.path, 0);
      let b = a + 1;
      while (b < work.length && nibble(work[b]!.path, 0) === j) b++;
      const old = top[j]!;
      const nu = this.updateSlot(1, old, work, a, b);
      if (nu !== old) this.setSlot(root, j, nu, old);
      a = b;
    }
    const rootChanged = root.changed.size > 0;
    return { root: rootChanged ? nodeHashOfSlots(top) : prev.root, rootPageVersion: rootChanged ? v : prev.rootPageVersion };
  }

  /** Records the slot changes of version `v` in the window and caches the pages as of `v`. */
  private publish(v: number): void {
    for (const [pid, page] of this.dirty) {
      if (page.changed.size === 0) continue;
      const w = this.window.get(pid)!;
      const changed = [...page.changed].sort((x, y) => x - y);
      for (const i of changed) w.items.push([v, i, slotAt(page, i)]);
      // The state this one replaces is only needed by historical reads: let it go first.
      if (page.at > 0) this.cache.delete(`${pid}@${page.at}`);
      page.at = v;
      page.changed = new Set();
      this.cachePage(`${pid}@${v}`, page);
    }
    this.dirty = new Map();
  }

  /**
   * Writes every page changed since the last checkpoint as one record at the latest version: a base
   * (its state before the window, then its changes) or a delta (its changes, naming its previous
   * record). The segment is fsynced, then the checkpoint record is appended and fsynced.
   */
  private checkpoint(): void {
    const c = this.latestVersion;
    const before = this.lastCheckpoint;
    if (c === before) return;
    try {
      const seg = this.activeSegment();
      const records: { rec: PageRecord; chain: readonly number[] }[] = [];
      for (const [pid, w] of this.window) {
        const n = w.items.length;
        if (n === 0) continue;
        // The record chain and update count of the page before the window.
        const chain = w.start?.chain ?? [];
        const updates = w.start?.updates ?? 0;
        const isBase = chain.length === 0 || chain.length > this.tDelta || updates + n >= this.tBase || w.start === null || filledAtMost(w.start, this.tSmall);
        if (isBase) {
          const start: [number, Slot][] = [];
          if (w.start !== null) w.start.nodes.forEach((slots, node) => slots?.forEach((x, child) => { if (x !== null) start.push([node * 16 + child, x]); }));
          records.push({ rec: { type: BASE, version: c, tid: TREE_ID, pid, prev: 0, updates: 0, start, items: w.items }, chain: [c] });
          this.counters.baseWrites++;
        } else {
          records.push({ rec: { type: DELTA, version: c, tid: TREE_ID, pid, prev: chain[chain.length - 1]!, updates: updates + n, start: [], items: w.items }, chain: [...chain, c] });
          this.counters.deltaWrites++;
        }
      }
      records.sort((x, y) => x.rec.type - y.rec.type || (x.rec.pid < y.rec.pid ? -1 : x.rec.pid > y.rec.pid ? 1 : 0));
      const pages = new ByteWriter();
      const entries = records.map(({ rec }) => {
        const at = pages.beginFrame();
        encodePageRecord(rec, pages);
        pages.endFrame(at);
        return { version: c, type: rec.type, pid: rec.pid, loc: { offset: seg.size + at, length: pages.length - at } };
      });
      if (pages.length > 0) { this.appendAt(seg.fd, pages.view_(), seg.size); fsyncSync(seg.fd); this.counters.fsyncs++; }
      seg.size += pages.length;
      const rec = frame(new ByteWriter().u8(CHECKPOINT).u64(c).u32(seg.id).u64(seg.size).result());
      this.appendAt(this.commitFd, rec, this.commitSize);
      fsyncSync(this.commitFd);
      this.counters.fsyncs++;
      this.commitSize += rec.length;
      this.counters.checkpoints++;

      // The records are durable: pages of the window are now read from them.
      for (const e of entries) seg.addEntry(e);
      this.checkpoints.push(c);
      const chains = new Map(records.map(({ rec, chain }) => [rec.pid, { chain, updates: rec.updates }]));
      for (const page of this.cache.values()) {
        if (page.at <= before) continue;
        const m = chains.get(page.pid);
        if (m !== undefined) { page.chain = m.chain; page.updates = m.updates; }
      }
      this.window = new Map();
    } catch (e) {
      this.poisoned ??= e instanceof Error ? e.message : String(e);
      throw e;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  private checkVersion(version: number): void {
    if (!Number.isSafeInteger(version) || version < 0 || version > this.latestVersion) throw new VersionError('Store.Version.UNKNOWN', `version ${version} is not committed; the latest is ${this.latestVersion}`);
    if (version < this.prunedBelow) throw new VersionError('Store.Version.PRUNED', `version ${version} is pruned; versions from ${this.prunedBelow} are retained`);
  }

  private readValue(leaf: Leaf): Uint8Array { return this.readRecordOf(leaf).value; }

  /** Reads the value record a leaf points to and checks it against the leaf (STORE-VDLS-RECORD.2). */
  private readRecordOf(leaf: Leaf): { readonly key: Uint8Array; readonly value: Uint8Array } {
    const f = this.valueFiles.get(leaf.file);
    const where = `${valueFileName(leaf.file)} at byte ${leaf.offset}`;
    if (f === undefined || leaf.offset + leaf.length > f.size) throw new CorruptError(`value ${where} is not in the value log`);
    const buf = new Uint8Array(leaf.length);
    readSync(f.fd, buf, 0, leaf.length, leaf.offset);
    this.counters.fileReads++;
    this.counters.valueReads++;
    this.counters.bytesRead += leaf.length;
    const fr = checkFrame(buf, 0);
    if (!fr.ok || fr.end !== buf.length) throw new CorruptError(`value ${where}: ${fr.ok ? 'length differs from the leaf' : fr.reason}`);
    try {
      const { key, value } = decodeValueRecord(fr.payload, `value ${where}`);
      if (value === null || !equalBytes(keyPath(key), leaf.path) || !equalBytes(keccak256(value), leaf.valueHash)) throw new CorruptError(`value ${where} does not match its leaf`);
      return { key, value };
    } catch (e) {
      if (e instanceof DecodeError) throw new CorruptError(e.message);
      throw e;
    }
  }

  /** Walks from the root to the slot the path reaches; `visit` sees every index node on the way. */
  private walk(version: number, path: Uint8Array, visit?: (slots: readonly Slot[], depth: number) => void): Slot {
    const rpv = this.commits[version]!.rootPageVersion;
    if (rpv === 0) { visit?.(Array<Slot>(16).fill(null), 0); return null; }
    let page = this.loadPage('', rpv);
    let idx = 0;
    for (let depth = 0; ; depth++) {
      const slots = page.nodes[idx]!;
      visit?.(slots, depth);
      const s = slots[nibble(path, depth)]!;
      if (s === null || s.k === 1) return s;
      if ((depth + 1) % 2 === 1) idx = 1 + nibble(path, depth);
      else { page = this.loadPage(toHex(path).slice(0, depth + 1), s.version); idx = 0; }
    }
  }

  get(version: number, key: Uint8Array): Result<Uint8Array | null> {
    return this.read(() => {
      this.checkVersion(version);
      const path = keyPath(key);
      const s = this.walk(version, path);
      return s !== null && s.k === 1 && equalBytes(s.path, path) ? this.readValue(s) : null;
    });
  }

  root(version: number): Result<Uint8Array> {
    return this.read(() => { this.checkVersion(version); return this.commits[version]!.root; });
  }

  prove(version: number, key: Uint8Array): Result<{ readonly value: Uint8Array | null; readonly proof: Uint8Array }> {
    return this.read(() => {
      this.checkVersion(version);
      const path = keyPath(key);
      const levels: ProofLevelData[] = [];
      const s = this.walk(version, path, (slots, depth) => {
        const on = nibble(path, depth);
        let bitmap = 0;
        const siblings: Uint8Array[] = [];
        for (let i = 0; i < 16; i++) {
          if (i === on || slots[i] === null) continue;
          bitmap |= 1 << i;
          siblings.push(slotHash(slots[i]!)!);
        }
        levels.push({ bitmap, siblings });
      });
      let terminal: Terminal = { kind: 1 };
      let value: Uint8Array | null = null;
      if (s !== null && s.k === 1) {
        if (equalBytes(s.path, path)) { terminal = { kind: 0 }; value = this.readValue(s); } else terminal = { kind: 2, path: s.path, valueHash: s.valueHash };
      }
      return { value, proof: writeProof(levels, terminal) };
    });
  }

  private read<T>(f: () => T): Result<T> {
    try {
      if (this.closed) return fail('Store.Disk.IO', 'the store is closed');
      return { ok: true, value: f() };
    } catch (e) {
      if (e instanceof VersionError) return fail(e.code, e.message);
      const message = e instanceof Error ? e.message : String(e);
      return fail(e instanceof CorruptError || e instanceof DecodeError ? 'Store.Disk.CORRUPT' : 'Store.Disk.IO', message);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Pruning and value-log garbage collection

  /**
   * Makes versions below `below` unreadable (durably, by a prune record in the commit log), then
   * deletes every sealed page segment and closed value file that holds nothing a retained version
   * can reach. Live data is found by walking the tree of version `below`: any older record or
   * value a newer version uses is also used by `below`.
   */
  prune(below: number): Result<PruneReport> {
    if (!Number.isSafeInteger(below) || below < 0 || below > this.latestVersion) {
      return fail('Store.Prune.BEYOND_LATEST', `cannot prune below ${below}; the latest version is ${this.latestVersion}`);
    }
    return this.run(() => {
      // Replay after a crash needs the value records after the last checkpoint: checkpoint first,
      // so that nothing below the horizon is needed by recovery.
      this.checkpoint();
      if (below > this.prunedBelow) {
        const rec = frame(new ByteWriter().u8(PRUNE).u64(below).result());
        this.appendAt(this.commitFd, rec, this.commitSize);
        fsyncSync(this.commitFd);
        this.counters.fsyncs++;
        this.commitSize += rec.length;
        this.prunedBelow = below;
      }
      const horizon = this.prunedBelow;
      const liveRecords = new Set<string>();
      const liveFiles = new Set<number>();
      const rpv = this.commits[horizon]!.rootPageVersion;
      const visit = (pid: string, version: number): void => {
        const page = this.loadPage(pid, version);
        for (const c of page.chain) liveRecords.add(`${pid}@${c}`);
        page.nodes.forEach((slots, n) => slots?.forEach((s, c) => {
          if (s === null) return;
          if (s.k === 1) liveFiles.add(s.file);
          else if (n > 0) visit(pid + (n - 1).toString(16) + c.toString(16), s.version);
        }));
      };
      if (rpv > 0) visit('', rpv);
      let bytesFreed = 0;
      let segmentsDeleted = 0;
      let valueFilesDeleted = 0;
      const active = this.segments[this.segments.length - 1]!;
      this.segments = this.segments.filter((seg) => {
        if (seg === active || !seg.sealed || seg.maxVersion >= horizon) return true;
        if (seg.allEntries().some((e) => liveRecords.has(`${e.pid}@${e.version}`))) return true;
        bytesFreed += seg.size + (existsSync(seg.indexPath) ? statSync(seg.indexPath).size : 0);
        seg.remove();
        segmentsDeleted++;
        return false;
      });
      const activeValue = Math.max(...this.valueFiles.keys());
      for (const f of [...this.valueFiles.values()]) {
        if (f.id === activeValue || f.maxVersion >= horizon || liveFiles.has(f.id)) continue;
        closeSync(f.fd);
        unlinkSync(join(this.dir, valueFileName(f.id)));
        this.valueFiles.delete(f.id);
        bytesFreed += f.size;
        valueFilesDeleted++;
      }
      if (segmentsDeleted + valueFilesDeleted > 0) syncDir(this.dir);
      for (const key of [...this.cache.keys()]) if (Number(key.slice(key.indexOf('@') + 1)) < horizon && !liveRecords.has(key)) this.cache.delete(key);
      return { prunedBelow: horizon, segmentsDeleted, valueFilesDeleted, bytesFreed };
    }, false);
  }

  /**
   * Moves the live values out of mostly-dead closed value files (STORE-GC.1). A closed file whose
   * values still reached by the latest version take at most `maxLiveRatio` of its bytes is a
   * victim; every such value is read (and checked) and committed again, with its key, as a put
   * in one new version. The key-value set is unchanged, so the root is the root of the latest
   * version; only the leaves' locations and versions change. Versions before the relocation
   * still point into the victims, so the victims are deleted by a later prune at or above the
   * relocation's version (STORE-PRUNE-RECLAIM.1). Being an ordinary commit, a relocation is
   * atomic and durable like any other, and it always creates a version, even when nothing moves.
   */
  relocate(maxLiveRatio = 0.5): Result<RelocationReport> {
    if (!(maxLiveRatio >= 0 && maxLiveRatio <= 1)) return fail('Store.Gc.BAD_RATIO', `live ratio ${maxLiveRatio} is not between 0 and 1`);
    return this.run(() => {
      const latest = this.latestVersion;
      const active = Math.max(...this.valueFiles.keys());
      // Live bytes per value file in the latest version.
      const live = new Map<number, number>();
      const leaves: Leaf[] = [];
      const rpv = this.commits[latest]!.rootPageVersion;
      const visit = (pid: string, version: number): void => {
        const page = this.loadPage(pid, version);
        page.nodes.forEach((slots, n) => slots?.forEach((s, c) => {
          if (s === null) return;
          if (s.k === 1) { live.set(s.file, (live.get(s.file) ?? 0) + s.length); leaves.push(s); } else if (n > 0) visit(pid + (n - 1).toString(16) + c.toString(16), s.version);
        }));
      };
      if (rpv > 0) visit('', rpv);
      const victims = [...this.valueFiles.values()].filter((f) => f.id !== active && f.size > 0 && (live.get(f.id) ?? 0) <= maxLiveRatio * f.size).map((f) => f.id);
      const victimSet = new Set(victims);
      const moving = leaves.filter((l) => victimSet.has(l.file)).sort((a, b) => a.file - b.file || a.offset - b.offset);
      const ops: StoreOp[] = moving.map((l) => {
        const { key, value } = this.readRecordOf(l);
        return { op: 'put', key, value };
      });
      const { version, root } = this.commitUnchecked(ops);
      if (!equalBytes(root, this.commits[latest]!.root)) throw new CorruptError(`relocation changed the root of version ${latest}`);
      return { version, root, victims, valuesMoved: ops.length, bytesMoved: moving.reduce((n, l) => n + l.length, 0) };
    }, true);
  }

  /** Bytes of all files of the store. */
  diskUsage(): number {
    return readdirSync(this.dir).reduce((n, f) => n + statSync(join(this.dir, f)).size, 0);
  }

  /**
   * Checkpoints (unless `checkpoint` is false, which leaves the files as a crash after the last
   * returned commit would) and closes every file; cached pages and index blocks are dropped.
   */
  close(options: { readonly checkpoint?: boolean } = {}): void {
    if (this.closed) return;
    // A clean close checkpoints, so the next open replays nothing; a failed checkpoint is left to replay.
    if (options.checkpoint !== false && this.poisoned === undefined) {
      try {
        this.checkpoint();
        // Sealing the open segment writes its index, so the next open need not scan its log.
        const seg = this.segments[this.segments.length - 1];
        if (seg !== undefined && !seg.sealed && seg.size > 0) seg.seal();
      } catch { /* recovery replays the window and rebuilds the index */ }
    }
    this.closed = true;
    for (const s of this.segments) s.close();
    for (const f of this.valueFiles.values()) closeSync(f.fd);
    if (this.commitFd >= 0) closeSync(this.commitFd);
    this.cache.clear();
  }
}

class VersionError extends Error {
  constructor(readonly code: string, message: string) { super(message); }
}

/** Opens (creating if needed) a store directory and recovers it to its last committed version. */
export const openStore = (dir: string, options: StoreOptions = {}): Result<PharosStore> => {
  const store = new PharosStore(dir, options);
  try {
    store.recover();
    return { ok: true, value: store };
  } catch (e) {
    store.close();
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof CorruptError || e instanceof DecodeError) return fail('Store.Disk.CORRUPT', message);
    return fail('Store.Disk.IO', message);
  }
};


