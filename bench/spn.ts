import * as model from '../src/model/spn/index.js';
import { scenarioGenesis, scenarioSetup, SCENARIO_OPERATOR } from '../src/model/spn/scenario.js';
import * as impl from '../src/impl/spn/index.js';
import type { Comparison } from './harness.js';

/**
 * SPN workloads, each a fixed action list built once with the model (header hashes and proofs
 * are data), then replayed from genesis by the implementation (ours) and the model (peer).
 */

const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

/** Builds an action list by running builders on the model; every action must succeed. */
const build = (steps: readonly ((w: model.World) => model.SpnAction | readonly model.SpnAction[])[]): { actions: readonly model.SpnAction[]; world: model.World } => {
  let w = unwrap(model.genesisWorld(scenarioGenesis()));
  const actions: model.SpnAction[] = [];
  for (const a of scenarioSetup()) { actions.push(a); w = unwrap(model.step(w, a)); }
  for (const s of steps) {
    const out = s(w);
    for (const a of Array.isArray(out) ? out : [out as model.SpnAction]) { actions.push(a); w = unwrap(model.step(w, a)); }
  }
  return { actions, world: w };
};

const produce = (spn: string, extra: Partial<Extract<model.SpnAction, { type: 'produce' }>> = {}): model.SpnAction =>
  ({ type: 'produce', by: SCENARIO_OPERATOR(spn), spn, forced: 0, txs: [], deliver: [], publish: true, ...extra });
const commitHead = (spn: string) => (w: model.World): model.SpnAction => ({ type: 'commit', spn, headers: [w.spns.get(spn)!.chain.blocks.at(-1)!.hash] });

/** `n` messages alpha -> beta, `perBlock` per block: send, commit, archive each, deliver, commit. */
const mailboxWorkload = (n: number, perBlock: number) => build([
  () => ({ type: 'deposit', account: 'alice', spn: 'alpha', asset: 'usd', amount: BigInt(n) }),
  () => produce('alpha', { forced: 1 }), commitHead('alpha'),
  ...Array.from({ length: n / perBlock }, () => [
    () => produce('alpha', { txs: Array.from({ length: perBlock }, () => ({ type: 'send', from: 'alice', dst: 'beta', recipient: 'bob', asset: 'usd', amount: 1n }) as const) }),
    commitHead('alpha'),
    (w: model.World) => Array.from({ length: perBlock }, (_, i) => {
      const p = unwrap(model.proveOutbox(w, 'alpha', w.spns.get('alpha')!.committed.length, i));
      return { type: 'archive', height: w.spns.get('alpha')!.committed.length, message: p.entry as model.Message, proof: p.proof } as const;
    }),
    (w: model.World) => produce('beta', { deliver: [...w.mailbox.entries()].filter(([, e]) => e.state === 'archived').map(([id]) => id) }),
    commitHead('beta'),
  ]).flat(),
]);

/** `users` accounts each deposit, the operator censors their forced withdrawals, the SPN freezes, and all escape. */
const escapeWorkload = (users: number) => {
  const names = Array.from({ length: users }, (_, i) => `u${i}`);
  const genesis = { ...scenarioGenesis(), balances: [...scenarioGenesis().balances, ...names.map((account) => ({ account, asset: 'usd', amount: 10n }))] };
  let w = unwrap(model.genesisWorld(genesis));
  const actions: model.SpnAction[] = [];
  const push = (a: model.SpnAction): void => { actions.push(a); w = unwrap(model.step(w, a)); };
  scenarioSetup().forEach(push);
  names.forEach((account) => push({ type: 'deposit', account, spn: 'alpha', asset: 'usd', amount: 10n }));
  push(produce('alpha', { forced: users }));
  push(commitHead('alpha')(w));
  names.forEach((account) => push({ type: 'force-withdraw', account, spn: 'alpha', asset: 'usd', amount: 10n }));
  for (let i = 0; i <= w.params.incDeadline; i++) push({ type: 'tick' });
  push({ type: 'freeze', spn: 'alpha' });
  const claims = names.map((account) => {
    const p = unwrap(model.proveEscape(w, 'alpha', account, 'usd'));
    return { type: 'escape', spn: 'alpha', leaf: p.leaf, proof: p.proof } as const;
  });
  claims.forEach(push);
  return { genesis, actions, proofSiblings: claims[0]!.proof.siblings.length };
};

const runImpl = (genesis: model.Genesis, actions: readonly model.SpnAction[]): unknown => {
  const w = unwrap(impl.genesisWorld(genesis));
  for (const a of actions) unwrap(impl.step(w, a));
  return w;
};
const runModel = (genesis: model.Genesis, actions: readonly model.SpnAction[]): unknown => {
  let w = unwrap(model.genesisWorld(genesis));
  for (const a of actions) w = unwrap(model.step(w, a));
  return w;
};

export const spnComparisons = (): readonly Comparison[] => {
  const mail = mailboxWorkload(64, 8);
  const esc = escapeWorkload(128);
  const g = scenarioGenesis();
  const proofBytes = esc.proofSiblings * 32;
  return [
    {
      name: 'mailbox: 64 messages alpha->beta (8 per block: send, commit, archive, deliver, commit)', unit: 'run 64 messages through the mailbox',
      ours: { name: 'impl (indexed, incremental tree)', run: () => runImpl(g, mail.actions) },
      peer: { name: 'model', run: () => runModel(g, mail.actions) },
    },
    {
      name: `escape hatch: 128 deposits, censored forced withdrawals, freeze, 128 escape claims (proof ${esc.proofSiblings} siblings = ${proofBytes} B)`,
      unit: 'run 128 withdrawals through the escape hatch',
      ours: { name: 'impl (indexed, incremental tree)', run: () => runImpl(esc.genesis, esc.actions) },
      peer: { name: 'model', run: () => runModel(esc.genesis, esc.actions) },
    },
  ];
};
