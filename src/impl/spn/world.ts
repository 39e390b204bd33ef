/**
 * The indexed implementation of the SPN state machine: the same actions, preconditions, error
 * codes and projection as `src/model/spn`, over mutable state with indexes (leaf positions, an
 * incremental Merkle tree per SPN head, restake totals per SPN, queued unrestakes per validator,
 * pending messages per destination, signatures per header) so that each action costs time in
 * what it touches rather than in the size of the world. A step validates everything before it
 * mutates anything, so a failed step leaves the world unchanged. The world passed to `step` is
 * updated in place and returned.
 *
 * @module
 */
import type { Result } from '../../model/encoding/result.js';
import type {
  Genesis, Header, Leaf, LocalTx, MailboxEntry, MerkleProof, Message, OutboxEntry, SpnAction, SpnGlobalParams, SpnParams, SpnStatus, WithdrawalEntry,
} from '../../model/spn/types.js';
import type { WorldProjection } from '../../model/spn/world.js';
import { genesisHashOf, headerHashOf, IncrementalTree, leafBytes, messageIdOf, outboxBytes, rootOf, toHex, verifyProof, ZERO_HEX } from './merkle.js';

type Act<T extends SpnAction['type']> = Extract<SpnAction, { type: T }>;

const err = (code: string, message: string): { ok: false; error: { code: string; message: string } } => ({ ok: false, error: { code, message } });
const ID = /^[a-z0-9][a-z0-9._-]{0,31}$/;
const badId = (...xs: string[]): ReturnType<typeof err> | undefined => {
  for (const x of xs) if (!ID.test(x)) return err('Spn.Input.BAD_ID', `${JSON.stringify(x)} is not a valid id`);
  return undefined;
};
const badAmount = (x: bigint, what: string): ReturnType<typeof err> | undefined => (x > 0n ? undefined : err('Spn.Input.BAD_AMOUNT', `${what} must be positive, got ${x}`));

interface Block {
  readonly header: Header;
  readonly hash: string;
  readonly leaves: readonly Leaf[];
  readonly outbox: readonly OutboxEntry[];
}

interface Chain {
  blocks: Block[];
  /** Head balances in leaf order, with a position index and an incremental tree. */
  keys: { account: string; asset: string }[];
  balances: bigint[];
  index: Map<string, number>;
  tree: IncrementalTree;
  forcedProcessed: number;
  nextNonce: number;
  nextSeq: Map<string, number>;
  executed: Set<string>;
}

interface ForcedOp { kind: 'deposit' | 'withdraw'; account: string; asset: string; amount: bigint; enqueuedAt: number }

interface Spn {
  id: string;
  admin: string;
  operator: string;
  params: SpnParams;
  status: SpnStatus;
  committed: { hash: string; header: Header; committedAt: number }[];
  lastProgressAt: number;
  escrow: Map<string, bigint>;
  forcedQueue: ForcedOp[];
  frozen?: { root: string; forcedProcessed: number; at: number };
  claimed: Set<string>;
  refunded: Set<number>;
  tombstoned: Set<string>;
  pendingParams?: { params: SpnParams; readyAt: number };
  /** Validator set per epoch, power per validator. */
  validatorSets: Map<number, Map<string, bigint>>;
  /** Sum of allocations to this SPN over all validators. */
  restaked: bigint;
  chain: Chain;
}

interface Validator { stake: bigint; alloc: Map<string, bigint>; queued: bigint }
interface Unrestake { id: number; validator: string; spn: string; amount: bigint; readyAt: number }

export interface ImplWorld {
  params: SpnGlobalParams;
  height: number;
  balances: Map<string, bigint>;
  validators: Map<string, Validator>;
  byzantine: Set<string>;
  unrestakes: Map<number, Unrestake>;
  nextUnrestakeId: number;
  burned: bigint;
  evidence: Set<string>;
  spns: Map<string, Spn>;
  headers: Map<string, Block>;
  published: Set<string>;
  /** Signers per header hash. */
  signers: Map<string, Set<string>>;
  mailbox: Map<string, MailboxEntry>;
  pendingByDst: Map<string, Set<string>>;
  nextArchiveSeq: Map<string, number>;
  finalized: Set<string>;
  supply: Map<string, bigint>;
}

const bkey = (account: string, asset: string): string => `${account}/${asset}`;
const get = (m: Map<string, bigint>, k: string): bigint => m.get(k) ?? 0n;
const put = (m: Map<string, bigint>, k: string, v: bigint): void => { if (v === 0n) m.delete(k); else m.set(k, v); };

export const genesisWorld = (g: Genesis): Result<ImplWorld> => {
  const p = g.params;
  const intIn = (x: number, lo: number, hi: number): boolean => Number.isSafeInteger(x) && x >= lo && x <= hi;
  if (!intIn(p.incDeadline, 1, 1_000_000) || !intIn(p.liveDeadline, 1, 1_000_000) || !intIn(p.paramDelay, 0, 1_000_000) || !intIn(p.msgTimeout, 1, 1_000_000)) {
    return err('Spn.Genesis.BAD_PARAMS', 'deadlines out of range');
  }
  if (!intIn(p.slashBps, 1, 10_000)) return err('Spn.Genesis.BAD_PARAMS', 'slashBps out of range');
  if (!ID.test(p.stakeAsset)) return err('Spn.Genesis.BAD_ID', 'bad stakeAsset');
  const balances = new Map<string, bigint>();
  const supply = new Map<string, bigint>();
  for (const [i, b] of g.balances.entries()) {
    if (!ID.test(b.account) || !ID.test(b.asset)) return err('Spn.Genesis.BAD_ID', `balance ${i}: bad id`);
    if (b.amount < 0n) return err('Spn.Genesis.BAD_AMOUNT', `balance ${i}: negative`);
    const k = bkey(b.account, b.asset);
    if (balances.has(k)) return err('Spn.Genesis.DUPLICATE_BALANCE', `balance ${i}: duplicate ${k}`);
    if (b.amount > 0n) balances.set(k, b.amount);
    supply.set(b.asset, (supply.get(b.asset) ?? 0n) + b.amount);
  }
  for (const v of g.byzantine) if (!ID.test(v)) return err('Spn.Genesis.BAD_ID', 'bad Byzantine id');
  return {
    ok: true,
    value: {
      params: p, height: 0, balances, validators: new Map(), byzantine: new Set(g.byzantine), unrestakes: new Map(), nextUnrestakeId: 0, burned: 0n,
      evidence: new Set(), spns: new Map(), headers: new Map(), published: new Set(), signers: new Map(), mailbox: new Map(), pendingByDst: new Map(),
      nextArchiveSeq: new Map(), finalized: new Set(), supply,
    },
  };
};

