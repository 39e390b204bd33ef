/**
 * Equivalence of the overlapped, parallel pipeline with the serial reference: identical receipts,
 * state roots and receipts roots per block, identical deduplication, identical tier events per
 * transaction and per block, and an impl stream that satisfies the tier rules, over generated
 * workloads (transfers, counter calls and WASM contract calls on the dMIR engine, contention from
 * none to total, reverts, duplicates, empty blocks) and generated
 * schedules, worker counts and depth bounds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PipelineInput, type TierEvent, type Tx, accountId, checkTierStream, eventsOfTx, runSerial, txHash } from '../../model/pipeline/index.js';
import { PipelineNode, runPipelined } from './index.js';

const RUNS = Number(process.env['PIPELINE_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 20_000 : 2_000));

type Contention = 'none' | 'low' | 'high' | 'total';

/** A workload: accounts and contract slots drawn from pools whose size sets the contention. */
const workload = (contention: Contention): fc.Arbitrary<PipelineInput> => {
  const accounts = contention === 'total' ? 1 : contention === 'high' ? 2 : contention === 'low' ? 6 : 0;
  const slots = contention === 'total' ? 1 : contention === 'high' ? 2 : 8;
  const acct = accounts === 0 ? fc.nat(999).map((i) => `u${i}`) : fc.nat(accounts - 1).map((i) => `a${i}`);
  const amount = fc.oneof(fc.bigInt(0n, 20n), fc.constant(0n), fc.bigInt(0n, (1n << 64n) - 1n));
  const word = fc.oneof(fc.bigInt(0n, 20n), fc.bigInt(0n, (1n << 64n) - 1n));
  const instance = (prefix: string) => (accounts === 0 ? fc.nat(999).map((i) => `${prefix}${i}`) : fc.nat(Math.max(0, (accounts >> 1) - 1)).map((i) => `${prefix}${i}`));
  const contractCall: fc.Arbitrary<Tx> = fc.oneof(
    fc.record({ kind: fc.constant('wasm' as const), from: acct, contract: instance('c'), code: fc.constant('counter' as const), method: fc.constantFrom('inc', 'dec'), args: fc.array(word, { maxLength: 1 }), salt: fc.nat(1000) }),
    fc.record({ kind: fc.constant('wasm' as const), from: acct, contract: instance('t'), code: fc.constant('token' as const), method: fc.constant('mint'), args: fc.tuple(word), salt: fc.nat(1000) }),
    fc.record({ kind: fc.constant('wasm' as const), from: acct, contract: instance('t'), code: fc.constant('token' as const), method: fc.constant('transfer'), args: fc.tuple(acct.map(accountId), word), salt: fc.nat(1000) }),
    fc.record({ kind: fc.constant('wasm' as const), from: acct, contract: instance('h'), code: fc.constant('hotspot' as const), method: fc.constant('touch'), args: fc.tuple(fc.bigInt(0n, 7n), word, fc.bigInt(0n, 30n), fc.bigInt(0n, 5n)), salt: fc.nat(1000) }),
  );
  const tx: fc.Arbitrary<Tx> = fc.oneof(
    contractCall,
    fc.record({ kind: fc.constant('transfer' as const), from: acct, to: acct, amount, salt: fc.nat(1000) }),
    fc.record({
      kind: fc.constant('call' as const), from: acct, contract: fc.constant('k'), slot: fc.nat(slots - 1),
      op: fc.constantFrom('add' as const, 'sub' as const, 'move' as const), amount, salt: fc.nat(1000),
    }),
  );
  const block = fc.array(fc.array(tx, { maxLength: 6 }), { minLength: 0, maxLength: 3 });
  return fc.tuple(fc.array(block, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(3), { maxLength: 6 }), fc.bigInt(0n, 40n)).map(([blocks, dupOf, fund]) => {
    const bodies = blocks.flat(2);
    const names = [...new Set(bodies.flatMap((t) => [t.from, ...(t.kind === 'transfer' ? [t.to] : [])]))].sort();
    // Re-order some earlier transactions again to exercise deduplication.
    const hashes = bodies.map(txHash);
    return {
      genesis: names.map((account, i) => ({ account, balance: fund + BigInt(i % 3) })),
      blocks: blocks.map((props, b) => ({
        seq: BigInt(2 * b + 1),
        proposals: props.map((txs, p) => ({
          proposer: p,
          txs: [...txs.map(txHash), ...(p === 0 ? dupOf.filter((d) => d < hashes.length).map((d) => hashes[d]!) : [])],
        })),
      })),
      bodies,
    };
  });
};

