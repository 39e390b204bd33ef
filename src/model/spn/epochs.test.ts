import { describe, expect, it } from 'vitest';
import * as impl from '../../impl/spn/index.js';
import { conservation, escrowBacking, genesisWorld, projectWorld, proveEscape, STATE_INVARIANTS, step, stepInvariant, type SpnAction, type SpnParams, type World } from './index.js';
import { scenarioGenesis, scenarioSetup, SCENARIO_SPN_PARAMS } from './scenario.js';

/**
 * Parameter updates, per-epoch validator sets, the evidence window against the unrestake delay,
 * and what holds when Byzantine validators control an SPN. Every action runs on the model and on
 * the implementation; both must give the same outcome and the same projection.
 */
const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

interface Pair { m: World; i: impl.ImplWorld }

const fresh = (setup: readonly SpnAction[] = scenarioSetup()): Pair => {
  const p: Pair = { m: unwrap(genesisWorld(scenarioGenesis())), i: unwrap(impl.genesisWorld(scenarioGenesis())) };
  for (const a of setup) expect(act(p, a)).toBe('ok');
  return p;
};

/** Applies an action to both; returns `ok` or the common error code. */
const act = (p: Pair, a: SpnAction): string => {
  const rm = step(p.m, a);
  const ri = impl.step(p.i, a);
  const code = rm.ok ? 'ok' : rm.error.code;
  expect(ri.ok ? 'ok' : ri.error.code, `${a.type}`).toBe(code);
  if (rm.ok) {
    expect(stepInvariant(p.m, rm.value)).toBeUndefined();
    p.m = rm.value;
  }
  expect(JSON.stringify(impl.projectWorld(p.i))).toBe(JSON.stringify(projectWorld(p.m)));
  return code;
};
const ok = (p: Pair, ...as: readonly SpnAction[]): void => { for (const a of as) expect(act(p, a), a.type).toBe('ok'); };
const ticks = (p: Pair, n: number): void => { for (let k = 0; k < n; k++) ok(p, { type: 'tick' }); };
const allInvariants = (w: World): void => { for (const inv of STATE_INVARIANTS) expect(inv.check(w), inv.name).toBeUndefined(); };
const produce = (spn: string, extra: Partial<Extract<SpnAction, { type: 'produce' }>> = {}): SpnAction =>
  ({ type: 'produce', by: `op-${spn}`, spn, forced: 0, txs: [], deliver: [], publish: true, ...extra });
const head = (p: Pair, spn: string): string => p.m.spns.get(spn)!.chain.blocks.at(-1)!.hash;
const forgedAt = (p: Pair, spn: string, height: number): string =>
  [...p.m.headers.values()].find((b) => b.header.spn === spn && b.header.height === height && b.hash !== p.m.spns.get(spn)!.chain.blocks[height - 1]?.hash)!.hash;
const gamma = (params: Partial<SpnParams>): SpnAction => ({ type: 'register', by: 'op-gamma', spn: 'gamma', params: { ...SCENARIO_SPN_PARAMS, ...params } });

