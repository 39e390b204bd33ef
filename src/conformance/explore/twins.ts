import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Result, ok } from '../../model/encoding/result.js';
import { bvBroadcastMachine, bvConfig } from '../../model/consensus/bv-broadcast.js';
import { escapeHatchFromConstants } from '../../model/spn/escape-hatch.js';
import { cfgInt, cfgIntSet, parseTlcConfig, type TlcConfig } from '../tla/cfg.js';
import { parseExpectations } from '../tla/expected.js';
import { explore, type Machine } from './explore.js';
import { roundsFromConstants } from './myba-rounds.js';
import { ledgerTwinFromConstants } from './tumbler-ledger.js';

/**
 * A TS model state machine with a TLA+ twin: the machine is built from the constants of the twin's
 * cfg, so both check exactly the same instance. @spec MC-TWIN-COUNTS.1
 */
export interface ExplorerTwin {
  readonly area: string;
  /** The TLA+ module the machine mirrors. */
  readonly module: string;
  readonly machine: (cfg: TlcConfig) => Result<Machine<unknown>>;
}

export const EXPLORER_TWINS: readonly ExplorerTwin[] = [
  { area: 'consensus', module: 'MyBARounds', machine: (cfg) => roundsFromConstants(cfg.constants) as Result<Machine<unknown>> },
  { area: 'consensus', module: 'TumblerLedger', machine: (cfg) => ledgerTwinFromConstants(cfg.constants) as Result<Machine<unknown>> },
  { area: 'spn', module: 'EscapeHatch', machine: (cfg) => escapeHatchFromConstants(cfg.constants) as Result<Machine<unknown>> },
  {
    area: 'consensus',
    module: 'BVBroadcast',
    machine: (cfg) => {
      const n = cfgInt(cfg, 'N');
      const f = cfgInt(cfg, 'F');
      const byzantine = cfgIntSet(cfg, 'Byzantine');
      if (!n.ok) return n;
      if (!f.ok) return f;
      if (!byzantine.ok) return byzantine;
      const config = bvConfig(n.value, f.value, byzantine.value);
      return config.ok ? ok(bvBroadcastMachine(config.value) as Machine<unknown>) : config;
    },
  },
];

export interface TwinOutcome {
  readonly area: string;
  readonly cfg: string;
  readonly verdict: 'pass' | 'violation' | 'limit' | 'error';
  readonly distinctStates?: number;
  readonly invariant?: string;
  readonly expected: string;
  readonly matched: boolean;
  readonly message?: string;
}

/**
 * Explores each twin on every cfg of its module and compares with spec/tla/expected.json, the
 * same expectations TLC and tla-checker are held to: equal distinct-state counts for passing
 * configs, a violation of the same invariant for must-fail ones.
 */
export const runExplorerTwins = async (root: string): Promise<readonly TwinOutcome[]> => {
  const dir = join(root, 'spec', 'tla');
  const expectations = parseExpectations(await readFile(join(dir, 'expected.json'), 'utf8'));
  if (!expectations.ok) return [{ area: '-', cfg: 'expected.json', verdict: 'error', expected: '-', matched: false, message: expectations.error.message }];
  const outcomes: TwinOutcome[] = [];
  for (const [cfgName, expected] of expectations.value) {
    const twin = EXPLORER_TWINS.find((t) => cfgName.startsWith(`MC_${t.module}_`));
    if (twin === undefined) continue;
    const expectedText = expected.verdict === 'pass' ? `pass ${expected.distinctStates}` : expected.verdict === 'violation' ? `violation ${expected.invariant}` : expected.verdict;
    const cfg = parseTlcConfig(await readFile(join(dir, cfgName), 'utf8'));
    const machine = cfg.ok ? twin.machine(cfg.value) : cfg;
    if (!machine.ok) {
      outcomes.push({ area: twin.area, cfg: cfgName, verdict: 'error', expected: expectedText, matched: false, message: `${machine.error.code}: ${machine.error.message}` });
      continue;
    }
    // Check exactly the invariants the cfg lists, in its order, as TLC does.
    const listed = cfg.ok ? cfg.value.invariants : [];
    const missing = listed.filter((name) => !machine.value.invariants.some((i) => i.name === name));
    if (missing.length > 0) {
      outcomes.push({ area: twin.area, cfg: cfgName, verdict: 'error', expected: expectedText, matched: false, message: `the TS model has no invariant ${missing.join(', ')}` });
      continue;
    }
    const invariants = listed.map((name) => machine.value.invariants.find((i) => i.name === name)!);
    const r = explore({ ...machine.value, invariants }, { maxStates: 2_000_000 });
    const invariant = r.violation?.invariant;
    const matched = expected.verdict === 'pass'
      ? r.verdict === 'pass' && r.distinctStates === expected.distinctStates
      : expected.verdict === 'violation' && r.verdict === 'violation' && invariant === expected.invariant;
    outcomes.push({
      area: twin.area, cfg: cfgName, verdict: r.verdict, distinctStates: r.distinctStates, expected: expectedText, matched,
      ...(invariant !== undefined ? { invariant } : {}),
      ...(matched ? {} : { message: `explorer gave ${r.verdict}${invariant ? ` ${invariant}` : ''} with ${r.distinctStates} states` }),
    });
  }
  return outcomes;
};
