import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type SpnAction, type World, committedBlockAt, genesisWorld, leafHash, leafObject, merkleProof, merkleRoot, messageId, proveEscape, proveOutbox,
  projectWorld, STATE_INVARIANTS, step, stepInvariant, verifyMerkleProof, ZERO_HASH, type Message, type WithdrawalEntry, outboxObject, treeDepth,
} from './index.js';
import { scenarioGenesis, scenarioSetup, SCENARIO_SPN_PARAMS } from './scenario.js';

const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

/** Applies actions that must succeed, checking every invariant after each. */
const run = (w: World, actions: readonly SpnAction[]): World =>
  actions.reduce((cur, a) => {
    const next = unwrap(step(cur, a));
    for (const inv of STATE_INVARIANTS) expect(inv.check(next), `${inv.name} after ${a.type}`).toBeUndefined();
    expect(stepInvariant(cur, next), `step ${a.type}`).toBeUndefined();
    return next;
  }, w);

const failsWith = (w: World, a: SpnAction, code: string): void => {
  const r = step(w, a);
  expect(r.ok ? 'ok' : r.error.code).toBe(code);
};

const setup = (): World => run(unwrap(genesisWorld(scenarioGenesis())), scenarioSetup());
const spnOf = (w: World, id: string) => w.spns.get(id)!;
const bal = (w: World, account: string, asset: string): bigint => w.balances.get(`${account}/${asset}`) ?? 0n;
const produce = (spn: string, extra: Partial<Extract<SpnAction, { type: 'produce' }>> = {}): SpnAction =>
  ({ type: 'produce', by: `op-${spn}`, spn, forced: 0, txs: [], deliver: [], publish: true, ...extra });
const headHash = (w: World, spn: string): string => spnOf(w, spn).chain.blocks.at(-1)!.hash;
/** Produce one block and commit it. */
const block = (w: World, spn: string, extra: Partial<Extract<SpnAction, { type: 'produce' }>> = {}): World => {
  const w1 = run(w, [produce(spn, extra)]);
  return run(w1, [{ type: 'commit', spn, headers: [headHash(w1, spn)] }]);
};
const ticks = (n: number): SpnAction[] => Array.from({ length: n }, () => ({ type: 'tick' }) as const);

