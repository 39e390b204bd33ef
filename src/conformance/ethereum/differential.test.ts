import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEVM } from '@ethereumjs/evm';
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { Account, Address } from '@ethereumjs/util';
import { runCallOnEthereumjs, type PlainCallOutput } from '../../impl/evm/ethereumjs.js';
import { caseArb, generatedInput, modelExecute } from './execute.js';

const lib = { createEVM, Common, Mainnet, Hardfork, Address, Account };
const RUNS = process.env['PHAROS_SLOW'] ? 50_000 : 5_000;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** Bytes as hex so that a mismatch prints readably. */
const view = (o: PlainCallOutput): unknown => ({
  ...o, output: hex(o.output), logs: o.logs.map((l) => ({ ...l, data: hex(l.data) })),
  accounts: o.accounts.map((a) => ({ ...a, code: hex(a.code) })),
});

describe('EVM model against @ethereumjs/evm (Cancun)', () => {
  // @spec EVM-CALL-EXECUTE.1
  it(`EVM-CALL-EXECUTE.1 ${RUNS} generated programs agree on status, output, gas used, refund, logs and post-state`, async () => {
    const statuses = { success: 0, revert: 0, halt: 0 };
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const input = generatedInput(c);
        const m = modelExecute(input);
        expect(m.ok).toBe(true);
        if (!m.ok) return;
        const e = await runCallOnEthereumjs(lib, input);
        statuses[m.value.status]++;
        expect(view(m.value)).toEqual(view(e));
      }),
      process.env['PHAROS_SLOW'] ? { numRuns: RUNS } : { numRuns: RUNS, seed: 20240513 },
    );
    // The generator must reach every outcome, or the comparison is weaker than it looks.
    expect(statuses.success).toBeGreaterThan(RUNS / 10);
    expect(statuses.revert).toBeGreaterThan(RUNS / 20);
    expect(statuses.halt).toBeGreaterThan(RUNS / 20);
  }, 300_000);
});
