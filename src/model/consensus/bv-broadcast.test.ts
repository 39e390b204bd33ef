import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore } from '../../conformance/explore/explore.js';
import { cfgInt, cfgIntSet, parseTlcConfig, type TlcConfig } from '../../conformance/tla/cfg.js';
import { tlaCheckerReachableStates } from '../../conformance/tla/checkers.js';
import { parseExpectations, type TlaExpectations } from '../../conformance/tla/expected.js';
import { runTlaChecks } from '../../conformance/tla/run.js';
import {
  type BvConfig,
  type BvState,
  broadcastInput,
  bvBroadcastMachine,
  bvConfig,
  bvDeliverySupport,
  bvInvariants,
  bvJustification,
  bvRelayJustification,
  byzantineSend,
  deliver,
  initialStates,
  relay,
  renderBvState,
  typeOk,
} from './bv-broadcast.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const TLA_DIR = join(ROOT, 'spec', 'tla');
const N4F1 = 'MC_BVBroadcast_n4f1.cfg';
const BYZ2 = 'MC_BVBroadcast_n4byz2.cfg';
const HONEST = 'MC_BVBroadcast_n4honest.cfg';
const N3F1 = 'MC_BVBroadcast_n3f1.cfg';
const ALL = [N4F1, BYZ2, HONEST, N3F1];

const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

const readCfg = async (name: string): Promise<{ text: string; config: TlcConfig }> => {
  const text = await readFile(join(TLA_DIR, name), 'utf8');
  return { text, config: unwrap(parseTlcConfig(text)) };
};

/** The TS configuration for a cfg: the same constants, and the invariants the cfg lists, in order. */
const tsMachineFor = (config: TlcConfig) => {
  const bv = unwrap(bvConfig(unwrap(cfgInt(config, 'N')), unwrap(cfgInt(config, 'F')), unwrap(cfgIntSet(config, 'Byzantine'))));
  const all = bvInvariants(bv);
  const invariants = config.invariants.map((name) => {
    const inv = all.find((i) => i.name === name);
    if (inv === undefined) throw new Error(`the TS model has no invariant ${name}`);
    return inv;
  });
  return { bv, machine: bvBroadcastMachine(bv, invariants) };
};

const expectations = async (): Promise<TlaExpectations> =>
  unwrap(parseExpectations(await readFile(join(TLA_DIR, 'expected.json'), 'utf8')));

const quiet = { onProgress: () => {} };

const cfg = (n: number, f: number, byz: readonly number[]): BvConfig => unwrap(bvConfig(n, f, byz));
const start = (c: BvConfig, inputs: readonly (0 | 1)[]): BvState => {
  const s = initialStates(c).find((st) => c.correct.every((p, i) => st.input.get(p) === inputs[i]));
  if (s === undefined) throw new Error('no such initial state');
  return s;
};
const send = (s: BvState | undefined, step: (s: BvState) => BvState | undefined): BvState => {
  const t = s === undefined ? undefined : step(s);
  if (t === undefined) throw new Error('step not enabled');
  return t;
};

