import { Schema } from 'effect';
import { BigIntFromDecimal } from '../../model/encoding/index.js';
import * as model from '../../model/spn/index.js';
import { scenarioGenesis, scenarioSetup, SCENARIO_PARAMS, SCENARIO_SPN_PARAMS, SCENARIO_ASSETS, SCENARIO_BYZANTINE, SCENARIO_HONEST, SCENARIO_OPERATOR, SCENARIO_SPNS, SCENARIO_USERS } from '../../model/spn/scenario.js';
import * as impl from '../../impl/spn/index.js';
import { BEHAVIOURS, nextAction, type SimConfig } from '../../impl/spn/simulator.js';
import { type CaseDraft, defineKind } from './kind.js';
import { prng } from '../vectors/prng.js';

// ---------------------------------------------------------------------------------------------
// Schemas

const Amount = BigIntFromDecimal;
const Int = Schema.Int;
const Str = Schema.String;
const LeafS = Schema.Struct({ account: Str, asset: Str, balance: Amount });
const ProofS = Schema.Struct({ index: Int, siblings: Schema.Array(Str) });
const WithdrawalS = Schema.Struct({ type: Schema.Literal('withdrawal'), spn: Str, nonce: Int, account: Str, asset: Str, amount: Amount });
const MessageS = Schema.Struct({ type: Schema.Literal('message'), src: Str, dst: Str, seq: Int, sender: Str, recipient: Str, asset: Str, amount: Amount, timeoutAt: Int });
const LocalTxS = Schema.Union(
  Schema.Struct({ type: Schema.Literal('transfer'), from: Str, to: Str, asset: Str, amount: Amount }),
  Schema.Struct({ type: Schema.Literal('withdraw'), account: Str, asset: Str, amount: Amount }),
  Schema.Struct({ type: Schema.Literal('send'), from: Str, dst: Str, recipient: Str, asset: Str, amount: Amount }),
);
const SpnParamsS = Schema.Struct({ targetValidators: Int, softCap: Amount, hardCap: Amount, unrestakeDelay: Int, evidenceWindow: Int, epochLength: Int });
const ActionS = Schema.Union(
  Schema.Struct({ type: Schema.Literal('tick') }),
  Schema.Struct({ type: Schema.Literal('stake'), validator: Str, amount: Amount }),
  Schema.Struct({ type: Schema.Literal('register'), by: Str, spn: Str, params: SpnParamsS }),
  Schema.Struct({ type: Schema.Literal('propose-params'), by: Str, spn: Str, params: SpnParamsS }),
  Schema.Struct({ type: Schema.Literal('apply-params'), spn: Str }),
  Schema.Struct({ type: Schema.Literal('restake'), validator: Str, spn: Str, amount: Amount }),
  Schema.Struct({ type: Schema.Literal('request-unrestake'), validator: Str, spn: Str, amount: Amount }),
  Schema.Struct({ type: Schema.Literal('complete-unrestake'), id: Int }),
  Schema.Struct({ type: Schema.Literal('rotate-operator'), by: Str, spn: Str, operator: Str }),
  Schema.Struct({ type: Schema.Literal('retire'), by: Str, spn: Str }),
  Schema.Struct({ type: Schema.Literal('deposit'), account: Str, spn: Str, asset: Str, amount: Amount }),
  Schema.Struct({ type: Schema.Literal('force-withdraw'), account: Str, spn: Str, asset: Str, amount: Amount }),
  Schema.Struct({ type: Schema.Literal('produce'), by: Str, spn: Str, forced: Int, txs: Schema.Array(LocalTxS), deliver: Schema.Array(Str), publish: Schema.Boolean }),
  Schema.Struct({ type: Schema.Literal('forge'), spn: Str, height: Int, mint: LeafS }),
  Schema.Struct({ type: Schema.Literal('commit'), spn: Str, headers: Schema.Array(Str) }),
  Schema.Struct({ type: Schema.Literal('finalize-withdrawal'), spn: Str, height: Int, entry: WithdrawalS, proof: ProofS }),
  Schema.Struct({ type: Schema.Literal('archive'), height: Int, message: MessageS, proof: ProofS }),
  Schema.Struct({ type: Schema.Literal('timeout'), id: Str }),
  Schema.Struct({ type: Schema.Literal('freeze'), spn: Str }),
  Schema.Struct({ type: Schema.Literal('escape'), spn: Str, leaf: LeafS, proof: ProofS }),
  Schema.Struct({ type: Schema.Literal('refund-deposit'), spn: Str, index: Int }),
  Schema.Struct({ type: Schema.Literal('evidence'), validator: Str, headerA: Str, headerB: Str }),
);
const GenesisS = Schema.Struct({
  params: Schema.Struct({ incDeadline: Int, liveDeadline: Int, paramDelay: Int, msgTimeout: Int, slashBps: Int, stakeAsset: Str }),
  balances: Schema.Array(Schema.Struct({ account: Str, asset: Str, amount: Amount })),
  byzantine: Schema.Array(Str),
});
const ActionsInputS = Schema.Struct({ genesis: GenesisS, actions: Schema.Array(ActionS) });
const ProofInputS = Schema.Struct({ root: Str, leaf: LeafS, proof: ProofS });
/** Drafts hold JSON: bigints become decimal strings through the kind's own input schema. */
const encodeDrafts = <A, I>(schema: Schema.Schema<A, I>, drafts: readonly CaseDraft[]): readonly CaseDraft[] =>
  drafts.map((d) => ({ ...d, input: Schema.encodeSync(schema)(d.input as A) }));

