import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as model from '../../model/spn/index.js';
import { scenarioGenesis, scenarioSetup, SCENARIO_ASSETS, SCENARIO_BYZANTINE, SCENARIO_HONEST, SCENARIO_OPERATOR, SCENARIO_SPNS, SCENARIO_USERS } from '../../model/spn/scenario.js';
import * as impl from './index.js';
import { BEHAVIOURS, listChoices, nextAction, type OperatorBehaviour, type SimConfig } from './simulator.js';

const WATCHER_DELAY = 1;
const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

const MODEL_BASE: model.World = scenarioSetup().reduce((w, a) => unwrap(model.step(w, a)), unwrap(model.genesisWorld(scenarioGenesis())));
const freshImpl = (): impl.ImplWorld => scenarioSetup().reduce((w, a) => unwrap(impl.step(w, a)), unwrap(impl.genesisWorld(scenarioGenesis())));

const simConfig = (behaviours: readonly OperatorBehaviour[]): SimConfig => ({
  spns: SCENARIO_SPNS, users: SCENARIO_USERS, assets: SCENARIO_ASSETS, honest: SCENARIO_HONEST, byzantine: SCENARIO_BYZANTINE,
  operator: SCENARIO_OPERATOR, behaviour: new Map(SCENARIO_SPNS.map((s, i) => [s, behaviours[i] ?? 'honest'])), watcherDelay: WATCHER_DELAY,
});

const outcome = (r: { ok: boolean; error?: { code: string } }): string => (r.ok ? 'ok' : r.error!.code);

interface RunStats { steps: number; ok: number; freezes: number; escapes: number; delivered: number; timedOut: number; slashed: number; rejectedForged: number; paramsApplied: number; rotations: number }

/** Runs one simulated sequence on model and impl in lockstep; throws on any divergence or violation. */
const runBoth = (behaviours: readonly OperatorBehaviour[], choices: readonly number[], length: number, stats: RunStats): { m: model.World; i: impl.ImplWorld } => {
  const cfg = simConfig(behaviours);
  const c = listChoices(choices);
  let m = MODEL_BASE;
  const i = freshImpl();
  for (let k = 0; k < length; k++) {
    const action = nextAction(c, cfg, i);
    const rm = model.step(m, action);
    const ri = impl.step(i, action);
    if (outcome(rm) !== outcome(ri)) throw new Error(`step ${k} ${action.type}: model ${outcome(rm)} vs impl ${outcome(ri)}`);
    stats.steps++;
    if (action.type === 'commit' && !rm.ok && rm.error.code === 'Spn.Header.NO_QUORUM') stats.rejectedForged++;
    if (rm.ok) {
      stats.ok++;
      if (action.type === 'freeze') stats.freezes++;
      if (action.type === 'escape') stats.escapes++;
      if (action.type === 'evidence') stats.slashed++;
      if (action.type === 'apply-params') stats.paramsApplied++;
      // A rotation that changed an SPN's validator set.
      if (action.type === 'tick') for (const s of rm.value.spns.values()) {
        const e = model.latestEpoch(s);
        const prev = s.validatorSets.get(e - 1);
        if (e > 0 && prev !== undefined && e === model.epochOf(s, rm.value.height) && s.validatorSets.get(e)!.size > 0 && [...prev].join() !== [...s.validatorSets.get(e)!].join()) stats.rotations++;
      }
      const before = m;
      m = rm.value;
      for (const inv of model.STATE_INVARIANTS) {
        const v = inv.check(m);
        if (v !== undefined) throw new Error(`step ${k} ${action.type}: ${inv.name}: ${v}`);
      }
      const sv = model.stepInvariant(before, m);
      if (sv !== undefined) throw new Error(`step ${k} ${action.type}: ${sv}`);
      const bv = model.boundedCompletion(m, WATCHER_DELAY);
      if (bv !== undefined) throw new Error(`step ${k} ${action.type}: BoundedCompletion: ${bv}`);
    }
    const pm = model.projectWorld(m);
    const pi = impl.projectWorld(i);
    if (JSON.stringify(pi) !== JSON.stringify(pm)) expect(pi, `step ${k} ${action.type}`).toEqual(pm);
  }
  stats.delivered += [...m.mailbox.values()].filter((e) => e.state === 'delivered').length;
  stats.timedOut += [...m.mailbox.values()].filter((e) => e.state === 'timed-out').length;
  return { m, i };
};

/**
 * After a run, every frozen SPN is drained by users and relayers acting for themselves: every
 * positive leaf escapes, every uncovered deposit is refunded, every committed withdrawal is paid,
 * every pending message to it times out, every committed message from it is archived. Then it
 * holds nothing: whatever its operator did, nobody's assets stay locked.
 */
