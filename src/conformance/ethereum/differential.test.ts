import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ethereumjsRunner, type PlainCallOutput } from '../../impl/evm/ethereumjs.js';
import { ethereumjsLib } from '../../impl/evm/ethereumjs-lib.js';
import { caseArb, generatedInput, modelExecute } from './execute.js';
import { precompileInputArb, precompileProbe } from './gen.js';

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
    // One EVM for every program (the runner resets its state between calls): building one per
    // program cost about a quarter of the test's time.
    const runOnEthereumjs = ethereumjsRunner(ethereumjsLib);
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const input = generatedInput(c);
        const m = modelExecute(input);
        expect(m.ok).toBe(true);
        if (!m.ok) return;
        const e = await runOnEthereumjs(input);
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

  // @spec EVM-PRE-BN254.1 EVM-PRE-BLAKE2F.1 EVM-PRE-KZG.1 EVM-PRE-FAIL.1
  it('EVM-PRE-SET.1 the generated inputs of precompiles 0x06..0x0a reach both valid and invalid outcomes, and both sides agree on each', async () => {
    const runOnEthereumjs = ethereumjsRunner(ethereumjsLib);
    const outcomes = new Map<number, { ok: number; failed: number }>();
    for (const [address, data] of fc.sample(precompileInputArb, { numRuns: 300, seed: 20261127 })) {
      const input = generatedInput({ codes: [precompileProbe(address, data)], storage: [[]], balances: [0n], value: 0n, data: new Uint8Array(0), gas: 2_000_000n });
      const m = modelExecute(input);
      expect(m.ok).toBe(true);
      if (!m.ok) return;
      expect(view(m.value)).toEqual(view(await runOnEthereumjs(input)));
      expect(m.value.status).toBe('success');
      const tally = outcomes.get(address) ?? { ok: 0, failed: 0 };
      if (m.value.output[31] === 1) tally.ok++; else tally.failed++;
      outcomes.set(address, tally);
    }
    for (const address of [6, 7, 8, 9, 10]) {
      expect(outcomes.get(address)?.ok, `successful calls of 0x${address.toString(16)}`).toBeGreaterThan(0);
      expect(outcomes.get(address)?.failed, `failed calls of 0x${address.toString(16)}`).toBeGreaterThan(0);
    }
  }, 120_000);
});