const Pair = (k: string) => Schema.Struct({ [k]: Str, amount: Str });
const ProjectedParamsS = Schema.Struct({ targetValidators: Int, softCap: Str, hardCap: Str, unrestakeDelay: Int, evidenceWindow: Int, epochLength: Int });
const ProjectionS = Schema.Struct({
  height: Int,
  balances: Schema.Array(Schema.Struct({ key: Str, amount: Str })),
  validators: Schema.Array(Schema.Struct({ validator: Str, stake: Str, alloc: Schema.Array(Schema.Struct({ spn: Str, amount: Str })) })),
  unrestakes: Schema.Array(Schema.Struct({ id: Int, validator: Str, spn: Str, amount: Str, readyAt: Int })),
  burned: Str,
  evidence: Schema.Array(Str),
  spns: Schema.Array(Schema.Struct({
    id: Str, status: Str, admin: Str, operator: Str, escrow: Schema.Array(Pair('asset')),
    committedHeight: Int, committedRoot: Str, committedForced: Int, lastProgressAt: Int, headHeight: Int, headRoot: Str, headForced: Int,
    forcedQueue: Int, frozenRoot: Schema.NullOr(Str), claimed: Schema.Array(Str), refunded: Schema.Array(Int), tombstoned: Schema.Array(Str),
    params: ProjectedParamsS, pendingParams: Schema.NullOr(Schema.Struct({ ...ProjectedParamsS.fields, readyAt: Int })),
    epoch: Int, validatorSet: Schema.Array(Schema.Struct({ validator: Str, power: Str })),
  })),
  mailbox: Schema.Array(Schema.Struct({ id: Str, src: Str, dst: Str, seq: Int, state: Str })),
  finalized: Schema.Array(Str),
});

// ---------------------------------------------------------------------------------------------
// spn/actions generators: the model world is used to build proofs and header hashes, so each
// scenario is written as a function of the state it acts on.

type Builder = (w: model.World) => model.SpnAction | readonly model.SpnAction[];

/** Turns builders into a fixed action list by running them on the model as it goes. */
const script = (builders: readonly (model.SpnAction | Builder)[]): readonly model.SpnAction[] => {
  let w = unwrapW(model.genesisWorld(scenarioGenesis()));
  const out: model.SpnAction[] = [];
  for (const b of [...scenarioSetup(), ...builders]) {
    const acts = typeof b === 'function' ? b(w) : b;
    for (const a of Array.isArray(acts) ? acts : [acts as model.SpnAction]) {
      out.push(a);
      const r = model.step(w, a);
      if (r.ok) w = r.value;
    }
  }
  return out;
};

function unwrapW<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const produce = (spn: string, extra: Partial<Extract<model.SpnAction, { type: 'produce' }>> = {}): model.SpnAction =>
  ({ type: 'produce', by: SCENARIO_OPERATOR(spn), spn, forced: 0, txs: [], deliver: [], publish: true, ...extra });
const commitHead: (spn: string) => Builder = (spn) => (w) => ({ type: 'commit', spn, headers: [w.spns.get(spn)!.chain.blocks.at(-1)!.hash] });
const ticks = (n: number): model.SpnAction[] => Array.from({ length: n }, () => ({ type: 'tick' }));
const escape = (spn: string, account: string, asset: string, tamper = 0n): Builder => (w) => {
  const p = model.proveEscape(w, spn, account, asset);
  return p.ok ? { type: 'escape', spn, leaf: { ...p.value.leaf, balance: p.value.leaf.balance + tamper }, proof: p.value.proof } : { type: 'escape', spn, leaf: { account, asset, balance: 1n }, proof: { index: 0, siblings: [] } };
};
const outbox = (spn: string, height: number, index: number, tamper = false): Builder => (w) => {
  const p = unwrapW(model.proveOutbox(w, spn, height, index));
  const proof = tamper ? { ...p.proof, index: p.proof.index ^ 1 } : p.proof;
  return p.entry.type === 'withdrawal' ? { type: 'finalize-withdrawal', spn, height, entry: p.entry, proof } : { type: 'archive', height, message: p.entry, proof };
};
const firstMessage = (w: model.World): string => [...w.mailbox.keys()][0] ?? '0x';
const sendTx = (amount: bigint) => ({ type: 'send', from: 'alice', dst: 'beta', recipient: 'bob', asset: 'usd', amount }) as const;

