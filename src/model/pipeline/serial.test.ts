import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../encoding/hex.js';
import { utf8 } from '../encoding/hash.js';
import { rootOfEntries } from '../store/index.js';
import { type Tx, txHash, checkTierStream, eventsOfTx, runSerial, type PipelineInput, type TierEvent } from './index.js';

const t = (from: string, to: string, amount: bigint, salt = 0): Tx => ({ kind: 'transfer', from, to, amount, salt });
const c = (from: string, contract: string, slot: number, op: 'add' | 'sub' | 'move', amount: bigint, salt = 0): Tx => ({ kind: 'call', from, contract, slot, op, amount, salt });

/** The root of a state written out by hand, as the store commits it. */
const rootOfState = (state: Record<string, bigint>): string =>
  bytesToHex(rootOfEntries(Object.entries(state).map(([k, v]) => ({ key: utf8(k), value: utf8(v.toString()) }))));

const inputOf = (genesis: Record<string, bigint>, blocks: readonly (readonly (readonly Tx[])[])[]): PipelineInput => ({
  genesis: Object.entries(genesis).map(([account, balance]) => ({ account, balance })),
  blocks: blocks.map((props, b) => ({ seq: BigInt(b + 1), proposals: props.map((txs, p) => ({ proposer: p, txs: txs.map(txHash) })) })),
  bodies: blocks.flat(2),
});