describe('BV-broadcast model agrees with spec/tla/BVBroadcast.tla', () => {
  // @spec CONS-BVB-JUSTIFY.1 CONS-BVB-RELAY-JUSTIFY.1 CONS-BVB-DELIVERY-SUPPORT.1
  // @spec CONS-BVB-OBLIGATION.1 CONS-BVB-UNIFORMITY.1 CONS-BVB-TERMINATION.1
  it('same distinct-state counts and verdicts as the TLA+ check and expected.json, for every config', async () => {
    const expected = await expectations();
    const report = await runTlaChecks({ root: ROOT, only: ALL });
    expect(report.ok).toBe(true);
    expect(report.outcomes).toHaveLength(ALL.length);
    for (const name of ALL) {
      const { config } = await readCfg(name);
      const result = explore(tsMachineFor(config).machine, quiet);
      const tla = report.outcomes.find((o) => o.cfg === name)!;
      const exp = expected.get(name)!;
      expect(result.verdict, name).toBe(exp.verdict);
      expect(result.verdict, name).toBe(tla.verdict);
      if (exp.verdict === 'pass') {
        expect(result.distinctStates, name).toBe(exp.distinctStates);
        expect(result.distinctStates, name).toBe(tla.distinctStates);
      }
      if (exp.verdict === 'violation') {
        expect(result.violation?.invariant, name).toBe(exp.invariant);
        expect(result.violation?.invariant, name).toBe(tla.invariant);
      }
    }
  });

  it('n4f1: the TS model reaches exactly the states tla-checker reaches, state by state', async () => {
    const { text, config } = await readCfg(N4F1);
    const spec = await readFile(join(TLA_DIR, 'BVBroadcast.tla'), 'utf8');
    const tlaStates = unwrap(tlaCheckerReachableStates(spec, text, { checkDeadlock: config.checkDeadlock }));
    const { machine } = tsMachineFor(config);
    const tsStates = new Set<string>();
    // A recording "invariant": the explorer evaluates invariants once on every state it discovers.
    const record = { name: 'Record', holds: (s: BvState) => tsStates.add(renderBvState(s)).size > 0 };
    const result = explore({ ...machine, invariants: [...machine.invariants, record] }, quiet);
    expect(result.verdict).toBe('pass');
    expect(tsStates.size).toBe(result.distinctStates);
    expect(new Set(tlaStates).size).toBe(tlaStates.length);
    expect([...tsStates].sort()).toEqual([...tlaStates].sort());
  });

  it('n4byz2: a shortest counterexample as long as the TLA+ one, and a real execution', async () => {
    const { text, config } = await readCfg(BYZ2);
    const { bv, machine } = tsMachineFor(config);
    const result = explore(machine, quiet);
    const trace = result.violation!.trace;
    const report = await runTlaChecks({ root: ROOT, only: [BYZ2], checker: 'tla-checker' });
    const tlaTrace = report.outcomes[0]!.trace ?? '';
    expect(trace).toHaveLength([...tlaTrace.matchAll(/^State \d+/gm)].length);
    expect(bvJustification(trace.at(-1)!.state)).toBe(false);
    for (let i = 1; i < trace.length; i++) {
      const action = machine.actions.find((a) => a.name === trace[i]!.action)!;
      expect(action.next(trace[i - 1]!.state).map(renderBvState)).toContain(renderBvState(trace[i]!.state));
    }
    // The two Byzantine processes push a value no correct process holds past F+1 and then 2F+1.
    const last = trace.at(-1)!.state;
    const alien = ([0, 1] as const).find((v) => ![...last.input.values()].includes(v))!;
    expect(last.msgs.filter((m) => m.val === alien && bv.byzantine.includes(m.src))).toHaveLength(2);
    expect(text).toContain('Byzantine = {3, 4}');
  });
});

