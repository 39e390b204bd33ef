/**
 * DMM-Tree pages: a page holds a two-level subtree (its top node at an even depth and up to 16
 * second-level nodes), so 17 nodes of 16 slots, 272 slots in all. Page records on disk are written
 * at checkpoints: a record lists the page's slot changes (items) of the versions since the previous
 * checkpoint, each slot change once, in version order. A base record also carries the page's full
 * state before those items; a delta record names the previous record of the page instead.
 */
import { ByteReader, ByteWriter, DecodeError, putVarint } from './bytes.js';
import { leafHashOf, nodeHashOf } from './hash.js';

export interface Leaf {
  readonly k: 1;
  readonly version: number;
  readonly path: Uint8Array;
  readonly valueHash: Uint8Array;
  readonly file: number;
  readonly offset: number;
  readonly length: number;
  /**
   * Computed on first use; the leaf hash never depends on the location. Every leaf is created with
   * the field (undefined until computed), so that all leaves share one object shape.
   */
  hash: Uint8Array | undefined;
}

/** The same leaf at another version (a leaf moving to another depth keeps its hash). */
export const leafAt = (l: Leaf, version: number): Leaf => ({ k: 1, version, path: l.path, valueHash: l.valueHash, file: l.file, offset: l.offset, length: l.length, hash: l.hash });

/** A new leaf, its hash not yet computed. */
export const newLeaf = (version: number, path: Uint8Array, valueHash: Uint8Array, file: number, offset: number, length: number): Leaf =>
  ({ k: 1, version, path, valueHash, file, offset, length, hash: undefined });

export interface NodeRef {
  readonly k: 2;
  readonly version: number;
  readonly hash: Uint8Array;
}
export type Slot = Leaf | NodeRef | null;

export const SLOTS = 17 * 16;

export interface Page {
  /** Path prefix of the page's top node as lowercase hex nibbles ('' for the root page). */
  readonly pid: string;
  /** The version whose state this is (the version of the page's last change up to it). */
  at: number;
  /** Versions of the page records this state is read from, base first; empty while it is only in memory. */
  chain: readonly number[];
  /** Slot changes recorded since the chain's base. */
  updates: number;
  /** Slots changed by the commit in progress (slot index = node * 16 + child). */
  changed: Set<number>;
  /** nodes[0] is the top node, nodes[1 + n] the second-level node under top child n. */
  nodes: (Slot[] | null)[];
  /** Bit n set: nodes[n] belongs to this page and may be changed (the others are shared with the page it was cloned from). */
  owned: number;
}

export const slotHash = (s: Slot): Uint8Array | undefined => {
  if (s === null) return undefined;
  if (s.k === 2) return s.hash;
  return (s.hash ??= leafHashOf(s.path, s.valueHash));
};

const hashes: (Uint8Array | undefined)[] = new Array(16);
export const nodeHashOfSlots = (slots: readonly Slot[]): Uint8Array => {
  for (let i = 0; i < 16; i++) hashes[i] = slotHash(slots[i]!);
  return nodeHashOf(hashes);
};

const ALL_NODES = (1 << 17) - 1;

export const emptyPage = (pid: string): Page => ({ pid, at: 0, chain: [], updates: 0, changed: new Set(), nodes: [Array<Slot>(16).fill(null), ...Array<null>(16).fill(null)], owned: ALL_NODES });

/**
 * A copy for a commit to change: it shares the node arrays of `p` until it takes one (`ownNode`),
 * since a commit changes a few nodes of a page; slot objects are immutable and always shared.
 */
export const clonePage = (p: Page): Page => ({ pid: p.pid, at: p.at, chain: p.chain, updates: p.updates, changed: new Set(), nodes: p.nodes.slice(), owned: 0 });

/** A copy that owns all its node arrays. */
export const copyPage = (p: Page): Page => ({ ...clonePage(p), nodes: p.nodes.map((n) => (n === null ? null : n.slice())), owned: ALL_NODES });

/** The slots of node `n` of a cloned page, copied first if they are still shared. */
export const ownNode = (p: Page, n: number): Slot[] => {
  if (((p.owned >> n) & 1) === 0) {
    p.nodes[n] = p.nodes[n]!.slice();
    p.owned |= 1 << n;
  }
  return p.nodes[n]!;
};

/** Whether the page has at most `limit` non-empty slots (counting stops past the limit). */
export const filledAtMost = (p: Page, limit: number): boolean => {
  let k = 0;
  for (const slots of p.nodes) if (slots !== null) for (const x of slots) if (x !== null && ++k > limit) return false;
  return true;
};

export const slotAt = (p: Page, index: number): Slot => p.nodes[index >> 4]?.[index & 15] ?? null;

