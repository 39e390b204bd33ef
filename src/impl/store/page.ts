/**
 * DMM-Tree pages: a page holds a two-level subtree (its top node at an even depth and up to 16
 * second-level nodes), so 17 nodes of 16 slots, 272 slots in all. Page records on disk are base
 * pages (every non-empty slot) or cumulative delta pages (every slot changed since the page's last
 * base, with its content at the delta's version).
 */
import { ByteReader, ByteWriter, DecodeError } from './bytes.js';
import { leafHashOf, nodeHashOf } from './hash.js';

export interface Leaf {
  readonly k: 1;
  readonly version: number;
  readonly path: Uint8Array;
  readonly valueHash: Uint8Array;
  readonly file: number;
  readonly offset: number;
  readonly length: number;
  /** Computed on first use; the leaf hash never depends on the location. */
  hash?: Uint8Array;
}
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
  /** Version of the record this state was last written as (0 while only in memory). */
  version: number;
  /** Version of the base page the current delta chain starts from. */
  baseVersion: number;
  /** Slot updates since the base. */
  updates: number;
  /** Slots changed since the base (slot index = node * 16 + child). */
  changed: Set<number>;
  /** nodes[0] is the top node, nodes[1 + n] the second-level node under top child n. */
  nodes: (Slot[] | null)[];
}

export const slotHash = (s: Slot): Uint8Array | undefined => {
  if (s === null) return undefined;
  if (s.k === 2) return s.hash;
  return (s.hash ??= leafHashOf(s.path, s.valueHash));
};

export const nodeHashOfSlots = (slots: readonly Slot[]): Uint8Array => nodeHashOf(slots.map(slotHash));

export const emptyPage = (pid: string): Page => ({ pid, version: 0, baseVersion: 0, updates: 0, changed: new Set(), nodes: [Array<Slot>(16).fill(null), ...Array<null>(16).fill(null)] });

export const clonePage = (p: Page): Page => ({ ...p, changed: new Set(p.changed), nodes: p.nodes.map((n) => (n === null ? null : n.slice())) });

export const slotAt = (p: Page, index: number): Slot => p.nodes[index >> 4]?.[index & 15] ?? null;

export const BASE = 0;
export const DELTA = 1;
export const TREE_ID = 0;

export interface PageRecord {
  readonly type: number;
  readonly version: number;
  readonly tid: number;
  readonly pid: string;
  readonly baseVersion: number;
  readonly updates: number;
  readonly items: readonly (readonly [number, Slot])[];
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

export const encodePageRecord = (rec: PageRecord): Uint8Array => {
  const w = new ByteWriter();
  writeKey(w, rec.version, rec.type, rec.pid);
  w.u64(rec.baseVersion).u32(rec.updates).u16(rec.items.length);
  for (const [index, s] of rec.items) {
    w.u16(index);
    if (s === null) w.u8(0);
    else if (s.k === 2) w.u8(2).u64(s.version).bytes(s.hash);
    else w.u8(1).u64(s.version).bytes(s.path).bytes(s.valueHash).u32(s.file).u32(s.offset).u32(s.length);
  }
  return w.result();
};

/** Decodes a page record payload; throws DecodeError (caught by the caller) on any bad field. */
export const decodePageRecord = (payload: Uint8Array, what: string): PageRecord => {
  const r = new ByteReader(payload, what);
  const { version, type, pid } = readKey(r);
  const tid = TREE_ID;
  const baseVersion = r.u64('base version');
  if (type === BASE ? baseVersion !== version : baseVersion >= version) throw new DecodeError(`${what}: base version ${baseVersion} does not fit a ${type === BASE ? 'base' : 'delta'} at version ${version}`);
  const updates = r.u32('update count');
  const count = r.u16('item count');
  const items: [number, Slot][] = [];
  let last = -1;
  for (let i = 0; i < count; i++) {
    const index = r.u16('slot index');
    if (index >= SLOTS || index <= last) throw new DecodeError(`${what}: slot index ${index} of item ${i} is out of order or beyond ${SLOTS - 1}`);
    last = index;
    const kind = r.u8('slot kind');
    if (kind === 0) items.push([index, null]);
    else if (kind === 2) items.push([index, { k: 2, version: r.u64('node version'), hash: r.bytes(32, 'node hash') }]);
    else if (kind === 1) {
      const v = r.u64('leaf version');
      items.push([index, { k: 1, version: v, path: r.bytes(32, 'leaf path'), valueHash: r.bytes(32, 'value hash'), file: r.u32('value file'), offset: r.u32('value offset'), length: r.u32('value length') }]);
    } else throw new DecodeError(`${what}: slot kind ${kind} of item ${i} is not 0, 1 or 2`);
    const s = items[items.length - 1]![1];
    if (s !== null && s.version > version) throw new DecodeError(`${what}: slot ${index} has version ${s.version} above the page version ${version}`);
  }
  r.end();
  if (type === BASE && items.some(([, s]) => s === null)) throw new DecodeError(`${what}: a base page lists an empty slot`);
  return { type, version, tid, pid, baseVersion, updates, items };
};

const nibbleOfHex = (pid: string, i: number): number => parseInt(pid[i]!, 16);

/**
 * Applies record items to a page state, then drops second-level nodes whose top slot is no longer
 * an index node, and checks that every slot is where its path says it is.
 */
export const replay = (page: Page, items: PageRecord['items'], what: string): void => {
  for (const [index, s] of items) {
    const node = index >> 4;
    if (page.nodes[node] === null) page.nodes[node] = Array<Slot>(16).fill(null);
    page.nodes[node]![index & 15] = s;
  }
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
