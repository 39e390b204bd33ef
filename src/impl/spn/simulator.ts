/**
 * An adversarial simulator: it drives a world with users, relayers, watchers, validators and SPN
 * operators whose behaviour is chosen per SPN (honest, censoring, halting, withholding data,
 * equivocating), and relayers that duplicate, replay and reorder. Every random choice is drawn
 * from a caller-supplied source, so a run is reproducible from its choices (fast-check shrinks
 * them). The simulator proposes actions; it never applies them itself.
 *
 * The watcher obeys the assumption of SPN-ESCAPE-BOUNDED.1: once an SPN has been freezable for
 * `watcherDelay` blocks, the next action is `freeze` instead of `tick`.
 *
 * @module
 */
import type { LocalTx, Message, SpnAction, WithdrawalEntry } from '../../model/spn/types.js';
import { canFreeze, messageId, proveEscape, proveOutbox, view, type ImplWorld } from './world.js';

export type OperatorBehaviour = 'honest' | 'censor' | 'halt' | 'withhold' | 'equivocate';
export const BEHAVIOURS: readonly OperatorBehaviour[] = ['honest', 'censor', 'halt', 'withhold', 'equivocate'];

/** A source of choices: `below(n)` is an integer in [0, n). */
export interface Choices {
  readonly below: (n: number) => number;
}

/** Choices from a fixed list (cycled), for fast-check-generated runs. */
export const listChoices = (xs: readonly number[]): Choices => {
  let i = 0;
  return { below: (n) => (xs.length === 0 ? 0 : xs[i++ % xs.length]! % n) };
};

export interface SimConfig {
  readonly spns: readonly string[];
  readonly users: readonly string[];
  readonly assets: readonly string[];
  readonly honest: readonly string[];
  readonly byzantine: readonly string[];
  readonly operator: (spn: string) => string;
  readonly behaviour: ReadonlyMap<string, OperatorBehaviour>;
  readonly watcherDelay: number;
}

const pick = <T>(c: Choices, xs: readonly T[]): T => xs[c.below(xs.length)]!;
const amount = (c: Choices, max: number): bigint => BigInt(1 + c.below(max));

/** The height from which an SPN may be frozen, if it is active and has a deadline at all. */
const freezableFrom = (w: ImplWorld, spn: string): number | undefined => {
  const s = view.spn(w, spn);
  if (s === undefined || s.status !== 'active') return undefined;
  const covered = s.committed.at(-1)?.header.forcedProcessed ?? 0;
  const head = s.forcedQueue[covered];
  const live = s.lastProgressAt + w.params.liveDeadline + 1;
  return head === undefined ? live : Math.min(live, head.enqueuedAt + w.params.incDeadline + 1);
};

/** The watcher's duty: the SPN it must freeze now, before the mainnet may advance. */
export const overdueFreeze = (w: ImplWorld, cfg: SimConfig): string | undefined =>
  cfg.spns.find((s) => {
    const from = freezableFrom(w, s);
    return from !== undefined && canFreeze(w, s) && w.height >= from + cfg.watcherDelay;
  });

const localTx = (c: Choices, cfg: SimConfig, w: ImplWorld, spn: string): LocalTx => {
  // Mostly spend from an account that holds something on this SPN.
  const holders = view.spn(w, spn)!.chain.keys.filter((k) => view.headBalance(w, spn, k.account, k.asset) > 0n);
  const h = holders.length > 0 && c.below(6) > 0 ? pick(c, holders) : { account: pick(c, cfg.users), asset: pick(c, cfg.assets) };
  const from = h.account;
  const asset = h.asset;
  const have = view.headBalance(w, spn, from, asset);
  const amt = have > 0n && c.below(8) > 0 ? 1n + BigInt(c.below(Number(have > 60n ? 60n : have))) : amount(c, 20);
  switch (c.below(4)) {
    case 0: return { type: 'transfer', from, to: pick(c, cfg.users), asset, amount: amt };
    case 1: return { type: 'withdraw', account: from, asset, amount: amt };
    default: return { type: 'send', from, dst: pick(c, cfg.spns.filter((s) => s !== spn).concat(c.below(10) === 0 ? [spn] : [])), recipient: pick(c, cfg.users), asset, amount: amt };
  }
};