describe('SPN lifecycle and restaking', () => {
  // @spec SPN-LIFE-REGISTER.1 SPN-LIFE-ACTIVATE.1 SPN-RESTAKE-ALLOCATE.1
  it('SPN-LIFE-ACTIVATE.1: an SPN activates automatically once target validators and soft cap are met', () => {
    let w = unwrap(genesisWorld(scenarioGenesis()));
    w = run(w, scenarioSetup().slice(0, 6));
    expect(spnOf(w, 'alpha').status).toBe('registered');
    failsWith(w, { type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 1n }, 'Spn.Bridge.SPN_NOT_ACTIVE');
    w = run(w, [{ type: 'restake', validator: 'v1', spn: 'alpha', amount: 100n }, { type: 'restake', validator: 'v2', spn: 'alpha', amount: 100n }]);
    expect(spnOf(w, 'alpha').status).toBe('registered');
    w = run(w, [{ type: 'restake', validator: 'v3', spn: 'alpha', amount: 100n }]);
    expect(spnOf(w, 'alpha').status).toBe('active');
    failsWith(w, { type: 'register', by: 'x', spn: 'alpha', params: { ...SCENARIO_SPN_PARAMS, targetValidators: 1, softCap: 1n, hardCap: 1n } }, 'Spn.Lifecycle.ALREADY_REGISTERED');
    failsWith(w, { type: 'register', by: 'x', spn: 'gamma', params: { ...SCENARIO_SPN_PARAMS, targetValidators: 1, softCap: 5n, hardCap: 1n } }, 'Spn.Lifecycle.BAD_PARAMS');
    failsWith(w, { type: 'register', by: 'X', spn: 'gamma', params: { ...SCENARIO_SPN_PARAMS, targetValidators: 1, softCap: 1n, hardCap: 1n } }, 'Spn.Input.BAD_ID');
  });

  // @spec SPN-RESTAKE-ALLOCATE.1 SPN-RESTAKE-BOUND.1 SPN-RESTAKE-STAKE.1
  it('SPN-RESTAKE-ALLOCATE.1: stP is never allocated twice and an SPN never exceeds its hard cap', () => {
    const w = setup();
    // v1 staked 500 and restaked 100 to each SPN: 300 free.
    failsWith(w, { type: 'restake', validator: 'v1', spn: 'alpha', amount: 301n }, 'Spn.Restake.INSUFFICIENT_STP');
    const w1 = run(w, [{ type: 'restake', validator: 'v1', spn: 'alpha', amount: 300n }]);
    failsWith(w1, { type: 'restake', validator: 'v1', spn: 'beta', amount: 1n }, 'Spn.Restake.INSUFFICIENT_STP');
    failsWith(w, { type: 'stake', validator: 'v1', amount: 501n }, 'Spn.Restake.INSUFFICIENT_BALANCE');
    const w2 = run(w, [
      { type: 'register', by: 'op-gamma', spn: 'gamma', params: { ...SCENARIO_SPN_PARAMS, targetValidators: 2, softCap: 100n, hardCap: 150n } },
      { type: 'restake', validator: 'v1', spn: 'gamma', amount: 100n },
    ]);
    failsWith(w2, { type: 'restake', validator: 'v2', spn: 'gamma', amount: 51n }, 'Spn.Restake.HARD_CAP');
    expect(run(w2, [{ type: 'restake', validator: 'v2', spn: 'gamma', amount: 50n }]).spns.get('gamma')!.status).toBe('active');
    failsWith(w, { type: 'restake', validator: 'v1', spn: 'nope', amount: 1n }, 'Spn.Lifecycle.UNKNOWN_SPN');
  });

  // @spec SPN-RESTAKE-UNRESTAKE.1 SPN-RESTAKE-COMPLETE.1
  it('SPN-RESTAKE-UNRESTAKE.1: an unrestake completes only after the delay and frees the stP', () => {
    let w = run(setup(), [{ type: 'request-unrestake', validator: 'v1', spn: 'alpha', amount: 40n }]);
    expect(w.unrestakes).toHaveLength(1);
    failsWith(w, { type: 'request-unrestake', validator: 'v1', spn: 'alpha', amount: 61n }, 'Spn.Restake.INSUFFICIENT_ALLOCATION');
    failsWith(w, { type: 'complete-unrestake', id: 0 }, 'Spn.Restake.NOT_READY');
    failsWith(w, { type: 'complete-unrestake', id: 7 }, 'Spn.Restake.UNKNOWN_UNRESTAKE');
    // Queued stP is not free yet.
    failsWith(w, { type: 'restake', validator: 'v1', spn: 'beta', amount: 301n }, 'Spn.Restake.INSUFFICIENT_STP');
    // Requested in epoch 0 (heights 0..4): the amount leaves the set at 5 and completes unrestakeDelay = 6 later.
    expect(w.unrestakes[0]!.readyAt).toBe(11);
    w = run(w, ticks(10));
    failsWith(w, { type: 'complete-unrestake', id: 0 }, 'Spn.Restake.NOT_READY');
    w = run(w, [{ type: 'tick' }, { type: 'complete-unrestake', id: 0 }, { type: 'restake', validator: 'v1', spn: 'beta', amount: 340n }]);
    expect(w.validators.get('v1')!.alloc.get('beta')).toBe(440n);
  });

  // @spec SPN-RESTAKE-SLASH.1 SPN-RESTAKE-SLASH-ONCE.1 SPN-HDR-QUORUM.1
  it('SPN-RESTAKE-SLASH.1: an equivocating header lacks a quorum; double signing is slashed exactly once, queued unrestakes included', () => {
    let w = block(setup(), 'alpha');
    w = run(w, [{ type: 'request-unrestake', validator: 'v4', spn: 'alpha', amount: 10n }]);
    // The Byzantine validator still signs (it keeps 10 restaked) and forges a conflicting block 1.
    w = run(w, [{ type: 'forge', spn: 'alpha', height: 2, mint: { account: 'v4', asset: 'usd', balance: 999n } }]);
    w = run(w, [produce('alpha')]);
    const genuine = headHash(w, 'alpha');
    const forged = [...w.headers.keys()].find((h) => h !== genuine && w.headers.get(h)!.header.height === 2 && w.headers.get(h)!.header.spn === 'alpha')!;
    failsWith(w, { type: 'commit', spn: 'alpha', headers: [forged] }, 'Spn.Header.NO_QUORUM');
    failsWith(w, { type: 'evidence', validator: 'v1', headerA: genuine, headerB: forged }, 'Spn.Slash.NOT_SIGNED');
    failsWith(w, { type: 'evidence', validator: 'v4', headerA: genuine, headerB: genuine }, 'Spn.Slash.NOT_CONFLICTING');
    const stakeBefore = w.validators.get('v4')!.stake;
    w = run(w, [{ type: 'evidence', validator: 'v4', headerA: genuine, headerB: forged }]);
    // 50% of the 10 still restaked and of the 10 queued: 10 burned.
    expect(stakeBefore - w.validators.get('v4')!.stake).toBe(10n);
    expect(w.unrestakes[0]!.amount).toBe(5n);
    expect(w.burned).toBe(10n);
    failsWith(w, { type: 'evidence', validator: 'v4', headerA: forged, headerB: genuine }, 'Spn.Slash.ALREADY_SLASHED');
    failsWith(w, { type: 'restake', validator: 'v4', spn: 'alpha', amount: 1n }, 'Spn.Restake.TOMBSTONED');
    // The genuine header still commits: honest validators hold the quorum.
    w = run(w, [{ type: 'commit', spn: 'alpha', headers: [genuine] }]);
    expect(spnOf(w, 'alpha').committed).toHaveLength(2);
  });

  // @spec SPN-LIFE-ROTATE.1 SPN-LIFE-RETIRE.1 SPN-LIFE-STATUS.1
  it('SPN-LIFE-ROTATE.1 / SPN-LIFE-RETIRE.1: only the admin rotates or retires; retirement needs empty escrow', () => {
    let w = setup();
    failsWith(w, { type: 'rotate-operator', by: 'alice', spn: 'alpha', operator: 'alice' }, 'Spn.Lifecycle.NOT_ADMIN');
    w = run(w, [{ type: 'rotate-operator', by: 'op-alpha', spn: 'alpha', operator: 'op2' }]);
    failsWith(w, produce('alpha'), 'Spn.Block.NOT_OPERATOR');
    w = run(w, [{ type: 'produce', by: 'op2', spn: 'alpha', forced: 0, txs: [], deliver: [], publish: true }]);
    w = run(w, [{ type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 5n }]);
    failsWith(w, { type: 'retire', by: 'op-alpha', spn: 'alpha' }, 'Spn.Lifecycle.ESCROW_NOT_EMPTY');
    failsWith(w, { type: 'retire', by: 'alice', spn: 'beta' }, 'Spn.Lifecycle.NOT_ADMIN');
    w = run(w, [{ type: 'retire', by: 'op-beta', spn: 'beta' }]);
    expect(spnOf(w, 'beta').status).toBe('retired');
    failsWith(w, { type: 'deposit', account: 'alice', spn: 'beta', asset: 'usd', amount: 1n }, 'Spn.Bridge.SPN_NOT_ACTIVE');
    failsWith(w, { type: 'rotate-operator', by: 'op-beta', spn: 'beta', operator: 'x' }, 'Spn.Lifecycle.BAD_STATUS');
    failsWith(w, { type: 'freeze', spn: 'beta' }, 'Spn.Escape.NOT_ACTIVE');
  });
});