export const BASE = 0;
export const DELTA = 1;
export const TREE_ID = 0;

/** One slot change: the slot `index` of the page became `slot` at `version`. */
export type Item = readonly [version: number, index: number, slot: Slot];

export interface PageRecord {
  readonly type: number;
  /** The checkpoint version the record was written at. */
  readonly version: number;
  readonly tid: number;
  readonly pid: string;
  /** A delta's previous record of the page (0 for a base). */
  readonly prev: number;
  /** Slot changes since the base, this record's included (0 for a base). */
  readonly updates: number;
  /** A base's page state before its items: every non-empty slot, in slot order. */
  readonly start: readonly (readonly [number, Slot])[];
  /** The slot changes since the previous checkpoint, by version, then slot. */
  readonly items: readonly Item[];
}

const packPid = (w: ByteWriter, pid: string): void => {
  w.u8(pid.length);
  w.bytes(Uint8Array.from(Buffer.from(pid.length % 2 ? `${pid}0` : pid, 'hex')));
};

const readPid = (r: ByteReader): string => {
  const n = r.u8('pid length');
  if (n % 2 !== 0 || n > 62) throw new DecodeError(`${r.what}: page id length ${n} is not an even number up to 62`);
  return Buffer.from(r.bytes(n / 2, 'pid')).toString('hex');
};

export const writeKey = (w: ByteWriter, version: number, type: number, pid: string): void => {
  w.u64(version).u8(TREE_ID).u8(type);
  packPid(w, pid);
};

export const readKey = (r: ByteReader): { version: number; type: number; pid: string } => {
  const version = r.u64('version');
  const tid = r.u8('tree id');
  if (tid !== TREE_ID) throw new DecodeError(`${r.what}: tree id ${tid} is unknown`);
  const type = r.u8('page type');
  if (type !== BASE && type !== DELTA) throw new DecodeError(`${r.what}: page type ${type} is neither base (0) nor delta (1)`);
  return { version, type, pid: readPid(r) };
};

/** Most bytes one slot's content takes: kind, path, value hash and three LEB128 integers. */
const MAX_CONTENT = 1 + 64 + 3 * 8;

/** Writes a slot's content at `at` (room must be reserved); returns the end. */
const putContent = (buf: Uint8Array, at: number, s: Slot): number => {
  if (s === null) { buf[at] = 0; return at + 1; }
  let p = at + 1;
  if (s.k === 2) {
    buf[at] = 2;
    buf.set(s.hash, p);
    return p + 32;
  }
  buf[at] = 1;
  buf.set(s.path, p);
  buf.set(s.valueHash, p + 32);
  p += 64;
  p = putVarint(buf, p, s.file);
  p = putVarint(buf, p, s.offset);
  return putVarint(buf, p, s.length);
};


const readContent = (r: ByteReader, version: number, what: string, i: number): Slot => {
  const kind = r.u8('slot kind');
  if (kind === 0) return null;
  if (kind === 2) return { k: 2, version, hash: r.bytes(32, 'node hash') };
  if (kind === 1) return newLeaf(version, r.bytes(32, 'leaf path'), r.bytes(32, 'value hash'), r.varint('value file'), r.varint('value offset'), r.varint('value length'));
  throw new DecodeError(`${what}: slot kind ${kind} of item ${i} is not 0, 1 or 2`);
};

/**
 * Record payload: page key, the update count, a delta's previous record or a base's start slots
 * (index, version, content), then the items (version as a distance below the record's version,
 * index, content; the slot's version is the item's).
 */
export const encodePageRecord = (rec: PageRecord, w: ByteWriter = new ByteWriter()): ByteWriter => {
  writeKey(w, rec.version, rec.type, rec.pid);
  w.varint(rec.updates);
  if (rec.type === DELTA) w.varint(rec.prev);
  else w.varint(rec.start.length);
  // The slots are written in place: a checkpoint writes thousands of them.
  let buf = w.reserve(rec.start.length * (10 + MAX_CONTENT) + 8);
  let at = w.length;
  for (const [index, s] of rec.start) {
    buf[at] = index >> 8;
    buf[at + 1] = index & 0xff;
    at = putContent(buf, putVarint(buf, at + 2, s?.version ?? 0), s);
  }
  w.length = at;
  w.varint(rec.items.length);
  buf = w.reserve(rec.items.length * (10 + MAX_CONTENT));
  at = w.length;
  for (const [version, index, s] of rec.items) {
    at = putVarint(buf, at, rec.version - version);
    buf[at] = index >> 8;
    buf[at + 1] = index & 0xff;
    at = putContent(buf, at + 2, s);
  }
  w.length = at;
  return w;
};