/** The operator's next block, by behaviour; some transactions may fail (then the block is invalid). */
const operatorAction = (c: Choices, cfg: SimConfig, w: ImplWorld, spn: string): SpnAction | undefined => {
  const s = view.spn(w, spn)!;
  const b = cfg.behaviour.get(spn) ?? 'honest';
  if (b === 'halt' && c.below(4) > 0) return undefined;
  const queued = s.forcedQueue.length - s.chain.forcedProcessed;
  const forced = b === 'censor' ? (c.below(4) === 0 ? Math.min(queued, 1) : 0) : c.below(4) === 0 ? c.below(queued + 1) : queued;
  const txs: LocalTx[] = [];
  // Balances change as transactions apply; keep valid ones mostly by checking the head only.
  const n = c.below(4);
  for (let i = 0; i < n; i++) {
    const tx = localTx(c, cfg, w, spn);
    const from = tx.type === 'withdraw' ? tx.account : tx.from;
    // Two transactions from one account may overdraw it: that block is then invalid, as it should be.
    if (c.below(8) === 0 || view.headBalance(w, spn, from, tx.asset) >= tx.amount * BigInt(n)) txs.push(tx);
  }
  const pending = view.pendingFor(w, spn).filter((id) => !s.chain.executed.has(id) && (view.message(w, id)?.message.timeoutAt ?? 0) > w.height);
  const deliver = b === 'censor' && c.below(2) === 0 ? [] : pending.filter(() => c.below(3) > 0);
  if (c.below(12) === 0 && pending.length > 0) deliver.push(pick(c, pending));
  if (b === 'equivocate' && c.below(3) === 0) {
    return { type: 'forge', spn, height: 1 + c.below(s.chain.blocks.length + 1), mint: { account: pick(c, cfg.users), asset: pick(c, cfg.assets), balance: amount(c, 500) } };
  }
  return { type: 'produce', by: c.below(25) === 0 ? pick(c, cfg.users) : cfg.operator(spn), spn, forced, txs, deliver, publish: b === 'withhold' ? c.below(4) === 0 : c.below(30) > 0 };
};

/**
 * A relayer: mostly makes progress (commits produced headers, archives committed messages in
 * order, pays committed withdrawals, times out messages that can no longer execute, reports double
 * signing), sometimes replays, reorders or tampers.
 */
const relayerAction = (c: Choices, cfg: SimConfig, w: ImplWorld): SpnAction | undefined => {
  const spn = pick(c, cfg.spns);
  const s = view.spn(w, spn)!;
  const hostile = c.below(8) === 0;
  const out = view.committedOutbox(w, spn);
  const options: (() => SpnAction | undefined)[] = [];
  if (s.chain.blocks.length > s.committed.length || hostile) {
    options.push(() => {
      if (hostile) {
        const forged = [...w.headers.values()].filter((b) => b.header.spn === spn && b.header.height === s.committed.length + 1).map((b) => b.hash);
        if (forged.length > 0 && c.below(2) === 0) return { type: 'commit', spn, headers: [pick(c, forged)] };
        if (s.committed.length > 0) return { type: 'commit', spn, headers: [s.committed.at(-1)!.hash] };
      }
      const next = s.chain.blocks.slice(s.committed.length, s.committed.length + 1 + c.below(3)).map((b) => b.hash);
      return next.length === 0 ? undefined : { type: 'commit', spn, headers: next };
    });
  }
  const msgs = out.filter((o) => o.entry.type === 'message' && (hostile || !view.isArchived(w, o.entry as Message)));
  if (msgs.length > 0) {
    options.push(() => {
      const inOrder = msgs.filter((o) => { const m = o.entry as Message; return m.seq === view.archiveSeq(w, m.src, m.dst); });
      const o = inOrder.length > 0 && !hostile ? pick(c, inOrder) : pick(c, msgs);
      const p = proveOutbox(w, spn, o.height, o.index);
      if (!p.ok) return undefined;
      const proof = hostile && c.below(2) === 0 ? { ...p.value.proof, index: p.value.proof.index ^ 1 } : p.value.proof;
      return { type: 'archive', height: o.height, message: p.value.entry as Message, proof };
    });
  }
  const wds = out.filter((o) => o.entry.type === 'withdrawal' && (hostile || !view.isFinalized(w, o.entry as WithdrawalEntry)));
  if (wds.length > 0) {
    options.push(() => {
      const o = pick(c, wds);
      const p = proveOutbox(w, spn, o.height, o.index);
      if (!p.ok) return undefined;
      const e = p.value.entry as WithdrawalEntry;
      return { type: 'finalize-withdrawal', spn, height: o.height, entry: hostile && c.below(2) === 0 ? { ...e, amount: e.amount + 1n } : e, proof: p.value.proof };
    });
  }
  const toDst = [...w.mailbox.values()].filter((e) => e.message.dst === spn && (hostile || e.state === 'archived'));
  if (toDst.length > 0) options.push(() => ({ type: 'timeout', id: messageId(pick(c, toDst).message) }));
  const sameHeight = [...w.headers.values()].filter((b) => b.header.spn === spn);
  if (sameHeight.length > s.chain.blocks.length) {
    options.push(() => {
      const a = pick(c, sameHeight);
      const others = sameHeight.filter((x) => x.header.height === a.header.height && x.hash !== a.hash);
      const b = others.length > 0 && !hostile ? pick(c, others) : a;
      return { type: 'evidence', validator: pick(c, [...cfg.byzantine, ...cfg.byzantine, ...cfg.honest]), headerA: a.hash, headerB: b.hash };
    });
  }
  return options.length === 0 ? undefined : pick(c, options)();
};

