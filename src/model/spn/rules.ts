/**
 * The rules: one exported function per action, each `(world, action) -> Result<world>` with its
 * preconditions checked in the order the chapter lists them and a stable error code for each.
 *
 * @module
 */
import { fail, ok, type Result } from '../encoding/index.js';
import { genesisHash, headerHash, leafHash, leafObject, messageId, outboxObject, outboxRoot, stateRoot, verifyMerkleProof, ZERO_HASH } from './merkle.js';
import type { Header, Leaf, LocalTx, Message, OutboxEntry, SpnAction, SpnBlock, SpnChain, SpnParams, SpnRecord, UnrestakeEntry, ValidatorRecord, World } from './types.js';
import {
  balanceKey, committedBlock, committedForced, committedLeaves, committedRoot, committedTip, epochOf, epochSet, getBalance, isValidId, nextEpochStart, quorumPower,
  withAmount, withEntry, withMember,
} from './world.js';

type Act<T extends SpnAction['type']> = Extract<SpnAction, { type: T }>;

const sum = (xs: Iterable<bigint>): bigint => {
  let t = 0n;
  for (const x of xs) t += x;
  return t;
};

const positive = (amount: bigint, what: string): Result<true> =>
  amount > 0n ? ok(true) : fail('Spn.Input.BAD_AMOUNT', `${what} must be positive, got ${amount}`);

const ids = (...xs: readonly string[]): Result<true> => {
  const bad = xs.find((x) => !isValidId(x));
  return bad === undefined ? ok(true) : fail('Spn.Input.BAD_ID', `${JSON.stringify(bad)} is not a valid id`);
};

const spnOf = (w: World, id: string): Result<SpnRecord> => {
  const r = w.spns.get(id);
  return r === undefined ? fail('Spn.Lifecycle.UNKNOWN_SPN', `no SPN ${JSON.stringify(id)} is registered`) : ok(r);
};

const withSpn = (w: World, r: SpnRecord): World => ({ ...w, spns: withEntry(w.spns, r.id, r) });

const validatorOf = (w: World, v: string): ValidatorRecord => w.validators.get(v) ?? { stake: 0n, alloc: new Map() };

const queuedOf = (w: World, v: string, spn?: string): bigint =>
  sum(w.unrestakes.filter((u) => u.validator === v && (spn === undefined || u.spn === spn)).map((u) => u.amount));

/** stP a validator holds that is neither restaked nor queued for unrestaking. */
export const freeStP = (w: World, v: string): bigint => {
  const rec = validatorOf(w, v);
  return rec.stake - sum(rec.alloc.values()) - queuedOf(w, v);
};

const totalRestaked = (w: World, spn: string): bigint => sum([...w.validators.values()].map((r) => r.alloc.get(spn) ?? 0n));

// ---------------------------------------------------------------------------------------------
// Environment

/**
 * The mainnet produces a block. When the new height starts an epoch of an active SPN, that SPN's
 * validator set for the epoch is taken from the restake at that moment.
 *
 * @spec SPN-CLOCK.1 SPN-EPOCH-ROTATE.1
 */
export const tick = (w: World): Result<World> => {
  const height = w.height + 1;
  let next: World = { ...w, height };
  for (const r of w.spns.values()) {
    if (r.status === 'active' && height % r.params.epochLength === 0) {
      next = withSpn(next, { ...r, validatorSets: withEntry(r.validatorSets, epochOf(r, height), quorumPower(next, r)) });
    }
  }
  return ok(next);
};

// ---------------------------------------------------------------------------------------------
// Restaking

/**
 * A validator bonds `amount` of the stake asset from its mainnet balance and receives as many stP
 * receipts.
 *
 * @spec SPN-RESTAKE-STAKE.1
 */
export const stake = (w: World, a: Act<'stake'>): Result<World> => {
  const checks = [ids(a.validator), positive(a.amount, 'stake amount')].find((c) => !c.ok);
  if (checks !== undefined) return checks as Result<never>;
  const key = balanceKey(a.validator, w.params.stakeAsset);
  const have = getBalance(w.balances, key);
  if (have < a.amount) return fail('Spn.Restake.INSUFFICIENT_BALANCE', `${a.validator} holds ${have} ${w.params.stakeAsset} on mainnet, cannot stake ${a.amount}`);
  const rec = validatorOf(w, a.validator);
  return ok({ ...w, balances: withAmount(w.balances, key, have - a.amount), validators: withEntry(w.validators, a.validator, { ...rec, stake: rec.stake + a.amount }) });
};

/**
 * Activation is automatic: a registered SPN becomes active in the same step in which it has at
 * least `targetValidators` validators with a non-zero restake and at least `softCap` restaked.
 *
 * @spec SPN-LIFE-ACTIVATE.1
 */
export const activateIfReady = (w: World, spn: string): World => {
  const r = w.spns.get(spn);
  if (r === undefined || r.status !== 'registered') return w;
  const power = quorumPower(w, r);
  if (power.size < r.params.targetValidators || sum(power.values()) < r.params.softCap) return w;
  // The first validator set is the one that activated the SPN; it serves the epoch of activation.
  return withSpn(w, { ...r, status: 'active', lastProgressAt: w.height, validatorSets: new Map([[epochOf(r, w.height), power]]) });
};

/**
 * A validator restakes free stP to a registered or active SPN, up to the SPN's hard cap; stP is
 * never allocated twice.
 *
 * @spec SPN-RESTAKE-ALLOCATE.1
 */