const options = fc.record({ depth: fc.integer({ min: 1, max: 4 }), workers: fc.integer({ min: 1, max: 8 }), schedule: fc.array(fc.nat(1000), { minLength: 1, maxLength: 40 }) });

const perBlock = (events: readonly TierEvent[], seq: bigint): readonly TierEvent[] =>
  events.filter((e) => (e.tier === 'transaction' ? e.receipt.seq : e.seq) === seq);

const equivalent = (input: PipelineInput, opts: { depth: number; workers: number; schedule: number[] }): void => {
  const model = runSerial(input);
  const impl = runPipelined(input, opts);
  expect(impl.ok).toBe(model.ok);
  if (!model.ok || !impl.ok) {
    if (!model.ok && !impl.ok) expect(impl.error.code).toBe(model.error.code);
    return;
  }
  expect(impl.value.genesisRoot).toBe(model.value.genesisRoot);
  expect(impl.value.blocks).toEqual(model.value.blocks);
  expect(impl.value.duplicates).toEqual(model.value.duplicates);
  for (const b of model.value.blocks) {
    expect(perBlock(impl.value.events, b.seq)).toEqual(perBlock(model.value.events, b.seq));
    for (const r of b.receipts) expect(eventsOfTx(impl.value.events, r.tx)).toEqual(eventsOfTx(model.value.events, r.tx));
  }
  expect(impl.value.events.length).toBe(model.value.events.length);
  const stream = checkTierStream(impl.value.events, opts.depth);
  expect(stream.ok ? null : stream.error).toBeNull();
};

describe('pipelined parallel execution equals the serial pipeline', () => {
  // @spec PIPE-EXEC-SERIAL.1 PIPE-EXEC-PARALLEL.1 PIPE-OVERLAP.1 PIPE-TIER-EARLY-FINAL.1 PIPE-TIER-MONOTONE.1 PIPE-DEPTH-BOUND.1
  it(`over ${RUNS} generated workloads with contention from none to total (PIPE-EVENT-ORDER.1)`, () => {
    const contention = fc.constantFrom<Contention>('none', 'low', 'high', 'total');
    fc.assert(fc.property(contention.chain(workload), options, (input, opts) => equivalent(input, opts)), { numRuns: RUNS });
  });

  // @spec PIPE-ORDER-INPUT.1 PIPE-TX-FORM.2
  it('rejects the same bad inputs with the same codes', () => {
    const bad = fc.tuple(workload('low'), fc.nat(4)).map(([input, how]): PipelineInput => {
      if (how === 0) return { ...input, bodies: [] };
      if (how === 1) return { ...input, blocks: [...input.blocks].reverse() };
      if (how === 2) return { ...input, genesis: [...input.genesis, ...input.genesis] };
      if (how === 3) return { ...input, bodies: [...input.bodies, { kind: 'transfer', from: 'X', to: 'a', amount: 1n, salt: 0 }] };
      return { ...input, blocks: input.blocks.map((b) => ({ ...b, proposals: [...b.proposals].reverse() })) };
    });
    fc.assert(fc.property(bad, options, (input, opts) => equivalent(input, opts)), { numRuns: 300 });
  });
});

