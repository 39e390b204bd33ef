import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStateTestDirectory } from './state-tests.js';

const SUITE = process.env['PHAROS_STATE_TESTS'] ?? resolve(import.meta.dirname, '../../../../shared/suites/ethereum-state-tests');
const present = existsSync(SUITE);
const SLOW = process.env['PHAROS_SLOW'] !== undefined;
// Directories whose cases run in seconds and need no deep host stack; the slow run covers the rest.
// stRevertTest holds the cases calling the bn254 precompiles (EVM-PRE-BN254.1).
const FAST = ['stExample', 'stShift', 'stSStoreTest', 'stLogTests', 'stReturnDataTest', 'stCallCodes', 'stRefundTest', 'stRevertTest', 'VMTests/vmArithmeticTest', 'VMTests/vmBitwiseLogicOperation'];

describe.skipIf(!present)(`Ethereum state tests at ${SUITE} (skipped when absent)`, () => {
  for (const dir of SLOW ? [''] : FAST) {
    it(`EVM-CONF-STATETESTS.1 every Cancun case in ${dir || 'the whole suite'} passes or is skipped with a reason`, async () => {
      const report = await runStateTestDirectory(join(SUITE, dir));
      const failures = report.cases.filter((c) => c.verdict === 'fail').map((c) => `${c.file} ${c.name}[${c.index}]: ${c.reason}`);
      // Without the worker's larger stack, only the depth-1024 recursion cases may exhaust the host stack.
      const real = failures.filter((f) => !f.includes('Maximum call stack'));
      expect(real).toEqual([]);
      expect(report.cases.filter((c) => c.verdict === 'pass').length).toBeGreaterThan(0);
      // Every precompile is modelled: the only skips left are tests without a Cancun post state.
      for (const c of report.cases.filter((c) => c.verdict === 'skip')) expect(c.reason).toBe(`no Cancun post state`);
    }, 120_000);
  }
});
