/**
 * Byte-level building blocks of the on-disk formats: a growable writer, a bounds-checked reader
 * over untrusted bytes, and checksummed frames ([u32 length][u32 crc32][payload]).
 */
import { crc32 } from 'node:zlib';

/** Raised by `ByteReader` when bytes run out or a field is out of range; decoders turn it into a Result. */
export class DecodeError extends Error {}

/** Writes a non-negative safe integer as LEB128 (7 bits a byte, low bits first, high bit set on all but the last) at `at`; returns the end. */
export const putVarint = (buf: Uint8Array, at: number, x: number): number => {
  let p = at;
  let v = x;
  while (v >= 0x80) { buf[p++] = (v % 0x80) | 0x80; v = Math.floor(v / 0x80); }
  buf[p++] = v;
  return p;
};

export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(x: number): this { this.room(1); this.buf[this.length++] = x; return this; }
  u16(x: number): this { this.room(2); this.view.setUint16(this.length, x); this.length += 2; return this; }
  u32(x: number): this { this.room(4); this.view.setUint32(this.length, x >>> 0); this.length += 4; return this; }
  /** A non-negative safe integer as 8 bytes big-endian. */
  u64(x: number): this {
    this.room(8);
    this.view.setUint32(this.length, Math.floor(x / 2 ** 32));
    this.view.setUint32(this.length + 4, x >>> 0);
    this.length += 8;
    return this;
  }
  /** A non-negative safe integer as LEB128 (`putVarint`). */
  varint(x: number): this {
    this.room(8);
    this.length = putVarint(this.buf, this.length, x);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    // Most fields are 32 bytes or less, where a loop beats TypedArray.set.
    if (b.length <= 64) { const buf = this.buf; const at = this.length; for (let k = 0; k < b.length; k++) buf[at + k] = b[k]!; } else this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  /** Makes room for `n` more bytes and returns the buffer, for callers that write many fields in place and then set `length`. */
  reserve(n: number): Uint8Array { this.room(n); return this.buf; }
  /** Starts a frame built in place: its header, filled in by `endFrame(at)` once the payload is written. */
  beginFrame(): number { const at = this.length; this.u32(0).u32(0); return at; }
  /** Writes the length and checksum of the frame begun at `at`. */
  endFrame(at: number): void {
    this.view.setUint32(at, this.length - at - FRAME_HEADER);
    this.view.setUint32(at + 4, checksum(this.buf.subarray(at + FRAME_HEADER, this.length)));
  }
  result(): Uint8Array { return this.buf.slice(0, this.length); }
  view_(): Uint8Array { return this.buf.subarray(0, this.length); }
}

export class ByteReader {
  private readonly view: DataView;
  at = 0;
  constructor(readonly buf: Uint8Array, readonly what: string) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number, field: string): void {
    if (this.at + n > this.buf.length) throw new DecodeError(`${this.what}: ${field} at byte ${this.at} needs ${n} bytes, ${this.buf.length - this.at} left`);
  }
  u8(field: string): number { this.need(1, field); return this.buf[this.at++]!; }
  u16(field: string): number { this.need(2, field); const x = this.view.getUint16(this.at); this.at += 2; return x; }
  u32(field: string): number { this.need(4, field); const x = this.view.getUint32(this.at); this.at += 4; return x; }
  u64(field: string): number {
    this.need(8, field);
    const hi = this.view.getUint32(this.at);
    const lo = this.view.getUint32(this.at + 4);
    if (hi >= 2 ** 21) throw new DecodeError(`${this.what}: ${field} at byte ${this.at} exceeds 2^53`);
    this.at += 8;
    return hi * 2 ** 32 + lo;
  }
  /** A LEB128 integer (see ByteWriter.varint): at most 8 bytes, below 2^53, no redundant high zero byte. */
  varint(field: string): number {
    let x = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      this.need(1, field);
      const b = this.buf[this.at++]!;
      x += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw new DecodeError(`${this.what}: ${field} at byte ${this.at - i - 1} has a redundant zero byte`);
        if (x > Number.MAX_SAFE_INTEGER) throw new DecodeError(`${this.what}: ${field} at byte ${this.at - i - 1} exceeds 2^53`);
        return x;
      }
      scale *= 0x80;
    }
    throw new DecodeError(`${this.what}: ${field} at byte ${this.at - 8} is longer than 8 bytes`);
  }
  bytes(n: number, field: string): Uint8Array { this.need(n, field); const b = this.buf.slice(this.at, this.at + n); this.at += n; return b; }
  /** The next n bytes as a view into the buffer, without copying. */
  subarray(n: number, field: string): Uint8Array { this.need(n, field); const b = this.buf.subarray(this.at, this.at + n); this.at += n; return b; }
  rest(): Uint8Array { const b = this.buf.slice(this.at); this.at = this.buf.length; return b; }
  end(): void {
    if (this.at !== this.buf.length) throw new DecodeError(`${this.what}: ${this.buf.length - this.at} unexpected trailing bytes at byte ${this.at}`);
  }
}

