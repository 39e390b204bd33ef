import { Schema } from 'effect';
import { BigIntFromDecimal } from '../../model/encoding/index.js';
import type { Result } from '../../model/encoding/result.js';
import * as model from '../../model/pipeline/index.js';
import { runPipelined } from '../../impl/pipeline/index.js';
import { type CaseDraft, defineKind } from './kind.js';
import { type Prng, prng } from '../vectors/prng.js';

// ---------------------------------------------------------------------------------------------
// Schemas

const Dec = BigIntFromDecimal;
const Int = Schema.Int;
const Str = Schema.String;

const TxS = Schema.Union(
  Schema.Struct({ kind: Schema.Literal('transfer'), from: Str, to: Str, amount: Dec, salt: Int }),
  Schema.Struct({ kind: Schema.Literal('call'), from: Str, contract: Str, slot: Int, op: Schema.Literal('add', 'sub', 'move'), amount: Dec, salt: Int }),
  Schema.Struct({ kind: Schema.Literal('wasm'), from: Str, contract: Str, code: Schema.Literal(...model.CONTRACT_CODES), method: Str, args: Schema.Array(Dec), salt: Int }),
  Schema.Struct({ kind: Schema.Literal('evm'), from: Str, contract: Str, code: Schema.Literal(...model.EVM_CONTRACT_CODES), method: Str, args: Schema.Array(Dec), salt: Int }),
);
const BlockS = Schema.Struct({ seq: Dec, proposals: Schema.Array(Schema.Struct({ proposer: Int, txs: Schema.Array(Str) })) });
const InputS = Schema.Struct({
  genesis: Schema.Array(Schema.Struct({ account: Str, balance: Dec })),
  blocks: Schema.Array(BlockS),
  bodies: Schema.Array(TxS),
});
type Input = typeof InputS.Type;

const ReceiptS = Schema.Struct({ tx: Str, seq: Dec, index: Int, status: Schema.Literal('success', 'revert'), code: Schema.NullOr(Str), output: Dec });
const EventS = Schema.Union(
  Schema.Struct({ tier: Schema.Literal('ordering'), seq: Dec, txs: Schema.Array(Str) }),
  Schema.Struct({ tier: Schema.Literal('transaction'), receipt: ReceiptS }),
  Schema.Struct({ tier: Schema.Literal('block'), seq: Dec, root: Str, receiptsRoot: Str, txCount: Int }),
);
const OutputS = Schema.Struct({
  genesisRoot: Str,
  blocks: Schema.Array(Schema.Struct({ seq: Dec, root: Str, receiptsRoot: Str, receipts: Schema.Array(ReceiptS) })),
  duplicates: Schema.Array(Schema.Struct({ seq: Dec, proposer: Int, position: Int, tx: Str })),
  /**
   * The tier events of each block in emission order. Only the interleaving of events of different
   * blocks may differ between pipelines (PIPE-EVENT-ORDER.1), so events are compared per block.
   */
  blockEvents: Schema.Array(Schema.Struct({ seq: Dec, events: Schema.Array(EventS) })),
});
type Output = typeof OutputS.Type;

const seqOf = (e: model.TierEvent): bigint => (e.tier === 'transaction' ? e.receipt.seq : e.seq);