describe('BV-broadcast rules', () => {
  const c = cfg(4, 1, [4]);

  it('rejects bad configurations with stable codes', () => {
    expect(bvConfig(0, 0, [])).toMatchObject({ ok: false, error: { code: 'Consensus.BvBroadcast.BAD_PROCESS_COUNT' } });
    expect(bvConfig(4, -1, [])).toMatchObject({ ok: false, error: { code: 'Consensus.BvBroadcast.BAD_FAULT_BOUND' } });
    expect(bvConfig(4, 1, [5])).toMatchObject({ ok: false, error: { code: 'Consensus.BvBroadcast.BAD_BYZANTINE' } });
    expect(bvConfig(4, 1, [2, 2])).toMatchObject({ ok: false, error: { code: 'Consensus.BvBroadcast.BAD_BYZANTINE' } });
    expect(c.correct).toEqual([1, 2, 3]);
    expect(initialStates(c)).toHaveLength(8);
  });

  // @spec CONS-BVB-INPUT.1
  it('CONS-BVB-INPUT.1: a correct process broadcasts BVAL for its input, once', () => {
    const s = send(start(c, [0, 1, 1]), (s) => broadcastInput(s, 2));
    expect(s.msgs).toEqual([{ src: 2, val: 1 }]);
    expect(broadcastInput(s, 2)).toBeUndefined();
    expect(broadcastInput(s, 4)).toBeUndefined();
  });

  // @spec CONS-BVB-RELAY.1 CONS-BVB-THRESHOLDS.1
  it('CONS-BVB-RELAY.1: relay needs F+1 distinct senders and a started process, and happens once', () => {
    let s = send(start(c, [0, 0, 1]), (s) => broadcastInput(s, 1));
    s = send(s, (s) => broadcastInput(s, 3));
    // One sender of 1 (process 3) is not enough for process 1 to relay 1.
    expect(relay(c, s, 1, 1)).toBeUndefined();
    s = send(s, (s) => byzantineSend(c, s, 4, 1));
    const relayed = send(s, (s) => relay(c, s, 1, 1));
    expect(relayed.msgs).toContainEqual({ src: 1, val: 1 });
    expect(relay(c, relayed, 1, 1)).toBeUndefined();
    // Process 2 has not started (not broadcast its input), so it does not relay yet.
    expect(relay(c, s, 2, 1)).toBeUndefined();
  });

  // @spec CONS-BVB-DELIVER.1 CONS-BVB-THRESHOLDS.1
  it('CONS-BVB-DELIVER.1: delivery needs 2F+1 distinct senders; a Byzantine resend does not count twice', () => {
    let s = send(start(c, [0, 0, 1]), (s) => broadcastInput(s, 1));
    s = send(s, (s) => byzantineSend(c, s, 4, 0));
    expect(byzantineSend(c, s, 4, 0)).toBeUndefined();
    expect(deliver(c, s, 1, 0)).toBeUndefined();
    s = send(s, (s) => broadcastInput(s, 2));
    const d = send(s, (s) => deliver(c, s, 1, 0));
    expect(d.binValues.get(1)).toEqual([0]);
    expect(deliver(c, d, 1, 0)).toBeUndefined();
    for (const inv of bvInvariants(c)) expect(inv.holds(d), inv.name).toBe(true);
  });

  it('the invariants catch hand-made bad states', () => {
    const s0 = start(c, [0, 0, 0]);
    const alien: BvState = { ...s0, binValues: new Map([[1, [1]], [2, []], [3, []]]) };
    expect(bvJustification(alien)).toBe(false);
    expect(bvDeliverySupport(c, alien)).toBe(false);
    expect(bvRelayJustification({ ...s0, msgs: [{ src: 2, val: 1 }] })).toBe(false);
    expect(bvRelayJustification({ ...s0, msgs: [{ src: 4, val: 1 }] })).toBe(true);
    expect(typeOk(c, { ...s0, msgs: [{ src: 5, val: 0 }] })).toBe(false);
  });

  // Random walks cover configurations too large to exhaust here (up to 7 processes, f = 2).
  // @spec CONS-BVB-JUSTIFY.1 CONS-BVB-RELAY-JUSTIFY.1 CONS-BVB-DELIVERY-SUPPORT.1
  it('with at most f Byzantine processes every random execution keeps the invariants', () => {
    const arb = fc
      .integer({ min: 4, max: 7 })
      .chain((n) => {
        const f = Math.floor((n - 1) / 3);
        return fc.record({
          n: fc.constant(n),
          f: fc.constant(f),
          byz: fc.uniqueArray(fc.integer({ min: 1, max: n }), { maxLength: f }),
          inputs: fc.array(fc.constantFrom<0 | 1>(0, 1), { minLength: n, maxLength: n }),
          choices: fc.array(fc.nat(), { maxLength: 60 }),
        });
      });
    fc.assert(
      fc.property(arb, ({ n, f, byz, inputs, choices }) => {
        const config = cfg(n, f, byz);
        const machine = bvBroadcastMachine(config);
        let state = start(config, config.correct.map((p) => inputs[p - 1]!));
        for (const choice of choices) {
          const successors = machine.actions.flatMap((a) => a.next(state));
          if (successors.length === 0) break;
          state = successors[choice % successors.length]!;
          for (const inv of machine.invariants) expect(inv.holds(state), inv.name).toBe(true);
        }
      }),
      { seed: 20240601, numRuns: 300 },
    );
  });
});
