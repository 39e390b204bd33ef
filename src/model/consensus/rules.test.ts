import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { equalStakes, exceedsFaulty, reachesQuorum, thresholds, validatorSet } from './validators.js';
import { type MainVote, ZERO, checkMainVote, checkQuorumCertificate, mainVoteOutcome } from './certificate.js';
import { buildLedger, designatedProposer } from './ledger.js';
import { blockTimestamp } from './timestamp.js';

const H = `0x${'ab'.repeat(32)}`;
const H2 = `0x${'cd'.repeat(32)}`;
const set4 = (() => { const r = validatorSet(equalStakes(4)); if (!r.ok) throw new Error(); return r.value; })();

describe('thresholds (CONS-VAL-THRESHOLDS.1)', () => {
  it('n = 4 of stake 1 and total 7, as in the public code', () => {
    expect(thresholds(4n)).toEqual({ total: 4n, fStake: 1n, quorum: 3n });
    expect(thresholds(7n)).toEqual({ total: 7n, fStake: 2n, quorum: 5n });
  });
  it('two quorums share more than the faulty stake; the faulty stake never reaches quorum (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: (1n << 70n) }), (total) => {
      const t = thresholds(total);
      expect(3n * t.fStake < total).toBe(true);
      expect(2n * t.quorum - total > t.fStake).toBe(true);
      expect(t.fStake + 1n <= t.quorum).toBe(true);
    }));
  });
  it('rejects empty sets, duplicate ids and zero stake (CONS-VAL-SET.1)', () => {
    expect(validatorSet([])).toMatchObject({ ok: false, error: { code: 'Consensus.Validators.EMPTY' } });
    expect(validatorSet([{ id: 1, stake: 1n }, { id: 1, stake: 2n }])).toMatchObject({ ok: false, error: { code: 'Consensus.Validators.DUPLICATE_ID' } });
    expect(validatorSet([{ id: 1, stake: 0n }])).toMatchObject({ ok: false, error: { code: 'Consensus.Validators.BAD_STAKE' } });
  });
  it('distinct senders count once (CONS-VAL-COUNT.1)', () => {
    expect(reachesQuorum(set4, [0, 0, 0, 1])).toBe(false);
    expect(reachesQuorum(set4, [0, 1, 2])).toBe(true);
    expect(exceedsFaulty(set4, [2, 2])).toBe(false);
    expect(exceedsFaulty(set4, [2, 3])).toBe(true);
  });
});

describe('certificates (CONS-MYBA-QC.1, CONS-MYBA-MAINVOTE.1)', () => {
  const qc = (value: string, signers: number[], round = 0) => ({ round, value, signers });
  it('QC: quorum of distinct validators for the right round and value', () => {
    expect(checkQuorumCertificate(set4, qc(H, [0, 1, 2]), 0, H).ok).toBe(true);
    expect(checkQuorumCertificate(set4, qc(H, [0, 1]), 0, H)).toMatchObject({ ok: false, error: { code: 'Consensus.Certificate.NO_QUORUM' } });
    expect(checkQuorumCertificate(set4, qc(H, [0, 1, 1]), 0, H)).toMatchObject({ ok: false, error: { code: 'Consensus.Certificate.DUPLICATE_SIGNER' } });
    expect(checkQuorumCertificate(set4, qc(H, [0, 1, 9]), 0, H)).toMatchObject({ ok: false, error: { code: 'Consensus.Certificate.UNKNOWN_SIGNER' } });
    expect(checkQuorumCertificate(set4, qc(H, [0, 1, 2]), 1, H)).toMatchObject({ ok: false, error: { code: 'Consensus.Certificate.QC_MISMATCH' } });
  });
  it('main vote: signer sharing across entries, quorum, inner QCs only with two values', () => {
    const pure: MainVote = { round: 0, proms: [{ value: H, signers: [0, 1, 2], qc: qc(H, []) }], auxes: [] };
    expect(checkMainVote(set4, pure)).toEqual({ ok: true, value: { values: [H], purePromise: true, signerStake: 3n } });
    const mixedBadQc: MainVote = { round: 0, proms: [{ value: H, signers: [0, 1], qc: qc(H, [0, 1, 2]) }], auxes: [{ value: ZERO, signers: [2], qc: qc(ZERO, [2]) }] };
    expect(checkMainVote(set4, mixedBadQc)).toMatchObject({ ok: false, error: { code: 'Consensus.Certificate.BAD_INNER_QC' } });
    const shared: MainVote = { round: 0, proms: [{ value: H, signers: [0, 1], qc: qc(H, [0, 1, 2]) }], auxes: [{ value: H, signers: [1, 2], qc: qc(H, [0, 1, 2]) }] };
    expect(checkMainVote(set4, shared)).toMatchObject({ ok: false, error: { code: 'Consensus.Certificate.DUPLICATE_SIGNER' } });
    expect(checkMainVote(set4, { round: 0, proms: [], auxes: [] })).toMatchObject({ ok: false, error: { code: 'Consensus.Certificate.EMPTY' } });
  });
  it('fast path and coin rule (CONS-MYBA-FAST.1, CONS-MYBA-COIN.1)', () => {
    expect(mainVoteOutcome([H], true, 0)).toEqual({ kind: 'decide', value: H, fast: true });
    expect(mainVoteOutcome([H], false, 1)).toEqual({ kind: 'decide', value: H, fast: false });
    expect(mainVoteOutcome([H], false, 0)).toEqual({ kind: 'next-round', estimate: H });
    expect(mainVoteOutcome([ZERO], false, 0)).toEqual({ kind: 'decide', value: ZERO, fast: false });
    expect(mainVoteOutcome([H, ZERO], false, 0)).toEqual({ kind: 'next-round', estimate: ZERO });
    expect(mainVoteOutcome([H2, H, ZERO], false, 1)).toEqual({ kind: 'next-round', estimate: H });
  });
});