describe('SPN bridge and header relay', () => {
  // @spec SPN-BRIDGE-DEPOSIT.1 SPN-HDR-PRODUCE.1 SPN-HDR-VERIFY.1 SPN-BRIDGE-WITHDRAW.1 SPN-BRIDGE-CONSERVATION.1
  it('SPN-BRIDGE-WITHDRAW.1: deposit, local withdrawal and finalization with a Merkle proof, paid once', () => {
    let w = run(setup(), [{ type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 100n }]);
    expect(bal(w, 'alice', 'usd')).toBe(900n);
    failsWith(w, { type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 901n }, 'Spn.Bridge.INSUFFICIENT_BALANCE');
    failsWith(w, produce('alpha', { forced: 2 }), 'Spn.Block.FORCED_BEYOND_QUEUE');
    w = block(w, 'alpha', { forced: 1 });
    w = block(w, 'alpha', { txs: [{ type: 'withdraw', account: 'alice', asset: 'usd', amount: 30n }, { type: 'transfer', from: 'alice', to: 'bob', asset: 'usd', amount: 20n }] });
    failsWith(w, produce('alpha', { txs: [{ type: 'transfer', from: 'bob', to: 'alice', asset: 'usd', amount: 21n }] }), 'Spn.Block.TX_FAILED');
    const { entry, proof } = unwrap(proveOutbox(w, 'alpha', 2, 0));
    expect(entry).toEqual({ type: 'withdrawal', spn: 'alpha', nonce: 0, account: 'alice', asset: 'usd', amount: 30n });
    const fin: SpnAction = { type: 'finalize-withdrawal', spn: 'alpha', height: 2, entry: entry as WithdrawalEntry, proof };
    failsWith(w, { ...fin, entry: { ...(entry as WithdrawalEntry), amount: 31n } } as SpnAction, 'Spn.Proof.ROOT_MISMATCH');
    failsWith(w, { ...fin, height: 1 } as SpnAction, 'Spn.Proof.ROOT_MISMATCH');
    failsWith(w, { ...fin, height: 3 } as SpnAction, 'Spn.Proof.UNKNOWN_HEADER');
    w = run(w, [fin]);
    expect(bal(w, 'alice', 'usd')).toBe(930n);
    expect(spnOf(w, 'alpha').escrow.get('usd')).toBe(70n);
    failsWith(w, fin, 'Spn.Withdraw.ALREADY_FINALIZED');
  });

  // @spec SPN-HDR-DA.1 SPN-HDR-VERIFY.1 SPN-HDR-BATCH.1
  it('SPN-HDR-DA.1 / SPN-HDR-BATCH.1: withheld data blocks a header; batches commit whole or not at all', () => {
    let w = run(setup(), [produce('alpha'), produce('alpha', { publish: false }), produce('alpha')]);
    const [h1, h2, h3] = spnOf(w, 'alpha').chain.blocks.map((b) => b.hash);
    failsWith(w, { type: 'commit', spn: 'alpha', headers: [h1!, h2!] }, 'Spn.Header.DATA_UNAVAILABLE');
    expect(spnOf(w, 'alpha').committed).toHaveLength(0);
    failsWith(w, { type: 'commit', spn: 'alpha', headers: [h2!] }, 'Spn.Header.NOT_NEXT');
    failsWith(w, { type: 'commit', spn: 'beta', headers: [h1!] }, 'Spn.Header.WRONG_SPN');
    failsWith(w, { type: 'commit', spn: 'alpha', headers: ['0x00'] }, 'Spn.Header.UNKNOWN');
    failsWith(w, { type: 'commit', spn: 'alpha', headers: [] }, 'Spn.Header.EMPTY_BATCH');
    w = run(w, [{ type: 'commit', spn: 'alpha', headers: [h1!] }]);
    failsWith(w, { type: 'commit', spn: 'alpha', headers: [h3!] }, 'Spn.Header.NOT_NEXT');
    expect(h3).toBeDefined();
  });
});