export const restake = (w: World, a: Act<'restake'>): Result<World> => {
  const checks = [ids(a.validator, a.spn), positive(a.amount, 'restake amount')].find((c) => !c.ok);
  if (checks !== undefined) return checks as Result<never>;
  const r = spnOf(w, a.spn);
  if (!r.ok) return r;
  if (r.value.status !== 'registered' && r.value.status !== 'active') return fail('Spn.Restake.SPN_NOT_OPEN', `SPN ${a.spn} is ${r.value.status}`);
  if (r.value.tombstoned.has(a.validator)) return fail('Spn.Restake.TOMBSTONED', `${a.validator} was slashed on ${a.spn} and may not restake to it`);
  const free = freeStP(w, a.validator);
  if (free < a.amount) return fail('Spn.Restake.INSUFFICIENT_STP', `${a.validator} has ${free} free stP, cannot restake ${a.amount}`);
  const total = totalRestaked(w, a.spn);
  if (total + a.amount > r.value.params.hardCap) return fail('Spn.Restake.HARD_CAP', `restaking ${a.amount} would take ${a.spn} to ${total + a.amount}, above its hard cap ${r.value.params.hardCap}`);
  const rec = validatorOf(w, a.validator);
  const alloc = withEntry(rec.alloc, a.spn, (rec.alloc.get(a.spn) ?? 0n) + a.amount);
  return ok(activateIfReady({ ...w, validators: withEntry(w.validators, a.validator, { ...rec, alloc }) }, a.spn));
};

/**
 * A validator asks to take stP back from an SPN. The allocation is queued at once (it no longer
 * counts for activation, the hard cap or the next epoch's validator set), but the amount stays in
 * the validator set of the current epoch until its end, so it completes only `unrestakeDelay`
 * blocks after the next epoch boundary, and stays slashable for that SPN until then.
 *
 * @spec SPN-RESTAKE-UNRESTAKE.1
 */
export const requestUnrestake = (w: World, a: Act<'request-unrestake'>): Result<World> => {
  const checks = [ids(a.validator, a.spn), positive(a.amount, 'unrestake amount')].find((c) => !c.ok);
  if (checks !== undefined) return checks as Result<never>;
  const rec = validatorOf(w, a.validator);
  const have = rec.alloc.get(a.spn) ?? 0n;
  if (have < a.amount) return fail('Spn.Restake.INSUFFICIENT_ALLOCATION', `${a.validator} has ${have} restaked to ${a.spn}, cannot unrestake ${a.amount}`);
  const r = w.spns.get(a.spn)!;
  const entry: UnrestakeEntry = { id: w.nextUnrestakeId, validator: a.validator, spn: a.spn, amount: a.amount, readyAt: nextEpochStart(r, w.height) + r.params.unrestakeDelay };
  const alloc = have === a.amount ? new Map([...rec.alloc].filter(([s]) => s !== a.spn)) : withEntry(rec.alloc, a.spn, have - a.amount);
  return ok({ ...w, validators: withEntry(w.validators, a.validator, { ...rec, alloc }), unrestakes: [...w.unrestakes, entry], nextUnrestakeId: w.nextUnrestakeId + 1 });
};

/** Anyone completes a queued unrestake once its delay has passed; the stP is free again. @spec SPN-RESTAKE-COMPLETE.1 */
export const completeUnrestake = (w: World, a: Act<'complete-unrestake'>): Result<World> => {
  const e = w.unrestakes.find((u) => u.id === a.id);
  if (e === undefined) return fail('Spn.Restake.UNKNOWN_UNRESTAKE', `no queued unrestake has id ${a.id}`);
  if (w.height < e.readyAt) return fail('Spn.Restake.NOT_READY', `unrestake ${a.id} is ready at height ${e.readyAt}, the mainnet is at ${w.height}`);
  return ok({ ...w, unrestakes: w.unrestakes.filter((u) => u.id !== a.id) });
};

/**
 * Anyone submits evidence that a validator signed two different headers of one SPN at one height.
 * The first such evidence per (validator, SPN, height) burns `slashBps` of what the validator has
 * at risk on that SPN (its restake and its queued unrestakes from it) and tombstones it there;
 * later evidence for the same key fails.
 *
 * @spec SPN-RESTAKE-SLASH.1
 */
export const submitEvidence = (w: World, a: Act<'evidence'>): Result<World> => {
  const ha = w.headers.get(a.headerA);
  const hb = w.headers.get(a.headerB);
  if (ha === undefined || hb === undefined) return fail('Spn.Slash.UNKNOWN_HEADER', `header ${ha === undefined ? a.headerA : a.headerB} is not known`);
  if (a.headerA === a.headerB || ha.header.spn !== hb.header.spn || ha.header.height !== hb.header.height) {
    return fail('Spn.Slash.NOT_CONFLICTING', 'evidence needs two different headers of the same SPN and height');
  }
  if (!w.signatures.has(`${a.validator}|${a.headerA}`) || !w.signatures.has(`${a.validator}|${a.headerB}`)) {
    return fail('Spn.Slash.NOT_SIGNED', `${a.validator} did not sign both headers`);
  }
  const spn = ha.header.spn;
  const key = `${a.validator}/${spn}/${ha.header.height}`;
  if (w.evidence.has(key)) return fail('Spn.Slash.ALREADY_SLASHED', `evidence ${key} was already used`);
  const r = spnOf(w, spn);
  if (!r.ok) return r;
  const faultAt = Math.max(ha.header.observedHeight, hb.header.observedHeight);
  if (w.height >= faultAt + r.value.params.evidenceWindow) {
    return fail('Spn.Slash.EXPIRED', `the fault at mainnet height ${faultAt} left the evidence window of ${r.value.params.evidenceWindow} blocks at ${faultAt + r.value.params.evidenceWindow}`);
  }
  const cut = (x: bigint): bigint => (x * BigInt(w.params.slashBps)) / 10_000n;
  const rec = validatorOf(w, a.validator);
  const allocCut = cut(rec.alloc.get(spn) ?? 0n);
  let burned = allocCut;
  const unrestakes = w.unrestakes.map((u) => {
    if (u.validator !== a.validator || u.spn !== spn) return u;
    const c = cut(u.amount);
    burned += c;
    return { ...u, amount: u.amount - c };
  });
  const alloc = withAmount(rec.alloc, spn, (rec.alloc.get(spn) ?? 0n) - allocCut);
  return ok({
    ...withSpn(w, { ...r.value, tombstoned: withMember(r.value.tombstoned, a.validator) }),
    validators: withEntry(w.validators, a.validator, { stake: rec.stake - burned, alloc }),
    unrestakes, burned: w.burned + burned, evidence: withMember(w.evidence, key),
  });
};

// ---------------------------------------------------------------------------------------------
// Lifecycle