describe('SPN parameter updates', () => {
  // @spec SPN-PARAMS-SPN.1 SPN-RESTAKE-WINDOW.1 SPN-LIFE-REGISTER.1
  it('SPN-RESTAKE-WINDOW.1: registration refuses an unrestake delay shorter than the evidence window, and parameters out of range', () => {
    const p = fresh();
    expect(act(p, gamma({ unrestakeDelay: 5, evidenceWindow: 6 }))).toBe('Spn.Params.DELAY_BELOW_WINDOW');
    expect(act(p, gamma({ epochLength: 0 }))).toBe('Spn.Lifecycle.BAD_PARAMS');
    expect(act(p, gamma({ evidenceWindow: 0, unrestakeDelay: 0 }))).toBe('Spn.Lifecycle.BAD_PARAMS');
    expect(act(p, gamma({ unrestakeDelay: 6, evidenceWindow: 6 }))).toBe('ok');
  });

  // @spec SPN-PARAMS-UPDATE.1 SPN-PARAMS-APPLY.1 SPN-PARAMS-MUTABLE.1
  it('SPN-PARAMS-UPDATE.1: only the admin proposes; an active SPN changes only its hard cap and a longer unrestake delay, after the delay', () => {
    const p = fresh();
    const cur = p.m.spns.get('alpha')!.params;
    const propose = (params: Partial<SpnParams>, by = 'op-alpha'): string => act(p, { type: 'propose-params', by, spn: 'alpha', params: { ...cur, ...params } });
    expect(propose({ hardCap: 500n }, 'alice')).toBe('Spn.Lifecycle.NOT_ADMIN');
    expect(propose({ softCap: 200n })).toBe('Spn.Params.FIXED_AFTER_ACTIVATION');
    expect(propose({ targetValidators: 2 })).toBe('Spn.Params.FIXED_AFTER_ACTIVATION');
    expect(propose({ evidenceWindow: 3 })).toBe('Spn.Params.FIXED_AFTER_ACTIVATION');
    expect(propose({ epochLength: 7 })).toBe('Spn.Params.FIXED_AFTER_ACTIVATION');
    expect(propose({ unrestakeDelay: 7, evidenceWindow: 7 })).toBe('Spn.Params.FIXED_AFTER_ACTIVATION');
    expect(propose({ unrestakeDelay: 5 })).toBe('Spn.Params.DELAY_BELOW_WINDOW');
    // 320 stP is restaked to alpha.
    expect(propose({ hardCap: 319n })).toBe('Spn.Params.CAP_BELOW_RESTAKED');
    expect(act(p, { type: 'apply-params', spn: 'alpha' })).toBe('Spn.Params.NO_PROPOSAL');
    expect(propose({ hardCap: 330n, unrestakeDelay: 9 })).toBe('ok');
    expect(act(p, { type: 'apply-params', spn: 'alpha' })).toBe('Spn.Params.NOT_READY');
    ticks(p, 2);
    // A restake that happened meanwhile makes the cap too low: the change is refused at apply time and stays pending.
    ok(p, { type: 'restake', validator: 'v1', spn: 'alpha', amount: 20n });
    expect(act(p, { type: 'apply-params', spn: 'alpha' })).toBe('Spn.Params.CAP_BELOW_RESTAKED');
    ok(p, { type: 'request-unrestake', validator: 'v1', spn: 'alpha', amount: 20n });
    ok(p, { type: 'apply-params', spn: 'alpha' });
    expect(p.m.spns.get('alpha')!.params).toEqual({ ...cur, hardCap: 330n, unrestakeDelay: 9 });
    expect(p.m.spns.get('alpha')!.pendingParams).toBeUndefined();
    expect(act(p, { type: 'restake', validator: 'v2', spn: 'alpha', amount: 31n })).toBe('Spn.Restake.HARD_CAP');
    // Unrestakes requested from now on wait the longer delay.
    ok(p, { type: 'request-unrestake', validator: 'v2', spn: 'alpha', amount: 1n });
    expect(p.m.unrestakes.at(-1)!.readyAt).toBe(5 + 9);
    allInvariants(p.m);
  });

  // @spec SPN-PARAMS-MUTABLE.1 SPN-PARAMS-APPLY.1 SPN-LIFE-ACTIVATE.1 SPN-ESCAPE-FROZEN-FOREVER.1
  it('SPN-PARAMS-MUTABLE.1: a registered SPN may change anything; lowering its thresholds activates it; a frozen SPN changes nothing', () => {
    const p = fresh();
    ok(p, gamma({ targetValidators: 3, softCap: 300n }), { type: 'restake', validator: 'v1', spn: 'gamma', amount: 100n });
    ok(p, { type: 'propose-params', by: 'op-gamma', spn: 'gamma', params: { ...SCENARIO_SPN_PARAMS, targetValidators: 1, softCap: 100n, evidenceWindow: 2, unrestakeDelay: 2, epochLength: 3 } });
    ticks(p, 2);
    ok(p, { type: 'apply-params', spn: 'gamma' });
    expect(p.m.spns.get('gamma')!.status).toBe('active');
    expect(projectWorld(p.m).spns.find((s) => s.id === 'gamma')!.validatorSet).toEqual([{ validator: 'v1', power: '100' }]);
    // A change proposed while registered that becomes illegal by activation is refused at apply time.
    ok(p, { type: 'register', by: 'op-delta', spn: 'delta', params: SCENARIO_SPN_PARAMS });
    ok(p, { type: 'propose-params', by: 'op-delta', spn: 'delta', params: { ...SCENARIO_SPN_PARAMS, softCap: 200n } });
    ok(p, ...(['v1', 'v2', 'v3'] as const).map((validator): SpnAction => ({ type: 'restake', validator, spn: 'delta', amount: 100n })));
    expect(p.m.spns.get('delta')!.status).toBe('active');
    ticks(p, 2);
    expect(act(p, { type: 'apply-params', spn: 'delta' })).toBe('Spn.Params.FIXED_AFTER_ACTIVATION');
    expect(act(p, { type: 'propose-params', by: 'op-gamma', spn: 'beta', params: SCENARIO_SPN_PARAMS })).toBe('Spn.Lifecycle.NOT_ADMIN');
    // Freeze beta (nothing committed for liveDeadline blocks): parameters are then out of reach.
    ticks(p, 3);
    ok(p, { type: 'freeze', spn: 'beta' });
    expect(act(p, { type: 'propose-params', by: 'op-beta', spn: 'beta', params: { ...SCENARIO_SPN_PARAMS, hardCap: 3000n } })).toBe('Spn.Lifecycle.BAD_STATUS');
    expect(act(p, { type: 'apply-params', spn: 'beta' })).toBe('Spn.Lifecycle.BAD_STATUS');
  });
});