describe('SPN escape hatch', () => {
  // @spec SPN-ESCAPE-REQUEST.1 SPN-ESCAPE-DEADLINE.1 SPN-ESCAPE-FREEZE.1 SPN-ESCAPE-CLAIM.1 SPN-ESCAPE-REFUND.1 SPN-ESCAPE-FROZEN-FOREVER.1
  it('SPN-ESCAPE-FREEZE.1: a censored forced withdrawal freezes the SPN after the deadline and the user escapes by proof, once', () => {
    let w = run(setup(), [
      { type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 100n },
      { type: 'deposit', account: 'bob', spn: 'alpha', asset: 'eth', amount: 7n },
    ]);
    w = block(w, 'alpha', { forced: 2 });
    w = run(w, [
      { type: 'force-withdraw', account: 'alice', spn: 'alpha', asset: 'usd', amount: 100n },
      { type: 'deposit', account: 'carol', spn: 'alpha', asset: 'usd', amount: 9n },
    ]);
    // The operator censors: it keeps producing and committing blocks without the forced operations.
    w = block(w, 'alpha');
    w = run(w, ticks(3));
    failsWith(w, { type: 'freeze', spn: 'alpha' }, 'Spn.Escape.DEADLINE_NOT_PASSED');
    failsWith(w, { type: 'escape', spn: 'alpha', leaf: { account: 'alice', asset: 'usd', balance: 100n }, proof: { index: 0, siblings: [] } }, 'Spn.Escape.NOT_FROZEN');
    w = run(w, ticks(1));
    const frozenEarly = run(w, [{ type: 'freeze', spn: 'alpha' }]);
    // Committing a header that covers the operation would have been allowed until the freeze...
    w = frozenEarly;
    expect(spnOf(w, 'alpha').status).toBe('frozen');
    failsWith(w, { type: 'freeze', spn: 'alpha' }, 'Spn.Escape.NOT_ACTIVE');
    failsWith(w, produce('alpha', { forced: 2 }), 'Spn.Block.SPN_NOT_ACTIVE');
    failsWith(w, { type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 1n }, 'Spn.Bridge.SPN_NOT_ACTIVE');
    failsWith(w, { type: 'force-withdraw', account: 'alice', spn: 'alpha', asset: 'usd', amount: 1n }, 'Spn.Escape.NOT_ACTIVE');
    const { leaf, proof } = unwrap(proveEscape(w, 'alpha', 'alice', 'usd'));
    expect(leaf.balance).toBe(100n);
    failsWith(w, { type: 'escape', spn: 'alpha', leaf: { ...leaf, balance: 101n }, proof }, 'Spn.Proof.ROOT_MISMATCH');
    failsWith(w, { type: 'escape', spn: 'alpha', leaf, proof: { ...proof, index: 1 } }, 'Spn.Proof.ROOT_MISMATCH');
    w = run(w, [{ type: 'escape', spn: 'alpha', leaf, proof }]);
    expect(bal(w, 'alice', 'usd')).toBe(1000n);
    failsWith(w, { type: 'escape', spn: 'alpha', leaf, proof }, 'Spn.Escape.ALREADY_CLAIMED');
    // Carol's deposit was never processed: refunded once; Alice's forced withdrawal is no deposit.
    failsWith(w, { type: 'refund-deposit', spn: 'alpha', index: 2 }, 'Spn.Escape.NOT_A_DEPOSIT');
    failsWith(w, { type: 'refund-deposit', spn: 'alpha', index: 0 }, 'Spn.Escape.OPERATION_PROCESSED');
    failsWith(w, { type: 'refund-deposit', spn: 'alpha', index: 9 }, 'Spn.Escape.NO_SUCH_OPERATION');
    w = run(w, [{ type: 'refund-deposit', spn: 'alpha', index: 3 }]);
    failsWith(w, { type: 'refund-deposit', spn: 'alpha', index: 3 }, 'Spn.Escape.ALREADY_REFUNDED');
    const bobLeaf = unwrap(proveEscape(w, 'alpha', 'bob', 'eth'));
    w = run(w, [{ type: 'escape', spn: 'alpha', ...bobLeaf }]);
    expect(spnOf(w, 'alpha').escrow.size).toBe(0);
    expect(bal(w, 'carol', 'usd')).toBe(1000n);
  });

  // @spec SPN-ESCAPE-DEADLINE.1 SPN-ESCAPE-FREEZE.1 SPN-CLOCK.1
  it('SPN-ESCAPE-DEADLINE.1: a halted SPN freezes after the liveness deadline, with the empty root if nothing was committed', () => {
    let w = run(setup(), ticks(6));
    failsWith(w, { type: 'freeze', spn: 'alpha' }, 'Spn.Escape.DEADLINE_NOT_PASSED');
    w = run(w, [...ticks(1), { type: 'freeze', spn: 'alpha' }]);
    expect(spnOf(w, 'alpha').frozen?.root).toBe(ZERO_HASH);
  });

  // @spec SPN-ESCAPE-FIFO.1 SPN-HDR-VERIFY.1
  it('SPN-ESCAPE-FIFO.1: forced operations are processed in queue order; a failed forced withdrawal is processed as a no-op', () => {
    let w = run(setup(), [
      { type: 'force-withdraw', account: 'bob', spn: 'alpha', asset: 'usd', amount: 5n },
      { type: 'deposit', account: 'bob', spn: 'alpha', asset: 'usd', amount: 5n },
    ]);
    w = block(w, 'alpha', { forced: 2 });
    // Bob had nothing when his withdrawal was processed, so the deposit stays on the SPN.
    expect(spnOf(w, 'alpha').chain.leaves).toEqual([{ account: 'bob', asset: 'usd', balance: 5n }]);
    expect(committedBlockAt(w, 'alpha', 1)!.outbox).toEqual([]);
  });
});