const SCENARIOS: readonly { id: string; description: string; requirements: readonly string[]; steps: readonly (model.SpnAction | Builder)[] }[] = [
  {
    id: 'activation-and-restake-limits', description: 'An SPN activates automatically; over-allocation, hard cap and unknown SPNs are refused',
    requirements: ['SPN-LIFE-REGISTER.1', 'SPN-LIFE-ACTIVATE.1', 'SPN-RESTAKE-ALLOCATE.1', 'SPN-RESTAKE-STAKE.1'],
    steps: [
      { type: 'register', by: 'op-gamma', spn: 'gamma', params: { ...SCENARIO_SPN_PARAMS, targetValidators: 2, softCap: 100n, hardCap: 150n } },
      { type: 'deposit', account: 'alice', spn: 'gamma', asset: 'usd', amount: 1n },
      { type: 'restake', validator: 'v1', spn: 'gamma', amount: 100n },
      { type: 'restake', validator: 'v2', spn: 'gamma', amount: 51n },
      { type: 'restake', validator: 'v2', spn: 'gamma', amount: 50n },
      { type: 'restake', validator: 'v1', spn: 'alpha', amount: 201n },
      { type: 'restake', validator: 'v1', spn: 'nope', amount: 1n },
      { type: 'register', by: 'x', spn: 'delta', params: { ...SCENARIO_SPN_PARAMS, targetValidators: 0, softCap: 1n, hardCap: 1n } },
      { type: 'stake', validator: 'v1', amount: 501n },
    ],
  },
  {
    id: 'deposit-withdraw-finalize', description: 'Deposit, local withdrawal, finalization by proof; replay and tampered proofs fail',
    requirements: ['SPN-BRIDGE-DEPOSIT.1', 'SPN-HDR-PRODUCE.1', 'SPN-HDR-VERIFY.1', 'SPN-BRIDGE-WITHDRAW.1', 'SPN-STATE-PROOF.1'],
    steps: [
      { type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 100n },
      produce('alpha', { forced: 1 }), commitHead('alpha'),
      produce('alpha', { txs: [{ type: 'withdraw', account: 'alice', asset: 'usd', amount: 30n }] }), commitHead('alpha'),
      outbox('alpha', 2, 0, true), outbox('alpha', 2, 0), outbox('alpha', 2, 0),
      produce('alpha', { txs: [{ type: 'transfer', from: 'bob', to: 'alice', asset: 'usd', amount: 1n }] }),
    ],
  },
  {
    id: 'censored-forced-withdrawal-escape', description: 'A censoring operator; freeze before the deadline fails, after it succeeds; escape once, stale and tampered leaves fail, deposits refunded once',
    requirements: ['SPN-ESCAPE-REQUEST.1', 'SPN-ESCAPE-DEADLINE.1', 'SPN-ESCAPE-FREEZE.1', 'SPN-ESCAPE-CLAIM.1', 'SPN-ESCAPE-REFUND.1', 'SPN-ESCAPE-FROZEN-FOREVER.1'],
    steps: [
      { type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 100n },
      produce('alpha', { forced: 1 }), commitHead('alpha'),
      { type: 'force-withdraw', account: 'alice', spn: 'alpha', asset: 'usd', amount: 100n },
      { type: 'deposit', account: 'carol', spn: 'alpha', asset: 'usd', amount: 9n },
      produce('alpha', { txs: [{ type: 'transfer', from: 'alice', to: 'bob', asset: 'usd', amount: 10n }] }),
      escape('alpha', 'alice', 'usd'),
      ...ticks(3), { type: 'freeze', spn: 'alpha' }, { type: 'tick' }, { type: 'freeze', spn: 'alpha' }, { type: 'freeze', spn: 'alpha' },
      commitHead('alpha'), produce('alpha'),
      escape('alpha', 'alice', 'usd', 1n), escape('alpha', 'alice', 'usd'), escape('alpha', 'alice', 'usd'), escape('alpha', 'bob', 'usd'),
      { type: 'refund-deposit', spn: 'alpha', index: 1 }, { type: 'refund-deposit', spn: 'alpha', index: 2 }, { type: 'refund-deposit', spn: 'alpha', index: 0 },
      { type: 'refund-deposit', spn: 'alpha', index: 2 },
    ],
  },
  {
    id: 'halted-spn-freezes', description: 'An SPN that commits nothing is frozen after the liveness deadline with the empty root',
    requirements: ['SPN-ESCAPE-DEADLINE.1', 'SPN-ESCAPE-FREEZE.1'],
    steps: [...ticks(6), { type: 'freeze', spn: 'beta' }, { type: 'tick' }, { type: 'freeze', spn: 'beta' }, { type: 'deposit', account: 'alice', spn: 'beta', asset: 'usd', amount: 1n }],
  },
  {
    id: 'withheld-data-and-batches', description: 'A header without published data is refused; a batch is accepted whole or not at all',
    requirements: ['SPN-HDR-DA.1', 'SPN-HDR-BATCH.1', 'SPN-HDR-VERIFY.1'],
    steps: [
      produce('alpha'), produce('alpha', { publish: false }), produce('alpha'),
      (w) => ({ type: 'commit', spn: 'alpha', headers: w.spns.get('alpha')!.chain.blocks.map((b) => b.hash) }),
      (w) => ({ type: 'commit', spn: 'alpha', headers: [w.spns.get('alpha')!.chain.blocks[1]!.hash] }),
      (w) => ({ type: 'commit', spn: 'beta', headers: [w.spns.get('alpha')!.chain.blocks[0]!.hash] }),
      { type: 'commit', spn: 'alpha', headers: [] },
      (w) => ({ type: 'commit', spn: 'alpha', headers: [w.spns.get('alpha')!.chain.blocks[0]!.hash] }),
    ],
  },
  {
    id: 'equivocation-slashed-once', description: 'A forged header signed by the Byzantine validator lacks a quorum; double signing is slashed once, queued unrestake included',
    requirements: ['SPN-HDR-QUORUM.1', 'SPN-RESTAKE-SLASH.1', 'SPN-RESTAKE-SLASH-ONCE.1', 'SPN-RESTAKE-UNRESTAKE.1'],
    steps: [
      produce('alpha'), commitHead('alpha'),
      { type: 'request-unrestake', validator: 'v4', spn: 'alpha', amount: 10n },
      { type: 'forge', spn: 'alpha', height: 2, mint: { account: 'v4', asset: 'usd', balance: 999n } },
      produce('alpha'),
      (w) => {
        const genuine = w.spns.get('alpha')!.chain.blocks.at(-1)!.hash;
        const forged = [...w.headers.values()].find((b) => b.header.spn === 'alpha' && b.header.height === 2 && b.hash !== genuine)!.hash;
        return [
          { type: 'commit', spn: 'alpha', headers: [forged] },
          { type: 'evidence', validator: 'v1', headerA: genuine, headerB: forged },
          { type: 'evidence', validator: 'v4', headerA: genuine, headerB: forged },
          { type: 'evidence', validator: 'v4', headerA: forged, headerB: genuine },
          { type: 'restake', validator: 'v4', spn: 'alpha', amount: 1n },
          { type: 'commit', spn: 'alpha', headers: [genuine] },
        ];
      },
      { type: 'complete-unrestake', id: 0 }, ...ticks(4), { type: 'complete-unrestake', id: 0 }, { type: 'complete-unrestake', id: 0 },
    ],
  },
  {
    id: 'message-exactly-once', description: 'A message is archived in order and once, executed once, acknowledged; replays fail',
    requirements: ['SPN-MSG-SEND.1', 'SPN-MSG-ARCHIVE.1', 'SPN-MSG-ORDER.1', 'SPN-MSG-DELIVER.1', 'SPN-MSG-ACK.1', 'SPN-MSG-EXACTLY-ONCE.1', 'SPN-MSG-FORMAT.1'],
    steps: [
      { type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 100n },
      produce('alpha', { forced: 1, txs: [sendTx(10n), sendTx(20n)] }), commitHead('alpha'),
      outbox('alpha', 1, 1), outbox('alpha', 1, 0, true), outbox('alpha', 1, 0), outbox('alpha', 1, 0),
      (w) => ({ type: 'timeout', id: firstMessage(w) }),
      (w) => produce('beta', { deliver: [firstMessage(w), firstMessage(w)] }),
      (w) => produce('alpha', { deliver: [firstMessage(w)] }),
      (w) => produce('beta', { deliver: [firstMessage(w)] }), commitHead('beta'),
      (w) => ({ type: 'timeout', id: firstMessage(w) }),
      (w) => produce('beta', { deliver: [firstMessage(w)] }),
      outbox('alpha', 1, 1),
    ],
  },
  {
    id: 'message-timeout-refund', description: 'A message not executed before its timeout is refunded on mainnet once and can no longer execute',
    requirements: ['SPN-MSG-TIMEOUT.1', 'SPN-MSG-EXACTLY-ONCE.1'],
    steps: [
      { type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 100n },
      produce('alpha', { forced: 1, txs: [sendTx(10n)] }), commitHead('alpha'), outbox('alpha', 1, 0), ...ticks(4),
      (w) => produce('beta', { deliver: [firstMessage(w)] }), (w) => ({ type: 'timeout', id: firstMessage(w) }),
      produce('beta'), commitHead('beta'), (w) => ({ type: 'timeout', id: firstMessage(w) }), (w) => ({ type: 'timeout', id: firstMessage(w) }),
      { type: 'timeout', id: '0x00' },
    ],
  },
  {
    id: 'rotation-and-retirement', description: 'Only the admin rotates the operator or retires; retirement needs an empty escrow and is final',
    requirements: ['SPN-LIFE-ROTATE.1', 'SPN-LIFE-RETIRE.1', 'SPN-LIFE-STATUS.1'],
    steps: [
      { type: 'rotate-operator', by: 'alice', spn: 'alpha', operator: 'alice' },
      { type: 'rotate-operator', by: 'op-alpha', spn: 'alpha', operator: 'op2' },
      produce('alpha'), { type: 'produce', by: 'op2', spn: 'alpha', forced: 0, txs: [], deliver: [], publish: true },
      { type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: 5n },
      { type: 'retire', by: 'op-alpha', spn: 'alpha' }, { type: 'retire', by: 'op-beta', spn: 'beta' },
      { type: 'deposit', account: 'alice', spn: 'beta', asset: 'usd', amount: 1n }, { type: 'freeze', spn: 'beta' },
      { type: 'restake', validator: 'v1', spn: 'beta', amount: 1n },
    ],
  },
  {
    id: 'forced-fifo', description: 'Forced operations are processed as a queue prefix; a forced withdrawal the balance does not cover is a processed no-op',
    requirements: ['SPN-ESCAPE-FIFO.1', 'SPN-HDR-PRODUCE.1'],
    steps: [
      { type: 'force-withdraw', account: 'bob', spn: 'alpha', asset: 'usd', amount: 5n },
      { type: 'deposit', account: 'bob', spn: 'alpha', asset: 'usd', amount: 5n },
      produce('alpha', { forced: 3 }), produce('alpha', { forced: 2 }), commitHead('alpha'),
      { type: 'force-withdraw', account: 'bob', spn: 'alpha', asset: 'usd', amount: 5n }, produce('alpha', { forced: 1 }), commitHead('alpha'),
      outbox('alpha', 2, 0),
    ],
  },
];