const emptyChain: SpnChain = { blocks: [], leaves: [], forcedProcessed: 0, nextNonce: 0, nextSeq: new Map<string, number>(), executed: new Set<string>() };

/**
 * Anyone registers a new SPN with its parameters; the registrant becomes its admin and first
 * operator.
 *
 * @spec SPN-LIFE-REGISTER.1
 */
export const register = (w: World, a: Act<'register'>): Result<World> => {
  const c = ids(a.by, a.spn);
  if (!c.ok) return c;
  if (w.spns.has(a.spn)) return fail('Spn.Lifecycle.ALREADY_REGISTERED', `SPN ${a.spn} already exists`);
  const p = a.params;
  const bad = paramsInvalid(p);
  if (bad !== undefined) return bad;
  const r: SpnRecord = {
    id: a.spn, admin: a.by, operator: a.by, params: p, status: 'registered', registeredAt: w.height, committed: [], lastProgressAt: w.height,
    escrow: new Map(), forcedQueue: [], claimed: new Set(), refunded: new Set(), tombstoned: new Set(), validatorSets: new Map(), chain: emptyChain,
  };
  // Restake made before registration cannot exist, so a new SPN never activates here.
  return ok(withSpn(w, r));
};

/**
 * The range rules of SPN parameters, and the rule that an unrestake outlasts the evidence window:
 * stake that backed a fault can leave only after evidence of the fault has expired.
 *
 * @spec SPN-PARAMS-SPN.1 SPN-RESTAKE-WINDOW.1
 */
export const paramsInvalid = (p: SpnParams): Result<never> | undefined => {
  const intIn = (x: number, lo: number, hi: number): boolean => Number.isSafeInteger(x) && x >= lo && x <= hi;
  if (!intIn(p.targetValidators, 1, 1000) || p.softCap <= 0n || p.hardCap < p.softCap || !intIn(p.unrestakeDelay, 0, 1_000_000)
    || !intIn(p.evidenceWindow, 1, 1_000_000) || !intIn(p.epochLength, 1, 1_000_000)) {
    return fail('Spn.Lifecycle.BAD_PARAMS', 'targetValidators must be in 1..1000, 0 < softCap <= hardCap, unrestakeDelay in 0..1000000, evidenceWindow and epochLength in 1..1000000');
  }
  if (p.unrestakeDelay < p.evidenceWindow) {
    return fail('Spn.Params.DELAY_BELOW_WINDOW', `unrestakeDelay ${p.unrestakeDelay} is shorter than evidenceWindow ${p.evidenceWindow}`);
  }
  return undefined;
};

/**
 * Whether a parameter change may take effect on an SPN in its current state: before activation
 * anything in range; once active only the hard cap (never below what is restaked) and a longer
 * unrestake delay.
 *
 * @spec SPN-PARAMS-MUTABLE.1
 */
const changeRefused = (w: World, r: SpnRecord, p: SpnParams): Result<never> | undefined => {
  if (r.status === 'active') {
    const old = r.params;
    if (p.targetValidators !== old.targetValidators || p.softCap !== old.softCap || p.evidenceWindow !== old.evidenceWindow || p.epochLength !== old.epochLength) {
      return fail('Spn.Params.FIXED_AFTER_ACTIVATION', `SPN ${r.id} is active: targetValidators, softCap, evidenceWindow and epochLength are fixed`);
    }
    if (p.unrestakeDelay < old.unrestakeDelay) return fail('Spn.Params.FIXED_AFTER_ACTIVATION', `SPN ${r.id} is active: unrestakeDelay may only grow (now ${old.unrestakeDelay})`);
  }
  const restaked = totalRestaked(w, r.id);
  if (p.hardCap < restaked) return fail('Spn.Params.CAP_BELOW_RESTAKED', `hardCap ${p.hardCap} is below the ${restaked} stP restaked to ${r.id}`);
  return undefined;
};

/**
 * The SPN `spn` if `by` is its admin and it is registered or active: the precondition shared by
 * every admin action on a live SPN, checked in this order.
 */
const administeredLiveSpn = (w: World, by: string, spn: string): Result<SpnRecord> => {
  const r = spnOf(w, spn);
  if (!r.ok) return r;
  if (r.value.admin !== by) return fail('Spn.Lifecycle.NOT_ADMIN', `${by} is not the admin of ${spn}`);
  if (r.value.status !== 'registered' && r.value.status !== 'active') return fail('Spn.Lifecycle.BAD_STATUS', `SPN ${spn} is ${r.value.status}`);
  return r;
};

/**
 * The admin of a registered or active SPN proposes new parameters; they may be applied after
 * `paramDelay` blocks. A new proposal replaces a pending one.
 *
 * @spec SPN-PARAMS-UPDATE.1
 */
export const proposeParams = (w: World, a: Act<'propose-params'>): Result<World> => {
  const c = ids(a.by, a.spn);
  if (!c.ok) return c;
  const r = administeredLiveSpn(w, a.by, a.spn);
  if (!r.ok) return r;
  const bad = paramsInvalid(a.params) ?? changeRefused(w, r.value, a.params);
  if (bad !== undefined) return bad;
  return ok(withSpn(w, { ...r.value, pendingParams: { params: a.params, readyAt: w.height + w.params.paramDelay } }));
};

/**
 * Anyone applies a pending parameter change once its delay has passed, if the change is still
 * allowed in the SPN's state now. Lowering the activation thresholds may activate the SPN.
 *
 * @spec SPN-PARAMS-APPLY.1
 */
export const applyParams = (w: World, a: Act<'apply-params'>): Result<World> => {
  const c = ids(a.spn);
  if (!c.ok) return c;
  const r = spnOf(w, a.spn);
  if (!r.ok) return r;
  if (r.value.status !== 'registered' && r.value.status !== 'active') return fail('Spn.Lifecycle.BAD_STATUS', `SPN ${a.spn} is ${r.value.status}`);
  const pending = r.value.pendingParams;
  if (pending === undefined) return fail('Spn.Params.NO_PROPOSAL', `SPN ${a.spn} has no pending parameter change`);
  if (w.height < pending.readyAt) return fail('Spn.Params.NOT_READY', `the change to ${a.spn} may be applied from height ${pending.readyAt}, the mainnet is at ${w.height}`);
  const bad = changeRefused(w, r.value, pending.params);
  if (bad !== undefined) return bad;
  const { pendingParams: _, ...rest } = r.value;
  return ok(activateIfReady(withSpn(w, { ...rest, params: pending.params }), a.spn));
};