describe('serial pipeline', () => {
  // @spec PIPE-EXEC-TRANSFER.1 PIPE-EXEC-CALL.1 PIPE-EXEC-REVERT.1 PIPE-STAGE-COMMIT.1
  it('executes transfers and calls in ledger order and commits each block (PIPE-EXEC-SERIAL.1)', () => {
    const x1 = t('a', 'b', 3n);
    const x2 = t('b', 'c', 5n); // b holds 3: reverts
    const x3 = c('a', 'k', 0, 'move', 4n); // a: 7 -> 3, slot 0 -> 4
    const x4 = c('b', 'k', 0, 'sub', 5n); // slot 4 < 5: reverts
    const x5 = c('c', 'k', 1, 'add', 9n);
    const r = runSerial(inputOf({ a: 10n, b: 0n }, [[[x1, x2], [x3]], [[x4, x5]]]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [b1, b2] = r.value.blocks;
    expect(b1!.receipts.map((x) => [x.status, x.code, x.output])).toEqual([
      ['success', null, 7n],
      ['revert', 'Pipeline.Transfer.INSUFFICIENT_BALANCE', 3n],
      ['success', null, 4n],
    ]);
    expect(b2!.receipts.map((x) => [x.status, x.code, x.output])).toEqual([
      ['revert', 'Pipeline.Call.UNDERFLOW', 4n],
      ['success', null, 9n],
    ]);
    expect(r.value.genesisRoot).toBe(rootOfState({ 'bal/a': 10n, 'bal/b': 0n }));
    expect(b1!.root).toBe(rootOfState({ 'bal/a': 3n, 'bal/b': 3n, 'sto/k/0': 4n }));
    expect(b2!.root).toBe(rootOfState({ 'bal/a': 3n, 'bal/b': 3n, 'sto/k/0': 4n, 'sto/k/1': 9n }));
  });

  // @spec PIPE-ORDER-DEDUP.1
  it('skips a transaction ordered a second time, in the same or a later block', () => {
    const x = t('a', 'b', 1n);
    const r = runSerial(inputOf({ a: 5n }, [[[x], [x]], [[x, t('a', 'b', 1n, 1)]]]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.blocks.map((b) => b.receipts.length)).toEqual([1, 1]);
    expect(r.value.duplicates.map((d) => [d.seq, d.proposer])).toEqual([[1n, 1], [2n, 0]]);
    expect(r.value.blocks[1]!.receipts[0]!.output).toBe(3n);
  });

  // @spec PIPE-TIER-ORDERING.1 PIPE-TIER-TRANSACTION.1 PIPE-TIER-BLOCK.1 PIPE-EVENT-ORDER.1
  it('emits ordering, then transaction, then block events per block, and an empty block still commits', () => {
    const x = t('a', 'b', 1n);
    const r = runSerial(inputOf({ a: 5n }, [[[x]], [[]]]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.events.map((e) => e.tier)).toEqual(['ordering', 'transaction', 'block', 'ordering', 'block']);
    expect(r.value.blocks[1]!.root).toBe(r.value.blocks[0]!.root);
    expect(eventsOfTx(r.value.events, txHash(x)).map((e) => e.tier)).toEqual(['ordering', 'transaction', 'block']);
    expect(checkTierStream(r.value.events, 1).ok).toBe(true);
  });

  // @spec PIPE-TX-FORM.2 PIPE-ORDER-INPUT.1 PIPE-GENESIS.1
  it('rejects bad input with stable codes', () => {
    const x = t('a', 'b', 1n);
    const code = (i: PipelineInput): string | undefined => { const r = runSerial(i); return r.ok ? undefined : r.error.code; };
    expect(code({ ...inputOf({ a: 1n }, [[[x]]]), bodies: [] })).toBe('Pipeline.Input.UNKNOWN_TX');
    expect(code(inputOf({ a: 1n }, [[[t('A', 'b', 1n)]]]))).toBe('Pipeline.Input.BAD_TX');
    expect(code(inputOf({ a: 1n }, [[[t('a', 'b', 1n << 64n)]]]))).toBe('Pipeline.Input.BAD_TX');
    expect(code(inputOf({ a: -1n }, []))).toBe('Pipeline.Input.BAD_GENESIS');
    expect(code({ genesis: [{ account: 'a', balance: 1n }, { account: 'a', balance: 2n }], blocks: [], bodies: [] })).toBe('Pipeline.Input.BAD_GENESIS');
    const two = inputOf({}, [[[x]], [[x]]]);
    expect(code({ ...two, blocks: [...two.blocks].reverse() })).toBe('Consensus.Ledger.SEQ_ORDER');
  });
});

describe('tier stream checker', () => {
  const run = runSerial(inputOf({ a: 9n, b: 9n }, [[[t('a', 'b', 1n), c('b', 'k', 0, 'add', 2n)]], [[t('b', 'a', 4n)]], [[c('a', 'k', 0, 'sub', 1n)]]]));
  if (!run.ok) throw new Error(run.error.message);
  const events = run.value.events;
  const codeOf = (es: readonly TierEvent[], depth = 1): string | undefined => { const r = checkTierStream(es, depth); return r.ok ? undefined : r.error.code; };

  // @spec PIPE-TIER-MONOTONE.1 PIPE-TIER-PREFIX.1
  it('rejects a transaction reported final before its block is ordered, and blocks out of order', () => {
    expect(codeOf(events)).toBeUndefined();
    expect(codeOf([events[1]!, events[0]!, ...events.slice(2)])).toBe('Pipeline.Tier.MONOTONE');
    const firstBlock = events.findIndex((e) => e.tier === 'block');
    expect(codeOf([...events.slice(0, firstBlock - 1), events[firstBlock]!, events[firstBlock - 1]!, ...events.slice(firstBlock + 1)])).toBe('Pipeline.Tier.MONOTONE');
  });

  // @spec PIPE-TIER-EARLY-FINAL.1
  it('rejects a receipt that differs from the one the final block commits to', () => {
    const changed = events.map((e, i) => (i === 1 && e.tier === 'transaction' ? { tier: 'transaction' as const, receipt: { ...e.receipt, output: e.receipt.output + 1n } } : e));
    expect(codeOf(changed)).toBe('Pipeline.Tier.EARLY_FINAL');
  });

  // @spec PIPE-DEPTH-BOUND.1
  it('holds the depth bound', () => {
    const orderings = events.filter((e) => e.tier === 'ordering');
    const rest = events.filter((e) => e.tier !== 'ordering');
    expect(codeOf([...orderings, ...rest], 3)).toBeUndefined();
    expect(codeOf([...orderings, ...rest], 2)).toBe('Pipeline.Tier.DEPTH');
  });
});