const gammaParams = { ...SCENARIO_SPN_PARAMS, targetValidators: 1, softCap: 100n };
const GOVERNANCE_SCENARIOS: typeof SCENARIOS = [
  {
    id: 'parameter-updates', description: 'Only the admin proposes; an active SPN changes only its hard cap and a longer unrestake delay; changes apply after the delay and are re-checked; a frozen SPN changes nothing',
    requirements: ['SPN-PARAMS-UPDATE.1', 'SPN-PARAMS-APPLY.1', 'SPN-PARAMS-MUTABLE.1', 'SPN-PARAMS-SPN.1', 'SPN-RESTAKE-WINDOW.1'],
    steps: [
      { type: 'register', by: 'op-gamma', spn: 'gamma', params: { ...SCENARIO_SPN_PARAMS, unrestakeDelay: 5 } },
      { type: 'propose-params', by: 'alice', spn: 'alpha', params: { ...SCENARIO_SPN_PARAMS, hardCap: 500n } },
      { type: 'propose-params', by: 'op-alpha', spn: 'alpha', params: { ...SCENARIO_SPN_PARAMS, softCap: 200n } },
      { type: 'propose-params', by: 'op-alpha', spn: 'alpha', params: { ...SCENARIO_SPN_PARAMS, evidenceWindow: 3 } },
      { type: 'propose-params', by: 'op-alpha', spn: 'alpha', params: { ...SCENARIO_SPN_PARAMS, unrestakeDelay: 5 } },
      { type: 'propose-params', by: 'op-alpha', spn: 'alpha', params: { ...SCENARIO_SPN_PARAMS, hardCap: 319n } },
      { type: 'apply-params', spn: 'alpha' },
      { type: 'propose-params', by: 'op-alpha', spn: 'alpha', params: { ...SCENARIO_SPN_PARAMS, hardCap: 330n, unrestakeDelay: 9 } },
      { type: 'apply-params', spn: 'alpha' }, ...ticks(2),
      { type: 'restake', validator: 'v1', spn: 'alpha', amount: 20n }, { type: 'apply-params', spn: 'alpha' },
      { type: 'request-unrestake', validator: 'v1', spn: 'alpha', amount: 20n }, { type: 'apply-params', spn: 'alpha' },
      { type: 'restake', validator: 'v2', spn: 'alpha', amount: 31n },
      { type: 'register', by: 'op-gamma', spn: 'gamma', params: { ...SCENARIO_SPN_PARAMS, targetValidators: 3, softCap: 300n } },
      { type: 'restake', validator: 'v1', spn: 'gamma', amount: 100n },
      { type: 'propose-params', by: 'op-gamma', spn: 'gamma', params: { ...SCENARIO_SPN_PARAMS, targetValidators: 1, softCap: 100n, epochLength: 3 } },
      ...ticks(2), { type: 'apply-params', spn: 'gamma' },
      ...ticks(4), { type: 'freeze', spn: 'beta' }, { type: 'propose-params', by: 'op-beta', spn: 'beta', params: SCENARIO_SPN_PARAMS }, { type: 'apply-params', spn: 'beta' },
    ],
  },
  {
    id: 'epoch-rotation', description: 'After an epoch rotation a header signed only by the previous epoch\'s set lacks a quorum; an old-epoch header verifies against its own set; stale headers are refused',
    requirements: ['SPN-EPOCH-SET.1', 'SPN-EPOCH-ROTATE.1', 'SPN-HDR-QUORUM.1', 'SPN-HDR-FRESH.1', 'SPN-RESTAKE-UNRESTAKE.1'],
    steps: [
      { type: 'register', by: 'op-gamma', spn: 'gamma', params: gammaParams }, { type: 'restake', validator: 'v4', spn: 'gamma', amount: 100n },
      ...SCENARIO_HONEST.map((validator): model.SpnAction => ({ type: 'restake', validator, spn: 'gamma', amount: 100n })),
      { type: 'request-unrestake', validator: 'v4', spn: 'gamma', amount: 100n },
      produce('gamma'), ...ticks(5),
      { type: 'forge', spn: 'gamma', height: 1, mint: { account: 'v4', asset: 'usd', balance: 7n } },
      (w) => ({ type: 'commit', spn: 'gamma', headers: [[...w.headers.values()].find((b) => b.header.spn === 'gamma' && b.header.observedHeight === 5)!.hash] }),
      (w) => ({ type: 'commit', spn: 'gamma', headers: [w.spns.get('gamma')!.chain.blocks[0]!.hash] }),
      produce('gamma'), commitHead('gamma'), produce('gamma'), ...ticks(6), commitHead('gamma'),
      ...ticks(4), { type: 'forge', spn: 'gamma', height: 3, mint: { account: 'v4', asset: 'usd', balance: 7n } }, { type: 'complete-unrestake', id: 0 },
    ],
  },
  {
    id: 'evidence-window', description: 'Stake that backed a fault is still queued at the last height of the evidence window and is slashed there; later evidence expires',
    requirements: ['SPN-RESTAKE-WINDOW.1', 'SPN-RESTAKE-SLASH.1', 'SPN-RESTAKE-UNRESTAKE.1'],
    steps: [
      { type: 'register', by: 'op-gamma', spn: 'gamma', params: { ...gammaParams, softCap: 20n } }, { type: 'restake', validator: 'v4', spn: 'gamma', amount: 20n },
      produce('gamma'), { type: 'forge', spn: 'gamma', height: 1, mint: { account: 'v4', asset: 'usd', balance: 1n } },
      { type: 'request-unrestake', validator: 'v4', spn: 'gamma', amount: 20n }, ...ticks(5), { type: 'complete-unrestake', id: 0 },
      (w) => {
        const [a, b] = [...w.headers.values()].filter((x) => x.header.spn === 'gamma').map((x) => x.hash);
        return [{ type: 'evidence', validator: 'v4', headerA: a!, headerB: b! }, { type: 'evidence', validator: 'v4', headerA: b!, headerB: a! }];
      },
      { type: 'register', by: 'op-delta', spn: 'delta', params: { ...gammaParams, softCap: 20n } }, { type: 'restake', validator: 'v4', spn: 'delta', amount: 20n },
      produce('delta'), { type: 'forge', spn: 'delta', height: 1, mint: { account: 'v4', asset: 'usd', balance: 1n } }, ...ticks(6),
      (w) => {
        const [a, b] = [...w.headers.values()].filter((x) => x.header.spn === 'delta').map((x) => x.hash);
        return { type: 'evidence', validator: 'v4', headerA: a!, headerB: b! };
      },
      ...ticks(6), { type: 'complete-unrestake', id: 0 },
    ],
  },
  {
    id: 'byzantine-supermajority', description: 'More than two thirds Byzantine commit a minting header; the escape hatch pays from the SPN\'s own escrow only, never more than it holds',
    requirements: ['SPN-HDR-BYZANTINE.1', 'SPN-BRIDGE-CONSERVATION.1', 'SPN-ESCAPE-CLAIM.1'],
    steps: [
      { type: 'register', by: 'op-gamma', spn: 'gamma', params: { ...gammaParams, targetValidators: 2, softCap: 140n } },
      { type: 'restake', validator: 'v4', spn: 'gamma', amount: 100n }, { type: 'restake', validator: 'v1', spn: 'gamma', amount: 40n },
      { type: 'deposit', account: 'alice', spn: 'gamma', asset: 'usd', amount: 100n }, { type: 'deposit', account: 'bob', spn: 'gamma', asset: 'usd', amount: 50n },
      produce('gamma', { forced: 2 }), commitHead('gamma'), produce('gamma'),
      { type: 'forge', spn: 'gamma', height: 2, mint: { account: 'v4', asset: 'usd', balance: 100n } },
      (w) => ({ type: 'commit', spn: 'gamma', headers: [[...w.headers.values()].find((b) => b.header.spn === 'gamma' && b.header.height === 2 && b.hash !== w.spns.get('gamma')!.chain.blocks[1]!.hash)!.hash] }),
      ...ticks(7), { type: 'freeze', spn: 'gamma' },
      escape('gamma', 'v4', 'usd'), escape('gamma', 'alice', 'usd'), escape('gamma', 'bob', 'usd'),
    ],
  },
];

