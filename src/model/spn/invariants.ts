/**
 * The safety invariants of the SPN state machine, as predicates over one world (and, for the
 * step invariants, over a step). Each returns the first violation it finds as text, or undefined.
 *
 * @module
 */
import { messageId } from './merkle.js';
import type { SpnRecord, World } from './types.js';
import { balanceKey, committedForced, committedLeaves, committedTip, getBalance } from './world.js';

const sum = (xs: Iterable<bigint>): bigint => {
  let t = 0n;
  for (const x of xs) t += x;
  return t;
};

/**
 * Conservation: for every asset, mainnet balances plus every SPN's escrow (plus bonded and burned
 * stake for the stake asset) equal the genesis supply.
 *
 * @spec SPN-BRIDGE-CONSERVATION.1
 */
export const conservation = (w: World): string | undefined => {
  const assets = new Set([...w.supply.keys(), ...[...w.spns.values()].flatMap((r) => [...r.escrow.keys()])]);
  for (const asset of assets) {
    let total = sum([...w.balances].filter(([k]) => k.endsWith(`/${asset}`)).map(([, v]) => v));
    total += sum([...w.spns.values()].map((r) => getBalance(r.escrow, asset)));
    if (asset === w.params.stakeAsset) total += sum([...w.validators.values()].map((v) => v.stake)) + w.burned;
    const supply = w.supply.get(asset) ?? 0n;
    if (total !== supply) return `asset ${asset}: ${total} accounted for, supply ${supply}`;
  }
  return undefined;
};

/**
 * Escrow backing: the escrow of each SPN and asset equals exactly what it owes: the balances at
 * its committed state (less escape claims paid), deposits not yet covered (and not refunded),
 * committed withdrawals not yet paid, committed outgoing messages not yet archived, and archived
 * incoming messages still pending. Aztec's escape-hatch loss broke exactly this.
 *
 * @spec SPN-BRIDGE-ESCROW.1
 */
export const escrowBacking = (w: World): string | undefined => {
  for (const r of w.spns.values()) {
    const owed = new Map<string, bigint>();
    const add = (asset: string, x: bigint): void => { owed.set(asset, (owed.get(asset) ?? 0n) + x); };
    for (const l of committedLeaves(w, r)) if (!r.claimed.has(balanceKey(l.account, l.asset))) add(l.asset, l.balance);
    r.forcedQueue.forEach((op, i) => { if (op.kind === 'deposit' && i >= committedForced(r) && !r.refunded.has(i)) add(op.asset, op.amount); });
    for (const c of r.committed) {
      for (const e of w.headers.get(c.hash)?.outbox ?? []) {
        if (e.type === 'withdrawal' && !w.finalized.has(`${r.id}/${e.nonce}`)) add(e.asset, e.amount);
        if (e.type === 'message' && !w.mailbox.has(messageId(e))) add(e.asset, e.amount);
      }
    }
    for (const m of w.mailbox.values()) if (m.message.dst === r.id && m.state === 'archived') add(m.message.asset, m.message.amount);
    for (const asset of new Set([...owed.keys(), ...r.escrow.keys()])) {
      if ((owed.get(asset) ?? 0n) !== getBalance(r.escrow, asset)) return `${r.id}/${asset}: escrow ${getBalance(r.escrow, asset)}, owed ${owed.get(asset) ?? 0n}`;
    }
  }
  return undefined;
};

/**
 * No double withdrawal: every paid withdrawal is a committed one, every escape claim is a
 * positive leaf of the frozen state.
 *
 * @spec SPN-BRIDGE-WITHDRAW.1 SPN-ESCAPE-CLAIM.1
 */
export const noDoubleWithdrawal = (w: World): string | undefined => {
  const committedIds = new Set<string>();
  for (const r of w.spns.values()) {
    for (const c of r.committed) for (const e of w.headers.get(c.hash)?.outbox ?? []) if (e.type === 'withdrawal') committedIds.add(`${r.id}/${e.nonce}`);
    const leaves = new Set(committedLeaves(w, r).filter((l) => l.balance > 0n).map((l) => balanceKey(l.account, l.asset)));
    for (const c of r.claimed) if (r.status !== 'frozen' || !leaves.has(c)) return `${r.id}: claim ${c} has no positive frozen leaf`;
  }
  for (const id of w.finalized) if (!committedIds.has(id)) return `withdrawal ${id} was paid but never committed`;
  return undefined;
};

/**
 * Exactly-once effect: each delivered message is executed by exactly one committed header of its
 * destination, and no archived or timed-out message by any.
 *
 * @spec SPN-MSG-EXACTLY-ONCE.1
 */
export const exactlyOnce = (w: World): string | undefined => {
  const count = new Map<string, number>();
  for (const r of w.spns.values()) for (const c of r.committed) for (const id of c.header.executed) count.set(id, (count.get(id) ?? 0) + 1);
  for (const [id, e] of w.mailbox) {
    const n = count.get(id) ?? 0;
    if (e.state === 'delivered' ? n !== 1 : n !== 0) return `message ${id} is ${e.state} and executed ${n} times`;
  }
  for (const id of count.keys()) if (!w.mailbox.has(id)) return `message ${id} was executed but never archived`;
  return undefined;
};

