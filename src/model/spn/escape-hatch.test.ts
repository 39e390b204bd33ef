import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explore } from '../../conformance/explore/explore.js';
import { parseTlcConfig } from '../../conformance/tla/cfg.js';
import { parseExpectations } from '../../conformance/tla/expected.js';
import { runTlaChecks } from '../../conformance/tla/run.js';
import { ehCommit, ehFreeze, ehInit, ehInvariants, ehTick, escapeHatchConfig, escapeHatchFromConstants, ehForceWithdraw, ehDeposit, ehProcess, type EhState } from './escape-hatch.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const TLA_DIR = join(ROOT, 'spec', 'tla');
const CFGS = ['MC_EscapeHatch_n2.cfg', 'MC_EscapeHatch_nodeadline.cfg', 'MC_EscapeHatch_doubleclaim.cfg'];

const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('EscapeHatch model agrees with spec/tla/EscapeHatch.tla', () => {
  // @spec SPN-ESCAPE-BOUNDED.1 SPN-BRIDGE-CONSERVATION.1 SPN-BRIDGE-ESCROW.1 SPN-ESCAPE-CLAIM.1 SPN-ESCAPE-FROZEN-FOREVER.1
  it('same verdicts and distinct-state counts as tla-checker and expected.json, for every config', async () => {
    const expected = unwrap(parseExpectations(await readFile(join(TLA_DIR, 'expected.json'), 'utf8')));
    const report = await runTlaChecks({ root: ROOT, only: CFGS, checker: 'tla-checker' });
    expect(report.outcomes).toHaveLength(CFGS.length);
    expect(report.ok).toBe(true);
    for (const name of CFGS) {
      const cfg = unwrap(parseTlcConfig(await readFile(join(TLA_DIR, name), 'utf8')));
      const machine = unwrap(escapeHatchFromConstants(cfg.constants));
      const invariants = cfg.invariants.map((n) => machine.invariants.find((i) => i.name === n)!);
      const r = explore({ ...machine, invariants }, { onProgress: () => {} });
      const exp = expected.get(name)!;
      const tla = report.outcomes.find((o) => o.cfg === name)!;
      expect(r.verdict, name).toBe(exp.verdict);
      expect(tla.verdict, name).toBe(exp.verdict);
      if (exp.verdict === 'pass') {
        expect(r.distinctStates, name).toBe(exp.distinctStates);
        expect(tla.distinctStates, name).toBe(exp.distinctStates);
      } else if (exp.verdict === 'violation') {
        expect(r.violation?.invariant, name).toBe(exp.invariant);
        expect(tla.invariant, name).toBe(exp.invariant);
      }
    }
  }, 60_000);

  // @spec SPN-ESCAPE-DEADLINE.1 SPN-ESCAPE-BOUNDED.1
  it('the clock stops at an overdue freeze and a censored request is resolved by the freeze within the bound', () => {
    const c = unwrap(escapeHatchConfig({ n: 2, start: 1, maxQueue: 2, incDeadline: 1, k: 1, maxHeight: 10, deadlineRule: true, singleClaim: true }));
    let s: EhState = ehInit(c);
    s = ehDeposit(c, s, 1, 1)!;
    s = ehCommit(ehProcess(s)!)!;
    s = ehForceWithdraw(c, s, 1, 1)!;
    // The operator censors: ticks until the freeze is overdue.
    while (ehTick(c, s) !== undefined) s = ehTick(c, s)!;
    expect(s.h).toBe(0 + 1 + 1 + 1);
    expect(ehInvariants(c).every((i) => i.holds(s))).toBe(true);
    const frozen = ehFreeze(c, s)!;
    expect(frozen.status).toBe('frozen');
    expect(ehTick(c, frozen)?.h).toBe(4);
  });
});

describe('spec/tla/SpnMailbox.tla', () => {
  // @spec SPN-MSG-EXACTLY-ONCE.1 SPN-MSG-TIMEOUT.1 SPN-RESTAKE-SLASH-ONCE.1 SPN-BRIDGE-ESCROW.1
  it('passes its configuration with the expected count and every must-fail configuration fails on its invariant', async () => {
    const cfgs = ['MC_SpnMailbox_n2.cfg', 'MC_SpnMailbox_eager.cfg', 'MC_SpnMailbox_replay.cfg', 'MC_SpnMailbox_slash.cfg'];
    const report = await runTlaChecks({ root: ROOT, only: cfgs, checker: 'tla-checker' });
    expect(report.outcomes.map((o) => [o.cfg, o.verdict, o.verdict === 'pass' ? o.distinctStates : o.invariant])).toEqual([
      ['MC_SpnMailbox_eager.cfg', 'violation', 'ExactlyOnce'],
      ['MC_SpnMailbox_n2.cfg', 'pass', 18158],
      ['MC_SpnMailbox_replay.cfg', 'violation', 'EscrowBacking'],
      ['MC_SpnMailbox_slash.cfg', 'violation', 'SlashOnce'],
    ]);
    expect(report.ok).toBe(true);
  }, 60_000);
});