describe('SPN per-epoch validator sets', () => {
  // @spec SPN-EPOCH-SET.1 SPN-EPOCH-ROTATE.1 SPN-HDR-QUORUM.1
  it('SPN-EPOCH-ROTATE.1: after rotation, a header signed by the previous epoch\'s set is rejected; a header of the old epoch still verifies against its own set', () => {
    const p = fresh();
    // gamma activates on v4 (Byzantine) alone; v1..v3 join and v4 leaves at the next boundary (height 5).
    ok(p, gamma({ targetValidators: 1, softCap: 100n }), { type: 'restake', validator: 'v4', spn: 'gamma', amount: 100n });
    ok(p, ...(['v1', 'v2', 'v3'] as const).map((validator): SpnAction => ({ type: 'restake', validator, spn: 'gamma', amount: 100n })));
    ok(p, { type: 'request-unrestake', validator: 'v4', spn: 'gamma', amount: 100n });
    const g = (): ReturnType<typeof projectWorld>['spns'][number] => projectWorld(p.m).spns.find((s) => s.id === 'gamma')!;
    expect(g().epoch).toBe(0);
    expect(g().validatorSet).toEqual([{ validator: 'v4', power: '100' }]);
    // A genuine block of epoch 0, signed by the epoch 0 set.
    ok(p, produce('gamma'));
    const block1 = head(p, 'gamma');
    // Control: in epoch 0 the same set would carry a forged header (it holds all of epoch 0's power).
    const m0 = unwrap(step(p.m, { type: 'forge', spn: 'gamma', height: 1, mint: { account: 'v4', asset: 'usd', balance: 7n } }));
    const forged0 = [...m0.headers.keys()].find((h) => !p.m.headers.has(h))!;
    expect(step(m0, { type: 'commit', spn: 'gamma', headers: [forged0] }).ok).toBe(true);
    ticks(p, 5);
    expect(g().epoch).toBe(1);
    expect(g().validatorSet).toEqual([{ validator: 'v1', power: '100' }, { validator: 'v2', power: '100' }, { validator: 'v3', power: '100' }]);
    // v4 is in the previous set only; its header of epoch 1 has none of epoch 1's power.
    ok(p, { type: 'forge', spn: 'gamma', height: 1, mint: { account: 'v4', asset: 'usd', balance: 7n } });
    const forged1 = forgedAt(p, 'gamma', 1);
    expect(p.m.headers.get(forged1)!.header.observedHeight).toBe(5);
    expect(act(p, { type: 'commit', spn: 'gamma', headers: [forged1] })).toBe('Spn.Header.NO_QUORUM');
    // The genuine epoch 0 header verifies against epoch 0's set; the next block is signed by epoch 1's set.
    ok(p, { type: 'commit', spn: 'gamma', headers: [block1] }, produce('gamma'));
    ok(p, { type: 'commit', spn: 'gamma', headers: [head(p, 'gamma')] });
    expect(p.m.spns.get('gamma')!.committed).toHaveLength(2);
    // Two epochs later no Byzantine validator is in the current or previous set: it cannot even forge.
    ticks(p, 5);
    expect(act(p, { type: 'forge', spn: 'gamma', height: 3, mint: { account: 'v4', asset: 'usd', balance: 7n } })).toBe('Spn.Forge.NO_BYZANTINE_SIGNER');
    allInvariants(p.m);
  });

  // @spec SPN-HDR-FRESH.1 SPN-EPOCH-SET.1
  it('SPN-HDR-FRESH.1: a header older than the evidence window is not committed', () => {
    const p = fresh();
    ok(p, produce('alpha'));
    ticks(p, 6);
    expect(act(p, { type: 'commit', spn: 'alpha', headers: [head(p, 'alpha')] })).toBe('Spn.Header.STALE');
  });
});