/** Decodes a page record payload; throws DecodeError (caught by the caller) on any bad field. */
export const decodePageRecord = (payload: Uint8Array, what: string): PageRecord => {
  const r = new ByteReader(payload, what);
  const { version, type, pid } = readKey(r);
  const updates = r.varint('update count');
  let prev = 0;
  const start: [number, Slot][] = [];
  if (type === DELTA) {
    prev = r.varint('previous record');
    if (prev === 0 || prev >= version) throw new DecodeError(`${what}: previous record ${prev} does not fit a delta at version ${version}`);
  } else {
    const n = r.varint('start slot count');
    let last = -1;
    for (let i = 0; i < n; i++) {
      const index = r.u16('slot index');
      if (index >= SLOTS || index <= last) throw new DecodeError(`${what}: start slot ${index} is out of order or beyond ${SLOTS - 1}`);
      last = index;
      const v = r.varint('slot version');
      const s = readContent(r, v, what, i);
      if (s === null) throw new DecodeError(`${what}: a base page lists an empty start slot`);
      if (v === 0 || v > version) throw new DecodeError(`${what}: start slot ${index} has version ${v}, outside 1..${version}`);
      start.push([index, s]);
    }
  }
  const count = r.varint('item count');
  const items: Item[] = [];
  let lastVersion = -1;
  let lastIndex = -1;
  for (let i = 0; i < count; i++) {
    const d = r.varint('item version distance');
    const v = version - d;
    const index = r.u16('slot index');
    if (v <= prev || v < 1) throw new DecodeError(`${what}: item ${i} has version ${v}, not above ${Math.max(prev, 0)}`);
    if (index >= SLOTS || v < lastVersion || (v === lastVersion && index <= lastIndex)) throw new DecodeError(`${what}: item ${i} (slot ${index} at version ${v}) is out of order or beyond slot ${SLOTS - 1}`);
    lastVersion = v;
    lastIndex = index;
    items.push([v, index, readContent(r, v, what, i)]);
  }
  r.end();
  return { type, version, tid: TREE_ID, pid, prev, updates, start, items };
};

/** Sets the slots of a record on a page state: a base's start slots, then its items up to version `upTo`. */
export const applyRecord = (page: Page, rec: PageRecord, upTo: number): void => {
  for (const [index, s] of rec.start) setAt(page, index, s);
  applyItems(page, rec.items, upTo);
};

/** Sets the slots of items (in version order) up to version `upTo`. */
export const applyItems = (page: Page, items: readonly Item[], upTo: number): void => {
  for (const [version, index, s] of items) {
    if (version > upTo) break;
    setAt(page, index, s);
  }
};

export const setAt = (page: Page, index: number, s: Slot): void => {
  const node = index >> 4;
  if (page.nodes[node] === null) { page.nodes[node] = Array<Slot>(16).fill(null); page.owned |= 1 << node; }
  ownNode(page, node)[index & 15] = s;
};

const nibbleOfHex = (pid: string, i: number): number => parseInt(pid[i]!, 16);

/**
 * Finishes a page state built from records: drops second-level nodes whose top slot is no longer an
 * index node, and checks that every slot is where its path says it is.
 */
export const settle = (page: Page, what: string): void => {
  const top = page.nodes[0]!;
  for (let n = 0; n < 16; n++) {
    const isNode = top[n]?.k === 2;
    if (!isNode) page.nodes[1 + n] = null;
    else if (page.nodes[1 + n] === null) throw new DecodeError(`${what}: top child ${n} is an index node but its slots are missing`);
  }
  const depth = page.pid.length;
  page.nodes.forEach((slots, node) => {
    slots?.forEach((s, child) => {
      if (s === null || s.k !== 1) return;
      const expect = node === 0 ? [child] : [node - 1, child];
      for (let i = 0; i < depth; i++) {
        const b = s.path[i >> 1]!;
        if (((i & 1) === 0 ? b >> 4 : b & 15) !== nibbleOfHex(page.pid, i)) throw new DecodeError(`${what}: leaf in slot ${node * 16 + child} does not lie under page ${page.pid}`);
      }
      expect.forEach((n, j) => {
        const i = depth + j;
        const b = s.path[i >> 1]!;
        if (((i & 1) === 0 ? b >> 4 : b & 15) !== n) throw new DecodeError(`${what}: leaf in slot ${node * 16 + child} has the wrong nibble at depth ${i}`);
      });
    });
  });
};

/** Applies (index, slot) pairs to a page state and settles it. */
export const replay = (page: Page, items: readonly (readonly [number, Slot])[], what: string): void => {
  for (const [index, s] of items) setAt(page, index, s);
  settle(page, what);
};