/** The admin of a registered or active SPN hands block production to another operator. @spec SPN-LIFE-ROTATE.1 */
export const rotateOperator = (w: World, a: Act<'rotate-operator'>): Result<World> => {
  const c = ids(a.by, a.spn, a.operator);
  if (!c.ok) return c;
  const r = administeredLiveSpn(w, a.by, a.spn);
  if (!r.ok) return r;
  return ok(withSpn(w, { ...r.value, operator: a.operator }));
};

/**
 * The admin retires an SPN that owes nothing: no escrow of any asset and every forced operation
 * covered by a committed header. Retirement is one-way.
 *
 * @spec SPN-LIFE-RETIRE.1
 */
export const retire = (w: World, a: Act<'retire'>): Result<World> => {
  const c = ids(a.by, a.spn);
  if (!c.ok) return c;
  const r = administeredLiveSpn(w, a.by, a.spn);
  if (!r.ok) return r;
  if (r.value.escrow.size > 0) return fail('Spn.Lifecycle.ESCROW_NOT_EMPTY', `SPN ${a.spn} still holds escrow`);
  if (committedForced(r.value) < r.value.forcedQueue.length) return fail('Spn.Lifecycle.FORCED_PENDING', `SPN ${a.spn} has forced operations not covered by a committed header`);
  return ok(withSpn(w, { ...r.value, status: 'retired' }));
};

// ---------------------------------------------------------------------------------------------
// Bridge: deposits and forced withdrawals (mainnet, user)

const activeSpn = (w: World, id: string, code: string): Result<SpnRecord> => {
  const r = spnOf(w, id);
  if (!r.ok) return r;
  return r.value.status === 'active' ? r : fail(code, `SPN ${id} is ${r.value.status}, not active`);
};

/**
 * A user locks `amount` of an asset in the SPN's escrow on mainnet; the deposit joins the SPN's
 * forced-operation queue and is credited on the SPN when a block processes it.
 *
 * @spec SPN-BRIDGE-DEPOSIT.1
 */
export const deposit = (w: World, a: Act<'deposit'>): Result<World> => {
  const checks = [ids(a.account, a.spn, a.asset), positive(a.amount, 'deposit amount')].find((c) => !c.ok);
  if (checks !== undefined) return checks as Result<never>;
  const r = activeSpn(w, a.spn, 'Spn.Bridge.SPN_NOT_ACTIVE');
  if (!r.ok) return r;
  const key = balanceKey(a.account, a.asset);
  const have = getBalance(w.balances, key);
  if (have < a.amount) return fail('Spn.Bridge.INSUFFICIENT_BALANCE', `${a.account} holds ${have} ${a.asset} on mainnet, cannot deposit ${a.amount}`);
  const spn: SpnRecord = {
    ...r.value,
    escrow: withAmount(r.value.escrow, a.asset, getBalance(r.value.escrow, a.asset) + a.amount),
    forcedQueue: [...r.value.forcedQueue, { kind: 'deposit', account: a.account, asset: a.asset, amount: a.amount, enqueuedAt: w.height }],
  };
  return ok(withSpn({ ...w, balances: withAmount(w.balances, key, have - a.amount) }, spn));
};

/**
 * A user asks, on mainnet, for `amount` of an asset to be withdrawn from its SPN balance. The
 * request joins the forced-operation queue; the SPN must process it by the deadline.
 *
 * @spec SPN-ESCAPE-REQUEST.1
 */
export const forceWithdraw = (w: World, a: Act<'force-withdraw'>): Result<World> => {
  const checks = [ids(a.account, a.spn, a.asset), positive(a.amount, 'withdrawal amount')].find((c) => !c.ok);
  if (checks !== undefined) return checks as Result<never>;
  const r = activeSpn(w, a.spn, 'Spn.Escape.NOT_ACTIVE');
  if (!r.ok) return r;
  return ok(withSpn(w, { ...r.value, forcedQueue: [...r.value.forcedQueue, { kind: 'withdraw', account: a.account, asset: a.asset, amount: a.amount, enqueuedAt: w.height }] }));
};

// ---------------------------------------------------------------------------------------------
// The SPN side: block production (operator) and forged headers (adversary)

/** Balances as a leaf list: credit or debit keeps the leaf order, a new key is appended. */
const credit = (leaves: readonly Leaf[], account: string, asset: string, delta: bigint): readonly Leaf[] => {
  const i = leaves.findIndex((l) => l.account === account && l.asset === asset);
  if (i < 0) return [...leaves, { account, asset, balance: delta }];
  return leaves.map((l, j) => (j === i ? { ...l, balance: l.balance + delta } : l));
};

const leafBalance = (leaves: readonly Leaf[], account: string, asset: string): bigint =>
  leaves.find((l) => l.account === account && l.asset === asset)?.balance ?? 0n;

/** Signatures of validators on a header (honest validators sign the valid blocks of their epoch). */
const signAll = (w: World, signers: Iterable<string>, hash: string): ReadonlySet<string> => {
  const out = new Set(w.signatures);
  for (const v of signers) out.add(`${v}|${hash}`);
  return out;
};

/** Members of an epoch's validator set that are not tombstoned on the SPN. */
const liveMembers = (r: SpnRecord, epoch: number): string[] => [...epochSet(r, epoch).keys()].filter((v) => !r.tombstoned.has(v));

interface Building {
  leaves: readonly Leaf[];
  outbox: readonly OutboxEntry[];
  nextNonce: number;
  nextSeq: ReadonlyMap<string, number>;
}