describe('ledger (CONS-LEDGER-MAP.1, CONS-LEDGER-DEDUP.1, CONS-LEDGER-ORDER.1)', () => {
  it('mapping by first byte modulo the sorted proposers', () => {
    expect(designatedProposer(`0x05${'00'.repeat(31)}`, [7, 3, 5])).toEqual({ ok: true, value: { partition: 5, proposer: 7 } });
    expect(designatedProposer('0x05', [1])).toMatchObject({ ok: false, error: { code: 'Consensus.Ledger.BAD_TX_HASH' } });
    expect(designatedProposer(H, [])).toMatchObject({ ok: false, error: { code: 'Consensus.Ledger.NO_PROPOSERS' } });
  });
  it('first occurrence wins and every hash is executed once (property)', () => {
    const hash = fc.integer({ min: 0, max: 20 }).map((i) => `0x${i.toString(16).padStart(64, '0')}`);
    const block = fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }).chain((ps) =>
      fc.tuple(...[...ps].sort((a, b) => a - b).map((p) => fc.array(hash, { maxLength: 4 }).map((txs) => ({ proposer: p, txs })))));
    fc.assert(fc.property(fc.array(block, { maxLength: 4 }), (bs) => {
      const blocks = bs.map((proposals, i) => ({ seq: BigInt(i + 1), proposals }));
      const r = buildLedger(blocks);
      if (!r.ok) throw new Error(r.error.message);
      const all = blocks.flatMap((b) => b.proposals.flatMap((p) => p.txs));
      expect(r.value.entries.map((e) => e.tx)).toEqual([...new Set(all)]);
      expect(r.value.entries.length + r.value.duplicates.length).toBe(all.length);
    }));
  });
  it('blocks out of order are rejected', () => {
    expect(buildLedger([{ seq: 2n, proposals: [] }, { seq: 2n, proposals: [] }])).toMatchObject({ ok: false, error: { code: 'Consensus.Ledger.SEQ_ORDER' } });
    expect(buildLedger([{ seq: 1n, proposals: [{ proposer: 2, txs: [] }, { proposer: 1, txs: [] }] }])).toMatchObject({ ok: false, error: { code: 'Consensus.Ledger.PROPOSER_ORDER' } });
  });
});

describe('block timestamp (CONS-TUMB-TIMESTAMP.1)', () => {
  const ts = (last: bigint, timestamps: bigint[]) => blockTimestamp({ last, timestamps, emptyAdvance: 5000n });
  it('upper median, clamped to (last, last + 300000]', () => {
    expect(ts(100n, [300n, 100n, 200n, 400n])).toEqual({ ok: true, value: 300n });
    expect(ts(100n, [])).toEqual({ ok: true, value: 5100n });
    expect(ts(1000n, [5n, 6n, 7n])).toEqual({ ok: true, value: 1001n });
    expect(ts(0n, [10_000_000n])).toEqual({ ok: true, value: 300_000n });
  });
  it('always strictly after and at most 300000 after the last (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 1n << 60n }), fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), (last, t) => {
      const r = ts(last, t);
      if (!r.ok) throw new Error(r.error.message);
      expect(r.value > last && r.value <= last + 300_000n).toBe(true);
    }));
  });
});
