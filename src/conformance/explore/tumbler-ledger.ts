/**
 * The TypeScript twin of `spec/tla/TumblerLedger.tla`: the ledger over several sequence numbers
 * with each sequence number abstracted to an agreed block. The transaction-to-proposer mapping and
 * the deduplicated ledger are not transliterated: they are the consensus model's own
 * `designatedProposer` and `buildLedger`, so exhausting a configuration checks the module and the
 * model's ledger rules against each other (equal distinct-state counts, equal verdicts).
 *
 * @module
 */
import { type Result, ok, fail } from '../../model/encoding/result.js';
import { type TxHash, buildLedger, designatedProposer } from '../../model/consensus/ledger.js';
import { cfgReaders, type CfgValue } from '../tla/cfg.js';
import type { Action, Invariant, Machine } from './explore.js';

export interface LedgerTwinConfig {
  readonly n: number;
  readonly byzantine: readonly number[];
  readonly proposers: readonly number[];
  readonly maxSeq: number;
  readonly txs: readonly number[];
  readonly dedup: boolean;
  readonly agreed: boolean;
}

export interface LedgerTwinState {
  /** seq[v] for the correct validators, ascending by validator. */
  readonly seq: readonly number[];
  /** block[s - 1]: the included proposers (ascending), or `undefined` before anyone completed s. */
  readonly block: readonly (readonly number[] | undefined)[];
  /** ledger[v]: transactions (TLA+ integers) in execution order. */
  readonly ledger: readonly (readonly number[])[];
}

/** Transaction t as a hash whose partition byte is t (the TLA+ `Designated` reads t as that byte). */
const hashOf = (t: number): TxHash => `0x${t.toString(16).padStart(2, '0')}${'00'.repeat(31)}`;
const txOf = (h: TxHash): number => parseInt(h.slice(2, 4), 16);

const subsets = <T>(xs: readonly T[]): readonly (readonly T[])[] =>
  xs.reduce<readonly (readonly T[])[]>((acc, x) => [...acc, ...acc.map((s) => [...s, x])], [[]]);

/** The explorer machine of TumblerLedger.tla built on the model's ledger rules. @spec CONS-MC-LEDGER.1 */
export const ledgerTwinMachine = (c: LedgerTwinConfig): Result<Machine<LedgerTwinState>> => {
  const correct = Array.from({ length: c.n }, (_, i) => i + 1).filter((v) => !c.byzantine.includes(v));
  const proposers = [...c.proposers].sort((a, b) => a - b);
  // Payloads: a correct proposer's designated transactions ascending, a Byzantine one's all of them descending.
  const payload = new Map<number, readonly number[]>();
  for (const p of proposers) {
    if (c.byzantine.includes(p)) {
      payload.set(p, [...c.txs].sort((a, b) => b - a));
      continue;
    }
    const mine: number[] = [];
    for (const t of [...c.txs].sort((a, b) => a - b)) {
      const d = designatedProposer(hashOf(t), proposers);
      if (!d.ok) return d;
      if (d.value.proposer === p) mine.push(t);
    }
    payload.set(p, mine);
  }
  const blockTxs = (b: readonly number[]): readonly number[] => b.flatMap((p) => payload.get(p) ?? []);
  const append = (l: readonly number[], b: readonly number[]): readonly number[] => {
    if (!c.dedup) return [...l, ...blockTxs(b)];
    // The ledger so far (already free of duplicates) as one block, then the new block: the model's
    // ledger of the two is the old ledger followed by what the new block adds.
    const built = buildLedger([
      { seq: 1n, proposals: [{ proposer: 0, txs: l.map(hashOf) }] },
      { seq: 2n, proposals: b.map((p) => ({ proposer: p + 1, txs: (payload.get(p) ?? []).map(hashOf) })) },
    ]);
    return built.ok ? built.value.entries.map((e) => txOf(e.tx)) : l;
  };
  const blocks = subsets(proposers);
  const complete: Action<LedgerTwinState> = {
    name: 'Complete',
    next: (s) =>
      correct.flatMap((_v, i) => {
        const seq = s.seq[i]!;
        if (seq > c.maxSeq) return [];
        const current = s.block[seq - 1];
        return blocks
          .filter((b) => !c.agreed || current === undefined || current.join() === b.join())
          .map((b) => ({
            seq: s.seq.map((x, j) => (j === i ? x + 1 : x)),
            block: current === undefined ? s.block.map((x, k) => (k === seq - 1 ? b : x)) : s.block,
            ledger: s.ledger.map((l, j) => (j === i ? append(l, b) : l)),
          }));
      }),
  };
  const isPrefix = (a: readonly number[], b: readonly number[]): boolean => a.length <= b.length && a.every((x, i) => b[i] === x);
  const invariants: Invariant<LedgerTwinState>[] = [
    { name: 'TypeOK', holds: (s) => s.seq.every((x) => x >= 1 && x <= c.maxSeq + 1) && s.ledger.every((l) => l.every((t) => c.txs.includes(t))) },
    { name: 'PrefixConsistent', holds: (s) => s.ledger.every((a) => s.ledger.every((b) => isPrefix(a, b) || isPrefix(b, a))) },
    { name: 'NoDuplicate', holds: (s) => s.ledger.every((l) => new Set(l).size === l.length) },
    {
      name: 'NoLoss',
      holds: (s) => s.ledger.every((l, i) => s.block.every((b, k) => b === undefined || k + 1 >= s.seq[i]! || blockTxs(b).every((t) => l.includes(t)))),
    },
  ];
  return ok({
    init: [{ seq: correct.map(() => 1), block: Array.from({ length: c.maxSeq }, () => undefined), ledger: correct.map(() => []) }],
    actions: [complete],
    invariants,
    key: (s) => `${s.seq.join(',')}|${s.block.map((b) => (b === undefined ? '-' : `{${b.join(',')}}`)).join(';')}|${s.ledger.map((l) => l.join(',')).join(';')}`,
  });
};

/** Builds the twin from a cfg's constants. */
export const ledgerTwinFromConstants = (constants: ReadonlyMap<string, CfgValue>): Result<Machine<LedgerTwinState>> => {
  const { int, ints, bool } = cfgReaders(constants);
  const [n, maxSeq, byzantine, proposers, txs, dedup, agreed] = [int('N'), int('MaxSeq'), ints('Byzantine'), ints('Proposers'), ints('Txs'), bool('Dedup'), bool('Agreed')];
  if (n === undefined || maxSeq === undefined || byzantine === undefined || proposers === undefined || txs === undefined || dedup === undefined || agreed === undefined) {
    return fail('Consensus.TumblerLedger.BAD_CONSTANTS', 'the cfg must set N and MaxSeq to integers, Byzantine, Proposers and Txs to sets of integers, Dedup and Agreed to TRUE or FALSE');
  }
  if (n < 1 || n > 4 || maxSeq < 1 || maxSeq > 4 || proposers.length === 0 || proposers.some((p) => p < 1 || p > n) || txs.some((t) => t < 0 || t > 7)) {
    return fail('Consensus.TumblerLedger.BAD_CONSTANTS', 'the constants are outside the module\'s ASSUME');
  }
  return ledgerTwinMachine({ n, byzantine, proposers, maxSeq, txs, dedup, agreed });
};