const applyLocalTx = (w: World, spn: string, b: Building, tx: LocalTx, index: number): Result<Building> => {
  const bad = (why: string): Result<Building> => fail('Spn.Block.TX_FAILED', `transaction ${index}: ${why}`);
  if (tx.amount <= 0n) return bad('amount must be positive');
  const from = tx.type === 'transfer' || tx.type === 'send' ? tx.from : tx.account;
  const idsOk = ids(from, tx.asset, ...(tx.type === 'transfer' ? [tx.to] : tx.type === 'send' ? [tx.dst, tx.recipient] : []));
  if (!idsOk.ok) return bad(idsOk.error.message);
  const have = leafBalance(b.leaves, from, tx.asset);
  if (have < tx.amount) return bad(`${from} holds ${have} ${tx.asset}, needs ${tx.amount}`);
  const debited = credit(b.leaves, from, tx.asset, -tx.amount);
  if (tx.type === 'transfer') return ok({ ...b, leaves: credit(debited, tx.to, tx.asset, tx.amount) });
  if (tx.type === 'withdraw') {
    const entry: OutboxEntry = { type: 'withdrawal', spn, nonce: b.nextNonce, account: tx.account, asset: tx.asset, amount: tx.amount };
    return ok({ ...b, leaves: debited, outbox: [...b.outbox, entry], nextNonce: b.nextNonce + 1 });
  }
  if (tx.dst === spn || !w.spns.has(tx.dst)) return bad(`destination ${tx.dst} is not another registered SPN`);
  const seq = b.nextSeq.get(tx.dst) ?? 0;
  const m: Message = { type: 'message', src: spn, dst: tx.dst, seq, sender: tx.from, recipient: tx.recipient, asset: tx.asset, amount: tx.amount, timeoutAt: w.height + w.params.msgTimeout };
  return ok({ ...b, leaves: debited, outbox: [...b.outbox, m], nextSeq: withEntry(b.nextSeq, tx.dst, seq + 1) });
};

/**
 * The operator produces the SPN's next block. It processes the next `forced` operations of the
 * forced queue in queue order (a deposit is credited unconditionally; a forced withdrawal moves the
 * amount to the outbox if the balance covers it and is otherwise a no-op), then executes the
 * archived inbound messages it lists, then its local transactions. It may choose `forced = 0`,
 * omit transactions (censor), or withhold the block's data (`publish = false`). Every validator
 * that counts for the quorum signs the block.
 *
 * @spec SPN-HDR-PRODUCE.1 SPN-ESCAPE-FIFO.1 SPN-MSG-DELIVER.1
 */
export const produceBlock = (w: World, a: Act<'produce'>): Result<World> => {
  const c = ids(a.by, a.spn);
  if (!c.ok) return c;
  const r = activeSpn(w, a.spn, 'Spn.Block.SPN_NOT_ACTIVE');
  if (!r.ok) return r;
  const spn = r.value;
  if (spn.operator !== a.by) return fail('Spn.Block.NOT_OPERATOR', `${a.by} is not the operator of ${a.spn}`);
  const chain = spn.chain;
  if (!Number.isSafeInteger(a.forced) || a.forced < 0 || chain.forcedProcessed + a.forced > spn.forcedQueue.length) {
    return fail('Spn.Block.FORCED_BEYOND_QUEUE', `cannot process ${a.forced} forced operations: ${spn.forcedQueue.length - chain.forcedProcessed} are queued`);
  }
  let b: Building = { leaves: chain.leaves, outbox: [], nextNonce: chain.nextNonce, nextSeq: chain.nextSeq };
  for (const op of spn.forcedQueue.slice(chain.forcedProcessed, chain.forcedProcessed + a.forced)) {
    if (op.kind === 'deposit') b = { ...b, leaves: credit(b.leaves, op.account, op.asset, op.amount) };
    else if (leafBalance(b.leaves, op.account, op.asset) >= op.amount) {
      const entry: OutboxEntry = { type: 'withdrawal', spn: spn.id, nonce: b.nextNonce, account: op.account, asset: op.asset, amount: op.amount };
      b = { ...b, leaves: credit(b.leaves, op.account, op.asset, -op.amount), outbox: [...b.outbox, entry], nextNonce: b.nextNonce + 1 };
    }
  }
  const executed = new Set(chain.executed);
  for (const id of a.deliver) {
    const e = w.mailbox.get(id);
    if (e === undefined || e.message.dst !== spn.id || e.state !== 'archived') return fail('Spn.Block.BAD_DELIVERY', `message ${id} is not archived for ${spn.id}`);
    if (executed.has(id)) return fail('Spn.Block.ALREADY_EXECUTED', `message ${id} was already executed on ${spn.id}`);
    if (e.message.timeoutAt <= w.height) return fail('Spn.Block.MESSAGE_EXPIRED', `message ${id} timed out at height ${e.message.timeoutAt}`);
    executed.add(id);
    b = { ...b, leaves: credit(b.leaves, e.message.recipient, e.message.asset, e.message.amount) };
  }
  for (const [i, tx] of a.txs.entries()) {
    const next = applyLocalTx(w, spn.id, b, tx, i);
    if (!next.ok) return next;
    b = next.value;
  }
  const header: Header = {
    spn: spn.id, height: chain.blocks.length + 1, parent: chain.blocks.at(-1)?.hash ?? genesisHash(spn.id),
    stateRoot: stateRoot(b.leaves), outboxRoot: outboxRoot(b.outbox), forcedProcessed: chain.forcedProcessed + a.forced,
    observedHeight: w.height, executed: [...a.deliver],
  };
  const hash = headerHash(header);
  const block: SpnBlock = { header, hash, leaves: b.leaves, outbox: b.outbox };
  const next: SpnRecord = {
    ...spn,
    chain: { blocks: [...chain.blocks, block], leaves: b.leaves, forcedProcessed: header.forcedProcessed, nextNonce: b.nextNonce, nextSeq: b.nextSeq, executed },
  };
  return ok({
    ...withSpn(w, next), headers: withEntry(w.headers, hash, block), signatures: signAll(w, liveMembers(spn, epochOf(spn, w.height)), hash),
    published: a.publish ? withMember(w.published, hash) : w.published,
  });
};

/**
 * The adversary: a header conflicting with the SPN's chain at `height` (built on the same parent,
 * with `mint` credited from nothing), signed by the Byzantine members of the SPN's current and
 * previous epoch validator sets only, data published. Honest validators never sign it.
 *
 * @spec SPN-HDR-QUORUM.1 SPN-EPOCH-SET.1
 */