describe('SPN evidence window and unrestake delay', () => {
  // @spec SPN-RESTAKE-WINDOW.1 SPN-RESTAKE-UNRESTAKE.1 SPN-RESTAKE-SLASH.1 SPN-RESTAKE-SLASH-ONCE.1
  it('SPN-RESTAKE-WINDOW.1: stake that backed a fault cannot finish unrestaking while evidence of the fault is accepted, for every epoch length, window, delay and request time', () => {
    let cases = 0;
    for (const epochLength of [1, 3, 5]) {
      for (const evidenceWindow of [1, 2, 6]) {
        for (const extra of [0, 3]) {
          for (const faultOffset of [0, 1, 2]) {
            for (const requestOffset of [0, 1, 4]) {
              const p = fresh();
              // gamma activates on v4 alone, so v4 signs both the genuine block and the forged one.
              ok(p, gamma({ targetValidators: 1, softCap: 40n, evidenceWindow, unrestakeDelay: evidenceWindow + extra, epochLength }), { type: 'restake', validator: 'v4', spn: 'gamma', amount: 40n });
              ticks(p, faultOffset);
              ok(p, produce('gamma'), { type: 'forge', spn: 'gamma', height: 1, mint: { account: 'v4', asset: 'usd', balance: 1n } });
              const faultAt = p.m.height;
              const [a, b] = [p.m.spns.get('gamma')!.chain.blocks[0]!.hash, forgedAt(p, 'gamma', 1)];
              const lastInWindow = faultAt + evidenceWindow - 1;
              const requestAt = Math.min(faultAt + requestOffset, lastInWindow);
              ticks(p, requestAt - faultAt);
              ok(p, { type: 'request-unrestake', validator: 'v4', spn: 'gamma', amount: 40n });
              const id = p.m.unrestakes.at(-1)!.id;
              // Through the whole window the unrestake is not complete.
              while (p.m.height < lastInWindow) {
                expect(act(p, { type: 'complete-unrestake', id })).toBe('Spn.Restake.NOT_READY');
                ticks(p, 1);
              }
              expect(act(p, { type: 'complete-unrestake', id })).toBe('Spn.Restake.NOT_READY');
              // At the last height of the window the evidence still lands and burns the queued amount.
              const stake = p.m.validators.get('v4')!.stake;
              ok(p, { type: 'evidence', validator: 'v4', headerA: a, headerB: b });
              expect(stake - p.m.validators.get('v4')!.stake).toBe(20n);
              expect(p.m.unrestakes.find((u) => u.id === id)!.amount).toBe(20n);
              allInvariants(p.m);
              cases++;
            }
          }
        }
      }
    }
    expect(cases).toBe(3 * 3 * 2 * 3 * 3);
  });

  // @spec SPN-RESTAKE-SLASH.1 SPN-RESTAKE-WINDOW.1
  it('SPN-RESTAKE-SLASH.1: evidence after the window is refused; the unrestake then completes', () => {
    const p = fresh();
    ok(p, gamma({ targetValidators: 1, softCap: 40n }), { type: 'restake', validator: 'v4', spn: 'gamma', amount: 40n });
    ok(p, produce('gamma'), { type: 'forge', spn: 'gamma', height: 1, mint: { account: 'v4', asset: 'usd', balance: 1n } });
    ok(p, { type: 'request-unrestake', validator: 'v4', spn: 'gamma', amount: 40n });
    ticks(p, 6);
    const [a, b] = [p.m.spns.get('gamma')!.chain.blocks[0]!.hash, forgedAt(p, 'gamma', 1)];
    expect(act(p, { type: 'evidence', validator: 'v4', headerA: a, headerB: b })).toBe('Spn.Slash.EXPIRED');
    ticks(p, 5);
    ok(p, { type: 'complete-unrestake', id: 0 });
  });
});

