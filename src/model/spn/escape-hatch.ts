/**
 * The escape hatch of one SPN, abstracted to one asset: the TypeScript twin of
 * `spec/tla/EscapeHatch.tla`. The same fourteen variables, the same actions and the same
 * invariants, so that the explorer reaches exactly as many distinct states as TLC and tla-checker
 * on every configuration. The full state machine (`rules.ts`) refines this abstraction: its
 * forced queue, committed and head states, escrow, freeze, claims and refunds project onto these
 * variables for one asset.
 *
 * @module
 */
import { fail, ok, type Result } from '../encoding/index.js';
import type { Action, Invariant, Machine } from '../../conformance/explore/explore.js';

export interface EscapeHatchConfig {
  readonly n: number;
  readonly start: number;
  readonly maxQueue: number;
  readonly incDeadline: number;
  readonly k: number;
  readonly maxHeight: number;
  /** Whether the deadline rule exists (false only in a must-fail configuration). */
  readonly deadlineRule: boolean;
  /** Whether escape claims are once per account (false only in a must-fail configuration). */
  readonly singleClaim: boolean;
}

export interface QueueOp {
  readonly kind: 'dep' | 'wd';
  readonly user: number;
  readonly amt: number;
  readonly at: number;
}

/** Per-user values are arrays indexed by user - 1. */
export interface EhState {
  readonly h: number;
  readonly main: readonly number[];
  readonly escrow: number;
  readonly queue: readonly QueueOp[];
  readonly head: readonly number[];
  readonly headFp: number;
  readonly headOut: readonly number[];
  readonly com: readonly number[];
  readonly comFp: number;
  readonly wd: readonly number[];
  readonly status: 'active' | 'frozen';
  readonly wasFrozen: boolean;
  readonly claims: readonly number[];
  readonly refunded: readonly number[];
}

/** The module's ASSUME. */
export const escapeHatchConfig = (c: EscapeHatchConfig): Result<EscapeHatchConfig> => {
  const within = (x: number, lo: number, hi: number): boolean => Number.isInteger(x) && x >= lo && x <= hi;
  if (!within(c.n, 1, 3) || !within(c.start, 0, 3) || !within(c.maxQueue, 1, 3) || !within(c.incDeadline, 0, 5) || !within(c.k, 0, 5) || !within(c.maxHeight, 0, 20)) {
    return fail('Spn.EscapeHatch.BAD_CONFIG', 'constants out of the ranges EscapeHatch.tla assumes');
  }
  return ok(c);
};

const set = (xs: readonly number[], i: number, v: number): readonly number[] => xs.map((x, j) => (j === i ? v : x));
const zeros = (c: EscapeHatchConfig): readonly number[] => Array.from({ length: c.n }, () => 0);
const total = (c: EscapeHatchConfig): number => c.n * c.start;
const sumOf = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

export const ehInit = (c: EscapeHatchConfig): EhState => ({
  h: 0, main: Array.from({ length: c.n }, () => c.start), escrow: 0, queue: [], head: zeros(c), headFp: 0, headOut: zeros(c),
  com: zeros(c), comFp: 0, wd: zeros(c), status: 'active', wasFrozen: false, claims: zeros(c), refunded: [],
});

const uncovered = (s: EhState): boolean => s.comFp < s.queue.length;
const oldestAt = (s: EhState): number => s.queue[s.comFp]!.at;

/** @spec SPN-ESCAPE-DEADLINE.1 */
export const freezeAllowed = (c: EscapeHatchConfig, s: EhState): boolean =>
  c.deadlineRule && s.status === 'active' && uncovered(s) && s.h > oldestAt(s) + c.incDeadline;

const overdue = (c: EscapeHatchConfig, s: EhState): boolean => freezeAllowed(c, s) && s.h >= oldestAt(s) + c.incDeadline + 1 + c.k;

/** @spec SPN-BRIDGE-DEPOSIT.1 */
export const ehDeposit = (c: EscapeHatchConfig, s: EhState, u: number, x: number): EhState | undefined =>
  s.status !== 'active' || s.queue.length >= c.maxQueue || s.main[u - 1]! < x ? undefined
    : { ...s, main: set(s.main, u - 1, s.main[u - 1]! - x), escrow: s.escrow + x, queue: [...s.queue, { kind: 'dep', user: u, amt: x, at: s.h }] };

/** @spec SPN-ESCAPE-REQUEST.1 */
export const ehForceWithdraw = (c: EscapeHatchConfig, s: EhState, u: number, x: number): EhState | undefined =>
  s.status !== 'active' || s.queue.length >= c.maxQueue ? undefined : { ...s, queue: [...s.queue, { kind: 'wd', user: u, amt: x, at: s.h }] };

