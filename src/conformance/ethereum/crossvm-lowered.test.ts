import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { executeCall, type Account, type Address, type BlockEnv, type CallOutcome, type WorldState } from '../../model/evm/index.js';
import { executeCallLowered, interpreterRunner, type LoweredRunner } from '../../model/evm/lower-exec.js';
import { engineRunner } from '../../impl/evm/index.js';
import { plainState } from '../../impl/evm/plain.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/cross-vm/state.json', import.meta.url));
const SHOP = '0x1000000000000000000000000000000000000c01';
const ORACLE = '0x1000000000000000000000000000000000000e01';
const CONSUMER = '0x2000000000000000000000000000000000000b0b';
const PRICING = '0x2000000000000000000000000000000000000a5a';
const BLOCK: BlockEnv = { coinbase: '0x' + '00'.repeat(19) + 'c0', number: 1000n, timestamp: 1n, gasLimit: 30_000_000n, baseFee: 7n, prevRandao: 0n, chainId: 1n, blobBaseFee: 1n, blockHashes: [] };
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const word = (v: bigint): Uint8Array => Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));

const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { caller: Address; accounts: Record<string, { code?: string; balance?: string; nonce?: string }> };
const pre: WorldState = new Map(Object.entries(example.accounts).map(([a, x]): [Address, Account] => [a, {
  nonce: BigInt(x.nonce ?? '0'), balance: BigInt(x.balance ?? '0'), code: Uint8Array.from(Buffer.from((x.code ?? '0x').slice(2), 'hex')), storage: new Map(),
}]));
const view = (o: CallOutcome): unknown => ({
  status: o.status, reason: o.reason, output: hex(o.output), gasUsed: o.gasUsed, refund: o.refund,
  logs: o.logs.map((l) => ({ address: l.address, topics: l.topics.map(hex), data: hex(l.data) })),
  state: plainState(o.state).map((a) => ({ ...a, code: hex(a.code) })),
});

/** The example's calls: the EVM shop pricing orders through WASM, and the WASM consumer calling the EVM oracle; with enough gas, and with gas that runs out at different depths. */
const CALLS = [
  ...[120n, 10n, 0n, 100n].map((qty) => ({ to: SHOP, data: word(qty), value: 0n, gas: 1_000_000n })),
  { to: SHOP, data: word(120n), value: 5n, gas: 1_000_000n },
  ...[7n, 0n, 1n << 200n].map((n) => ({ to: CONSUMER, data: word(n), value: 0n, gas: 1_000_000n })),
  ...[25_000n, 40_000n, 45_000n, 50_000n, 55_000n, 60_000n, 70_000n].map((gas) => ({ to: SHOP, data: word(120n), value: 0n, gas })),
  ...[3_000n, 5_000n, 6_000n, 8_000n, 10_000n, 20_000n].map((gas) => ({ to: CONSUMER, data: word(7n), value: 0n, gas })),
  { to: PRICING, data: word(3n), value: 0n, gas: 100_000n },
];

/** Counts the lowered frames a runner runs, by code. */
const counting = (runner: LoweredRunner): { readonly runner: LoweredRunner; readonly frames: Map<string, number> } => {
  const frames = new Map<string, number>();
  return { frames, runner: (code, gas, host) => { frames.set(hex(code), (frames.get(hex(code)) ?? 0) + 1); return runner(code, gas, host); } };
};

describe('cross-VM calls on lowered code (examples/cross-vm)', () => {
  for (const [name, make] of [['the dMIR reference interpreter', interpreterRunner], ['the compiled dMIR engine', () => engineRunner]] as const) {
    // @spec EVM-XVM-CALL.1 EVM-XVM-REENTRY.1 EVM-LOWER-EXEC.1 DMIR-EXEC-MODE.1
    it(`EVM-XVM-CALL.1 EVM-LOWER-EXEC.1 EVM → WASM → EVM calls with lowered EVM frames on ${name} agree with the EVM model`, () => {
      const statuses = new Set<string>();
      for (const c of CALLS) {
        const request = { caller: example.caller, ...c };
        const m = executeCall(pre, BLOCK, 10n, request);
        const { runner, frames } = counting(make());
        const l = executeCallLowered(pre, BLOCK, 10n, request, runner);
        expect(m.ok && l.ok, JSON.stringify(m.ok ? (l.ok ? '' : l.error) : m.error)).toBe(true);
        if (!m.ok || !l.ok) return;
        expect(view(l.value), `${c.to} gas ${c.gas}`).toEqual(view(m.value));
        statuses.add(m.value.status);
        // The shop's frame runs lowered; below the WASM consumer, so does the EVM oracle's.
        if (c.to === SHOP && c.gas === 1_000_000n) expect(frames.get(hex(pre.get(SHOP)!.code))).toBe(1);
        if (c.to === CONSUMER && c.gas === 1_000_000n) expect(frames.get(hex(pre.get(ORACLE)!.code))).toBe(1);
      }
      // Both outcomes are reached, or the gas sweep checks less than it seems.
      expect([...statuses].sort()).toEqual(['halt', 'success']);
    });
  }
});
