import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ehCommit, ehDeposit, ehEscape, ehFinalize, ehForceWithdraw, ehFreeze, ehProcess, ehRefund, ehTick, ehTransfer, type EhState, type EscapeHatchConfig } from './escape-hatch.js';
import { committedForced, committedLeaves, genesisWorld, proveEscape, proveOutbox, step, type SpnAction, type World } from './index.js';
import { scenarioGenesis, scenarioSetup, SCENARIO_PARAMS } from './scenario.js';

/**
 * Refinement: runs of the full state machine restricted to one SPN, one asset and two users,
 * mapped onto the variables of EscapeHatch.tla, are runs of the TLA+ next-state relation (each
 * concrete step is a stutter or a sequence of abstract steps). This ties the chapter's model to
 * the module that was model-checked.
 */
const SPN = 'alpha';
const ASSET = 'usd';
const USERS = ['alice', 'bob'] as const;
const K = 1;
const PARAMS = { ...SCENARIO_PARAMS, liveDeadline: 1_000_000 };
// Bounds that the concrete runs never reach; the step functions do not check them.
const CFG: EscapeHatchConfig = { n: 2, start: 1000, maxQueue: 1000, incDeadline: PARAMS.incDeadline, k: K, maxHeight: 1_000_000, deadlineRule: true, singleClaim: true };

const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

/** The refinement mapping. */
const abstract = (w: World): EhState => {
  const s = w.spns.get(SPN)!;
  const frozen = s.status === 'frozen';
  const bal = (leaves: readonly { account: string; asset: string; balance: bigint }[], u: string): number =>
    Number(leaves.find((l) => l.account === u && l.asset === ASSET)?.balance ?? 0n);
  const com = USERS.map((u) => bal(committedLeaves(w, s), u));
  const uncommitted = s.chain.blocks.slice(s.committed.length);
  const wd = USERS.map((u) => s.committed.flatMap((c) => w.headers.get(c.hash)!.outbox)
    .filter((e) => e.type === 'withdrawal' && e.account === u && !w.finalized.has(`${SPN}/${e.nonce}`)).reduce((a, e) => a + Number(e.amount), 0));
  return {
    h: w.height,
    main: USERS.map((u) => Number(w.balances.get(`${u}/${ASSET}`) ?? 0n)),
    escrow: Number(s.escrow.get(ASSET) ?? 0n),
    queue: s.forcedQueue.map((op) => ({ kind: op.kind === 'deposit' ? 'dep' : 'wd', user: USERS.indexOf(op.account as 'alice') + 1, amt: Number(op.amount), at: op.enqueuedAt })),
    head: frozen ? com : USERS.map((u) => bal(s.chain.leaves, u)),
    headFp: frozen ? committedForced(s) : s.chain.forcedProcessed,
    headOut: frozen ? [0, 0] : USERS.map((u) => uncommitted.flatMap((b) => b.outbox).filter((e) => e.type === 'withdrawal' && e.account === u).reduce((a, e) => a + Number(e.amount), 0)),
    com,
    comFp: committedForced(s),
    wd,
    status: frozen ? 'frozen' : 'active',
    wasFrozen: frozen,
    claims: USERS.map((u) => (s.claimed.has(`${u}/${ASSET}`) ? 1 : 0)),
    refunded: [...s.refunded].map((i) => i + 1).sort((a, b) => a - b),
  };
};

type Cmd =
  | { kind: 'deposit' | 'force'; user: number; amount: number }
  | { kind: 'produce'; forced: number; transfers: readonly { from: number; amount: number }[] }
  | { kind: 'commit' | 'tick' | 'freeze' }
  | { kind: 'finalize' | 'escape'; user: number }
  | { kind: 'refund'; index: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'tick' as const }), weight: 2 },
  fc.record({ kind: fc.constantFrom('deposit' as const, 'force' as const), user: fc.nat({ max: 1 }), amount: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('produce' as const), forced: fc.nat({ max: 3 }), transfers: fc.array(fc.record({ from: fc.nat({ max: 1 }), amount: fc.integer({ min: 1, max: 20 }) }), { maxLength: 2 }) }),
  fc.record({ kind: fc.constantFrom('commit' as const, 'tick' as const, 'tick' as const, 'freeze' as const) }),
  fc.record({ kind: fc.constantFrom('finalize' as const, 'escape' as const), user: fc.nat({ max: 1 }) }),
  fc.record({ kind: fc.constant('refund' as const), index: fc.nat({ max: 6 }) }),
);

const same = (a: EhState, b: EhState | undefined): boolean => b !== undefined && JSON.stringify(a) === JSON.stringify(b);