/** @spec SPN-ESCAPE-FIFO.1 SPN-HDR-PRODUCE.1 */
export const ehProcess = (s: EhState): EhState | undefined => {
  if (s.status !== 'active' || s.headFp >= s.queue.length) return undefined;
  const op = s.queue[s.headFp]!;
  const i = op.user - 1;
  if (op.kind === 'dep') return { ...s, head: set(s.head, i, s.head[i]! + op.amt), headFp: s.headFp + 1 };
  if (s.head[i]! >= op.amt) return { ...s, head: set(s.head, i, s.head[i]! - op.amt), headOut: set(s.headOut, i, s.headOut[i]! + op.amt), headFp: s.headFp + 1 };
  return { ...s, headFp: s.headFp + 1 };
};

export const ehTransfer = (s: EhState, u: number, v: number, x: number): EhState | undefined =>
  s.status !== 'active' || u === v || s.head[u - 1]! < x ? undefined
    : { ...s, head: set(set(s.head, u - 1, s.head[u - 1]! - x), v - 1, s.head[v - 1]! + x) };

/** @spec SPN-HDR-VERIFY.1 SPN-HDR-DA.1 */
export const ehCommit = (s: EhState): EhState | undefined => {
  if (s.status !== 'active') return undefined;
  const same = s.headFp === s.comFp && s.head.every((x, i) => x === s.com[i]);
  if (same && s.headOut.every((x) => x === 0)) return undefined;
  return { ...s, com: s.head, comFp: s.headFp, wd: s.wd.map((x, i) => x + s.headOut[i]!), headOut: s.headOut.map(() => 0) };
};

/** @spec SPN-BRIDGE-WITHDRAW.1 */
export const ehFinalize = (s: EhState, u: number): EhState | undefined =>
  s.wd[u - 1]! <= 0 ? undefined : { ...s, main: set(s.main, u - 1, s.main[u - 1]! + s.wd[u - 1]!), escrow: s.escrow - s.wd[u - 1]!, wd: set(s.wd, u - 1, 0) };

/** @spec SPN-ESCAPE-FREEZE.1 */
export const ehFreeze = (c: EscapeHatchConfig, s: EhState): EhState | undefined =>
  !freezeAllowed(c, s) ? undefined : { ...s, status: 'frozen', wasFrozen: true, head: s.com, headFp: s.comFp, headOut: s.headOut.map(() => 0) };

/** @spec SPN-ESCAPE-CLAIM.1 */
export const ehEscape = (c: EscapeHatchConfig, s: EhState, u: number): EhState | undefined => {
  const i = u - 1;
  if (s.status !== 'frozen' || s.com[i]! <= 0 || (c.singleClaim && s.claims[i] !== 0) || s.escrow < s.com[i]!) return undefined;
  return { ...s, main: set(s.main, i, s.main[i]! + s.com[i]!), escrow: s.escrow - s.com[i]!, claims: set(s.claims, i, s.claims[i]! + 1) };
};

/** @spec SPN-ESCAPE-REFUND.1 */
export const ehRefund = (s: EhState, idx: number): EhState | undefined => {
  const op = s.queue[idx - 1];
  if (s.status !== 'frozen' || idx <= s.comFp || op === undefined || op.kind !== 'dep' || s.refunded.includes(idx)) return undefined;
  return { ...s, main: set(s.main, op.user - 1, s.main[op.user - 1]! + op.amt), escrow: s.escrow - op.amt, refunded: [...s.refunded, idx].sort((a, b) => a - b) };
};

/** @spec SPN-CLOCK.1 SPN-ESCAPE-BOUNDED.1 */
export const ehTick = (c: EscapeHatchConfig, s: EhState): EhState | undefined =>
  s.h >= c.maxHeight || overdue(c, s) ? undefined : { ...s, h: s.h + 1 };

const depAmt = (s: EhState, i: number): number => {
  const op = s.queue[i - 1];
  return op !== undefined && i > s.comFp && !s.refunded.includes(i) && op.kind === 'dep' ? op.amt : 0;
};