const drainFrozen = (m0: model.World): model.World => {
  let m = m0;
  const apply = (a: model.SpnAction): void => { const r = model.step(m, a); if (r.ok) m = r.value; };
  // Every committed withdrawal is paid and every committed message archived, on every SPN.
  for (const s of m0.spns.values()) {
    s.committed.forEach((c, h) => (m.headers.get(c.hash)?.outbox ?? []).forEach((e, index) => {
      const p = unwrap(model.proveOutbox(m, s.id, h + 1, index));
      apply(e.type === 'withdrawal' ? { type: 'finalize-withdrawal', spn: s.id, height: h + 1, entry: e, proof: p.proof } : { type: 'archive', height: h + 1, message: e, proof: p.proof });
    }));
  }
  for (const s of m0.spns.values()) {
    if (s.status !== 'frozen') continue;
    for (const l of model.committedLeaves(m, s)) {
      const p = unwrap(model.proveEscape(m, s.id, l.account, l.asset));
      if (l.balance > 0n && !m.spns.get(s.id)!.claimed.has(`${l.account}/${l.asset}`)) expect(outcome(model.step(m, { type: 'escape', spn: s.id, ...p }))).toBe('ok');
      apply({ type: 'escape', spn: s.id, ...p });
    }
    s.forcedQueue.forEach((_, index) => apply({ type: 'refund-deposit', spn: s.id, index }));
    for (const [id, e] of m.mailbox) if (e.message.dst === s.id && e.state === 'archived') expect(outcome(model.step(m, { type: 'timeout', id }))).toBe('ok'), apply({ type: 'timeout', id });
  }
  for (const inv of model.STATE_INVARIANTS) expect(inv.check(m), inv.name).toBeUndefined();
  for (const s of m.spns.values()) {
    if (s.status !== 'frozen' || s.escrow.size === 0) continue;
    const owed = [...m.mailbox.values()].filter((e) => e.message.src === s.id || e.message.dst === s.id).map((e) => `${e.message.src}>${e.message.dst}#${e.message.seq}:${e.state}`);
    const out = s.committed.flatMap((c) => m.headers.get(c.hash)!.outbox.map((e) => (e.type === 'message' ? `msg ${e.dst}#${e.seq} archived=${m.mailbox.has(model.messageId(e))}` : `wd ${e.nonce} paid=${m.finalized.has(`${s.id}/${e.nonce}`)}`)));
    throw new Error(`${s.id} not drained: ${[...s.escrow]} mailbox ${owed.join(' ')} outbox ${out.join(' ')} claimed ${[...s.claimed]} leaves ${model.committedLeaves(m, s).map((l) => `${l.account}/${l.asset}=${l.balance}`)}`);
  }
  return m;
};