describe('SPN mailbox', () => {
  const sendTx = (amount: bigint) => ({ type: 'send', from: 'alice', dst: 'beta', recipient: 'bob', asset: 'usd', amount }) as const;

  // @spec SPN-MSG-SEND.1 SPN-MSG-ARCHIVE.1 SPN-MSG-ORDER.1 SPN-MSG-DELIVER.1 SPN-MSG-ACK.1 SPN-MSG-EXACTLY-ONCE.1
  it('SPN-MSG-EXACTLY-ONCE.1: a message is archived once, in order, executed once and acknowledged', () => {
    let w = run(setup(), [{ type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 100n }]);
    w = block(w, 'alpha', { forced: 1, txs: [sendTx(10n), sendTx(20n)] });
    const m0 = unwrap(proveOutbox(w, 'alpha', 1, 0));
    const m1 = unwrap(proveOutbox(w, 'alpha', 1, 1));
    failsWith(w, { type: 'archive', height: 1, message: m1.entry as Message, proof: m1.proof }, 'Spn.Mailbox.OUT_OF_ORDER');
    failsWith(w, { type: 'archive', height: 1, message: m0.entry as Message, proof: m1.proof }, 'Spn.Proof.ROOT_MISMATCH');
    w = run(w, [{ type: 'archive', height: 1, message: m0.entry as Message, proof: m0.proof }]);
    failsWith(w, { type: 'archive', height: 1, message: m0.entry as Message, proof: m0.proof }, 'Spn.Mailbox.ALREADY_ARCHIVED');
    const id = messageId(m0.entry);
    expect(spnOf(w, 'beta').escrow.get('usd')).toBe(10n);
    failsWith(w, { type: 'timeout', id }, 'Spn.Mailbox.NOT_TIMED_OUT');
    failsWith(w, produce('beta', { deliver: [id, id] }), 'Spn.Block.ALREADY_EXECUTED');
    failsWith(w, produce('alpha', { deliver: [id] }), 'Spn.Block.BAD_DELIVERY');
    w = block(w, 'beta', { deliver: [id] });
    expect(w.mailbox.get(id)!.state).toBe('delivered');
    expect(spnOf(w, 'beta').chain.leaves).toEqual([{ account: 'bob', asset: 'usd', balance: 10n }]);
    failsWith(w, { type: 'timeout', id }, 'Spn.Mailbox.NOT_PENDING');
    failsWith(w, produce('beta', { deliver: [id] }), 'Spn.Block.BAD_DELIVERY');
  });

  // @spec SPN-MSG-TIMEOUT.1 SPN-MSG-EXACTLY-ONCE.1
  it('SPN-MSG-TIMEOUT.1: a message the destination did not execute before its timeout is refunded on mainnet, and then cannot execute', () => {
    let w = run(setup(), [{ type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 100n }]);
    w = block(w, 'alpha', { forced: 1, txs: [sendTx(10n)] });
    const m0 = unwrap(proveOutbox(w, 'alpha', 1, 0));
    w = run(w, [{ type: 'archive', height: 1, message: m0.entry as Message, proof: m0.proof }, ...ticks(4)]);
    const id = messageId(m0.entry);
    failsWith(w, produce('beta', { deliver: [id] }), 'Spn.Block.MESSAGE_EXPIRED');
    failsWith(w, { type: 'timeout', id }, 'Spn.Mailbox.NOT_TIMED_OUT');
    w = block(w, 'beta');
    w = run(w, [{ type: 'timeout', id }]);
    expect(bal(w, 'alice', 'usd')).toBe(910n);
    failsWith(w, { type: 'timeout', id }, 'Spn.Mailbox.NOT_PENDING');
  });

  // @spec SPN-MSG-TIMEOUT.1 SPN-ESCAPE-FREEZE.1
  it('SPN-MSG-TIMEOUT.1: a message to a frozen destination times out at once; a message executed in an uncommitted block is refunded', () => {
    let w = run(setup(), [{ type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 100n }]);
    w = block(w, 'alpha', { forced: 1, txs: [sendTx(10n)] });
    const m0 = unwrap(proveOutbox(w, 'alpha', 1, 0));
    w = run(w, [{ type: 'archive', height: 1, message: m0.entry as Message, proof: m0.proof }, produce('beta', { deliver: [messageId(m0.entry)] }), ...ticks(7), { type: 'freeze', spn: 'beta' }]);
    w = run(w, [{ type: 'timeout', id: messageId(m0.entry) }]);
    expect(w.mailbox.get(messageId(m0.entry))!.state).toBe('timed-out');
  });
});