const scenarioCases = (): readonly CaseDraft[] =>
  [...SCENARIOS, ...GOVERNANCE_SCENARIOS].map((s) => ({ id: s.id, description: s.description, requirements: s.requirements, input: { genesis: scenarioGenesis(), actions: script(s.steps) } }));

const simConfig = (r: ReturnType<typeof prng>): SimConfig => ({
  spns: SCENARIO_SPNS, users: SCENARIO_USERS, assets: SCENARIO_ASSETS, honest: SCENARIO_HONEST, byzantine: SCENARIO_BYZANTINE, operator: SCENARIO_OPERATOR,
  behaviour: new Map(SCENARIO_SPNS.map((s) => [s, r.pick(BEHAVIOURS)])), watcherDelay: 1,
});

const adversarialCases = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  return Array.from({ length: 24 }, (_, i) => {
    const cfg = simConfig(r);
    const w = scenarioSetup().reduce((acc, a) => unwrapW(impl.step(acc, a)), unwrapW(impl.genesisWorld(scenarioGenesis())));
    const actions: model.SpnAction[] = [...scenarioSetup()];
    for (let k = 0; k < 40; k++) {
      const a = nextAction(r, cfg, w);
      actions.push(a);
      impl.step(w, a);
    }
    const behaviours = SCENARIO_SPNS.map((s) => `${s} ${cfg.behaviour.get(s)}`).join(', ');
    return {
      id: `random-${String(i).padStart(3, '0')}`, description: `Simulated run, operators: ${behaviours}`,
      requirements: ['SPN-ACTORS.1', 'SPN-BRIDGE-CONSERVATION.1', 'SPN-MSG-EXACTLY-ONCE.1', 'SPN-ESCAPE-BOUNDED.1'], input: { genesis: scenarioGenesis(), actions },
    };
  });
};