describe('SPN with Byzantine validators holding a third or more of its stake', () => {
  // @spec SPN-HDR-BYZANTINE.1 SPN-HDR-QUORUM.1
  it('SPN-HDR-BYZANTINE.1: with a third to two thirds Byzantine, a forged header is still refused and every invariant holds', () => {
    const p = fresh();
    ok(p, gamma({ targetValidators: 2, softCap: 200n }), { type: 'restake', validator: 'v4', spn: 'gamma', amount: 100n }, { type: 'restake', validator: 'v1', spn: 'gamma', amount: 100n });
    ok(p, { type: 'forge', spn: 'gamma', height: 1, mint: { account: 'v4', asset: 'usd', balance: 50n } });
    expect(act(p, { type: 'commit', spn: 'gamma', headers: [forgedAt(p, 'gamma', 1)] })).toBe('Spn.Header.NO_QUORUM');
    allInvariants(p.m);
  });

  // @spec SPN-HDR-BYZANTINE.1 SPN-BRIDGE-CONSERVATION.1 SPN-ESCAPE-CLAIM.1 SPN-ESCAPE-FREEZE.1 SPN-RESTAKE-SLASH.1
  it('SPN-HDR-BYZANTINE.1: with more than two thirds Byzantine an invalid header commits; users still escape against the last verified state, conservation holds, other SPNs are untouched, payouts never exceed the escrow', () => {
    const p = fresh();
    ok(p, gamma({ targetValidators: 2, softCap: 140n }), { type: 'restake', validator: 'v4', spn: 'gamma', amount: 100n }, { type: 'restake', validator: 'v1', spn: 'gamma', amount: 40n });
    ok(p, { type: 'deposit', account: 'alice', spn: 'gamma', asset: 'usd', amount: 100n }, { type: 'deposit', account: 'bob', spn: 'gamma', asset: 'usd', amount: 50n });
    ok(p, { type: 'deposit', account: 'carol', spn: 'alpha', asset: 'usd', amount: 30n }, produce('alpha', { forced: 1 }));
    ok(p, { type: 'commit', spn: 'alpha', headers: [head(p, 'alpha')] }, produce('gamma', { forced: 2 }));
    ok(p, { type: 'commit', spn: 'gamma', headers: [head(p, 'gamma')] });
    // The genuine block 2 and a forged block 2 minting 100 usd to v4 out of nothing.
    ok(p, produce('gamma'), { type: 'forge', spn: 'gamma', height: 2, mint: { account: 'v4', asset: 'usd', balance: 100n } });
    const genuine = head(p, 'gamma');
    const forged = forgedAt(p, 'gamma', 2);
    ok(p, { type: 'commit', spn: 'gamma', headers: [forged] });
    // The mainnet-verified state now contains the minted balance: gamma's escrow no longer backs what it owes.
    expect(escrowBacking(p.m)).toMatch(/^gamma\/usd/);
    expect(conservation(p.m)).toBeUndefined();
    const others = (w: World): World => ({ ...w, spns: new Map([...w.spns].filter(([id]) => id !== 'gamma')) });
    expect(escrowBacking(others(p.m))).toBeUndefined();
    // Double signing is still slashable.
    ok(p, { type: 'evidence', validator: 'v4', headerA: genuine, headerB: forged });
    // The Byzantine operator stops; anyone freezes after the liveness deadline.
    ticks(p, 7);
    ok(p, { type: 'freeze', spn: 'gamma' });
    const claim = (account: string): string => {
      const e = unwrap(proveEscape(p.m, 'gamma', account, 'usd'));
      return act(p, { type: 'escape', spn: 'gamma', ...e });
    };
    // The attacker claims first; the escape hatch pays strictly from gamma's escrow, never beyond it.
    expect(claim('v4')).toBe('ok');
    expect(claim('alice')).toBe('Spn.Bridge.ESCROW_SHORT');
    expect(claim('bob')).toBe('ok');
    expect(p.m.spns.get('gamma')!.escrow.size).toBe(0);
    expect(conservation(p.m)).toBeUndefined();
    expect(escrowBacking(others(p.m))).toBeUndefined();
    // Carol's deposit on alpha is untouched: alpha's escrow still holds it.
    expect(p.m.spns.get('alpha')!.escrow.get('usd')).toBe(30n);
    for (const inv of STATE_INVARIANTS.filter((x) => x.name !== 'EscrowBacking')) expect(inv.check(p.m), inv.name).toBeUndefined();
  });
});