export const forgeHeader = (w: World, a: Act<'forge'>): Result<World> => {
  const r = activeSpn(w, a.spn, 'Spn.Block.SPN_NOT_ACTIVE');
  if (!r.ok) return r;
  const spn = r.value;
  const chk = [ids(a.mint.account, a.mint.asset), positive(a.mint.balance, 'forged mint')].find((x) => !x.ok);
  if (chk !== undefined) return chk as Result<never>;
  if (!Number.isSafeInteger(a.height) || a.height < 1 || a.height > spn.chain.blocks.length + 1) {
    return fail('Spn.Forge.BAD_HEIGHT', `height must be in 1..${spn.chain.blocks.length + 1}`);
  }
  const epoch = epochOf(spn, w.height);
  const signers = [...new Set([...liveMembers(spn, epoch - 1), ...liveMembers(spn, epoch)])].filter((v) => w.byzantine.has(v)).sort();
  if (signers.length === 0) return fail('Spn.Forge.NO_BYZANTINE_SIGNER', `no Byzantine validator is in the current or previous validator set of ${a.spn}`);
  const parent = spn.chain.blocks[a.height - 2];
  const leaves = credit(parent?.leaves ?? [], a.mint.account, a.mint.asset, a.mint.balance);
  const header: Header = {
    spn: spn.id, height: a.height, parent: parent?.hash ?? genesisHash(spn.id), stateRoot: stateRoot(leaves), outboxRoot: ZERO_HASH,
    forcedProcessed: parent?.header.forcedProcessed ?? 0, observedHeight: w.height, executed: [],
  };
  const hash = headerHash(header);
  if (w.headers.has(hash)) return fail('Spn.Forge.NOT_CONFLICTING', 'this header already exists');
  return ok({
    ...w, headers: withEntry(w.headers, hash, { header, hash, leaves, outbox: [] }),
    signatures: signAll(w, signers, hash), published: withMember(w.published, hash),
  });
};

// ---------------------------------------------------------------------------------------------
// Header relay (relayer -> mainnet adaptor contract)

const commitOne = (w: World, spnId: string, hash: string, position: number): Result<World> => {
  const where = `header ${position} (${hash.slice(0, 10)})`;
  const r = activeSpn(w, spnId, 'Spn.Header.SPN_NOT_ACTIVE');
  if (!r.ok) return r;
  const spn = r.value;
  const block = w.headers.get(hash);
  if (block === undefined) return fail('Spn.Header.UNKNOWN', `${where} is not a header anyone produced`);
  const h = block.header;
  if (h.spn !== spnId) return fail('Spn.Header.WRONG_SPN', `${where} belongs to ${h.spn}`);
  if (h.height !== spn.committed.length + 1) return fail('Spn.Header.NOT_NEXT', `${where} has height ${h.height}, expected ${spn.committed.length + 1}`);
  if (h.parent !== committedTip(spn)) return fail('Spn.Header.PARENT_MISMATCH', `${where} does not extend the committed tip`);
  if (!w.published.has(hash)) return fail('Spn.Header.DATA_UNAVAILABLE', `the data of ${where} was not published`);
  if (h.forcedProcessed < committedForced(spn) || h.forcedProcessed > spn.forcedQueue.length) {
    return fail('Spn.Header.FORCED_NOT_PREFIX', `${where} claims ${h.forcedProcessed} forced operations; committed ${committedForced(spn)}, queued ${spn.forcedQueue.length}`);
  }
  const prevObserved = spn.committed.at(-1)?.header.observedHeight ?? 0;
  if (h.observedHeight < prevObserved || h.observedHeight > w.height) return fail('Spn.Header.BAD_OBSERVED_HEIGHT', `${where} observed mainnet height ${h.observedHeight}`);
  if (h.observedHeight + spn.params.evidenceWindow <= w.height) {
    return fail('Spn.Header.STALE', `${where} observed mainnet height ${h.observedHeight}, outside the evidence window of ${spn.params.evidenceWindow} blocks`);
  }
  if (new Set(h.executed).size !== h.executed.length) return fail('Spn.Header.BAD_DELIVERY', `${where} executes a message twice`);
  for (const id of h.executed) {
    const e = w.mailbox.get(id);
    if (e === undefined || e.message.dst !== spnId || e.state !== 'archived' || e.message.timeoutAt <= h.observedHeight) {
      return fail('Spn.Header.BAD_DELIVERY', `${where} executes message ${id}, which is not pending for ${spnId}`);
    }
  }
  const epoch = epochOf(spn, h.observedHeight);
  const power = [...epochSet(spn, epoch)].filter(([v]) => !spn.tombstoned.has(v));
  const total = sum(power.map(([, p]) => p));
  const signed = sum([...power].filter(([v]) => w.signatures.has(`${v}|${hash}`)).map(([, p]) => p));
  if (total === 0n || signed * 3n <= total * 2n) return fail('Spn.Header.NO_QUORUM', `${where} is signed by ${signed} of ${total} stP of the epoch ${epoch} validator set; more than two thirds is needed`);
  const mailbox = new Map(w.mailbox);
  for (const id of h.executed) mailbox.set(id, { ...mailbox.get(id)!, state: 'delivered' });
  return ok(withSpn({ ...w, mailbox }, { ...spn, committed: [...spn.committed, { hash, header: h, committedAt: w.height }], lastProgressAt: w.height }));
};

/**
 * A relayer submits a batch of headers of one SPN. Each is checked in order as if submitted alone
 * (next height, extends the committed tip, data published, forced count a prefix of the queue,
 * observed height monotone, deliveries pending, more than two thirds of the restaked stP signed);
 * the batch is accepted whole or not at all.
 *
 * @spec SPN-HDR-VERIFY.1 SPN-HDR-QUORUM.1 SPN-HDR-DA.1 SPN-HDR-BATCH.1 SPN-MSG-ACK.1
 */