/** The answer both sides give: the run with its events grouped by block, each group in emission order. */
const answer = (r: Result<model.PipelineRun>): Result<Output> => {
  if (!r.ok) return r;
  const run = r.value;
  return {
    ok: true,
    value: {
      genesisRoot: run.genesisRoot,
      blocks: run.blocks,
      duplicates: run.duplicates,
      blockEvents: run.blocks.map((b) => ({ seq: b.seq, events: run.events.filter((e) => seqOf(e) === b.seq) })),
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Case generators

type Tx = model.Tx;
const tr = (from: string, to: string, amount: bigint, salt = 0): Tx => ({ kind: 'transfer', from, to, amount, salt });
const call = (from: string, contract: string, slot: number, op: 'add' | 'sub' | 'move', amount: bigint, salt = 0): Tx => ({ kind: 'call', from, contract, slot, op, amount, salt });
const wasm = (from: string, contract: string, code: model.ContractCode, method: string, args: readonly bigint[], salt = 0): Tx => ({ kind: 'wasm', from, contract, code, method, args, salt });
const evm = (from: string, contract: string, code: model.EvmContractCode, method: string, args: readonly bigint[], salt = 0): Tx => ({ kind: 'evm', from, contract, code, method, args, salt });

/** Blocks numbered 1, 2, ... with one proposal per inner list, proposers 0, 1, ...; bodies are every transaction listed. */
const workload = (genesis: Record<string, bigint>, blocks: readonly (readonly (readonly Tx[])[])[], extraBodies: readonly Tx[] = []): Input => ({
  genesis: Object.entries(genesis).map(([account, balance]) => ({ account, balance })),
  blocks: blocks.map((props, b) => ({ seq: BigInt(b + 1), proposals: props.map((txs, p) => ({ proposer: p, txs: txs.map(model.txHash) })) })),
  bodies: [...new Map([...blocks.flat(2), ...extraBodies].map((t) => [model.txHash(t), t])).values()],
});

const draft = (id: string, description: string, requirements: readonly string[], input: Input): CaseDraft =>
  ({ id, description, requirements, input: Schema.encodeSync(InputS)(input) });

const EXEC = ['PIPE-STAGE-ORDER.1', 'PIPE-STAGE-EXEC.1', 'PIPE-EXEC-SERIAL.1', 'PIPE-STAGE-COMMIT.1', 'PIPE-RECEIPT-ROOT.1', 'PIPE-TIER-ORDERING.1', 'PIPE-TIER-TRANSACTION.1', 'PIPE-TIER-BLOCK.1', 'PIPE-EVENT-ORDER.1'];
const INPUT = ['PIPE-ORDER-INPUT.1'];

const handPicked = (): readonly CaseDraft[] => {
  const x = tr('a', 'b', 3n);
  const base = workload({ a: 10n }, [[[x]]]);
  const three = workload({ a: 9n }, [[[tr('a', 'b', 1n)]], [[tr('b', 'a', 1n)]], [[tr('a', 'b', 2n)]]]);
  return [
    draft('genesis-only', 'No blocks: only the genesis root', [...EXEC, 'PIPE-GENESIS.1'], workload({ a: 10n, b: 0n }, [])),
    draft('empty-block', 'An empty block commits an empty batch: its root equals the previous root, and it has ordering and block events only', EXEC, workload({ a: 1n }, [[[]], [[tr('a', 'b', 1n)]], [[]]])),
    draft('transfers-and-calls', 'Transfers and all three call operations, with reverts, in two blocks of two proposals',
      [...EXEC, 'PIPE-EXEC-TRANSFER.1', 'PIPE-EXEC-CALL.1', 'PIPE-EXEC-REVERT.1', 'PIPE-STATE-KEYS.2'],
      workload({ a: 10n, b: 0n }, [[[tr('a', 'b', 3n), tr('b', 'c', 5n)], [call('a', 'k', 0, 'move', 4n)]], [[call('b', 'k', 0, 'sub', 5n), call('c', 'k', 1, 'add', 9n)]]])),
    draft('self-transfer', 'A transfer to oneself rewrites the unchanged balance; one beyond the balance reverts', [...EXEC, 'PIPE-EXEC-TRANSFER.1'],
      workload({ a: 5n }, [[[tr('a', 'a', 5n), tr('a', 'a', 6n)]]])),
    draft('move-insufficient', 'A move beyond the caller\'s balance reverts and outputs the balance', [...EXEC, 'PIPE-EXEC-CALL.1', 'PIPE-EXEC-REVERT.1'],
      workload({ a: 2n }, [[[call('a', 'k', 7, 'move', 3n), call('a', 'k', 7, 'move', 2n)]]])),
    draft('max-amount', 'Amounts and balances at 2^64 - 1; slot values may grow beyond it', [...EXEC, 'PIPE-TX-FORM.2'],
      workload({ a: (1n << 64n) - 1n }, [[[call('a', 'k', 255, 'move', (1n << 64n) - 1n), call('b', 'k', 255, 'add', (1n << 64n) - 1n)]]])),
    draft('dedup-same-and-later-block', 'A hash ordered again in the same block and in a later block is skipped; a different salt is a different transaction',
      [...EXEC, 'PIPE-ORDER-DEDUP.1', 'PIPE-TX-HASH.2'], workload({ a: 5n }, [[[x], [x]], [[x, tr('a', 'b', 3n, 1)]]])),
    draft('gapped-sequence', 'Sequence numbers need only ascend; every block gets the next store version', EXEC,
      { ...three, blocks: three.blocks.map((b, i) => ({ ...b, seq: BigInt(10 * i + 7) })) }),
    draft('chain-of-dependencies', 'Each transfer spends what the one before it received: serial order decides every receipt', [...EXEC, 'PIPE-EXEC-PARALLEL.1'],
      workload({ a0: 100n }, [[Array.from({ length: 12 }, (_, i) => tr(`a${i}`, `a${i + 1}`, BigInt(100 - i)))]])),
    draft('one-slot-total-contention', 'Twenty calls on one slot from one account in one block', [...EXEC, 'PIPE-EXEC-PARALLEL.1', 'PIPE-EXEC-CALL.1'],
      workload({ a: 10n }, [[Array.from({ length: 20 }, (_, i) => call('a', 'k', 0, (['add', 'sub', 'move'] as const)[i % 3]!, BigInt(i % 4), i))]])),
    draft('wasm-counter', 'Counter contract calls on the dMIR interpreter: increments, a decrement below zero reverts, an increment past 2^64 - 1 reverts',
      [...EXEC, 'PIPE-CONTRACT-CODE.1', 'PIPE-CONTRACT-HOST.1', 'PIPE-CONTRACT-EXEC.1', 'PIPE-EXEC-REVERT.1'],
      workload({ a: 1n }, [[[wasm('a', 'c', 'counter', 'inc', [5n]), wasm('a', 'c', 'counter', 'dec', [7n], 1), wasm('a', 'c', 'counter', 'dec', [2n], 2)]],
        [[wasm('a', 'c', 'counter', 'inc', [(1n << 64n) - 1n], 3), wasm('a', 'd', 'counter', 'inc', [], 4)]]])),
    draft('wasm-token', 'Token contract: mint, a transfer within the balance, one beyond it reverts, one to oneself changes nothing',
      [...EXEC, 'PIPE-CONTRACT-CODE.1', 'PIPE-CONTRACT-HOST.1', 'PIPE-CONTRACT-EXEC.1', 'PIPE-EXEC-REVERT.1'],
      workload({ a: 1n }, [[[wasm('a', 't', 'token', 'mint', [10n]), wasm('a', 't', 'token', 'transfer', [model.accountId('b'), 4n], 1)],
        [wasm('b', 't', 'token', 'transfer', [model.accountId('a'), 5n], 2), wasm('a', 't', 'token', 'transfer', [model.accountId('a'), 6n], 3)]]])),
    draft('wasm-hotspot', 'Hot-spot contract: twelve calls in one block all write one counter, plus buckets and a computed mix',
      [...EXEC, 'PIPE-CONTRACT-CODE.1', 'PIPE-CONTRACT-EXEC.1', 'PIPE-EXEC-PARALLEL.1'],
      workload({ a: 1n }, [[Array.from({ length: 12 }, (_, i) => wasm(`a${i % 3}`, 'h', 'hotspot', 'touch', [BigInt(i), BigInt(i * 3), BigInt(i * 20), BigInt(i % 5)], i))]])),
    draft('evm-counter', 'EVM counter contract calls, lowered to dMIR in the impl: increments, a decrement below zero reverts, an increment past 2^64 - 1 reverts, a fresh instance starts at zero',
      [...EXEC, 'PIPE-EVM-CODE.1', 'PIPE-EVM-HOST.1', 'PIPE-EVM-EXEC.1', 'PIPE-EXEC-REVERT.1'],
      workload({ a: 1n }, [[[evm('a', 'c', 'counter', 'inc', [5n]), evm('a', 'c', 'counter', 'dec', [7n], 1), evm('a', 'c', 'counter', 'dec', [2n], 2)]],
        [[evm('a', 'c', 'counter', 'inc', [(1n << 64n) - 1n], 3), evm('a', 'd', 'counter', 'inc', [], 4)]]])),
    draft('evm-token', 'EVM token contract: mint, a transfer within the balance, one beyond it reverts, one to oneself changes nothing',
      [...EXEC, 'PIPE-EVM-CODE.1', 'PIPE-EVM-HOST.1', 'PIPE-EVM-EXEC.1', 'PIPE-EXEC-REVERT.1'],
      workload({ a: 1n }, [[[evm('a', 't', 'token', 'mint', [10n]), evm('a', 't', 'token', 'transfer', [model.accountId('b'), 4n], 1)],
        [evm('b', 't', 'token', 'transfer', [model.accountId('a'), 5n], 2), evm('a', 't', 'token', 'transfer', [model.accountId('a'), 6n], 3)]]])),
    draft('evm-and-wasm-instances', 'An EVM and a WASM counter of the same instance name keep separate storage; both count the same way',
      [...EXEC, 'PIPE-EVM-CODE.1', 'PIPE-STATE-KEYS.2', 'PIPE-CONTRACT-EXEC.1', 'PIPE-EVM-EXEC.1'],
      workload({ a: 1n }, [[[evm('a', 'x', 'counter', 'inc', [3n]), wasm('a', 'x', 'counter', 'inc', [4n], 1), evm('a', 'x', 'counter', 'inc', [5n], 2)]]])),
    draft('bad-tx-wasm-method', 'A contract method the code does not export', ['PIPE-TX-FORM.2', 'PIPE-CONTRACT-CODE.1'], workload({ a: 1n }, [[[wasm('a', 'c', 'counter', 'reset', [])]]])),
    draft('bad-tx-evm-method', 'An EVM contract method the code does not have', ['PIPE-TX-FORM.2', 'PIPE-EVM-CODE.1'], workload({ a: 1n }, [[[evm('a', 'c', 'counter', 'reset', [])]]])),
    draft('bad-tx-wasm-args', 'Five calldata words', ['PIPE-TX-FORM.2'], workload({ a: 1n }, [[[wasm('a', 'c', 'counter', 'inc', [1n, 2n, 3n, 4n, 5n])]]])),
    draft('unknown-tx', 'A hash without a body', [...INPUT], { ...base, bodies: [] }),
    draft('bad-tx-account', 'An upper-case account name', ['PIPE-TX-FORM.2'], workload({ a: 1n }, [[[tr('A', 'b', 1n)]]])),
    draft('bad-tx-amount', 'An amount of 2^64', ['PIPE-TX-FORM.2'], workload({ a: 1n }, [[[tr('a', 'b', 1n << 64n)]]])),
    draft('bad-tx-slot', 'Slot 256', ['PIPE-TX-FORM.2'], workload({ a: 1n }, [[[call('a', 'k', 256, 'add', 1n)]]])),
    draft('bad-tx-unordered-body', 'A malformed body nobody orders is still rejected', ['PIPE-TX-FORM.2'], workload({ a: 1n }, [[[x]]], [tr('a', 'b', -1n)])),
    draft('bad-genesis-negative', 'A negative genesis balance', ['PIPE-GENESIS.1'], workload({ a: -1n }, [])),
    draft('bad-genesis-twice', 'An account listed twice in genesis', ['PIPE-GENESIS.1'], { ...base, genesis: [{ account: 'a', balance: 1n }, { account: 'a', balance: 2n }] }),
    draft('seq-order', 'Blocks out of sequence order', [...INPUT], { ...three, blocks: [...three.blocks].reverse() }),
    draft('proposer-order', 'Proposals out of proposer order', [...INPUT], { ...base, blocks: [{ seq: 1n, proposals: [{ proposer: 2, txs: [model.txHash(x)] }, { proposer: 1, txs: [] }] }] }),
    draft('bad-tx-hash', 'A hash that is not 32 bytes of lowercase hex', [...INPUT], { ...base, blocks: [{ seq: 1n, proposals: [{ proposer: 0, txs: [model.txHash(x).toUpperCase()] }] }] }),
  ];
};

export const CONTENTION_LEVELS = ['none', 'low', 'high', 'total'] as const;
export type Contention = (typeof CONTENTION_LEVELS)[number];

/**
 * A seeded workload: accounts and slots drawn from pools whose size sets the contention (none:
 * a fresh account per use; total: one account and one slot), amounts mostly small so that some
 * transactions revert, some hashes ordered again, and some empty blocks.
 */
export const generatedWorkload = (r: Prng, contention: Contention, maxBlocks: number, maxTxs: number): Input => {
  const pool = contention === 'total' ? 1 : contention === 'high' ? 2 : contention === 'low' ? 8 : 0;
  const slots = contention === 'total' ? 1 : contention === 'high' ? 2 : 16;
  let fresh = 0;
  const acct = (): string => (pool === 0 ? `u${fresh++}` : `a${r.below(pool)}`);
  const amount = (): bigint => (r.below(10) === 0 ? BigInt(r.next()) * BigInt(r.next()) : BigInt(r.below(12)));
  let salt = 0;
  // Contract instances come from a pool too: one instance under total contention, a fresh one per call under none.
  const instance = (prefix: string): string => (pool === 0 ? `${prefix}${fresh++}` : `${prefix}${r.below(Math.max(1, pool >> 1))}`);
  const contractCall = (): Tx => {
    const from = acct();
    switch (r.below(7)) {
      case 0: return wasm(from, instance('c'), 'counter', r.pick(['inc', 'dec']), [amount()], salt++);
      case 1: return wasm(from, instance('t'), 'token', 'mint', [amount()], salt++);
      case 2: return wasm(from, instance('t'), 'token', 'transfer', [model.accountId(acct()), amount()], salt++);
      case 3: return wasm(from, instance('h'), 'hotspot', 'touch', [BigInt(r.below(slots)), amount(), BigInt(r.below(40)), BigInt(r.below(6))], salt++);
      case 4: return evm(from, instance('c'), 'counter', r.pick(['inc', 'dec']), [amount()], salt++);
      case 5: return evm(from, instance('t'), 'token', 'mint', [amount()], salt++);
      default: return evm(from, instance('t'), 'token', 'transfer', [model.accountId(acct()), amount()], salt++);
    }
  };
  const tx = (): Tx => {
    const k = r.below(3);
    return k === 0 ? tr(acct(), acct(), amount(), salt++) : k === 1 ? call(acct(), 'k', r.below(slots), r.pick(['add', 'sub', 'move'] as const), amount(), salt++) : contractCall();
  };
  const blocks = Array.from({ length: 1 + r.below(maxBlocks) }, () =>
    Array.from({ length: r.below(4) === 0 ? 0 : 1 + r.below(3) }, () => Array.from({ length: r.below(maxTxs + 1) }, tx)));
  const all = blocks.flat(2);
  // Order a few earlier transactions again, later in the sequence.
  for (let d = r.below(3); d > 0 && all.length > 0; d--) {
    const later = blocks[r.below(blocks.length)]!;
    if (later.length > 0) later[later.length - 1]!.push(r.pick(all));
  }
  const names = [...new Set(all.flatMap((t) => [t.from, ...(t.kind === 'transfer' ? [t.to] : [])]))].sort();
  const fund = BigInt(r.below(30));
  return workload(Object.fromEntries(names.map((n, i) => [n, fund + BigInt(i % 3)])), blocks);
};

const generated = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  return CONTENTION_LEVELS.flatMap((contention) => Array.from({ length: 10 }, (_, i) =>
    draft(`${contention}-${String(i).padStart(3, '0')}`, `Generated workload, ${contention} contention`,
      [...EXEC, 'PIPE-ORDER-DEDUP.1', 'PIPE-EXEC-PARALLEL.1', 'PIPE-EXEC-TRANSFER.1', 'PIPE-EXEC-CALL.1', 'PIPE-EXEC-REVERT.1', 'PIPE-CONTRACT-EXEC.1', 'PIPE-EVM-EXEC.1'],
      generatedWorkload(r, contention, 3, 5))));
};

/** The impl answers with the overlapped pipeline at depth 3 and four simulated execution workers under a fixed interleaving. */
const IMPL_OPTIONS = { depth: 3, workers: 4, schedule: [5, 2, 7, 1, 0, 3, 6, 4] };

export const pipelineBlocksKind = defineKind({
  kind: 'pipeline/blocks',
  area: 'pipeline',
  description: 'Run ordered blocks of transactions (transfers, counter calls, WASM and EVM contract calls on dMIR) from genesis through ordering, execution and commit; return the receipts, state root and receipts root per block, the skipped duplicates, and the tier events of each block in emission order.',
  input: InputS,
  output: OutputS,
  errorCodes: [...model.INPUT_ERROR_CODES],
  model: (input: Input): Result<Output> => answer(model.runSerial(input)),
  impl: (input: Input): Result<Output> => answer(runPipelined(input, IMPL_OPTIONS)),
  suites: [
    { suite: 'hand-picked', description: 'Directed cases: each transaction rule, the three WASM contracts, the two EVM contracts, reverts, dedup, empty blocks, contention, and every input error', seed: 0x919e_0001, cases: handPicked },
    { suite: 'generated', description: 'Seeded workloads of transfers, counter calls and WASM and EVM contract calls at contention none, low, high and total, with reverts, duplicates and empty blocks', seed: 0x919e_0002, cases: generated },
  ],
});

export const pipelineKinds = [pipelineBlocksKind];