const badGenesisCases = (): readonly CaseDraft[] => [
  { id: 'zero-deadline', description: 'incDeadline must be at least 1', requirements: ['SPN-PARAMS-GLOBAL.1'], input: { genesis: { ...scenarioGenesis(), params: { ...SCENARIO_PARAMS, incDeadline: 0 } }, actions: [] } },
  { id: 'negative-param-delay', description: 'paramDelay is at least 0', requirements: ['SPN-PARAMS-GLOBAL.1'], input: { genesis: { ...scenarioGenesis(), params: { ...SCENARIO_PARAMS, paramDelay: -1 } }, actions: [] } },
  { id: 'slash-above-100-percent', description: 'slashBps is at most 10000', requirements: ['SPN-PARAMS-GLOBAL.1'], input: { genesis: { ...scenarioGenesis(), params: { ...SCENARIO_PARAMS, slashBps: 10001 } }, actions: [] } },
  { id: 'duplicate-balance', description: 'A genesis balance listed twice', requirements: ['SPN-PARAMS-GLOBAL.1'], input: { genesis: { ...scenarioGenesis(), balances: [{ account: 'a', asset: 'usd', amount: 1n }, { account: 'a', asset: 'usd', amount: 2n }] }, actions: [] } },
  { id: 'bad-account-id', description: 'Identifiers are lowercase', requirements: ['SPN-ID-FORMAT.1'], input: { genesis: { ...scenarioGenesis(), balances: [{ account: 'Alice', asset: 'usd', amount: 1n }] }, actions: [] } },
];

