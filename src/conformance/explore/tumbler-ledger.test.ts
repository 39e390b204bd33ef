import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTlcConfig } from '../tla/cfg.js';
import { parseExpectations } from '../tla/expected.js';
import { explore } from './explore.js';
import { ledgerTwinFromConstants, ledgerTwinMachine } from './tumbler-ledger.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'spec', 'tla');
const expectations = parseExpectations(readFileSync(join(dir, 'expected.json'), 'utf8'));

describe('TumblerLedger twin (the model\'s ledger rules) against spec/tla/TumblerLedger.tla', () => {
  // @spec CONS-SAFETY-PREFIX.1 CONS-SAFETY-NO-DUP.1 CONS-LEDGER-DEDUP.1
  it.each(['MC_TumblerLedger_n4.cfg', 'MC_TumblerLedger_nodedup.cfg', 'MC_TumblerLedger_disagree.cfg'])('%s gives the verdict and count of expected.json', (cfgName) => {
    if (!expectations.ok) throw new Error(expectations.error.message);
    const expected = expectations.value.get(cfgName)!;
    const cfg = parseTlcConfig(readFileSync(join(dir, cfgName), 'utf8'));
    if (!cfg.ok) throw new Error(cfg.error.message);
    const m = ledgerTwinFromConstants(cfg.value.constants);
    if (!m.ok) throw new Error(m.error.message);
    const invariants = cfg.value.invariants.map((name) => m.value.invariants.find((i) => i.name === name)!);
    const r = explore({ ...m.value, invariants }, { onProgress: () => {} });
    if (expected.verdict === 'pass') expect([r.verdict, r.distinctStates]).toEqual(['pass', expected.distinctStates]);
    else expect([r.verdict, r.violation?.invariant]).toEqual(['violation', expected.verdict === 'violation' ? expected.invariant : '']);
  });

  it('three sequence numbers: 20217 states as tla-checker counts, all invariants hold', () => {
    const m = ledgerTwinMachine({ n: 4, byzantine: [4], proposers: [1, 2, 4], maxSeq: 3, txs: [1, 2, 3], dedup: true, agreed: true });
    if (!m.ok) throw new Error(m.error.message);
    const r = explore(m.value, { onProgress: () => {} });
    expect([r.verdict, r.distinctStates]).toEqual(['pass', 20217]);
  }, 60_000);

  it('rejects constants outside the module\'s ASSUME', () => {
    expect(ledgerTwinFromConstants(new Map([['N', { kind: 'int', value: 9 }]])).ok).toBe(false);
  });
});
