/**
 * EVM benchmark: the same bytecode on @ethereumjs/evm (Cancun) and on the Pharos engine (lowered
 * to dMIR, compiled to WebAssembly by the dMIR engine). Rounds alternate between the two sides;
 * the result is the median time per call of each side and the speed-up (peer median / ours).
 * Both sides answer the same bare message call and the results are checked equal before timing.
 * Our side reuses the compiled code across calls (as a node caches compiled contracts); the first,
 * compiling call is reported separately.
 */
import { createEVM } from '@ethereumjs/evm';
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { Account, Address } from '@ethereumjs/util';
import { keccak256 } from '../src/model/encoding/index.js';
import { runCallOnEthereumjs, type PlainCallInput } from '../src/impl/evm/ethereumjs.js';
import { clearEngineCache, executeCallOnEngine } from '../src/impl/evm/lowered.js';
import { textTable } from '../src/conformance/runner/report.js';
import { arithmeticLoop, bubbleSort, erc20BalanceSlotInput, erc20Loop, keccakLoop } from './evm-programs.js';

const CALLER = '0x' + '11'.repeat(20);
const TARGET = '0x' + '22'.repeat(20);

interface Workload { readonly name: string; readonly code: Uint8Array; readonly storage: readonly (readonly [bigint, bigint])[]; readonly gas: bigint }

const input = (w: Workload): PlainCallInput => ({
  accounts: [
    { address: CALLER, nonce: 1n, balance: 10n ** 20n, code: new Uint8Array(0), storage: [] },
    { address: TARGET, nonce: 1n, balance: 0n, code: w.code, storage: w.storage },
  ],
  block: { coinbase: '0x' + '33'.repeat(20), number: 1n, timestamp: 1000n, gasLimit: 30_000_000n, baseFee: 7n, prevRandao: 0n },
  gasPrice: 10n,
  call: { caller: CALLER, to: TARGET, value: 0n, data: new Uint8Array(0), gas: w.gas },
});

const toBig = (b: Uint8Array): bigint => { let v = 0n; for (const x of b) v = (v << 8n) | BigInt(x); return v; };

const workloads = (quick: boolean): Workload[] => {
  const k = quick ? 1 : 4;
  return [
    { name: `arithmetic loop (${5000 * k} iterations)`, code: arithmeticLoop(5000 * k), storage: [], gas: 10_000_000n },
    { name: `keccak-256 loop over memory (${1000 * k} hashes)`, code: keccakLoop(1000 * k), storage: [], gas: 10_000_000n },
    { name: `bubble sort of ${quick ? 40 : 80} words in memory`, code: bubbleSort(quick ? 40 : 80), storage: [], gas: 30_000_000n },
    { name: `ERC-20 transfer loop (${50 * k} transfers)`, code: erc20Loop(50 * k), storage: [[toBig(keccak256(erc20BalanceSlotInput(CALLER))), 10n ** 6n]], gas: 30_000_000n },
  ];
};

const lib = { createEVM, Common, Mainnet, Hardfork, Address, Account };

/**
 * A prepared @ethereumjs/evm: created once with the pre-state; each timed call runs inside a state
 * checkpoint that is reverted afterwards, so only `runCall` itself is timed.
 */
const preparePeer = async (x: PlainCallInput): Promise<() => Promise<void>> => {
  const word = (v: bigint): Uint8Array => Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));
  const addr = (a: string): Address => new Address(Uint8Array.from(Buffer.from(a.slice(2), 'hex')));
  const evm = await createEVM({ common: new Common({ chain: Mainnet, hardfork: Hardfork.Cancun }) });
  const sm = evm.stateManager;
  for (const a of x.accounts) {
    await sm.putAccount(addr(a.address), new Account(a.nonce, a.balance));
    if (a.code.length > 0) await sm.putCode(addr(a.address), a.code);
    for (const [k, v] of a.storage) await sm.putStorage(addr(a.address), word(k), word(v));
  }
  const b = x.block;
  const block = { header: { number: b.number, coinbase: addr(b.coinbase), timestamp: b.timestamp, difficulty: 0n, prevRandao: word(b.prevRandao), gasLimit: b.gasLimit, baseFeePerGas: b.baseFee, getBlobGasPrice: () => 1n } };
  const c = x.call;
  return async () => {
    await sm.checkpoint();
    const r = await evm.runCall({ block: block as never, gasPrice: x.gasPrice, origin: addr(c.caller), caller: addr(c.caller), to: addr(c.to), value: c.value, data: c.data, gasLimit: c.gas, skipNonceIncrement: true });
    await sm.revert();
    if (r.execResult.exceptionError !== undefined) throw new Error(`@ethereumjs/evm: ${r.execResult.exceptionError.error}`);
  };
};
const median = (xs: readonly number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const fmt = (ms: number): string => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export const evmBench = {
  run: async (args: readonly string[]): Promise<{ readonly result: unknown; readonly table: string }> => {
    const quick = args.includes('--quick');
    const rounds = quick ? 5 : 11;
    const rows: string[][] = [];
    const results: unknown[] = [];
    for (const w of workloads(quick)) {
      const x = input(w);
      clearEngineCache();
      let t = performance.now();
      const first = executeCallOnEngine(x);
      const coldMs = performance.now() - t;
      const peer = await runCallOnEthereumjs(lib, x);
      if (!first.ok) throw new Error(`${w.name}: ${first.error.code} ${first.error.message}`);
      const o = first.value;
      if (o.status !== 'success' || o.status !== peer.status || o.gasUsed !== peer.gasUsed || hex(o.output) !== hex(peer.output) || o.logs.length !== peer.logs.length) {
        throw new Error(`${w.name}: the two engines disagree (${o.status}/${peer.status}, gas ${o.gasUsed}/${peer.gasUsed})`);
      }
      const runPeer = await preparePeer(x);
      await runPeer();
      const ours: number[] = [], theirs: number[] = [];
      for (let r = 0; r < rounds; r++) {
        t = performance.now();
        await runPeer();
        theirs.push(performance.now() - t);
        t = performance.now();
        executeCallOnEngine(x);
        ours.push(performance.now() - t);
      }
      const mo = median(ours), mp = median(theirs);
      results.push({ name: w.name, gasUsed: o.gasUsed.toString(), ours: { name: 'Pharos engine (lowered dMIR, compiled)', medianMs: mo, firstCallMs: coldMs }, peer: { name: '@ethereumjs/evm 10.1.3', medianMs: mp }, speedup: mp / mo });
      rows.push([w.name, o.gasUsed.toString(), fmt(mo), fmt(coldMs), fmt(mp), `${(mp / mo).toFixed(1)}x`]);
    }
    const table = textTable(['workload', 'gas', 'ours median', 'ours first call', '@ethereumjs/evm median', 'speed-up'], rows);
    return { result: { node: process.version, rounds, note: 'time per call: @ethereumjs/evm runCall on a prepared instance (state checkpoint reverted after each call); ours: the whole bare message call including state setup, reusing compiled code', results }, table: `${table}\n(${rounds} interleaved rounds)` };
  },
};
