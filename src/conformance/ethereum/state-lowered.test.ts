/**
 * The contracts of the Ethereum state tests as bare message calls: each Cancun post entry's
 * transaction (to a contract) runs once on the direct interpreter and once as lowered dMIR on the
 * compiled engine, from the test's pre-state with the transaction's gas after intrinsic gas, and
 * every observable of EVM-CALL-EXECUTE.1 must agree.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blobBaseFee, executeCall, intrinsicGas, type BlockEnv, type CallOutcome } from '../../model/evm/index.js';
import { executeCallLowered, LOWER_HOST_STACK } from '../../model/evm/lower-exec.js';
import type { Result } from '../../model/encoding/index.js';
import { engineRunner } from '../../impl/evm/lowered.js';
import { keccak256 } from '../../impl/encoding/keccak.js';
import { buildTransaction, FORK, listJson, parseEnv, parsePre } from './state-tests.js';

const SUITE = process.env['PHAROS_STATE_TESTS'] ?? resolve(import.meta.dirname, '../../../../shared/suites/ethereum-state-tests');
const present = existsSync(SUITE);
const SLOW = process.env['PHAROS_SLOW'] !== undefined;
const DIRS = process.env['PHAROS_EVM_LOWERED_DIRS']?.split(',') ?? (SLOW ? [''] : ['VMTests/vmArithmeticTest', 'VMTests/vmBitwiseLogicOperation', 'VMTests/vmIOandFlowOperations', 'stMemoryTest', 'stLogTests', 'stReturnDataTest', 'stCallCodes', 'stRefundTest']);
/** Calls given more gas than this are capped, to bound the time of the default run. */
const GAS_CAP = 10_000_000n;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);


/** Halt reasons are not observable (EVM-LOWER-GAS.1): compare everything else. */
const observable = (r: Result<CallOutcome>): unknown => (r.ok ? { ...r.value, reason: r.value.status === 'halt' ? 'halt' : r.value.reason } : r.error.code);

describe.skipIf(!present)(`state-test contracts, lowered, at ${SUITE} (skipped when absent)`, () => {
  for (const dir of DIRS) {
    // @spec EVM-LOWER-EXEC.1 EVM-LOWER-MODULE.1 EVM-CALL-EXECUTE.1
    it(`EVM-LOWER-EXEC.1 every Cancun transaction to a contract in ${dir || 'the whole suite'}: lowered code on the compiled engine agrees with the interpreter`, async () => {
      const root = join(SUITE, dir);
      let compared = 0, hostStack = 0;
      const mismatches: string[] = [];
      for (const path of await listJson(root)) {
        const text = await readFile(path, 'utf8');
        if (text.trim() === '') continue;
        const parsed: unknown = JSON.parse(text);
        if (!isObj(parsed)) continue;
        for (const [name, test] of Object.entries(parsed)) {
          if (!isObj(test) || !isObj(test['post']) || !Array.isArray(test['post'][FORK]) || !isObj(test['transaction'])) continue;
          const pre = parsePre(isObj(test['pre']) ? test['pre'] : {});
          const header = parseEnv(isObj(test['env']) ? test['env'] : {});
          const block: BlockEnv = { ...header, blobBaseFee: blobBaseFee(header.excessBlobGas) };
          const seen = new Set<string>();
          for (const entry of test['post'][FORK] as unknown[]) {
            if (!isObj(entry) || !isObj(entry['indexes']) || entry['expectException'] !== undefined) continue;
            const ix = entry['indexes'];
            const key = `${String(ix['data'])}/${String(ix['gas'])}/${String(ix['value'])}`;
            if (seen.has(key)) continue;
            seen.add(key);
            const tx = buildTransaction(test['transaction'], { data: Number(ix['data'] ?? 0), gas: Number(ix['gas'] ?? 0), value: Number(ix['value'] ?? 0) });
            if (tx.to === null || (pre.get(tx.to)?.code.length ?? 0) === 0) continue;
            const left = tx.gasLimit - intrinsicGas(tx);
            if (left <= 0n) continue;
            const call = { caller: tx.sender, to: tx.to, value: tx.value, data: tx.data, gas: left < GAS_CAP ? left : GAS_CAP };
            const gasPrice = tx.fee.kind === 'legacy' ? tx.fee.gasPrice : header.baseFee;
            let model: Result<CallOutcome>, lowered: Result<CallOutcome>;
            try {
              model = executeCall(pre, block, gasPrice, call);
              lowered = executeCallLowered(pre, block, gasPrice, call, engineRunner, keccak256);
            } catch (e) {
              // Call chains near depth 1024 need more host stack than a test thread has (see section 9).
              if (e instanceof RangeError) { hostStack++; continue; }
              throw e;
            }
            if (!lowered.ok && lowered.error.code === LOWER_HOST_STACK) { hostStack++; continue; }
            compared++;
            const m = observable(model), l = observable(lowered);
            try { expect(l).toEqual(m); } catch { mismatches.push(`${relative(SUITE, path)} ${name} ${key} ${JSON.stringify(lowered.ok ? lowered.value.status : lowered.error)} ${JSON.stringify(model.ok ? model.value.status : model.error)}`); }
          }
        }
      }
      process.stdout.write(`state-test contracts lowered (${dir || 'whole suite'}): ${compared} calls compared, ${hostStack} beyond the host stack\n`);
      expect(mismatches).toEqual([]);
      expect(compared).toBeGreaterThan(0);
      expect(hostStack).toBeLessThan(compared / 10);
    }, 300_000);
  }
});