/**
 * Header chain: committed headers form one chain from the genesis hash, heights 1..n, with
 * non-decreasing forced counts within the queue.
 *
 * @spec SPN-HDR-VERIFY.1 SPN-ESCAPE-FIFO.1
 */
export const headerChain = (w: World): string | undefined => {
  for (const r of w.spns.values()) {
    let prevForced = 0;
    for (const [i, c] of r.committed.entries()) {
      const parent = i === 0 ? committedTip({ ...r, committed: [] } as SpnRecord) : r.committed[i - 1]!.hash;
      if (c.header.height !== i + 1 || c.header.parent !== parent) return `${r.id}: committed header ${i + 1} breaks the chain`;
      if (c.header.forcedProcessed < prevForced || c.header.forcedProcessed > r.forcedQueue.length) return `${r.id}: forced count not a growing prefix`;
      prevForced = c.header.forcedProcessed;
    }
  }
  return undefined;
};

/** Restake bound: restaked plus queued stP never exceeds stake; nothing is negative. @spec SPN-RESTAKE-BOUND.1 */
export const restakeBound = (w: World): string | undefined => {
  for (const [v, rec] of w.validators) {
    const queued = sum(w.unrestakes.filter((u) => u.validator === v).map((u) => u.amount));
    const alloc = sum(rec.alloc.values());
    if ([...rec.alloc.values()].some((x) => x < 0n) || queued < 0n || rec.stake < 0n || alloc + queued > rec.stake) return `${v}: restaked ${alloc} + queued ${queued} > stake ${rec.stake}`;
  }
  return undefined;
};

/** Frozen state: a frozen SPN has a frozen root equal to its last committed root. @spec SPN-ESCAPE-FROZEN-FOREVER.1 */
export const frozenConsistent = (w: World): string | undefined => {
  for (const r of w.spns.values()) {
    if ((r.status === 'frozen') !== (r.frozen !== undefined)) return `${r.id}: status ${r.status} disagrees with the frozen record`;
    if (r.frozen !== undefined && r.frozen.forcedProcessed !== committedForced(r)) return `${r.id}: headers were committed after the freeze`;
  }
  return undefined;
};

/** Every state invariant by name. */
export const STATE_INVARIANTS: readonly { readonly name: string; readonly check: (w: World) => string | undefined }[] = [
  { name: 'Conservation', check: conservation },
  { name: 'EscrowBacking', check: escrowBacking },
  { name: 'NoDoubleWithdrawal', check: noDoubleWithdrawal },
  { name: 'ExactlyOnce', check: exactlyOnce },
  { name: 'HeaderChain', check: headerChain },
  { name: 'RestakeBound', check: restakeBound },
  { name: 'FrozenConsistent', check: frozenConsistent },
];

/**
 * Step invariants: frozen and retired are forever, the frozen root never changes, a used evidence
 * key never burns again, and the burned total never decreases.
 *
 * @spec SPN-ESCAPE-FROZEN-FOREVER.1 SPN-RESTAKE-SLASH-ONCE.1 SPN-LIFE-STATUS.1
 */
export const stepInvariant = (before: World, after: World): string | undefined => {
  for (const r of before.spns.values()) {
    const a = after.spns.get(r.id);
    if (a === undefined) return `${r.id} disappeared`;
    if ((r.status === 'frozen' || r.status === 'retired') && a.status !== r.status) return `${r.id} left ${r.status}`;
    if (r.frozen !== undefined && a.frozen?.root !== r.frozen.root) return `${r.id}: frozen root changed`;
    if (r.status === 'active' && a.status === 'registered') return `${r.id}: went back to registered`;
  }
  if (after.burned < before.burned) return 'burned stake decreased';
  if (after.burned > before.burned && after.evidence.size !== before.evidence.size + 1) return 'stake burned without a new evidence key';
  for (const k of before.evidence) if (!after.evidence.has(k)) return `evidence ${k} forgotten`;
  return undefined;
};

/**
 * Bounded completion, checked on every state of a run in which watchers freeze an SPN at most
 * `k` blocks after it becomes freezable: no forced operation of an active SPN stays uncovered by a
 * committed header for more than `incDeadline + 1 + k` blocks.
 *
 * @spec SPN-ESCAPE-BOUNDED.1
 */
export const boundedCompletion = (w: World, k: number): string | undefined => {
  for (const r of w.spns.values()) {
    if (r.status !== 'active') continue;
    const head = r.forcedQueue[committedForced(r)];
    if (head !== undefined && w.height > head.enqueuedAt + w.params.incDeadline + 1 + k) {
      return `${r.id}: forced operation ${committedForced(r)} enqueued at ${head.enqueuedAt} is unresolved at ${w.height}`;
    }
  }
  return undefined;
};