const validator = (w: ImplWorld, v: string): Validator => {
  let rec = w.validators.get(v);
  if (rec === undefined) {
    rec = { stake: 0n, alloc: new Map(), queued: 0n };
    w.validators.set(v, rec);
  }
  return rec;
};
const peekValidator = (w: ImplWorld, v: string): Validator | undefined => w.validators.get(v);
const allocSum = (rec: Validator | undefined): bigint => {
  if (rec === undefined) return 0n;
  let t = 0n;
  for (const x of rec.alloc.values()) t += x;
  return t;
};

/** Validators counting for an SPN's quorum, ascending by id, with their power. */
const quorum = (w: ImplWorld, s: Spn): [string, bigint][] => {
  const out: [string, bigint][] = [];
  for (const [v, rec] of w.validators) {
    const a = rec.alloc.get(s.id) ?? 0n;
    if (a > 0n && !s.tombstoned.has(v)) out.push([v, a]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
};

const spnOf = (w: ImplWorld, id: string): Spn | ReturnType<typeof err> =>
  w.spns.get(id) ?? err('Spn.Lifecycle.UNKNOWN_SPN', `no SPN ${JSON.stringify(id)} is registered`);
const isErr = (x: unknown): x is ReturnType<typeof err> => typeof x === 'object' && x !== null && 'ok' in x && (x as { ok: boolean }).ok === false;

const activeSpn = (w: ImplWorld, id: string, code: string): Spn | ReturnType<typeof err> => {
  const s = spnOf(w, id);
  if (isErr(s)) return s;
  return s.status === 'active' ? s : err(code, `SPN ${id} is ${s.status}, not active`);
};

const done = (w: ImplWorld): Result<ImplWorld> => ({ ok: true, value: w });

// ---------------------------------------------------------------------------------------------

const epochOf = (s: Spn, height: number): number => Math.floor(height / s.params.epochLength);

const activateIfReady = (w: ImplWorld, s: Spn): void => {
  if (s.status !== 'registered') return;
  const q = quorum(w, s);
  let total = 0n;
  for (const [, p] of q) total += p;
  if (q.length >= s.params.targetValidators && total >= s.params.softCap) {
    s.status = 'active';
    s.lastProgressAt = w.height;
    s.validatorSets = new Map([[epochOf(s, w.height), new Map(q)]]);
  }
};

const tick = (w: ImplWorld): Result<ImplWorld> => {
  w.height++;
  for (const s of w.spns.values()) if (s.status === 'active' && w.height % s.params.epochLength === 0) s.validatorSets.set(epochOf(s, w.height), new Map(quorum(w, s)));
  return done(w);
};

const stake = (w: ImplWorld, a: Act<'stake'>): Result<ImplWorld> => {
  const e = badId(a.validator) ?? badAmount(a.amount, 'stake amount');
  if (e) return e;
  const k = bkey(a.validator, w.params.stakeAsset);
  const have = get(w.balances, k);
  if (have < a.amount) return err('Spn.Restake.INSUFFICIENT_BALANCE', `${a.validator} holds ${have}`);
  put(w.balances, k, have - a.amount);
  validator(w, a.validator).stake += a.amount;
  return done(w);
};

const restake = (w: ImplWorld, a: Act<'restake'>): Result<ImplWorld> => {
  const e = badId(a.validator, a.spn) ?? badAmount(a.amount, 'restake amount');
  if (e) return e;
  const s = spnOf(w, a.spn);
  if (isErr(s)) return s;
  if (s.status !== 'registered' && s.status !== 'active') return err('Spn.Restake.SPN_NOT_OPEN', `SPN ${a.spn} is ${s.status}`);
  if (s.tombstoned.has(a.validator)) return err('Spn.Restake.TOMBSTONED', `${a.validator} is tombstoned on ${a.spn}`);
  const rec = peekValidator(w, a.validator);
  const free = (rec?.stake ?? 0n) - allocSum(rec) - (rec?.queued ?? 0n);
  if (free < a.amount) return err('Spn.Restake.INSUFFICIENT_STP', `${a.validator} has ${free} free stP`);
  if (s.restaked + a.amount > s.params.hardCap) return err('Spn.Restake.HARD_CAP', `hard cap ${s.params.hardCap}`);
  const v = validator(w, a.validator);
  v.alloc.set(a.spn, (v.alloc.get(a.spn) ?? 0n) + a.amount);
  s.restaked += a.amount;
  activateIfReady(w, s);
  return done(w);
};

const requestUnrestake = (w: ImplWorld, a: Act<'request-unrestake'>): Result<ImplWorld> => {
  const e = badId(a.validator, a.spn) ?? badAmount(a.amount, 'unrestake amount');
  if (e) return e;
  const rec = peekValidator(w, a.validator);
  const have = rec?.alloc.get(a.spn) ?? 0n;
  if (rec === undefined || have < a.amount) return err('Spn.Restake.INSUFFICIENT_ALLOCATION', `${a.validator} has ${have} restaked to ${a.spn}`);
  if (have === a.amount) rec.alloc.delete(a.spn);
  else rec.alloc.set(a.spn, have - a.amount);
  rec.queued += a.amount;
  const s = w.spns.get(a.spn)!;
  s.restaked -= a.amount;
  const id = w.nextUnrestakeId++;
  w.unrestakes.set(id, { id, validator: a.validator, spn: a.spn, amount: a.amount, readyAt: (epochOf(s, w.height) + 1) * s.params.epochLength + s.params.unrestakeDelay });
  return done(w);
};

const completeUnrestake = (w: ImplWorld, a: Act<'complete-unrestake'>): Result<ImplWorld> => {
  const u = w.unrestakes.get(a.id);
  if (u === undefined) return err('Spn.Restake.UNKNOWN_UNRESTAKE', `no unrestake ${a.id}`);
  if (w.height < u.readyAt) return err('Spn.Restake.NOT_READY', `ready at ${u.readyAt}`);
  w.unrestakes.delete(a.id);
  validator(w, u.validator).queued -= u.amount;
  return done(w);
};

const signedBy = (w: ImplWorld, v: string, hash: string): boolean => w.signers.get(hash)?.has(v) ?? false;

const evidence = (w: ImplWorld, a: Act<'evidence'>): Result<ImplWorld> => {
  const ha = w.headers.get(a.headerA);
  const hb = w.headers.get(a.headerB);
  if (ha === undefined || hb === undefined) return err('Spn.Slash.UNKNOWN_HEADER', 'header not known');
  if (a.headerA === a.headerB || ha.header.spn !== hb.header.spn || ha.header.height !== hb.header.height) return err('Spn.Slash.NOT_CONFLICTING', 'not conflicting');
  if (!signedBy(w, a.validator, a.headerA) || !signedBy(w, a.validator, a.headerB)) return err('Spn.Slash.NOT_SIGNED', `${a.validator} did not sign both`);
  const spnId = ha.header.spn;
  const key = `${a.validator}/${spnId}/${ha.header.height}`;
  if (w.evidence.has(key)) return err('Spn.Slash.ALREADY_SLASHED', `evidence ${key} used`);
  const s = spnOf(w, spnId);
  if (isErr(s)) return s;
  const faultAt = Math.max(ha.header.observedHeight, hb.header.observedHeight);
  if (w.height >= faultAt + s.params.evidenceWindow) return err('Spn.Slash.EXPIRED', `fault at ${faultAt} is outside the evidence window`);
  const bps = BigInt(w.params.slashBps);
  const cut = (x: bigint): bigint => (x * bps) / 10_000n;
  const rec = validator(w, a.validator);
  const allocNow = rec.alloc.get(spnId) ?? 0n;
  const allocCut = cut(allocNow);
  let burned = allocCut;
  for (const u of w.unrestakes.values()) {
    if (u.validator !== a.validator || u.spn !== spnId) continue;
    const c = cut(u.amount);
    u.amount -= c;
    rec.queued -= c;
    burned += c;
  }
  if (allocNow - allocCut === 0n) rec.alloc.delete(spnId);
  else rec.alloc.set(spnId, allocNow - allocCut);
  s.restaked -= allocCut;
  rec.stake -= burned;
  w.burned += burned;
  w.evidence.add(key);
  s.tombstoned.add(a.validator);
  return done(w);
};

const newChain = (): Chain => ({
  blocks: [], keys: [], balances: [], index: new Map(), tree: new IncrementalTree(), forcedProcessed: 0, nextNonce: 0, nextSeq: new Map(), executed: new Set(),
});

const register = (w: ImplWorld, a: Act<'register'>): Result<ImplWorld> => {
  const e = badId(a.by, a.spn);
  if (e) return e;
  if (w.spns.has(a.spn)) return err('Spn.Lifecycle.ALREADY_REGISTERED', `SPN ${a.spn} exists`);
  const p = a.params;
  const bad = checkParams(p);
  if (bad) return bad;
  w.spns.set(a.spn, {
    id: a.spn, admin: a.by, operator: a.by, params: p, status: 'registered', committed: [], lastProgressAt: w.height, escrow: new Map(), forcedQueue: [],
    claimed: new Set(), refunded: new Set(), tombstoned: new Set(), validatorSets: new Map(), restaked: 0n, chain: newChain(),
  });
  return done(w);
};

const checkParams = (p: SpnParams): ReturnType<typeof err> | undefined => {
  const intIn = (x: number, lo: number, hi: number): boolean => Number.isSafeInteger(x) && x >= lo && x <= hi;
  if (!intIn(p.targetValidators, 1, 1000) || p.softCap <= 0n || p.hardCap < p.softCap || !intIn(p.unrestakeDelay, 0, 1_000_000)
    || !intIn(p.evidenceWindow, 1, 1_000_000) || !intIn(p.epochLength, 1, 1_000_000)) return err('Spn.Lifecycle.BAD_PARAMS', 'bad parameters');
  if (p.unrestakeDelay < p.evidenceWindow) return err('Spn.Params.DELAY_BELOW_WINDOW', 'unrestakeDelay below evidenceWindow');
  return undefined;
};

/** Whether a change may take effect now (active SPNs: hard cap and a longer unrestake delay only). */
const refuseChange = (s: Spn, p: SpnParams): ReturnType<typeof err> | undefined => {
  const o = s.params;
  if (s.status === 'active' && (p.targetValidators !== o.targetValidators || p.softCap !== o.softCap || p.evidenceWindow !== o.evidenceWindow
    || p.epochLength !== o.epochLength || p.unrestakeDelay < o.unrestakeDelay)) return err('Spn.Params.FIXED_AFTER_ACTIVATION', 'fixed after activation');
  if (p.hardCap < s.restaked) return err('Spn.Params.CAP_BELOW_RESTAKED', 'hard cap below restaked');
  return undefined;
};

const proposeParams = (w: ImplWorld, a: Act<'propose-params'>): Result<ImplWorld> => {
  const s = adminCheck(w, a.by, a.spn);
  if (isErr(s)) return s;
  const bad = checkParams(a.params) ?? refuseChange(s, a.params);
  if (bad) return bad;
  s.pendingParams = { params: a.params, readyAt: w.height + w.params.paramDelay };
  return done(w);
};

const applyParams = (w: ImplWorld, a: Act<'apply-params'>): Result<ImplWorld> => {
  const e = badId(a.spn);
  if (e) return e;
  const s = spnOf(w, a.spn);
  if (isErr(s)) return s;
  if (s.status !== 'registered' && s.status !== 'active') return err('Spn.Lifecycle.BAD_STATUS', `SPN ${a.spn} is ${s.status}`);
  const pend = s.pendingParams;
  if (pend === undefined) return err('Spn.Params.NO_PROPOSAL', 'no pending change');
  if (w.height < pend.readyAt) return err('Spn.Params.NOT_READY', `ready at ${pend.readyAt}`);
  const bad = refuseChange(s, pend.params);
  if (bad) return bad;
  s.params = pend.params;
  delete s.pendingParams;
  activateIfReady(w, s);
  return done(w);
};

const adminCheck = (w: ImplWorld, by: string, id: string, ...more: string[]): Spn | ReturnType<typeof err> => {
  const e = badId(by, id, ...more);
  if (e) return e;
  const s = spnOf(w, id);
  if (isErr(s)) return s;
  if (s.admin !== by) return err('Spn.Lifecycle.NOT_ADMIN', `${by} is not the admin of ${id}`);
  if (s.status !== 'registered' && s.status !== 'active') return err('Spn.Lifecycle.BAD_STATUS', `SPN ${id} is ${s.status}`);
  return s;
};

const rotate = (w: ImplWorld, a: Act<'rotate-operator'>): Result<ImplWorld> => {
  const s = adminCheck(w, a.by, a.spn, a.operator);
  if (isErr(s)) return s;
  s.operator = a.operator;
  return done(w);
};

const committedForced = (s: Spn): number => s.committed.at(-1)?.header.forcedProcessed ?? 0;

const retire = (w: ImplWorld, a: Act<'retire'>): Result<ImplWorld> => {
  const s = adminCheck(w, a.by, a.spn);
  if (isErr(s)) return s;
  if (s.escrow.size > 0) return err('Spn.Lifecycle.ESCROW_NOT_EMPTY', `SPN ${a.spn} holds escrow`);
  if (committedForced(s) < s.forcedQueue.length) return err('Spn.Lifecycle.FORCED_PENDING', 'forced operations pending');
  s.status = 'retired';
  return done(w);
};

const deposit = (w: ImplWorld, a: Act<'deposit'>): Result<ImplWorld> => {
  const e = badId(a.account, a.spn, a.asset) ?? badAmount(a.amount, 'deposit amount');
  if (e) return e;
  const s = activeSpn(w, a.spn, 'Spn.Bridge.SPN_NOT_ACTIVE');
  if (isErr(s)) return s;
  const k = bkey(a.account, a.asset);
  const have = get(w.balances, k);
  if (have < a.amount) return err('Spn.Bridge.INSUFFICIENT_BALANCE', `${a.account} holds ${have}`);
  put(w.balances, k, have - a.amount);
  put(s.escrow, a.asset, get(s.escrow, a.asset) + a.amount);
  s.forcedQueue.push({ kind: 'deposit', account: a.account, asset: a.asset, amount: a.amount, enqueuedAt: w.height });
  return done(w);
};

const forceWithdraw = (w: ImplWorld, a: Act<'force-withdraw'>): Result<ImplWorld> => {
  const e = badId(a.account, a.spn, a.asset) ?? badAmount(a.amount, 'withdrawal amount');
  if (e) return e;
  const s = activeSpn(w, a.spn, 'Spn.Escape.NOT_ACTIVE');
  if (isErr(s)) return s;
  s.forcedQueue.push({ kind: 'withdraw', account: a.account, asset: a.asset, amount: a.amount, enqueuedAt: w.height });
  return done(w);
};

/**
 * A block under construction: balance changes are staged in an overlay and new keys in a list, so
 * a failing transaction leaves the head untouched.
 */
class Staging {
  readonly changed = new Map<number, bigint>();
  readonly added: { account: string; asset: string; balance: bigint }[] = [];
  readonly addedIndex = new Map<string, number>();
  readonly outbox: OutboxEntry[] = [];
  nextNonce: number;
  readonly nextSeq: Map<string, number>;
  constructor(private readonly chain: Chain) {
    this.nextNonce = chain.nextNonce;
    this.nextSeq = new Map(chain.nextSeq);
  }
  balance(account: string, asset: string): bigint {
    const k = bkey(account, asset);
    const i = this.chain.index.get(k);
    if (i !== undefined) return this.changed.get(i) ?? this.chain.balances[i]!;
    const j = this.addedIndex.get(k);
    return j === undefined ? 0n : this.added[j]!.balance;
  }
  credit(account: string, asset: string, delta: bigint): void {
    const k = bkey(account, asset);
    const i = this.chain.index.get(k);
    if (i !== undefined) {
      this.changed.set(i, (this.changed.get(i) ?? this.chain.balances[i]!) + delta);
      return;
    }
    const j = this.addedIndex.get(k);
    if (j !== undefined) this.added[j]!.balance += delta;
    else {
      this.addedIndex.set(k, this.added.length);
      this.added.push({ account, asset, balance: delta });
    }
  }
}

const applyTx = (w: ImplWorld, spn: string, st: Staging, tx: LocalTx, i: number): ReturnType<typeof err> | undefined => {
  const bad = (why: string): ReturnType<typeof err> => err('Spn.Block.TX_FAILED', `transaction ${i}: ${why}`);
  if (tx.amount <= 0n) return bad('amount must be positive');
  const from = tx.type === 'withdraw' ? tx.account : tx.from;
  const e = tx.type === 'transfer' ? badId(from, tx.asset, tx.to) : tx.type === 'send' ? badId(from, tx.asset, tx.dst, tx.recipient) : badId(from, tx.asset);
  if (e) return bad(e.error.message);
  const have = st.balance(from, tx.asset);
  if (have < tx.amount) return bad(`${from} holds ${have}`);
  if (tx.type === 'send' && (tx.dst === spn || !w.spns.has(tx.dst))) return bad(`destination ${tx.dst} is not another registered SPN`);
  st.credit(from, tx.asset, -tx.amount);
  if (tx.type === 'transfer') st.credit(tx.to, tx.asset, tx.amount);
  else if (tx.type === 'withdraw') st.outbox.push({ type: 'withdrawal', spn, nonce: st.nextNonce++, account: tx.account, asset: tx.asset, amount: tx.amount });
  else {
    const seq = st.nextSeq.get(tx.dst) ?? 0;
    st.nextSeq.set(tx.dst, seq + 1);
    st.outbox.push({ type: 'message', src: spn, dst: tx.dst, seq, sender: tx.from, recipient: tx.recipient, asset: tx.asset, amount: tx.amount, timeoutAt: w.height + w.params.msgTimeout });
  }
  return undefined;
};

const sign = (w: ImplWorld, hash: string, who: Iterable<string>): void => {
  let set = w.signers.get(hash);
  if (set === undefined) {
    set = new Set();
    w.signers.set(hash, set);
  }
  for (const v of who) set.add(v);
};

/** Non-tombstoned members of an epoch's validator set. */
const members = (s: Spn, epoch: number): string[] => [...(s.validatorSets.get(epoch)?.keys() ?? [])].filter((v) => !s.tombstoned.has(v));

const headLeaves = (c: Chain): Leaf[] => c.keys.map((k, i) => ({ account: k.account, asset: k.asset, balance: c.balances[i]! }));

const produce = (w: ImplWorld, a: Act<'produce'>): Result<ImplWorld> => {
  const e = badId(a.by, a.spn);
  if (e) return e;
  const s = activeSpn(w, a.spn, 'Spn.Block.SPN_NOT_ACTIVE');
  if (isErr(s)) return s;
  if (s.operator !== a.by) return err('Spn.Block.NOT_OPERATOR', `${a.by} is not the operator`);
  const c = s.chain;
  if (!Number.isSafeInteger(a.forced) || a.forced < 0 || c.forcedProcessed + a.forced > s.forcedQueue.length) {
    return err('Spn.Block.FORCED_BEYOND_QUEUE', `cannot process ${a.forced} forced operations`);
  }
  const st = new Staging(c);
  for (let i = c.forcedProcessed; i < c.forcedProcessed + a.forced; i++) {
    const op = s.forcedQueue[i]!;
    if (op.kind === 'deposit') st.credit(op.account, op.asset, op.amount);
    else if (st.balance(op.account, op.asset) >= op.amount) {
      st.credit(op.account, op.asset, -op.amount);
      st.outbox.push({ type: 'withdrawal', spn: s.id, nonce: st.nextNonce++, account: op.account, asset: op.asset, amount: op.amount });
    }
  }
  const newlyExecuted = new Set<string>();
  for (const id of a.deliver) {
    const m = w.mailbox.get(id);
    if (m === undefined || m.message.dst !== s.id || m.state !== 'archived') return err('Spn.Block.BAD_DELIVERY', `message ${id} is not archived for ${s.id}`);
    if (c.executed.has(id) || newlyExecuted.has(id)) return err('Spn.Block.ALREADY_EXECUTED', `message ${id} already executed`);
    if (m.message.timeoutAt <= w.height) return err('Spn.Block.MESSAGE_EXPIRED', `message ${id} timed out`);
    newlyExecuted.add(id);
    st.credit(m.message.recipient, m.message.asset, m.message.amount);
  }
  for (const [i, tx] of a.txs.entries()) {
    const bad = applyTx(w, s.id, st, tx, i);
    if (bad) return bad;
  }
  // Commit the staging to the head: changed leaves rehash one path each, new leaves append.
  for (const [i, v] of st.changed) {
    c.balances[i] = v;
    c.tree.update(i, leafBytes({ ...c.keys[i]!, balance: v }));
  }
  for (const l of st.added) {
    c.index.set(bkey(l.account, l.asset), c.keys.length);
    c.keys.push({ account: l.account, asset: l.asset });
    c.balances.push(l.balance);
    c.tree.append(leafBytes(l));
  }
  for (const id of newlyExecuted) c.executed.add(id);
  c.nextNonce = st.nextNonce;
  c.nextSeq = st.nextSeq;
  const header: Header = {
    spn: s.id, height: c.blocks.length + 1, parent: c.blocks.at(-1)?.hash ?? genesisHashOf(s.id), stateRoot: c.tree.root(),
    outboxRoot: rootOf(st.outbox.map(outboxBytes)), forcedProcessed: c.forcedProcessed + a.forced, observedHeight: w.height, executed: [...a.deliver],
  };
  c.forcedProcessed = header.forcedProcessed;
  const hash = headerHashOf(header);
  const block: Block = { header, hash, leaves: headLeaves(c), outbox: st.outbox };
  c.blocks.push(block);
  w.headers.set(hash, block);
  sign(w, hash, members(s, epochOf(s, w.height)));
  if (a.publish) w.published.add(hash);
  return done(w);
};

const forge = (w: ImplWorld, a: Act<'forge'>): Result<ImplWorld> => {
  const s = activeSpn(w, a.spn, 'Spn.Block.SPN_NOT_ACTIVE');
  if (isErr(s)) return s;
  const e = badId(a.mint.account, a.mint.asset) ?? badAmount(a.mint.balance, 'forged mint');
  if (e) return e;
  if (!Number.isSafeInteger(a.height) || a.height < 1 || a.height > s.chain.blocks.length + 1) return err('Spn.Forge.BAD_HEIGHT', 'bad height');
  const ep = epochOf(s, w.height);
  const signers = [...members(s, ep - 1), ...members(s, ep)].filter((v) => w.byzantine.has(v));
  if (signers.length === 0) return err('Spn.Forge.NO_BYZANTINE_SIGNER', 'no Byzantine signer');
  const parent = s.chain.blocks[a.height - 2];
  const leaves = [...(parent?.leaves ?? [])];
  const i = leaves.findIndex((l) => l.account === a.mint.account && l.asset === a.mint.asset);
  if (i < 0) leaves.push({ ...a.mint });
  else leaves[i] = { ...leaves[i]!, balance: leaves[i]!.balance + a.mint.balance };
  const header: Header = {
    spn: s.id, height: a.height, parent: parent?.hash ?? genesisHashOf(s.id), stateRoot: rootOf(leaves.map(leafBytes)), outboxRoot: ZERO_HEX,
    forcedProcessed: parent?.header.forcedProcessed ?? 0, observedHeight: w.height, executed: [],
  };
  const hash = headerHashOf(header);
  if (w.headers.has(hash)) return err('Spn.Forge.NOT_CONFLICTING', 'header exists');
  w.headers.set(hash, { header, hash, leaves, outbox: [] });
  sign(w, hash, signers);
  w.published.add(hash);
  return done(w);
};

/**
 * Batched header verification: the quorum (validator set and powers) is computed once per batch,
 * deliveries are tracked across the batch in a scratch set, and nothing is written until every
 * header has passed.
 */
const commit = (w: ImplWorld, a: Act<'commit'>): Result<ImplWorld> => {
  if (a.headers.length === 0) return err('Spn.Header.EMPTY_BATCH', 'empty batch');
  const s0 = activeSpn(w, a.spn, 'Spn.Header.SPN_NOT_ACTIVE');
  if (isErr(s0)) return s0;
  const s = s0;
  // One quorum table per epoch the batch touches: non-tombstoned members and their total power.
  const tables = new Map<number, { q: [string, bigint][]; total: bigint }>();
  const table = (epoch: number): { q: [string, bigint][]; total: bigint } => {
    let t = tables.get(epoch);
    if (t === undefined) {
      const q = [...(s.validatorSets.get(epoch) ?? [])].filter(([v]) => !s.tombstoned.has(v));
      let total = 0n;
      for (const [, p] of q) total += p;
      t = { q, total };
      tables.set(epoch, t);
    }
    return t;
  };
  let tip = s.committed.at(-1)?.hash ?? genesisHashOf(s.id);
  let height = s.committed.length;
  let forced = committedForced(s);
  let observed = s.committed.at(-1)?.header.observedHeight ?? 0;
  const deliveredInBatch = new Set<string>();
  const accepted: Block[] = [];
  for (const [pos, hash] of a.headers.entries()) {
    const where = `header ${pos} (${hash.slice(0, 10)})`;
    const b = w.headers.get(hash);
    if (b === undefined) return err('Spn.Header.UNKNOWN', `${where} unknown`);
    const h = b.header;
    if (h.spn !== s.id) return err('Spn.Header.WRONG_SPN', `${where} belongs to ${h.spn}`);
    if (h.height !== height + 1) return err('Spn.Header.NOT_NEXT', `${where} has height ${h.height}`);
    if (h.parent !== tip) return err('Spn.Header.PARENT_MISMATCH', `${where} does not extend the tip`);
    if (!w.published.has(hash)) return err('Spn.Header.DATA_UNAVAILABLE', `${where} data not published`);
    if (h.forcedProcessed < forced || h.forcedProcessed > s.forcedQueue.length) return err('Spn.Header.FORCED_NOT_PREFIX', `${where} forced count`);
    if (h.observedHeight < observed || h.observedHeight > w.height) return err('Spn.Header.BAD_OBSERVED_HEIGHT', `${where} observed height`);
    if (h.observedHeight + s.params.evidenceWindow <= w.height) return err('Spn.Header.STALE', `${where} is outside the evidence window`);
    if (new Set(h.executed).size !== h.executed.length) return err('Spn.Header.BAD_DELIVERY', `${where} executes a message twice`);
    for (const id of h.executed) {
      const m = w.mailbox.get(id);
      if (m === undefined || m.message.dst !== s.id || m.state !== 'archived' || deliveredInBatch.has(id) || m.message.timeoutAt <= h.observedHeight) {
        return err('Spn.Header.BAD_DELIVERY', `${where} executes ${id}, not pending`);
      }
    }
    const { q, total } = table(epochOf(s, h.observedHeight));
    const signers = w.signers.get(hash);
    let signed = 0n;
    if (signers !== undefined) for (const [v, p] of q) if (signers.has(v)) signed += p;
    if (total === 0n || signed * 3n <= total * 2n) return err('Spn.Header.NO_QUORUM', `${where} signed by ${signed} of ${total}`);
    for (const id of h.executed) deliveredInBatch.add(id);
    accepted.push(b);
    tip = hash;
    height = h.height;
    forced = h.forcedProcessed;
    observed = h.observedHeight;
  }
  for (const b of accepted) {
    s.committed.push({ hash: b.hash, header: b.header, committedAt: w.height });
    for (const id of b.header.executed) {
      const m = w.mailbox.get(id)!;
      w.mailbox.set(id, { ...m, state: 'delivered' });
      w.pendingByDst.get(s.id)?.delete(id);
    }
  }
  s.lastProgressAt = w.height;
  return done(w);
};

const committedHeaderAt = (s: Spn, height: number): Header | ReturnType<typeof err> => {
  const c = Number.isSafeInteger(height) && height >= 1 ? s.committed[height - 1] : undefined;
  return c === undefined ? err('Spn.Proof.UNKNOWN_HEADER', `${s.id} has no committed header at height ${height}`) : c.header;
};

const finalize = (w: ImplWorld, a: Act<'finalize-withdrawal'>): Result<ImplWorld> => {
  const e = badId(a.spn, a.entry.spn, a.entry.account, a.entry.asset);
  if (e) return e;
  const s = spnOf(w, a.spn);
  if (isErr(s)) return s;
  if (a.entry.spn !== a.spn) return err('Spn.Withdraw.WRONG_SPN', 'wrong SPN');
  const h = committedHeaderAt(s, a.height);
  if (isErr(h)) return h;
  const id = `${a.spn}/${a.entry.nonce}`;
  if (w.finalized.has(id)) return err('Spn.Withdraw.ALREADY_FINALIZED', `withdrawal ${id} paid`);
  const p = verifyProof(h.outboxRoot, toHex(outboxBytes(a.entry)), a.proof);
  if (!p.ok) return p;
  const esc = get(s.escrow, a.entry.asset);
  if (esc < a.entry.amount) return err('Spn.Bridge.ESCROW_SHORT', 'escrow short');
  put(s.escrow, a.entry.asset, esc - a.entry.amount);
  const k = bkey(a.entry.account, a.entry.asset);
  put(w.balances, k, get(w.balances, k) + a.entry.amount);
  w.finalized.add(id);
  return done(w);
};

const archive = (w: ImplWorld, a: Act<'archive'>): Result<ImplWorld> => {
  const m = a.message;
  const e = badId(m.src, m.dst, m.sender, m.recipient, m.asset);
  if (e) return e;
  const src = spnOf(w, m.src);
  if (isErr(src)) return src;
  const dst = w.spns.get(m.dst);
  if (dst === undefined) return err('Spn.Mailbox.UNKNOWN_DESTINATION', `no SPN ${m.dst}`);
  const h = committedHeaderAt(src, a.height);
  if (isErr(h)) return h;
  const leaf = outboxBytes(m);
  const id = toHex(leaf);
  if (w.mailbox.has(id)) return err('Spn.Mailbox.ALREADY_ARCHIVED', `message ${id} archived`);
  const p = verifyProof(h.outboxRoot, id, a.proof);
  if (!p.ok) return p;
  const channel = `${m.src}>${m.dst}`;
  const expected = w.nextArchiveSeq.get(channel) ?? 0;
  if (m.seq !== expected) return err('Spn.Mailbox.OUT_OF_ORDER', `channel ${channel} expects ${expected}`);
  const esc = get(src.escrow, m.asset);
  if (esc < m.amount) return err('Spn.Bridge.ESCROW_SHORT', 'escrow short');
  put(src.escrow, m.asset, esc - m.amount);
  put(dst.escrow, m.asset, get(dst.escrow, m.asset) + m.amount);
  w.mailbox.set(id, { message: { ...m }, state: 'archived', archivedAt: w.height });
  let pend = w.pendingByDst.get(m.dst);
  if (pend === undefined) {
    pend = new Set();
    w.pendingByDst.set(m.dst, pend);
  }
  pend.add(id);
  w.nextArchiveSeq.set(channel, expected + 1);
  return done(w);
};

const timeout = (w: ImplWorld, a: Act<'timeout'>): Result<ImplWorld> => {
  const e = w.mailbox.get(a.id);
  if (e === undefined) return err('Spn.Mailbox.UNKNOWN_MESSAGE', `no message ${a.id}`);
  if (e.state !== 'archived') return err('Spn.Mailbox.NOT_PENDING', `message is ${e.state}`);
  const dst = w.spns.get(e.message.dst)!;
  const observed = dst.committed.at(-1)?.header.observedHeight ?? -1;
  if (dst.status === 'active' && observed < e.message.timeoutAt) return err('Spn.Mailbox.NOT_TIMED_OUT', 'not timed out');
  const m = e.message;
  const esc = get(dst.escrow, m.asset);
  if (esc < m.amount) return err('Spn.Bridge.ESCROW_SHORT', 'escrow short');
  put(dst.escrow, m.asset, esc - m.amount);
  const k = bkey(m.sender, m.asset);
  put(w.balances, k, get(w.balances, k) + m.amount);
  w.mailbox.set(a.id, { ...e, state: 'timed-out' });
  w.pendingByDst.get(m.dst)?.delete(a.id);
  return done(w);
};

const freezable = (w: ImplWorld, s: Spn): boolean => {
  if (s.status !== 'active') return false;
  const head = s.forcedQueue[committedForced(s)];
  return (head !== undefined && w.height > head.enqueuedAt + w.params.incDeadline) || w.height > s.lastProgressAt + w.params.liveDeadline;
};

const freeze = (w: ImplWorld, a: Act<'freeze'>): Result<ImplWorld> => {
  const s = spnOf(w, a.spn);
  if (isErr(s)) return s;
  if (s.status !== 'active') return err('Spn.Escape.NOT_ACTIVE', `SPN ${a.spn} is ${s.status}`);
  if (!freezable(w, s)) return err('Spn.Escape.DEADLINE_NOT_PASSED', 'deadlines met');
  s.status = 'frozen';
  s.frozen = { root: s.committed.at(-1)?.header.stateRoot ?? ZERO_HEX, forcedProcessed: committedForced(s), at: w.height };
  return done(w);
};

const escape = (w: ImplWorld, a: Act<'escape'>): Result<ImplWorld> => {
  const e = badId(a.spn, a.leaf.account, a.leaf.asset);
  if (e) return e;
  const s = spnOf(w, a.spn);
  if (isErr(s)) return s;
  if (s.status !== 'frozen' || s.frozen === undefined) return err('Spn.Escape.NOT_FROZEN', `SPN ${a.spn} is ${s.status}`);
  const k = bkey(a.leaf.account, a.leaf.asset);
  if (s.claimed.has(k)) return err('Spn.Escape.ALREADY_CLAIMED', `${k} claimed`);
  if (a.leaf.balance <= 0n) return err('Spn.Escape.NOTHING_TO_CLAIM', 'nothing to claim');
  const p = verifyProof(s.frozen.root, toHex(leafBytes(a.leaf)), a.proof);
  if (!p.ok) return p;
  const esc = get(s.escrow, a.leaf.asset);
  if (esc < a.leaf.balance) return err('Spn.Bridge.ESCROW_SHORT', 'escrow short');
  put(s.escrow, a.leaf.asset, esc - a.leaf.balance);
  put(w.balances, k, get(w.balances, k) + a.leaf.balance);
  s.claimed.add(k);
  return done(w);
};

const refund = (w: ImplWorld, a: Act<'refund-deposit'>): Result<ImplWorld> => {
  const s = spnOf(w, a.spn);
  if (isErr(s)) return s;
  const f = s.frozen;
  if (s.status !== 'frozen' || f === undefined) return err('Spn.Escape.NOT_FROZEN', `SPN ${a.spn} is ${s.status}`);
  const op = Number.isSafeInteger(a.index) ? s.forcedQueue[a.index] : undefined;
  if (op === undefined) return err('Spn.Escape.NO_SUCH_OPERATION', `no index ${a.index}`);
  if (a.index < f.forcedProcessed) return err('Spn.Escape.OPERATION_PROCESSED', 'covered by the frozen root');
  if (op.kind !== 'deposit') return err('Spn.Escape.NOT_A_DEPOSIT', 'not a deposit');
  if (s.refunded.has(a.index)) return err('Spn.Escape.ALREADY_REFUNDED', 'already refunded');
  const esc = get(s.escrow, op.asset);
  if (esc < op.amount) return err('Spn.Bridge.ESCROW_SHORT', 'escrow short');
  put(s.escrow, op.asset, esc - op.amount);
  const k = bkey(op.account, op.asset);
  put(w.balances, k, get(w.balances, k) + op.amount);
  s.refunded.add(a.index);
  return done(w);
};

/** Applies one action in place; on failure nothing has changed. */
export const step = (w: ImplWorld, a: SpnAction): Result<ImplWorld> => {
  switch (a.type) {
    case 'tick': return tick(w);
    case 'stake': return stake(w, a);
    case 'register': return register(w, a);
    case 'restake': return restake(w, a);
    case 'request-unrestake': return requestUnrestake(w, a);
    case 'complete-unrestake': return completeUnrestake(w, a);
    case 'rotate-operator': return rotate(w, a);
    case 'retire': return retire(w, a);
    case 'propose-params': return proposeParams(w, a);
    case 'apply-params': return applyParams(w, a);
    case 'deposit': return deposit(w, a);
    case 'force-withdraw': return forceWithdraw(w, a);
    case 'produce': return produce(w, a);
    case 'forge': return forge(w, a);
    case 'commit': return commit(w, a);
    case 'finalize-withdrawal': return finalize(w, a);
    case 'archive': return archive(w, a);
    case 'timeout': return timeout(w, a);
    case 'freeze': return freeze(w, a);
    case 'escape': return escape(w, a);
    case 'refund-deposit': return refund(w, a);
    case 'evidence': return evidence(w, a);
  }
};

// ---------------------------------------------------------------------------------------------
// Queries used by users, relayers and the simulator

/** The escape proof of an account's leaf at the committed state, built from the published data. */
export const proveEscape = (w: ImplWorld, spn: string, account: string, asset: string): Result<{ readonly leaf: Leaf; readonly proof: MerkleProof }> => {
  const s = w.spns.get(spn);
  if (s === undefined) return err('Spn.Lifecycle.UNKNOWN_SPN', `no SPN ${spn}`);
  const tip = s.committed.at(-1);
  const leaves = tip === undefined ? [] : w.headers.get(tip.hash)!.leaves;
  const index = leaves.findIndex((l) => l.account === account && l.asset === asset);
  if (index < 0) return err('Spn.Proof.NO_SUCH_LEAF', `${account}/${asset} has no leaf`);
  return { ok: true, value: { leaf: leaves[index]!, proof: IncrementalTree.of(leaves.map(leafBytes)).proof(index) } };
};

export const proveOutbox = (w: ImplWorld, spn: string, height: number, index: number): Result<{ readonly entry: OutboxEntry; readonly proof: MerkleProof }> => {
  const s = w.spns.get(spn);
  const c = s?.committed[height - 1];
  if (c === undefined) return err('Spn.Proof.UNKNOWN_HEADER', `${spn} has no committed header at height ${height}`);
  const out = w.headers.get(c.hash)!.outbox;
  if (!Number.isInteger(index) || index < 0 || index >= out.length) return err('Spn.Proof.NO_SUCH_LEAF', `leaf index ${index} is outside 0..${out.length - 1}`);
  return { ok: true, value: { entry: out[index]!, proof: IncrementalTree.of(out.map(outboxBytes)).proof(index) } };
};

export { verifyProof as verifyMerkleProof, messageIdOf as messageId, leafBytes, outboxBytes, toHex };

/** Whether an SPN may be frozen now (for watchers). */
export const canFreeze = (w: ImplWorld, spn: string): boolean => {
  const s = w.spns.get(spn);
  return s !== undefined && freezable(w, s);
};

/** Read-only views the simulator uses to choose actions. */
export const view = {
  spn: (w: ImplWorld, id: string) => w.spns.get(id) as Readonly<Spn> | undefined,
  headBalance: (w: ImplWorld, spn: string, account: string, asset: string): bigint => {
    const c = w.spns.get(spn)?.chain;
    const i = c?.index.get(bkey(account, asset));
    return c === undefined || i === undefined ? 0n : c.balances[i]!;
  },
  pendingFor: (w: ImplWorld, dst: string): readonly string[] => [...(w.pendingByDst.get(dst) ?? [])],
  message: (w: ImplWorld, id: string): MailboxEntry | undefined => w.mailbox.get(id),
  committedOutbox: (w: ImplWorld, spn: string): readonly { height: number; index: number; entry: OutboxEntry }[] => {
    const s = w.spns.get(spn);
    if (s === undefined) return [];
    return s.committed.flatMap((c, h) => w.headers.get(c.hash)!.outbox.map((entry, index) => ({ height: h + 1, index, entry })));
  },
  isArchived: (w: ImplWorld, m: Message): boolean => w.mailbox.has(messageIdOf(m)),
  isFinalized: (w: ImplWorld, e: WithdrawalEntry): boolean => w.finalized.has(`${e.spn}/${e.nonce}`),
  archiveSeq: (w: ImplWorld, src: string, dst: string): number => w.nextArchiveSeq.get(`${src}>${dst}`) ?? 0,
  signedBy,
};

// ---------------------------------------------------------------------------------------------
// Projection (the same shape as the model's)

const projParams = (p: SpnParams) => ({
  targetValidators: p.targetValidators, softCap: p.softCap.toString(), hardCap: p.hardCap.toString(),
  unrestakeDelay: p.unrestakeDelay, evidenceWindow: p.evidenceWindow, epochLength: p.epochLength,
});

const sortS = (xs: Iterable<string>): string[] => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export const projectWorld = (w: ImplWorld): WorldProjection => ({
  height: w.height,
  balances: sortS(w.balances.keys()).map((key) => ({ key, amount: w.balances.get(key)!.toString() })),
  validators: sortS(w.validators.keys()).map((validator) => {
    const rec = w.validators.get(validator)!;
    return { validator, stake: rec.stake.toString(), alloc: sortS(rec.alloc.keys()).map((spn) => ({ spn, amount: rec.alloc.get(spn)!.toString() })) };
  }),
  unrestakes: [...w.unrestakes.values()].map((u) => ({ id: u.id, validator: u.validator, spn: u.spn, amount: u.amount.toString(), readyAt: u.readyAt })),
  burned: w.burned.toString(),
  evidence: sortS(w.evidence),
  spns: sortS(w.spns.keys()).map((id) => {
    const s = w.spns.get(id)!;
    const tip = s.committed.at(-1);
    const latest = Math.max(-1, ...s.validatorSets.keys());
    const set = s.validatorSets.get(latest) ?? new Map<string, bigint>();
    return {
      id, status: s.status, admin: s.admin, operator: s.operator,
      escrow: sortS(s.escrow.keys()).map((asset) => ({ asset, amount: s.escrow.get(asset)!.toString() })),
      committedHeight: s.committed.length, committedRoot: tip?.header.stateRoot ?? ZERO_HEX, committedForced: committedForced(s), lastProgressAt: s.lastProgressAt,
      headHeight: s.chain.blocks.length, headRoot: s.chain.blocks.at(-1)?.header.stateRoot ?? ZERO_HEX, headForced: s.chain.forcedProcessed,
      forcedQueue: s.forcedQueue.length, frozenRoot: s.frozen?.root ?? null, claimed: sortS(s.claimed), refunded: [...s.refunded].sort((a, b) => a - b),
      tombstoned: sortS(s.tombstoned),
      params: projParams(s.params),
      pendingParams: s.pendingParams === undefined ? null : { ...projParams(s.pendingParams.params), readyAt: s.pendingParams.readyAt },
      epoch: latest,
      validatorSet: sortS(set.keys()).map((validator) => ({ validator, power: set.get(validator)!.toString() })),
    };
  }),
  mailbox: sortS(w.mailbox.keys()).map((id) => {
    const e = w.mailbox.get(id)!;
    return { id, src: e.message.src, dst: e.message.dst, seq: e.message.seq, state: e.state };
  }),
  finalized: sortS(w.finalized),
});
