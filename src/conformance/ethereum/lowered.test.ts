import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpreterRunner } from '../../model/evm/lower-exec.js';
import { executeCallOnEngine, type PlainCallOutput } from '../../impl/evm/index.js';
import { caseArb, generatedInput, modelExecute } from './execute.js';

const SLOW = Boolean(process.env['PHAROS_SLOW']);
/** Programs per comparison: the interpreted lowering is cheap, the compiled engine compiles every new contract. */
const INTERP_RUNS = SLOW ? 30_000 : 3_000;
const ENGINE_RUNS = SLOW ? 10_000 : 1_000;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const view = (o: PlainCallOutput): unknown => ({
  ...o, output: hex(o.output), logs: o.logs.map((l) => ({ ...l, data: hex(l.data) })),
  accounts: o.accounts.map((a) => ({ ...a, code: hex(a.code) })),
});

describe('lowered EVM programs against the EVM model', () => {
  // @spec EVM-LOWER-EXEC.1 EVM-LOWER-MODULE.1 EVM-CALL-EXECUTE.1
  it(`EVM-LOWER-EXEC.1 ${INTERP_RUNS} generated programs: lowered dMIR on the reference interpreter agrees with the EVM model`, () => {
    const statuses = { success: 0, revert: 0, halt: 0 };
    const runner = interpreterRunner();
    fc.assert(
      fc.property(caseArb, (c) => {
        const input = generatedInput(c);
        const m = modelExecute(input);
        const l = executeCallOnEngine(input, runner);
        expect(m.ok).toBe(true);
        if (!m.ok || !l.ok) { expect(l).toEqual(m); return; }
        statuses[m.value.status]++;
        expect(view(l.value)).toEqual(view(m.value));
      }),
      SLOW ? { numRuns: INTERP_RUNS } : { numRuns: INTERP_RUNS, seed: 20261127 },
    );
    expect(statuses.success).toBeGreaterThan(INTERP_RUNS / 10);
    expect(statuses.revert).toBeGreaterThan(INTERP_RUNS / 20);
    expect(statuses.halt).toBeGreaterThan(INTERP_RUNS / 20);
  }, 600_000);

  // @spec EVM-LOWER-EXEC.1 DMIR-EXEC-MODE.1 EVM-CALL-EXECUTE.1
  it(`EVM-LOWER-EXEC.1 ${ENGINE_RUNS} generated programs: lowered dMIR on the compiled engine agrees with the EVM model`, () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const input = generatedInput(c);
        const m = modelExecute(input);
        const e = executeCallOnEngine(input);
        if (!m.ok || !e.ok) { expect(e).toEqual(m); return; }
        expect(view(e.value)).toEqual(view(m.value));
      }),
      SLOW ? { numRuns: ENGINE_RUNS } : { numRuns: ENGINE_RUNS, seed: 20261128 },
    );
  }, 600_000);
});