export const commitHeaders = (w: World, a: Act<'commit'>): Result<World> => {
  if (a.headers.length === 0) return fail('Spn.Header.EMPTY_BATCH', 'a batch needs at least one header');
  let cur = w;
  for (const [i, hash] of a.headers.entries()) {
    const next = commitOne(cur, a.spn, hash, i);
    if (!next.ok) return next;
    cur = next.value;
  }
  return ok(cur);
};

const committedAt = (r: SpnRecord, height: number): Result<Header> => {
  const c = Number.isSafeInteger(height) && height >= 1 ? r.committed[height - 1] : undefined;
  return c === undefined ? fail('Spn.Proof.UNKNOWN_HEADER', `${r.id} has no committed header at height ${height}`) : ok(c.header);
};

const inOutbox = (header: Header, entry: OutboxEntry, proof: Act<'archive'>['proof']): Result<true> =>
  verifyMerkleProof(header.outboxRoot, leafHash(outboxObject(entry)), proof);

/**
 * Anyone finalizes a withdrawal on mainnet with a proof that it is in the outbox of a committed
 * header; it is paid from the SPN's escrow to the account, once.
 *
 * @spec SPN-BRIDGE-WITHDRAW.1
 */
export const finalizeWithdrawal = (w: World, a: Act<'finalize-withdrawal'>): Result<World> => {
  const c = ids(a.spn, a.entry.spn, a.entry.account, a.entry.asset);
  if (!c.ok) return c;
  const r = spnOf(w, a.spn);
  if (!r.ok) return r;
  if (a.entry.spn !== a.spn) return fail('Spn.Withdraw.WRONG_SPN', `the withdrawal belongs to ${a.entry.spn}`);
  const header = committedAt(r.value, a.height);
  if (!header.ok) return header;
  const id = `${a.spn}/${a.entry.nonce}`;
  if (w.finalized.has(id)) return fail('Spn.Withdraw.ALREADY_FINALIZED', `withdrawal ${id} was already paid`);
  const proof = inOutbox(header.value, a.entry, a.proof);
  if (!proof.ok) return proof;
  const escrow = getBalance(r.value.escrow, a.entry.asset);
  if (escrow < a.entry.amount) return fail('Spn.Bridge.ESCROW_SHORT', `escrow of ${a.spn} holds ${escrow} ${a.entry.asset}`);
  const key = balanceKey(a.entry.account, a.entry.asset);
  return ok(withSpn(
    { ...w, balances: withAmount(w.balances, key, getBalance(w.balances, key) + a.entry.amount), finalized: withMember(w.finalized, id) },
    { ...r.value, escrow: withAmount(r.value.escrow, a.entry.asset, escrow - a.entry.amount) },
  ));
};

// ---------------------------------------------------------------------------------------------
// Mailbox

/**
 * A relayer archives a message in the mainnet mailbox with a proof that it is in the outbox of a
 * committed header of its source; per channel in sequence order, each id once. The amount moves
 * from the source's escrow to the destination's.
 *
 * @spec SPN-MSG-ARCHIVE.1 SPN-MSG-ORDER.1
 */
export const archiveMessage = (w: World, a: Act<'archive'>): Result<World> => {
  const m = a.message;
  const c = ids(m.src, m.dst, m.sender, m.recipient, m.asset);
  if (!c.ok) return c;
  const src = spnOf(w, m.src);
  if (!src.ok) return src;
  const dst = spnOf(w, m.dst);
  if (!dst.ok) return fail('Spn.Mailbox.UNKNOWN_DESTINATION', dst.error.message);
  const header = committedAt(src.value, a.height);
  if (!header.ok) return header;
  const id = messageId(m);
  if (w.mailbox.has(id)) return fail('Spn.Mailbox.ALREADY_ARCHIVED', `message ${id} is already in the mailbox`);
  const proof = inOutbox(header.value, m, a.proof);
  if (!proof.ok) return proof;
  const channel = `${m.src}>${m.dst}`;
  const expected = w.nextArchiveSeq.get(channel) ?? 0;
  if (m.seq !== expected) return fail('Spn.Mailbox.OUT_OF_ORDER', `channel ${channel} expects sequence ${expected}, got ${m.seq}`);
  const escrow = getBalance(src.value.escrow, m.asset);
  if (escrow < m.amount) return fail('Spn.Bridge.ESCROW_SHORT', `escrow of ${m.src} holds ${escrow} ${m.asset}`);
  const w1 = withSpn(w, { ...src.value, escrow: withAmount(src.value.escrow, m.asset, escrow - m.amount) });
  const d = w1.spns.get(m.dst)!;
  const w2 = withSpn(w1, { ...d, escrow: withAmount(d.escrow, m.asset, getBalance(d.escrow, m.asset) + m.amount) });
  return ok({ ...w2, mailbox: withEntry(w.mailbox, id, { message: m, state: 'archived', archivedAt: w.height }), nextArchiveSeq: withEntry(w.nextArchiveSeq, channel, expected + 1) });
};

/**
 * Anyone times out an archived message that can no longer be executed: its destination is frozen
 * or retired, or has committed a header that observed the timeout height without executing it.
 * The amount is refunded to the sender on mainnet.
 *
 * @spec SPN-MSG-TIMEOUT.1
 */
export const timeoutMessage = (w: World, a: Act<'timeout'>): Result<World> => {
  const e = w.mailbox.get(a.id);
  if (e === undefined) return fail('Spn.Mailbox.UNKNOWN_MESSAGE', `no archived message has id ${a.id}`);
  if (e.state !== 'archived') return fail('Spn.Mailbox.NOT_PENDING', `message ${a.id} is already ${e.state}`);
  const dst = w.spns.get(e.message.dst)!;
  const observed = dst.committed.at(-1)?.header.observedHeight ?? -1;
  if (dst.status === 'active' && observed < e.message.timeoutAt) {
    return fail('Spn.Mailbox.NOT_TIMED_OUT', `${dst.id} has committed up to observed height ${observed}; the message times out at ${e.message.timeoutAt}`);
  }
  const m = e.message;
  const escrow = getBalance(dst.escrow, m.asset);
  if (escrow < m.amount) return fail('Spn.Bridge.ESCROW_SHORT', `escrow of ${dst.id} holds ${escrow} ${m.asset}`);
  const key = balanceKey(m.sender, m.asset);
  return ok(withSpn(
    { ...w, balances: withAmount(w.balances, key, getBalance(w.balances, key) + m.amount), mailbox: withEntry(w.mailbox, a.id, { ...e, state: 'timed-out' }) },
    { ...dst, escrow: withAmount(dst.escrow, m.asset, escrow - m.amount) },
  ));
};