/** Users: deposits and forced withdrawals on mainnet; escapes and refunds once frozen. */
const userAction = (c: Choices, cfg: SimConfig, w: ImplWorld): SpnAction | undefined => {
  const spn = pick(c, cfg.spns);
  const s = view.spn(w, spn)!;
  const account = pick(c, cfg.users);
  const asset = pick(c, cfg.assets);
  if (s.status === 'frozen' && c.below(4) > 0) {
    if (c.below(3) === 0 && s.forcedQueue.length > 0) return { type: 'refund-deposit', spn, index: c.below(s.forcedQueue.length + 1) };
    const tip = s.committed.at(-1);
    const leaves = tip === undefined ? [] : w.headers.get(tip.hash)!.leaves.filter((l) => l.balance > 0n);
    const target = leaves.length > 0 && c.below(6) > 0 ? pick(c, leaves) : { account, asset };
    const p = proveEscape(w, spn, target.account, target.asset);
    if (!p.ok) return undefined;
    const leaf = c.below(12) === 0 ? { ...p.value.leaf, balance: p.value.leaf.balance + 1n } : p.value.leaf;
    return { type: 'escape', spn, leaf, proof: p.value.proof };
  }
  if (c.below(2) === 0) return { type: 'deposit', account, spn, asset, amount: amount(c, 120) };
  return { type: 'force-withdraw', account, spn, asset, amount: amount(c, 80) };
};

/** Validators: small unrestakes (honest restake stays at 50 or more), completions, restakes. */
const validatorAction = (c: Choices, cfg: SimConfig, w: ImplWorld): SpnAction | undefined => {
  const spn = pick(c, cfg.spns);
  switch (c.below(3)) {
    case 0: {
      const v = pick(c, cfg.honest);
      const have = w.validators.get(v)?.alloc.get(spn) ?? 0n;
      return have >= 60n ? { type: 'request-unrestake', validator: v, spn, amount: amount(c, 10) } : undefined;
    }
    case 1: {
      const ids = [...w.unrestakes.keys()];
      return ids.length === 0 ? undefined : { type: 'complete-unrestake', id: pick(c, ids) };
    }
    default:
      return { type: 'restake', validator: pick(c, cfg.honest), spn, amount: amount(c, 30) };
  }
};

/**
 * The admin changes parameters (mostly legal changes of an active SPN: hard cap, longer unrestake
 * delay; sometimes ones the rules refuse), or anyone applies a pending change.
 */
const adminAction = (c: Choices, cfg: SimConfig, w: ImplWorld): SpnAction | undefined => {
  const spn = pick(c, cfg.spns);
  const s = view.spn(w, spn)!;
  if (s.pendingParams !== undefined && c.below(3) > 0) return { type: 'apply-params', spn };
  const p = s.params;
  const restaked = s.restaked;
  const params = (() => {
    switch (c.below(8)) {
      case 0: return { ...p, evidenceWindow: p.evidenceWindow + 1 };
      case 1: return { ...p, unrestakeDelay: p.evidenceWindow - 1 };
      case 2: return { ...p, hardCap: restaked - 1n };
      case 3: return { ...p, softCap: p.softCap + 1n };
      default: return { ...p, hardCap: restaked + BigInt(c.below(200)), unrestakeDelay: p.unrestakeDelay + c.below(3) };
    }
  })();
  return { type: 'propose-params', by: c.below(6) === 0 ? pick(c, cfg.users) : cfg.operator(spn), spn, params };
};

/**
 * The next action: mostly well-formed moves of some actor, sometimes hostile ones. Returns `tick`
 * when the mainnet advances, unless a watcher must freeze first.
 */
export const nextAction = (c: Choices, cfg: SimConfig, w: ImplWorld): SpnAction => {
  for (let attempt = 0; attempt < 4; attempt++) {
    const roll = c.below(100);
    let a: SpnAction | undefined;
    if (roll < 9) a = { type: 'tick' };
    else if (roll < 40) a = operatorAction(c, cfg, w, pick(c, cfg.spns));
    else if (roll < 72) a = relayerAction(c, cfg, w);
    else if (roll < 90) a = userAction(c, cfg, w);
    else if (roll < 95) a = validatorAction(c, cfg, w);
    else if (roll < 97) a = { type: 'freeze', spn: pick(c, cfg.spns) };
    else if (roll < 99) a = adminAction(c, cfg, w);
    else a = { type: 'retire', by: c.below(2) === 0 ? cfg.operator(pick(c, cfg.spns)) : pick(c, cfg.users), spn: pick(c, cfg.spns) };
    if (a !== undefined) {
      if (a.type !== 'tick') return a;
      const due = overdueFreeze(w, cfg);
      return due === undefined ? a : { type: 'freeze', spn: due };
    }
  }
  const due = overdueFreeze(w, cfg);
  return due === undefined ? { type: 'tick' } : { type: 'freeze', spn: due };
};