describe('SPN Merkle commitments', () => {
  const hashes = (n: number): string[] => Array.from({ length: n }, (_, i) => leafHash(leafObject({ account: `a${i}`, asset: 'usd', balance: BigInt(i) })));

  // @spec SPN-STATE-TREE.1 SPN-STATE-PROOF.1 SPN-STATE-LEAF.1
  it('SPN-STATE-PROOF.1: every leaf of trees of 1..40 leaves proves against the root; any changed bit fails', () => {
    for (let n = 1; n <= 40; n++) {
      const hs = hashes(n);
      const root = merkleRoot(hs);
      for (let i = 0; i < n; i++) {
        const p = unwrap(merkleProof(hs, i));
        expect(p.siblings).toHaveLength(treeDepth(n));
        expect(verifyMerkleProof(root, hs[i]!, p).ok).toBe(true);
        expect(verifyMerkleProof(root, hs[(i + 1) % n]!, p).ok).toBe(n === 1);
      }
    }
    expect(merkleRoot([])).toBe(ZERO_HASH);
    expect(merkleRoot(hashes(1))).toBe(hashes(1)[0]);
    expect(merkleProof(hashes(3), 3)).toMatchObject({ ok: false, error: { code: 'Spn.Proof.NO_SUCH_LEAF' } });
  });

  // A leaf hash never equals a node hash of the same bytes: the 0x00/0x01 prefixes separate them.
  // @spec SPN-STATE-LEAF.1 SPN-STATE-TREE.1
  it('leaf and outbox encodings are canonical and distinct', () => {
    const w: WithdrawalEntry = { type: 'withdrawal', spn: 'alpha', nonce: 0, account: 'alice', asset: 'usd', amount: 5n };
    expect(outboxObject(w)).toEqual({ type: 'withdrawal', spn: 'alpha', nonce: 0, account: 'alice', asset: 'usd', amount: '5' });
    expect(leafHash(outboxObject(w))).not.toBe(leafHash(outboxObject({ ...w, nonce: 1 })));
  });

  // @spec SPN-STATE-PROOF.1
  it('proof verification never throws on hostile input and rejects it with stable codes', () => {
    const root = merkleRoot(hashes(5));
    fc.assert(fc.property(
      fc.record({ index: fc.oneof(fc.integer(), fc.double()), siblings: fc.array(fc.oneof(fc.string(), fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString('hex')}`)), { maxLength: 40 }) }),
      fc.oneof(fc.string(), fc.constant(hashes(5)[0]!)),
      (proof, leaf) => {
        const r = verifyMerkleProof(root, leaf, proof);
        if (!r.ok) expect(['Spn.Proof.BAD_LENGTH', 'Spn.Proof.BAD_INDEX', 'Spn.Proof.BAD_HASH', 'Spn.Proof.ROOT_MISMATCH']).toContain(r.error.code);
      },
    ), { numRuns: 500, seed: 8 });
  });

  // @spec SPN-STATE-PROJECTION.1 SPN-ID-FORMAT.1
  it('the projection lists what vectors record', () => {
    const p = projectWorld(setup());
    expect(p.spns.map((s) => [s.id, s.status])).toEqual([['alpha', 'active'], ['beta', 'active']]);
    expect(p.validators.find((v) => v.validator === 'v4')!.alloc).toEqual([{ spn: 'alpha', amount: '20' }, { spn: 'beta', amount: '20' }]);
  });
});