/** The invariants by their TLA+ names. */
export const ehInvariants = (c: EscapeHatchConfig): readonly Invariant<EhState>[] => [
  {
    name: 'TypeOK',
    holds: (s) => s.h >= 0 && s.h <= c.maxHeight && s.main.every((x) => x >= 0 && x <= total(c)) && s.escrow >= 0 && s.escrow <= total(c)
      && s.queue.length <= c.maxQueue && s.headFp >= 0 && s.headFp <= s.queue.length && s.comFp >= 0 && s.comFp <= s.headFp
      && s.refunded.every((i) => i >= 1 && i <= c.maxQueue),
  },
  /** @spec SPN-BRIDGE-CONSERVATION.1 */
  { name: 'Conservation', holds: (s) => sumOf(s.main) + s.escrow === total(c) },
  {
    name: 'EscrowBacking',
    holds: (s) => s.escrow === sumOf(s.com.map((x, i) => (s.claims[i]! > 0 ? 0 : x))) + [1, 2, 3].reduce((a, i) => a + depAmt(s, i), 0) + sumOf(s.wd),
  },
  { name: 'NoDoubleClaim', holds: (s) => s.claims.every((x) => x <= 1 && (x !== 1 || s.status === 'frozen')) },
  { name: 'FrozenForever', holds: (s) => !s.wasFrozen || (s.status === 'frozen' && s.headFp === s.comFp) },
  { name: 'ForcedPrefix', holds: (s) => s.comFp <= s.headFp && s.headFp <= s.queue.length },
  { name: 'BoundedCompletion', holds: (s) => !(s.status === 'active' && uncovered(s)) || s.h <= oldestAt(s) + c.incDeadline + 1 + c.k },
];

/** A canonical key: every variable, in declaration order. */
export const ehKey = (s: EhState): string => JSON.stringify(s);

/** The explorer machine: one action per TLA+ action instance. */
export const escapeHatchMachine = (c: EscapeHatchConfig, invariants = ehInvariants(c)): Machine<EhState> => {
  const users = Array.from({ length: c.n }, (_, i) => i + 1);
  const amounts = Array.from({ length: c.start }, (_, i) => i + 1);
  const lift = (name: string, f: (s: EhState) => EhState | undefined): Action<EhState> => ({ name, next: (s) => { const t = f(s); return t === undefined ? [] : [t]; } });
  const actions: Action<EhState>[] = [
    ...users.flatMap((u) => amounts.flatMap((x) => [lift(`Deposit(${u}, ${x})`, (s) => ehDeposit(c, s, u, x)), lift(`ForceWithdraw(${u}, ${x})`, (s) => ehForceWithdraw(c, s, u, x))])),
    lift('Process', ehProcess),
    ...users.flatMap((u) => users.flatMap((v) => amounts.map((x) => lift(`Transfer(${u}, ${v}, ${x})`, (s) => ehTransfer(s, u, v, x))))),
    lift('Commit', ehCommit),
    ...users.flatMap((u) => [lift(`Finalize(${u})`, (s) => ehFinalize(s, u)), lift(`Escape(${u})`, (s) => ehEscape(c, s, u))]),
    lift('Freeze', (s) => ehFreeze(c, s)),
    ...Array.from({ length: c.maxQueue }, (_, i) => lift(`Refund(${i + 1})`, (s) => ehRefund(s, i + 1))),
    lift('Tick', (s) => ehTick(c, s)),
  ];
  return { init: [ehInit(c)], actions, invariants, key: ehKey };
};

/** A cfg constant as the model reads it: integers and the booleans TRUE and FALSE. */
export type CfgConstant = { readonly kind: 'int'; readonly value: number } | { readonly kind: 'model'; readonly name: string } | { readonly kind: string };

/** Builds the twin machine from the constants of an `MC_EscapeHatch_*.cfg`. */
export const escapeHatchFromConstants = (constants: ReadonlyMap<string, CfgConstant>): Result<Machine<EhState>> => {
  const int = (name: string): number | undefined => {
    const v = constants.get(name);
    return v !== undefined && v.kind === 'int' && 'value' in v ? v.value : undefined;
  };
  const bool = (name: string): boolean | undefined => {
    const v = constants.get(name);
    return v !== undefined && v.kind === 'model' && 'name' in v ? (v.name === 'TRUE' ? true : v.name === 'FALSE' ? false : undefined) : undefined;
  };
  const [n, start, maxQueue, incDeadline, k, maxHeight] = ['N', 'Start', 'MaxQueue', 'IncDeadline', 'K', 'MaxHeight'].map(int);
  const [deadlineRule, singleClaim] = ['DeadlineRule', 'SingleClaim'].map(bool);
  if (n === undefined || start === undefined || maxQueue === undefined || incDeadline === undefined || k === undefined || maxHeight === undefined || deadlineRule === undefined || singleClaim === undefined) {
    return fail('Spn.EscapeHatch.BAD_CONFIG', 'the cfg must set N, Start, MaxQueue, IncDeadline, K, MaxHeight to integers and DeadlineRule, SingleClaim to TRUE or FALSE');
  }
  const c = escapeHatchConfig({ n, start, maxQueue, incDeadline, k, maxHeight, deadlineRule, singleClaim });
  return c.ok ? ok(escapeHatchMachine(c.value)) : c;
};
