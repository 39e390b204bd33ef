/** I/O counters exposed for benchmarks: what the engine read and wrote, and how often. */
export interface Counters {
  /** Page records decoded from disk (base or delta). */
  pageLoads: number;
  /** Page lookups answered by the page cache. */
  pageCacheHits: number;
  /** Calls that read a file: page records, index blocks, values, and whole-log scans on open. */
  fileReads: number;
  indexBlockReads: number;
  indexCacheHits: number;
  valueReads: number;
  bytesRead: number;
  bytesWritten: number;
  fsyncs: number;
  baseWrites: number;
  deltaWrites: number;
  /** Checkpoints written (each writes the pages changed since the one before). */
  checkpoints: number;
}

export const zeroCounters = (): Counters => ({
  pageLoads: 0, pageCacheHits: 0, fileReads: 0, indexBlockReads: 0, indexCacheHits: 0, valueReads: 0,
  bytesRead: 0, bytesWritten: 0, fsyncs: 0, baseWrites: 0, deltaWrites: 0, checkpoints: 0,
});