const GENESIS_ERRORS = ['Spn.Genesis.BAD_PARAMS', 'Spn.Genesis.BAD_ID', 'Spn.Genesis.BAD_AMOUNT', 'Spn.Genesis.DUPLICATE_BALANCE'];

export const spnActionsKind = defineKind({
  kind: 'spn/actions',
  area: 'spn',
  description: 'Run SPN actions in order from genesis; output each action\'s result (ok or its error code) and the projection of the final world.',
  input: ActionsInputS,
  output: Schema.Struct({ results: Schema.Array(Str), final: ProjectionS }),
  errorCodes: GENESIS_ERRORS,
  model: (input) => model.runActions(input as model.ActionsInput),
  impl: (input) => impl.runActions(input as model.ActionsInput),
  suites: [
    { suite: 'scenarios', description: 'Hand-written scenarios, each about one part of the chapter, with the failures it must produce', seed: 0, cases: () => encodeDrafts(ActionsInputS, scenarioCases()) },
    { suite: 'adversarial', description: 'Seeded simulated runs with censoring, halting, withholding and equivocating operators and replaying relayers', seed: 0x5e_0008, cases: (seed) => encodeDrafts(ActionsInputS, adversarialCases(seed)) },
    { suite: 'bad-genesis', description: 'Genesis configurations the state machine refuses', seed: 0, cases: () => encodeDrafts(ActionsInputS, badGenesisCases()) },
  ],
});

// ---------------------------------------------------------------------------------------------
// spn/proof

