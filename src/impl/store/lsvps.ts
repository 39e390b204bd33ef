/**
 * LSVPS, the log-structured versioned page store. Page records are appended to segment logs in
 * page-key order (version, tree id, type, page id); since versions only grow, every segment is
 * sorted and segments cover disjoint version ranges, so nothing is ever compacted. A full segment
 * is sealed with an index file: index blocks (page key -> record location) and one lookup block
 * (first key of each index block -> block location), the two-level index. The open segment is
 * indexed in memory and rebuilt by scanning its log on open.
 */
import { closeSync, existsSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { ByteReader, ByteWriter, DecodeError, FRAME_HEADER, checkFrame, checksum, frame, scanFrames } from './bytes.js';
import { readKey, writeKey } from './page.js';
import type { Counters } from './counters.js';

export interface RecordLoc { readonly offset: number; readonly length: number }
export interface IndexEntry { readonly version: number; readonly type: number; readonly pid: string; readonly loc: RecordLoc }

export const compareKeys = (a: { version: number; type: number; pid: string }, b: { version: number; type: number; pid: string }): number =>
  a.version - b.version || a.type - b.type || (a.pid < b.pid ? -1 : a.pid > b.pid ? 1 : 0);

const keyString = (version: number, type: number, pid: string): string => `${version}/${type}/${pid}`;

export const segmentLogName = (id: number): string => `lsvps-${String(id).padStart(6, '0')}.log`;
export const segmentIndexName = (id: number): string => `lsvps-${String(id).padStart(6, '0')}.idx`;

const ENTRIES_PER_BLOCK = 128;
const FOOTER = 20;
const MAGIC = 0x4c535649; // "LSVI"

interface LookupEntry { readonly first: IndexEntry; readonly offset: number; readonly length: number }

export class CorruptError extends Error {}

export class Segment {
  fd: number;
  size: number;
  minVersion = Number.MAX_SAFE_INTEGER;
  maxVersion = 0;
  /** Set once the index file exists; then `mem` is dropped and `lookup` is used. */
  sealed = false;
  mem = new Map<string, RecordLoc>();
  entries: IndexEntry[] = [];
  lookup: LookupEntry[] = [];
  private readonly blockCache = new Map<number, IndexEntry[]>();
  private indexFd: number | undefined;

  constructor(readonly dir: string, readonly id: number, fd: number, size: number, private readonly counters: Counters, private readonly blockCacheSize: number) {
    this.fd = fd;
    this.size = size;
  }

  get logPath(): string { return join(this.dir, segmentLogName(this.id)); }
  get indexPath(): string { return join(this.dir, segmentIndexName(this.id)); }

  addEntry(e: IndexEntry): void {
    this.mem.set(keyString(e.version, e.type, e.pid), e.loc);
    this.entries.push(e);
    this.minVersion = Math.min(this.minVersion, e.version);
    this.maxVersion = Math.max(this.maxVersion, e.version);
  }

  /** Rebuilds the in-memory index from the log, which must hold only good frames up to `end`. */
  scan(end: number): void {
    const buf = new Uint8Array(end);
    if (end > 0) {
      readSync(this.fd, buf, 0, end, 0);
      this.counters.fileReads++;
      this.counters.bytesRead += end;
    }
    const s = scanFrames(buf);
    if (s.bad !== undefined) throw new CorruptError(`${segmentLogName(this.id)}: committed page data is damaged: ${s.bad.reason}`);
    let prev: IndexEntry | undefined;
    for (const f of s.frames) {
      let key;
      try { key = readKey(new ByteReader(f.payload, `${segmentLogName(this.id)} record at byte ${f.offset}`)); }
      catch (e) { throw new CorruptError(e instanceof Error ? e.message : String(e)); }
      const entry = { ...key, loc: { offset: f.offset, length: f.payload.length + FRAME_HEADER } };
      if (prev !== undefined && compareKeys(prev, entry) >= 0) throw new CorruptError(`${segmentLogName(this.id)}: record at byte ${f.offset} is out of page-key order`);
      prev = entry;
      this.addEntry(entry);
    }
  }

  /** Writes the index file (atomically, via a temporary file and a rename) and switches to it. */
  seal(): void {
    const w = new ByteWriter();
    const lookup: LookupEntry[] = [];
    const sorted = [...this.entries].sort(compareKeys);
    for (let i = 0; i < sorted.length; i += ENTRIES_PER_BLOCK) {
      const block = sorted.slice(i, i + ENTRIES_PER_BLOCK);
      const p = new ByteWriter().u16(block.length);
      for (const e of block) { writeKey(p, e.version, e.type, e.pid); p.u64(e.loc.offset).u32(e.loc.length); }
      const framed = frame(p.result());
      lookup.push({ first: block[0]!, offset: w.length, length: framed.length });
      w.bytes(framed);
    }
    const lp = new ByteWriter().u64(this.size).u32(lookup.length);
    for (const l of lookup) { writeKey(lp, l.first.version, l.first.type, l.first.pid); lp.u64(l.first.loc.offset).u32(l.first.loc.length).u64(l.offset).u32(l.length); }
    const lookupFrame = frame(lp.result());
    const lookupOffset = w.length;
    w.bytes(lookupFrame);
    const footer = new ByteWriter().u32(MAGIC).u64(lookupOffset).u32(lookupFrame.length);
    footer.u32(checksum(footer.result()));
    w.bytes(footer.result());
    const tmp = `${this.indexPath}.tmp`;
    const fd = openSync(tmp, 'w');
    const bytes = w.result();
    writeSync(fd, bytes, 0, bytes.length, 0);
    this.counters.bytesWritten += bytes.length;
    fsyncSync(fd);
    this.counters.fsyncs++;
    closeSync(fd);
    renameSync(tmp, this.indexPath);
    this.indexFd = openSync(this.indexPath, 'r');
    this.lookup = lookup;
    this.sealed = true;
    this.mem.clear();
    this.entries = [];
  }

  /** Loads the lookup block of an existing index file; returns false if it is missing or damaged. */
  loadIndex(): boolean {
    const path = this.indexPath;
    if (!existsSync(path)) return false;
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size < FOOTER) return false;
      const footer = new Uint8Array(FOOTER);
      readSync(fd, footer, 0, FOOTER, size - FOOTER);
      const r = new ByteReader(footer, `${segmentIndexName(this.id)} footer`);
      const magic = r.u32('magic');
      const lookupOffset = r.u64('lookup offset');
      const lookupLength = r.u32('lookup length');
      if (magic !== MAGIC || checksum(footer.subarray(0, 16)) !== r.u32('checksum')) return false;
      if (lookupOffset + lookupLength + FOOTER !== size) return false;
      const buf = new Uint8Array(lookupLength);
      readSync(fd, buf, 0, lookupLength, lookupOffset);
      this.counters.fileReads += 2;
      const f = checkFrame(buf, 0);
      if (!f.ok || f.end !== buf.length) return false;
      const lr = new ByteReader(f.payload, `${segmentIndexName(this.id)} lookup block`);
      const logSize = lr.u64('log size');
      if (logSize !== this.size) throw new CorruptError(`${segmentIndexName(this.id)} covers ${logSize} bytes of the log, which has ${this.size}`);
      const n = lr.u32('block count');
      const lookup: LookupEntry[] = [];
      for (let i = 0; i < n; i++) {
        const k = readKey(lr);
        const loc = { offset: lr.u64('record offset'), length: lr.u32('record length') };
        lookup.push({ first: { ...k, loc }, offset: lr.u64('block offset'), length: lr.u32('block length') });
      }
      lr.end();
      this.lookup = lookup;
      this.sealed = true;
      this.indexFd = openSync(path, 'r');
      if (lookup.length > 0) {
        this.minVersion = lookup[0]!.first.version;
        const lastBlock = this.readBlock(lookup.length - 1);
        this.maxVersion = lastBlock[lastBlock.length - 1]!.version;
      }
      return true;
    } catch (e) {
      if (e instanceof CorruptError) throw e;
      if (e instanceof DecodeError) return false;
      throw e;
    } finally {
      closeSync(fd);
    }
  }

  private readBlock(i: number): IndexEntry[] {
    const cached = this.blockCache.get(i);
    if (cached !== undefined) {
      this.blockCache.delete(i);
      this.blockCache.set(i, cached);
      this.counters.indexCacheHits++;
      return cached;
    }
    const l = this.lookup[i]!;
    const buf = new Uint8Array(l.length);
    readSync(this.indexFd!, buf, 0, l.length, l.offset);
    this.counters.fileReads++;
    this.counters.indexBlockReads++;
    this.counters.bytesRead += l.length;
    const f = checkFrame(buf, 0);
    if (!f.ok) throw new CorruptError(`${segmentIndexName(this.id)} index block ${i}: ${f.reason}`);
    const r = new ByteReader(f.payload, `${segmentIndexName(this.id)} index block ${i}`);
    const n = r.u16('entry count');
    const entries: IndexEntry[] = [];
    for (let j = 0; j < n; j++) {
      const k = readKey(r);
      entries.push({ ...k, loc: { offset: r.u64('record offset'), length: r.u32('record length') } });
    }
    r.end();
    this.blockCache.set(i, entries);
    if (this.blockCache.size > this.blockCacheSize) this.blockCache.delete(this.blockCache.keys().next().value!);
    return entries;
  }

  /** Finds the record with the exact page key, or undefined. */
  find(version: number, type: number, pid: string): RecordLoc | undefined {
    if (!this.sealed) return this.mem.get(keyString(version, type, pid));
    const key = { version, type, pid };
    let lo = 0;
    let hi = this.lookup.length - 1;
    let block = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeys(this.lookup[mid]!.first, key) <= 0) { block = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (block < 0) return undefined;
    const entries = this.readBlock(block);
    lo = 0;
    hi = entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareKeys(entries[mid]!, key);
      if (c === 0) return entries[mid]!.loc;
      if (c < 0) lo = mid + 1; else hi = mid - 1;
    }
    return undefined;
  }

  /** Every index entry (used by pruning to decide whether a sealed segment still holds live records). */
  allEntries(): IndexEntry[] {
    if (!this.sealed) return this.entries;
    return this.lookup.flatMap((_, i) => this.readBlock(i));
  }

  readRecord(loc: RecordLoc): Uint8Array {
    const buf = new Uint8Array(loc.length);
    const n = readSync(this.fd, buf, 0, loc.length, loc.offset);
    this.counters.fileReads++;
    this.counters.bytesRead += loc.length;
    if (n !== loc.length) throw new CorruptError(`${segmentLogName(this.id)}: record at byte ${loc.offset} is cut off`);
    const f = checkFrame(buf, 0);
    if (!f.ok || f.end !== loc.length) throw new CorruptError(`${segmentLogName(this.id)}: record at byte ${loc.offset}: ${f.ok ? 'length differs from the index' : f.reason}`);
    return f.payload;
  }

  close(): void {
    closeSync(this.fd);
    if (this.indexFd !== undefined) closeSync(this.indexFd);
    this.indexFd = undefined;
  }

  remove(): void {
    this.close();
    unlinkSync(this.logPath);
    if (existsSync(this.indexPath)) unlinkSync(this.indexPath);
  }
}