describe('overlap, contention and subscriptions', () => {
  const heavy = (blocks: number, perBlock: number, accounts: number): PipelineInput => {
    const bodies: Tx[] = [];
    const out = [];
    for (let b = 0; b < blocks; b++) {
      const txs: string[] = [];
      for (let i = 0; i < perBlock; i++) {
        const tx: Tx = i % 3 === 0
          ? { kind: 'call', from: `a${i % accounts}`, contract: 'k', slot: i % accounts, op: 'move', amount: 1n, salt: b * 1000 + i }
          : { kind: 'transfer', from: `a${i % accounts}`, to: `a${(i * 7 + 1) % accounts}`, amount: BigInt(i % 5), salt: b * 1000 + i };
        bodies.push(tx);
        txs.push(txHash(tx));
      }
      out.push({ seq: BigInt(b + 1), proposals: [{ proposer: 0, txs }] });
    }
    return { genesis: Array.from({ length: accounts }, (_, i) => ({ account: `a${i}`, balance: 100n })), blocks: out, bodies };
  };

  // @spec PIPE-OVERLAP.1 PIPE-DEPTH-BOUND.1
  it('orders block n + 1 while block n executes and block n - 1 commits, within the depth bound', () => {
    const node = PipelineNode.create(heavy(6, 12, 4), { depth: 3, workers: 4, schedule: [2, 1, 0, 5, 3] });
    if (!node.ok) throw new Error(node.error.message);
    const stages: string[][] = [];
    node.value.subscribe((e) => stages.push([e.tier, String(e.tier === 'transaction' ? e.receipt.seq : e.seq)]));
    const run = node.value.runToEnd();
    expect(node.value.counters.maxInFlight).toBe(3);
    expect(node.value.counters.overlappedSteps).toBeGreaterThan(0);
    // Some block was ordered before the one two below it reached block finality.
    const at = (tier: string, seq: bigint): number => stages.findIndex(([t, s]) => t === tier && s === String(seq));
    expect(run.blocks.some((b) => at('ordering', b.seq + 2n) >= 0 && at('ordering', b.seq + 2n) < at('block', b.seq))).toBe(true);
    expect(checkTierStream(run.events, 3).ok).toBe(true);
    const serial = runSerial(heavy(6, 12, 4));
    expect(serial.ok && serial.value.blocks).toEqual(run.blocks);
  });

  // @spec PIPE-EXEC-PARALLEL.1
  it('re-executes on conflict under total contention and still equals serial execution', () => {
    const input = heavy(3, 30, 1);
    const node = PipelineNode.create(input, { depth: 2, workers: 8, schedule: [7, 3, 5, 1, 6] });
    if (!node.ok) throw new Error(node.error.message);
    const run = node.value.runToEnd();
    expect(node.value.counters.stm.aborts + node.value.counters.stm.blocked).toBeGreaterThan(0);
    const serial = runSerial(input);
    expect(serial.ok && run.blocks).toEqual(serial.ok && serial.value.blocks);
  });

  // @spec PIPE-SUBSCRIBE.1 PIPE-EVENT-ORDER.1
  it('streams a transaction\'s tier events to its subscriber in tier order, asynchronously', async () => {
    const input = heavy(4, 9, 3);
    const node = PipelineNode.create(input, { depth: 2, workers: 3, schedule: [1, 2, 0] });
    if (!node.ok) throw new Error(node.error.message);
    const tx = input.blocks[2]!.proposals[0]!.txs[4]!;
    const seen: TierEvent[] = [];
    const consumer = (async () => { for await (const e of node.value.events({ tx })) seen.push(e); })();
    const run = await node.value.run(5);
    await consumer;
    expect(seen.map((e) => e.tier)).toEqual(['ordering', 'transaction', 'block']);
    expect(seen).toEqual(eventsOfTx(run.events, tx));
    const blockSeen: TierEvent[] = [];
    const n2 = PipelineNode.create(input, { depth: 2 });
    if (!n2.ok) throw new Error(n2.error.message);
    n2.value.subscribe((e) => blockSeen.push(e), { seq: 3n });
    n2.value.runToEnd();
    expect(blockSeen.map((e) => e.tier)).toEqual(['ordering', ...Array(9).fill('transaction'), 'block']);
  });
});