const leavesOf = (r: ReturnType<typeof prng>, n: number): model.Leaf[] =>
  Array.from({ length: n }, (_, i) => ({ account: `acct-${i}`, asset: r.pick(['usd', 'eth', 'p']), balance: BigInt(r.below(1_000_000)) * 10n ** BigInt(r.below(20)) }));

const validProofCases = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  const out: CaseDraft[] = [];
  for (const n of [1, 2, 3, 4, 5, 8, 9, 16, 17, 33]) {
    const leaves = leavesOf(r, n);
    const hashes = leaves.map((l) => model.leafHash(model.leafObject(l)));
    const root = model.merkleRoot(hashes);
    for (const i of [...new Set([0, n - 1, r.below(n)])]) {
      const proof = unwrapW(model.merkleProof(hashes, i));
      out.push({ id: `tree-${n}-leaf-${i}`, description: `Leaf ${i} of a ${n}-leaf state tree`, requirements: ['SPN-STATE-PROOF.1', 'SPN-STATE-TREE.1', 'SPN-STATE-LEAF.1'], input: { root, leaf: leaves[i]!, proof } });
    }
  }
  return out;
};

const invalidProofCases = (seed: number): readonly CaseDraft[] => {
  const r = prng(seed);
  const leaves = leavesOf(r, 6);
  const hashes = leaves.map((l) => model.leafHash(model.leafObject(l)));
  const root = model.merkleRoot(hashes);
  const p = unwrapW(model.merkleProof(hashes, 2));
  const leaf = leaves[2]!;
  const req = ['SPN-STATE-PROOF.1'];
  const c = (id: string, description: string, input: unknown): CaseDraft => ({ id, description, requirements: req, input });
  return [
    c('wrong-balance', 'The balance differs from the committed one', { root, leaf: { ...leaf, balance: leaf.balance + 1n }, proof: p }),
    c('wrong-account', 'Another account claims the leaf', { root, leaf: { ...leaf, account: 'acct-9' }, proof: p }),
    c('wrong-index', 'The right siblings with the index of the neighbour', { root, leaf, proof: { ...p, index: 3 } }),
    c('flipped-sibling', 'One sibling hash altered', { root, leaf, proof: { ...p, siblings: p.siblings.map((s, i) => (i === 1 ? `0x${s.slice(2).replace(/^./, (d) => (d === '0' ? '1' : '0'))}` : s)) } }),
    c('missing-sibling', 'A proof one level short', { root, leaf, proof: { index: 2, siblings: p.siblings.slice(1) } }),
    c('extra-sibling', 'A proof one level too long', { root, leaf, proof: { index: 2, siblings: [...p.siblings, p.siblings[0]!] } }),
    c('index-too-large', 'An index beyond the depth', { root, leaf, proof: { ...p, index: 8 } }),
    c('negative-index', 'A negative index', { root, leaf, proof: { ...p, index: -1 } }),
    c('uppercase-sibling', 'Hashes are lowercase hex', { root, leaf, proof: { ...p, siblings: p.siblings.map((s, i) => (i === 0 ? s.toUpperCase().replace('0X', '0x') : s)) } }),
    c('short-sibling', 'A sibling of 31 bytes', { root, leaf, proof: { ...p, siblings: p.siblings.map((s, i) => (i === 0 ? s.slice(0, 64) : s)) } }),
    c('too-deep', 'More than 32 siblings', { root, leaf, proof: { index: 0, siblings: Array.from({ length: 33 }, () => p.siblings[0]!) } }),
    c('bad-leaf-id', 'An account that is not an identifier', { root, leaf: { ...leaf, account: 'Acct' }, proof: p }),
    c('stale-root', 'A valid proof against another root', { root: model.merkleRoot(hashes.slice(0, 5)), leaf, proof: p }),
  ];
};

export const spnProofKind = defineKind({
  kind: 'spn/proof',
  area: 'spn',
  description: 'Verify a balance leaf against an SPN state root with a Merkle proof; output the leaf hash.',
  input: ProofInputS,
  output: Schema.Struct({ leafHash: Str }),
  errorCodes: ['Spn.Input.BAD_ID', 'Spn.Proof.BAD_LENGTH', 'Spn.Proof.BAD_INDEX', 'Spn.Proof.BAD_HASH', 'Spn.Proof.ROOT_MISMATCH'],
  model: (input) => model.verifyStateProof(input as model.ProofInput),
  impl: (input) => impl.verifyStateProof(input as model.ProofInput),
  suites: [
    { suite: 'valid', description: 'Proofs of first, last and random leaves of seeded trees of 1 to 33 leaves', seed: 0x5e_0009, cases: (seed) => encodeDrafts(ProofInputS, validProofCases(seed)) },
    { suite: 'invalid', description: 'Tampered leaves, indices, siblings and roots, one fault each', seed: 0x5e_000a, cases: (seed) => encodeDrafts(ProofInputS, invalidProofCases(seed)) },
  ],
});

export const spnKinds = [spnActionsKind, spnProofKind];