describe('SPN model and implementation agree on adversarial runs', () => {
  // @spec SPN-BRIDGE-CONSERVATION.1 SPN-BRIDGE-ESCROW.1 SPN-MSG-EXACTLY-ONCE.1 SPN-ESCAPE-BOUNDED.1 SPN-HDR-QUORUM.1 SPN-RESTAKE-SLASH-ONCE.1 SPN-ESCAPE-FROZEN-FOREVER.1
  it('5,000 random sequences with censoring, halting, withholding and equivocating operators: same results, same projections, invariants hold, forced operations resolve within the bound', () => {
    const runs = Number(process.env['SPN_RUNS'] ?? 5000);
    const stats: RunStats = { steps: 0, ok: 0, freezes: 0, escapes: 0, delivered: 0, timedOut: 0, slashed: 0, rejectedForged: 0, paramsApplied: 0, rotations: 0 };
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ arbitrary: fc.constant<OperatorBehaviour>('honest'), weight: 4 }, { arbitrary: fc.constantFrom(...BEHAVIOURS), weight: 3 }), { minLength: 2, maxLength: 2 }),
        fc.array(fc.nat({ max: 1_000_000 }), { minLength: 40, maxLength: 400 }),
        fc.integer({ min: 30, max: 70 }),
        (behaviours, choices, length) => {
          const { m } = runBoth(behaviours, choices, length, stats);
          drainFrozen(m);
        },
      ),
      { seed: 0x5e_b1, numRuns: runs, endOnFailure: true },
    );
    // The runs are not vacuous: every adversarial path was taken many times.
    const scale = runs / 5000;
    expect(stats.freezes).toBeGreaterThan(1000 * scale);
    expect(stats.escapes).toBeGreaterThan(50 * scale);
    expect(stats.delivered).toBeGreaterThan(150 * scale);
    expect(stats.timedOut).toBeGreaterThan(100 * scale);
    expect(stats.rejectedForged).toBeGreaterThan(30 * scale);
    expect(stats.slashed).toBeGreaterThan(50 * scale);
    expect(stats.paramsApplied).toBeGreaterThan(50 * scale);
    expect(stats.rotations).toBeGreaterThan(200 * scale);
    expect(stats.ok / stats.steps).toBeGreaterThan(0.4);
  }, 120_000);

  // @spec SPN-STATE-PROOF.1 SPN-STATE-TREE.1
  it('the incremental tree gives the model\'s roots and proofs under random appends and updates', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: 40 }), fc.bigInt({ min: 0n, max: 10n ** 30n })), { maxLength: 80 }), (ops) => {
      const leaves: model.Leaf[] = [];
      const tree = new impl.IncrementalTree();
      for (const [k, balance] of ops) {
        const i = leaves.findIndex((l) => l.account === `a${k}`);
        const leaf = { account: `a${k}`, asset: 'usd', balance };
        if (i < 0) { leaves.push(leaf); tree.append(impl.leafBytes(leaf)); } else { leaves[i] = leaf; tree.update(i, impl.leafBytes(leaf)); }
        expect(tree.root()).toBe(model.stateRoot(leaves));
      }
      const hashes = leaves.map((l) => model.leafHash(model.leafObject(l)));
      leaves.forEach((_, i) => expect(tree.proof(i)).toEqual(unwrap(model.merkleProof(hashes, i))));
    }), { seed: 81, numRuns: 300 });
  });

  // @spec SPN-HDR-FORMAT.1 SPN-MSG-FORMAT.1 SPN-STATE-LEAF.1
  it('the implementation\'s encoders give the model\'s header hashes, genesis hashes, message ids and leaf hashes', () => {
    const id = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,31}$/);
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString('hex')}`);
    fc.assert(fc.property(id, id, id, id, fc.nat(), fc.nat(), fc.bigInt({ min: 0n, max: 10n ** 40n }), hash, hash, fc.array(hash, { maxLength: 3 }), (a, b, c, d, n, k, amount, h1, h2, executed) => {
      const header: model.Header = { spn: a, height: n, parent: h1, stateRoot: h2, outboxRoot: h1, forcedProcessed: k, observedHeight: n + k, executed };
      expect(impl.headerHashOf(header)).toBe(model.headerHash(header));
      expect(impl.genesisHashOf(a)).toBe(model.genesisHash(a));
      const m: model.Message = { type: 'message', src: a, dst: b, seq: n, sender: c, recipient: d, asset: b, amount, timeoutAt: k };
      expect(impl.messageId(m)).toBe(model.messageId(m));
      const w: model.WithdrawalEntry = { type: 'withdrawal', spn: a, nonce: k, account: c, asset: d, amount };
      expect(impl.toHex(impl.outboxBytes(w))).toBe(model.leafHash(model.outboxObject(w)));
      expect(impl.toHex(impl.leafBytes({ account: c, asset: d, balance: amount }))).toBe(model.leafHash(model.leafObject({ account: c, asset: d, balance: amount })));
    }), { seed: 83, numRuns: 500 });
  });

  // @spec SPN-STATE-PROOF.1
  it('both verifiers give the same verdict on random and corrupted proofs', () => {
    const hashes = Array.from({ length: 7 }, (_, i) => model.leafHash(model.leafObject({ account: `a${i}`, asset: 'usd', balance: BigInt(i) })));
    const root = model.merkleRoot(hashes);
    const good = hashes.map((_, i) => unwrap(model.merkleProof(hashes, i)));
    fc.assert(fc.property(fc.nat({ max: 6 }), fc.nat({ max: 3 }), fc.nat(), fc.string(), (i, mutation, n, text) => {
      const p = good[i]!;
      const proof = mutation === 0 ? p : mutation === 1 ? { ...p, index: n } : mutation === 2 ? { ...p, siblings: p.siblings.map((s, j) => (j === n % 3 ? text : s)) } : { ...p, siblings: p.siblings.slice(1) };
      const leaf = n % 5 === 0 ? text : hashes[i]!;
      const a = model.verifyMerkleProof(root, leaf, proof);
      const b = impl.verifyMerkleProof(root, leaf, proof);
      expect(outcome(b)).toBe(outcome(a));
    }), { seed: 82, numRuns: 2000 });
  });
});

describe('SPN entry points on hostile input', () => {
  const str = fc.oneof(fc.constantFrom('alpha', 'beta', 'alice', 'bob', 'usd', 'eth', 'op-alpha', 'v1', 'v4', ''), fc.string({ maxLength: 40 }));
  const int = fc.oneof(fc.integer({ min: -3, max: 12 }), fc.integer());
  const amt = fc.oneof(fc.bigInt({ min: -5n, max: 200n }), fc.bigInt());
  const hex = fc.oneof(str, fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString('hex')}`));
  const proof = fc.record({ index: int, siblings: fc.array(hex, { maxLength: 5 }) });
  const leaf = fc.record({ account: str, asset: str, balance: amt });
  const params = fc.record({ targetValidators: int, softCap: amt, hardCap: amt, unrestakeDelay: int, evidenceWindow: int, epochLength: fc.oneof(fc.integer({ min: 1, max: 6 }), int) });
  const tx = fc.oneof(
    fc.record({ type: fc.constant('transfer' as const), from: str, to: str, asset: str, amount: amt }),
    fc.record({ type: fc.constant('withdraw' as const), account: str, asset: str, amount: amt }),
    fc.record({ type: fc.constant('send' as const), from: str, dst: str, recipient: str, asset: str, amount: amt }),
  );
  const action: fc.Arbitrary<model.SpnAction> = fc.oneof(
    fc.constant({ type: 'tick' as const }),
    fc.record({ type: fc.constant('stake' as const), validator: str, amount: amt }),
    fc.record({ type: fc.constant('register' as const), by: str, spn: str, params }),
    fc.record({ type: fc.constant('propose-params' as const), by: str, spn: str, params }),
    fc.record({ type: fc.constant('apply-params' as const), spn: str }),
    fc.record({ type: fc.constant('restake' as const), validator: str, spn: str, amount: amt }),
    fc.record({ type: fc.constant('request-unrestake' as const), validator: str, spn: str, amount: amt }),
    fc.record({ type: fc.constant('complete-unrestake' as const), id: int }),
    fc.record({ type: fc.constant('rotate-operator' as const), by: str, spn: str, operator: str }),
    fc.record({ type: fc.constant('retire' as const), by: str, spn: str }),
    fc.record({ type: fc.constant('deposit' as const), account: str, spn: str, asset: str, amount: amt }),
    fc.record({ type: fc.constant('force-withdraw' as const), account: str, spn: str, asset: str, amount: amt }),
    fc.record({ type: fc.constant('produce' as const), by: str, spn: str, forced: int, txs: fc.array(tx, { maxLength: 3 }), deliver: fc.array(hex, { maxLength: 2 }), publish: fc.boolean() }),
    fc.record({ type: fc.constant('forge' as const), spn: str, height: int, mint: leaf }),
    fc.record({ type: fc.constant('commit' as const), spn: str, headers: fc.array(hex, { maxLength: 3 }) }),
    fc.record({ type: fc.constant('finalize-withdrawal' as const), spn: str, height: int, entry: fc.record({ type: fc.constant('withdrawal' as const), spn: str, nonce: int, account: str, asset: str, amount: amt }), proof }),
    fc.record({ type: fc.constant('archive' as const), height: int, message: fc.record({ type: fc.constant('message' as const), src: str, dst: str, seq: int, sender: str, recipient: str, asset: str, amount: amt, timeoutAt: int }), proof }),
    fc.record({ type: fc.constant('timeout' as const), id: hex }),
    fc.record({ type: fc.constant('freeze' as const), spn: str }),
    fc.record({ type: fc.constant('escape' as const), spn: str, leaf, proof }),
    fc.record({ type: fc.constant('refund-deposit' as const), spn: str, index: int }),
    fc.record({ type: fc.constant('evidence' as const), validator: str, headerA: hex, headerB: hex }),
  );

  // @spec SPN-ACTORS.1 SPN-ID-FORMAT.1
  it('random and malformed actions never throw; model and impl give the same outcome and projection', () => {
    fc.assert(fc.property(fc.array(action, { minLength: 1, maxLength: 25 }), (actions) => {
      let m = MODEL_BASE;
      const i = freshImpl();
      for (const a of actions) {
        const rm = model.step(m, a);
        const ri = impl.step(i, a);
        expect(outcome(ri)).toBe(outcome(rm));
        if (rm.ok) m = rm.value;
        for (const inv of model.STATE_INVARIANTS) expect(inv.check(m), inv.name).toBeUndefined();
      }
      expect(JSON.stringify(impl.projectWorld(i))).toBe(JSON.stringify(model.projectWorld(m)));
    }), { seed: 84, numRuns: 1500 });
  });
});
