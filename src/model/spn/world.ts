/**
 * Genesis, lookups and the projection of a world onto plain data (what vectors record and what
 * the model and the implementation are compared on).
 *
 * @module
 */
import { fail, ok, type Result } from '../encoding/index.js';
import { genesisHash, ZERO_HASH } from './merkle.js';
import type { Genesis, Leaf, SpnBlock, SpnParams, SpnRecord, World } from './types.js';

const ID = /^[a-z0-9][a-z0-9._-]{0,31}$/;

/** Identifiers of accounts, assets, SPNs and validators. @spec SPN-ID-FORMAT.1 */
export const isValidId = (s: string): boolean => ID.test(s);

/** Mainnet balance key. */
export const balanceKey = (account: string, asset: string): string => `${account}/${asset}`;

export const getBalance = (m: ReadonlyMap<string, bigint>, key: string): bigint => m.get(key) ?? 0n;

/** Returns a copy of `m` with `key` set to `value` (zero entries are removed, so equal balances have equal maps). */
export const withAmount = (m: ReadonlyMap<string, bigint>, key: string, value: bigint): ReadonlyMap<string, bigint> => {
  const out = new Map(m);
  if (value === 0n) out.delete(key);
  else out.set(key, value);
  return out;
};

export const withEntry = <K, V>(m: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> => new Map(m).set(key, value);
export const withMember = <T>(s: ReadonlySet<T>, x: T): ReadonlySet<T> => new Set(s).add(x);

/**
 * The initial world: no SPNs, no stake, the given mainnet balances. The global parameters must be
 * in range.
 *
 * @spec SPN-PARAMS-GLOBAL.1
 */
export const genesisWorld = (g: Genesis): Result<World> => {
  const p = g.params;
  const intIn = (x: number, lo: number, hi: number): boolean => Number.isSafeInteger(x) && x >= lo && x <= hi;
  if (!intIn(p.incDeadline, 1, 1_000_000) || !intIn(p.liveDeadline, 1, 1_000_000) || !intIn(p.paramDelay, 0, 1_000_000) || !intIn(p.msgTimeout, 1, 1_000_000)) {
    return fail('Spn.Genesis.BAD_PARAMS', 'incDeadline, liveDeadline and msgTimeout must be integers in 1..1000000, paramDelay in 0..1000000');
  }
  if (!intIn(p.slashBps, 1, 10_000)) return fail('Spn.Genesis.BAD_PARAMS', `slashBps must be in 1..10000, got ${p.slashBps}`);
  if (!isValidId(p.stakeAsset)) return fail('Spn.Genesis.BAD_ID', `stakeAsset ${JSON.stringify(p.stakeAsset)} is not a valid id`);
  const balances = new Map<string, bigint>();
  const supply = new Map<string, bigint>();
  for (const [i, b] of g.balances.entries()) {
    if (!isValidId(b.account) || !isValidId(b.asset)) return fail('Spn.Genesis.BAD_ID', `balance ${i}: account and asset must be valid ids`);
    if (b.amount < 0n) return fail('Spn.Genesis.BAD_AMOUNT', `balance ${i}: negative amount`);
    const k = balanceKey(b.account, b.asset);
    if (balances.has(k)) return fail('Spn.Genesis.DUPLICATE_BALANCE', `balance ${i}: ${k} is listed twice`);
    if (b.amount > 0n) balances.set(k, b.amount);
    supply.set(b.asset, (supply.get(b.asset) ?? 0n) + b.amount);
  }
  for (const v of g.byzantine) if (!isValidId(v)) return fail('Spn.Genesis.BAD_ID', `Byzantine validator ${JSON.stringify(v)} is not a valid id`);
  return ok({
    params: p, height: 0, balances, validators: new Map(), byzantine: new Set(g.byzantine), unrestakes: [], nextUnrestakeId: 0,
    burned: 0n, evidence: new Set(), spns: new Map(), headers: new Map(), published: new Set(), signatures: new Set(),
    mailbox: new Map(), nextArchiveSeq: new Map(), finalized: new Set(), supply,
  });
};

/** The hash of the last committed header of an SPN, or its genesis hash. */
export const committedTip = (r: SpnRecord): string => r.committed.at(-1)?.hash ?? genesisHash(r.id);

/** The committed block (header and data) at the tip, if any. */
export const committedBlock = (w: World, r: SpnRecord): SpnBlock | undefined => {
  const tip = r.committed.at(-1);
  return tip === undefined ? undefined : w.headers.get(tip.hash);
};

/** The leaves of the last committed state (empty before the first header). */
export const committedLeaves = (w: World, r: SpnRecord): readonly Leaf[] => committedBlock(w, r)?.leaves ?? [];

export const committedForced = (r: SpnRecord): number => r.committed.at(-1)?.header.forcedProcessed ?? 0;

export const committedRoot = (r: SpnRecord): string => r.committed.at(-1)?.header.stateRoot ?? ZERO_HASH;

/** Restaked power of each validator that counts for an SPN's quorum (non-zero, not tombstoned). */
export const quorumPower = (w: World, r: SpnRecord): ReadonlyMap<string, bigint> => {
  const out = new Map<string, bigint>();
  for (const [v, rec] of [...w.validators].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const a = rec.alloc.get(r.id) ?? 0n;
    if (a > 0n && !r.tombstoned.has(v)) out.set(v, a);
  }
  return out;
};

/** The epoch a mainnet height falls in, for an SPN. @spec SPN-EPOCH-SET.1 */
export const epochOf = (r: SpnRecord, height: number): number => Math.floor(height / r.params.epochLength);

/** The first epoch boundary strictly after `height`. @spec SPN-RESTAKE-UNRESTAKE.1 */
export const nextEpochStart = (r: SpnRecord, height: number): number => (epochOf(r, height) + 1) * r.params.epochLength;

/** The validator set of an epoch, empty if none was taken (before activation). @spec SPN-EPOCH-SET.1 */
export const epochSet = (r: SpnRecord, epoch: number): ReadonlyMap<string, bigint> => r.validatorSets.get(epoch) ?? new Map<string, bigint>();

/** The latest epoch with a validator set, or -1. */
export const latestEpoch = (r: SpnRecord): number => Math.max(-1, ...r.validatorSets.keys());

// ---------------------------------------------------------------------------------------------
// Projection

const sortStrings = (xs: Iterable<string>): string[] => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export interface ProjectedParams {
  readonly targetValidators: number; readonly softCap: string; readonly hardCap: string;
  readonly unrestakeDelay: number; readonly evidenceWindow: number; readonly epochLength: number;
}

const projectParams = (p: SpnParams): ProjectedParams => ({
  targetValidators: p.targetValidators, softCap: p.softCap.toString(), hardCap: p.hardCap.toString(),
  unrestakeDelay: p.unrestakeDelay, evidenceWindow: p.evidenceWindow, epochLength: p.epochLength,
});

/** What a world is compared and recorded on; every amount is a decimal string, every list sorted. */
export interface WorldProjection {
  readonly height: number;
  readonly balances: readonly { readonly key: string; readonly amount: string }[];
  readonly validators: readonly { readonly validator: string; readonly stake: string; readonly alloc: readonly { readonly spn: string; readonly amount: string }[] }[];
  readonly unrestakes: readonly { readonly id: number; readonly validator: string; readonly spn: string; readonly amount: string; readonly readyAt: number }[];
  readonly burned: string;
  readonly evidence: readonly string[];
  readonly spns: readonly {
    readonly id: string; readonly status: string; readonly admin: string; readonly operator: string;
    readonly escrow: readonly { readonly asset: string; readonly amount: string }[];
    readonly committedHeight: number; readonly committedRoot: string; readonly committedForced: number; readonly lastProgressAt: number;
    readonly headHeight: number; readonly headRoot: string; readonly headForced: number;
    readonly forcedQueue: number; readonly frozenRoot: string | null; readonly claimed: readonly string[]; readonly refunded: readonly number[];
    readonly tombstoned: readonly string[];
    readonly params: ProjectedParams; readonly pendingParams: (ProjectedParams & { readonly readyAt: number }) | null;
    readonly epoch: number; readonly validatorSet: readonly { readonly validator: string; readonly power: string }[];
  }[];
  readonly mailbox: readonly { readonly id: string; readonly src: string; readonly dst: string; readonly seq: number; readonly state: string }[];
  readonly finalized: readonly string[];
}

/** The projection of a world. @spec SPN-STATE-PROJECTION.1 */
export const projectWorld = (w: World): WorldProjection => ({
  height: w.height,
  balances: sortStrings(w.balances.keys()).map((key) => ({ key, amount: getBalance(w.balances, key).toString() })),
  validators: sortStrings(w.validators.keys()).map((validator) => {
    const rec = w.validators.get(validator)!;
    return { validator, stake: rec.stake.toString(), alloc: sortStrings(rec.alloc.keys()).map((spn) => ({ spn, amount: rec.alloc.get(spn)!.toString() })) };
  }),
  unrestakes: w.unrestakes.map((u) => ({ id: u.id, validator: u.validator, spn: u.spn, amount: u.amount.toString(), readyAt: u.readyAt })),
  burned: w.burned.toString(),
  evidence: sortStrings(w.evidence),
  spns: sortStrings(w.spns.keys()).map((id) => {
    const r = w.spns.get(id)!;
    const head = r.chain.blocks.at(-1);
    return {
      id, status: r.status, admin: r.admin, operator: r.operator,
      escrow: sortStrings(r.escrow.keys()).map((asset) => ({ asset, amount: r.escrow.get(asset)!.toString() })),
      committedHeight: r.committed.length, committedRoot: committedRoot(r), committedForced: committedForced(r), lastProgressAt: r.lastProgressAt,
      headHeight: r.chain.blocks.length, headRoot: head?.header.stateRoot ?? ZERO_HASH, headForced: r.chain.forcedProcessed,
      forcedQueue: r.forcedQueue.length, frozenRoot: r.frozen?.root ?? null, claimed: sortStrings(r.claimed),
      refunded: [...r.refunded].sort((a, b) => a - b), tombstoned: sortStrings(r.tombstoned),
      params: projectParams(r.params),
      pendingParams: r.pendingParams === undefined ? null : { ...projectParams(r.pendingParams.params), readyAt: r.pendingParams.readyAt },
      epoch: latestEpoch(r),
      validatorSet: (() => { const set = epochSet(r, latestEpoch(r)); return sortStrings(set.keys()).map((validator) => ({ validator, power: set.get(validator)!.toString() })); })(),
    };
  }),
  mailbox: sortStrings(w.mailbox.keys()).map((id) => {
    const e = w.mailbox.get(id)!;
    return { id, src: e.message.src, dst: e.message.dst, seq: e.message.seq, state: e.state };
  }),
  finalized: sortStrings(w.finalized),
});