// ---------------------------------------------------------------------------------------------
// Escape hatch

/**
 * Whether an SPN may be frozen now: the oldest forced operation not covered by a committed header
 * was enqueued more than `incDeadline` blocks ago, or no header was committed for more than
 * `liveDeadline` blocks.
 *
 * @spec SPN-ESCAPE-DEADLINE.1
 */
export const freezeReason = (w: World, r: SpnRecord): 'forced-deadline' | 'halted' | undefined => {
  if (r.status !== 'active') return undefined;
  const head = r.forcedQueue[committedForced(r)];
  if (head !== undefined && w.height > head.enqueuedAt + w.params.incDeadline) return 'forced-deadline';
  if (w.height > r.lastProgressAt + w.params.liveDeadline) return 'halted';
  return undefined;
};

/**
 * Anyone freezes an active SPN once a deadline has passed. The last committed state root becomes
 * the frozen root; no header, deposit or block is accepted any more, and nothing unfreezes it.
 *
 * @spec SPN-ESCAPE-FREEZE.1 SPN-ESCAPE-FROZEN-FOREVER.1
 */
export const freeze = (w: World, a: Act<'freeze'>): Result<World> => {
  const r = spnOf(w, a.spn);
  if (!r.ok) return r;
  if (r.value.status !== 'active') return fail('Spn.Escape.NOT_ACTIVE', `SPN ${a.spn} is ${r.value.status}`);
  if (freezeReason(w, r.value) === undefined) {
    return fail('Spn.Escape.DEADLINE_NOT_PASSED', `SPN ${a.spn} has met its deadlines at height ${w.height}`);
  }
  return ok(withSpn(w, { ...r.value, status: 'frozen', frozen: { root: committedRoot(r.value), forcedProcessed: committedForced(r.value), at: w.height } }));
};

/**
 * Anyone claims, for an account, its whole balance of one asset at the frozen root, with a Merkle
 * proof; paid on mainnet from the escrow, once per (account, asset).
 *
 * @spec SPN-ESCAPE-CLAIM.1
 */
export const escapeClaim = (w: World, a: Act<'escape'>): Result<World> => {
  const c = ids(a.spn, a.leaf.account, a.leaf.asset);
  if (!c.ok) return c;
  const r = spnOf(w, a.spn);
  if (!r.ok) return r;
  if (r.value.status !== 'frozen' || r.value.frozen === undefined) return fail('Spn.Escape.NOT_FROZEN', `SPN ${a.spn} is ${r.value.status}`);
  const claim = balanceKey(a.leaf.account, a.leaf.asset);
  if (r.value.claimed.has(claim)) return fail('Spn.Escape.ALREADY_CLAIMED', `${claim} was already claimed on ${a.spn}`);
  if (a.leaf.balance <= 0n) return fail('Spn.Escape.NOTHING_TO_CLAIM', 'the claimed balance must be positive');
  const proof = verifyMerkleProof(r.value.frozen.root, leafHash(leafObject(a.leaf)), a.proof);
  if (!proof.ok) return proof;
  const escrow = getBalance(r.value.escrow, a.leaf.asset);
  if (escrow < a.leaf.balance) return fail('Spn.Bridge.ESCROW_SHORT', `escrow of ${a.spn} holds ${escrow} ${a.leaf.asset}`);
  return ok(withSpn(
    { ...w, balances: withAmount(w.balances, claim, getBalance(w.balances, claim) + a.leaf.balance) },
    { ...r.value, escrow: withAmount(r.value.escrow, a.leaf.asset, escrow - a.leaf.balance), claimed: withMember(r.value.claimed, claim) },
  ));
};

/**
 * Anyone refunds, after a freeze, a deposit the frozen root does not cover, to its depositor, once.
 *
 * @spec SPN-ESCAPE-REFUND.1
 */
export const refundDeposit = (w: World, a: Act<'refund-deposit'>): Result<World> => {
  const r = spnOf(w, a.spn);
  if (!r.ok) return r;
  const f = r.value.frozen;
  if (r.value.status !== 'frozen' || f === undefined) return fail('Spn.Escape.NOT_FROZEN', `SPN ${a.spn} is ${r.value.status}`);
  const op = Number.isSafeInteger(a.index) ? r.value.forcedQueue[a.index] : undefined;
  if (op === undefined) return fail('Spn.Escape.NO_SUCH_OPERATION', `forced queue of ${a.spn} has no index ${a.index}`);
  if (a.index < f.forcedProcessed) return fail('Spn.Escape.OPERATION_PROCESSED', `operation ${a.index} is covered by the frozen root`);
  if (op.kind !== 'deposit') return fail('Spn.Escape.NOT_A_DEPOSIT', `operation ${a.index} is a forced withdrawal`);
  if (r.value.refunded.has(a.index)) return fail('Spn.Escape.ALREADY_REFUNDED', `deposit ${a.index} was already refunded`);
  const key = balanceKey(op.account, op.asset);
  const escrow = getBalance(r.value.escrow, op.asset);
  if (escrow < op.amount) return fail('Spn.Bridge.ESCROW_SHORT', `escrow of ${a.spn} holds ${escrow} ${op.asset}`);
  return ok(withSpn(
    { ...w, balances: withAmount(w.balances, key, getBalance(w.balances, key) + op.amount) },
    { ...r.value, escrow: withAmount(r.value.escrow, op.asset, escrow - op.amount), refunded: withMember(r.value.refunded, a.index) },
  ));
};

/** Helpers for provers: the committed block of an SPN at a height, and its leaves at the tip. */
export const committedBlockAt = (w: World, spn: string, height: number): SpnBlock | undefined => {
  const r = w.spns.get(spn);
  const c = r?.committed[height - 1];
  return c === undefined ? undefined : w.headers.get(c.hash);
};

export { committedBlock, committedLeaves };
