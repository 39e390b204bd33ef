import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as model from '../../model/consensus/validators.js';
import * as mcert from '../../model/consensus/certificate.js';
import * as mledger from '../../model/consensus/ledger.js';
import * as mts from '../../model/consensus/timestamp.js';
import * as impl from './rules.js';

/** Compares results by outcome and error code (messages are free to differ). */
const same = (a: { ok: boolean; value?: unknown; error?: { code: string } }, b: { ok: boolean; value?: unknown; error?: { code: string } }): void => {
  if (a.ok && b.ok) expect(b.value).toEqual(a.value);
  else expect([b.ok, b.error?.code]).toEqual([a.ok, a.error?.code]);
};

const stake = fc.oneof(fc.constant(1n), fc.bigInt({ min: -2n, max: 10n }), fc.bigInt({ min: (1n << 64n) - 3n, max: (1n << 64n) + 1n }));
const validators = fc.array(fc.record({ id: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: -2, max: 70_000 })), stake }), { maxLength: 9 });
const goodValidators = fc.uniqueArray(fc.record({ id: fc.integer({ min: 0, max: 9 }), stake: fc.bigInt({ min: 1n, max: 5n }) }), { selector: (v) => v.id, minLength: 1, maxLength: 7 });
const value = fc.constantFrom(mcert.ZERO, `0x${'ab'.repeat(32)}`, `0x${'cd'.repeat(32)}`);
const ids = fc.array(fc.integer({ min: -1, max: 11 }), { maxLength: 8 });
const qc = fc.record({ round: fc.integer({ min: 0, max: 2 }), value, signers: ids });
const entry = fc.record({ value, signers: ids, qc });
const mainVote = fc.record({ round: fc.integer({ min: 0, max: 2 }), proms: fc.array(entry, { maxLength: 3 }), auxes: fc.array(entry, { maxLength: 3 }) });

describe('impl consensus rules agree with the model (differential)', () => {
  it('validator sets and thresholds (CONS-VAL-SET.1, CONS-VAL-THRESHOLDS.1, CONS-VAL-COUNT.1)', () => {
    fc.assert(fc.property(validators, ids, (vs, sub) => {
      const m = model.validatorSet(vs);
      const i = impl.fastSet(vs);
      expect(i.ok).toBe(m.ok);
      if (!m.ok || !i.ok) { same(m, i); return; }
      expect(i.value.thresholds).toEqual(m.value.thresholds);
      expect([...i.value.ids]).toEqual(m.value.validators.map((v) => v.id));
      expect(impl.stakeOfIds(i.value, sub)).toBe(model.stakeOfSet(m.value, sub));
    }), { numRuns: 2000 });
  });

  it('QC and main-vote validity and outcome (CONS-MYBA-QC.1, CONS-MYBA-MAINVOTE.1, CONS-MYBA-FAST.1, CONS-MYBA-COIN.1)', () => {
    fc.assert(fc.property(goodValidators, mainVote, qc, fc.integer({ min: 0, max: 2 }), value, fc.constantFrom<0 | 1>(0, 1), (vs, mv, q, round, v, coin) => {
      const m = model.validatorSet(vs);
      const i = impl.fastSet(vs);
      if (!m.ok || !i.ok) throw new Error('generator produces valid sets');
      same(mcert.checkQuorumCertificate(m.value, q, round, v), impl.checkQuorumCertificate(i.value, q, round, v));
      const a = mcert.checkMainVote(m.value, mv);
      const b = impl.checkMainVote(i.value, mv);
      same(a, b);
      if (a.ok) expect(impl.mainVoteOutcome(a.value.values, a.value.purePromise, coin)).toEqual(mcert.mainVoteOutcome(a.value.values, a.value.purePromise, coin));
    }), { numRuns: 3000 });
  });

  it('coin rule on arbitrary value lists (CONS-MYBA-COIN.1)', () => {
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.constantFrom<0 | 1>(0, 1), (vs, pure, coin) => {
      expect(impl.mainVoteOutcome(vs, pure, coin)).toEqual(mcert.mainVoteOutcome(vs, pure, coin));
    }));
  });

  it('transaction mapping (CONS-LEDGER-MAP.1)', () => {
    const hash = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString('hex')}`), fc.string(), fc.constant(`0x${'AA'.repeat(32)}`));
    fc.assert(fc.property(hash, fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 10 }), (h, ps) => {
      same(mledger.designatedProposer(h, ps), impl.designatedProposer(h, ps));
    }), { numRuns: 2000 });
  });

  it('ledger dedup and ordering (CONS-LEDGER-ORDER.1, CONS-LEDGER-DEDUP.1)', () => {
    const tx = fc.oneof(fc.integer({ min: 0, max: 12 }).map((i) => `0x${i.toString(16).padStart(64, '0')}`), fc.constant('0x12'));
    const block = fc.record({ seq: fc.bigInt({ min: 0n, max: 6n }), proposals: fc.array(fc.record({ proposer: fc.integer({ min: 0, max: 5 }), txs: fc.array(tx, { maxLength: 4 }) }), { maxLength: 4 }) });
    fc.assert(fc.property(fc.array(block, { maxLength: 5 }), (bs) => {
      same(mledger.buildLedger(bs), impl.buildLedger(bs));
    }), { numRuns: 2000 });
  });

  it('block timestamp (CONS-TUMB-TIMESTAMP.1)', () => {
    const u = fc.oneof(fc.bigInt({ min: -1n, max: 1_000_000n }), fc.bigInt({ min: (1n << 64n) - 400_000n, max: (1n << 64n) }));
    fc.assert(fc.property(u, fc.array(u, { maxLength: 9 }), u, (last, timestamps, emptyAdvance) => {
      same(mts.blockTimestamp({ last, timestamps, emptyAdvance }), impl.blockTimestamp({ last, timestamps, emptyAdvance }));
    }), { numRuns: 3000 });
  });
});