export const checksum = (payload: Uint8Array): number => crc32(payload) >>> 0;

export const FRAME_HEADER = 8;
/** No frame in any store file is larger than this; a bigger length field is corruption. */
export const MAX_FRAME = 64 * 1024 * 1024;

/** Wraps a payload in a frame. */
export const frame = (payload: Uint8Array): Uint8Array => {
  const out = new Uint8Array(FRAME_HEADER + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, payload.length);
  v.setUint32(4, checksum(payload));
  out.set(payload, FRAME_HEADER);
  return out;
};

export type FrameCheck =
  | { readonly ok: true; readonly payload: Uint8Array; readonly end: number }
  | { readonly ok: false; readonly reason: string; readonly complete: boolean };

/**
 * Checks the frame starting at `at` inside `buf`. `complete` tells whether the frame's declared
 * length fits in the bytes available, which separates a torn final write from a damaged record.
 */
export const checkFrame = (buf: Uint8Array, at: number): FrameCheck => {
  if (at + FRAME_HEADER > buf.length) return { ok: false, reason: `frame header at byte ${at} is cut off (${buf.length - at} bytes)`, complete: false };
  const v = new DataView(buf.buffer, buf.byteOffset + at, FRAME_HEADER);
  const len = v.getUint32(0);
  const sum = v.getUint32(4);
  if (len === 0 || len > MAX_FRAME) return { ok: false, reason: `frame at byte ${at} declares length ${len}`, complete: true };
  if (at + FRAME_HEADER + len > buf.length) return { ok: false, reason: `frame at byte ${at} declares ${len} bytes, only ${buf.length - at - FRAME_HEADER} present`, complete: false };
  const payload = buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + len);
  if (checksum(payload) !== sum) return { ok: false, reason: `frame at byte ${at} fails its checksum`, complete: true };
  return { ok: true, payload, end: at + FRAME_HEADER + len };
};

export interface FrameScan {
  readonly frames: readonly { readonly offset: number; readonly payload: Uint8Array }[];
  /** End of the last good frame. */
  readonly goodEnd: number;
  /** Set when bytes after `goodEnd` do not form a good frame. */
  readonly bad?: { readonly offset: number; readonly reason: string; readonly last: boolean };
}

/**
 * Reads consecutive frames. A bad frame that is the last thing in the buffer (its declared end is
 * at or past the end, or it is cut off) is a torn tail; a bad frame followed by more bytes is not.
 */
export const scanFrames = (buf: Uint8Array): FrameScan => {
  const frames: { offset: number; payload: Uint8Array }[] = [];
  let at = 0;
  while (at < buf.length) {
    const f = checkFrame(buf, at);
    if (!f.ok) {
      let last = !f.complete;
      if (f.complete && at + FRAME_HEADER <= buf.length) {
        const len = new DataView(buf.buffer, buf.byteOffset + at, 4).getUint32(0);
        last = len > 0 && len <= MAX_FRAME && at + FRAME_HEADER + len >= buf.length;
      }
      return { frames, goodEnd: at, bad: { offset: at, reason: f.reason, last } };
    }
    frames.push({ offset: at, payload: f.payload });
    at = f.end;
  }
  return { frames, goodEnd: at };
};