describe('the SPN model refines spec/tla/EscapeHatch.tla', () => {
  // @spec SPN-ESCAPE-BOUNDED.1 SPN-ESCAPE-FIFO.1 SPN-ESCAPE-FREEZE.1 SPN-ESCAPE-CLAIM.1 SPN-ESCAPE-REFUND.1 SPN-BRIDGE-WITHDRAW.1
  it('every step of a one-SPN, one-asset run maps to a stutter or to steps of the TLA+ next-state relation', () => {
    let steps = 0;
    let moved = 0;
    let frozen = 0;
    fc.assert(fc.property(fc.array(cmd, { minLength: 5, maxLength: 60 }), (cmds) => {
      let w = scenarioSetup().reduce((acc, a) => unwrap(step(acc, a)), unwrap(genesisWorld(scenarioGenesis(PARAMS))));
      const apply = (a: SpnAction): boolean => { const r = step(w, a); if (r.ok) w = r.value; return r.ok; };
      for (const c of cmds) {
        const before = abstract(w);
        let expected: EhState | undefined = before;
        const user = 'user' in c ? USERS[c.user]! : 'alice';
        switch (c.kind) {
          case 'deposit':
            if (apply({ type: 'deposit', account: user, spn: SPN, asset: ASSET, amount: BigInt(c.amount) })) expected = ehDeposit(CFG, before, c.user + 1, c.amount);
            break;
          case 'force':
            if (apply({ type: 'force-withdraw', account: user, spn: SPN, asset: ASSET, amount: BigInt(c.amount) })) expected = ehForceWithdraw(CFG, before, c.user + 1, c.amount);
            break;
          case 'produce': {
            const txs = c.transfers.map((t) => ({ type: 'transfer', from: USERS[t.from]!, to: USERS[1 - t.from]!, asset: ASSET, amount: BigInt(t.amount) }) as const);
            if (apply({ type: 'produce', by: `op-${SPN}`, spn: SPN, forced: c.forced, txs, deliver: [], publish: true })) {
              for (let i = 0; i < c.forced && expected !== undefined; i++) expected = ehProcess(expected);
              for (const t of c.transfers) expected = expected === undefined ? undefined : ehTransfer(expected, t.from + 1, 2 - t.from, t.amount);
            }
            break;
          }
          case 'commit': {
            const s = w.spns.get(SPN)!;
            const pending = s.chain.blocks.slice(s.committed.length).map((b) => b.hash);
            if (pending.length > 0 && apply({ type: 'commit', spn: SPN, headers: pending })) expected = ehCommit(before) ?? before;
            break;
          }
          case 'tick':
            // The watcher: the clock advances only while no freeze is overdue.
            if (ehTick(CFG, before) === undefined) { if (apply({ type: 'freeze', spn: SPN })) expected = ehFreeze(CFG, before); } else if (apply({ type: 'tick' })) expected = ehTick(CFG, before);
            break;
          case 'freeze':
            if (apply({ type: 'freeze', spn: SPN })) expected = ehFreeze(CFG, before);
            break;
          case 'finalize': {
            // Every committed, unpaid withdrawal of the user: TLA+ Finalize pays them together.
            const s = w.spns.get(SPN)!;
            let paid = false;
            s.committed.forEach((cm, h) => w.headers.get(cm.hash)!.outbox.forEach((e, index) => {
              if (e.type === 'withdrawal' && e.account === user && !w.finalized.has(`${SPN}/${e.nonce}`)) {
                const p = unwrap(proveOutbox(w, SPN, h + 1, index));
                paid = apply({ type: 'finalize-withdrawal', spn: SPN, height: h + 1, entry: e, proof: p.proof }) || paid;
              }
            }));
            if (paid) expected = ehFinalize(before, c.user + 1);
            break;
          }
          case 'escape': {
            const p = proveEscape(w, SPN, user, ASSET);
            if (p.ok && apply({ type: 'escape', spn: SPN, ...p.value })) expected = ehEscape(CFG, before, c.user + 1);
            break;
          }
          case 'refund':
            if (apply({ type: 'refund-deposit', spn: SPN, index: c.index })) expected = ehRefund(before, c.index + 1);
            break;
        }
        steps++;
        const after = abstract(w);
        if (!same(after, before)) moved++;
        if (after.status === 'frozen' && before.status === 'active') frozen++;
        if (!same(after, expected)) throw new Error(`${JSON.stringify(c)}: abstract state ${JSON.stringify(after)} is not the TLA+ successor ${JSON.stringify(expected)} of ${JSON.stringify(before)}`);
        // And the TLA+ invariants hold on the mapped state.
        expect(after.main.reduce((a, b) => a + b, 0) + after.escrow).toBe(2000);
      }
    }), { seed: 85, numRuns: 500 });
    expect(steps).toBeGreaterThan(5000);
    expect(moved).toBeGreaterThan(1500);
    expect(frozen).toBeGreaterThan(50);
  });
});
