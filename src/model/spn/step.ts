/**
 * The state machine's single entry point and the provers users and relayers run off-chain.
 *
 * @module
 */
import { match } from 'ts-pattern';
import { fail, type Result } from '../encoding/index.js';
import { leafHash, leafObject, merkleProof, outboxObject } from './merkle.js';
import * as rules from './rules.js';
import type { Leaf, MerkleProof, OutboxEntry, SpnAction, World } from './types.js';

/**
 * Applies one action. Every action is a function `(world, action) -> Result<world>`: a failure
 * leaves the world as it was and names the first precondition that does not hold.
 *
 * @spec SPN-ACTORS.1
 */
export const step = (w: World, a: SpnAction): Result<World> =>
  match(a)
    .with({ type: 'tick' }, () => rules.tick(w))
    .with({ type: 'stake' }, (x) => rules.stake(w, x))
    .with({ type: 'register' }, (x) => rules.register(w, x))
    .with({ type: 'restake' }, (x) => rules.restake(w, x))
    .with({ type: 'request-unrestake' }, (x) => rules.requestUnrestake(w, x))
    .with({ type: 'complete-unrestake' }, (x) => rules.completeUnrestake(w, x))
    .with({ type: 'rotate-operator' }, (x) => rules.rotateOperator(w, x))
    .with({ type: 'retire' }, (x) => rules.retire(w, x))
    .with({ type: 'propose-params' }, (x) => rules.proposeParams(w, x))
    .with({ type: 'apply-params' }, (x) => rules.applyParams(w, x))
    .with({ type: 'deposit' }, (x) => rules.deposit(w, x))
    .with({ type: 'force-withdraw' }, (x) => rules.forceWithdraw(w, x))
    .with({ type: 'produce' }, (x) => rules.produceBlock(w, x))
    .with({ type: 'forge' }, (x) => rules.forgeHeader(w, x))
    .with({ type: 'commit' }, (x) => rules.commitHeaders(w, x))
    .with({ type: 'finalize-withdrawal' }, (x) => rules.finalizeWithdrawal(w, x))
    .with({ type: 'archive' }, (x) => rules.archiveMessage(w, x))
    .with({ type: 'timeout' }, (x) => rules.timeoutMessage(w, x))
    .with({ type: 'freeze' }, (x) => rules.freeze(w, x))
    .with({ type: 'escape' }, (x) => rules.escapeClaim(w, x))
    .with({ type: 'refund-deposit' }, (x) => rules.refundDeposit(w, x))
    .with({ type: 'evidence' }, (x) => rules.submitEvidence(w, x))
    .exhaustive();

/**
 * The proof a user needs to escape: its leaf at the frozen root (the SPN's last committed state,
 * whose data was published). Fails if the account holds nothing of the asset there.
 *
 * @spec SPN-ESCAPE-CLAIM.1 SPN-HDR-DA.1
 */
export const proveEscape = (w: World, spn: string, account: string, asset: string): Result<{ readonly leaf: Leaf; readonly proof: MerkleProof }> => {
  const r = w.spns.get(spn);
  if (r === undefined) return fail('Spn.Lifecycle.UNKNOWN_SPN', `no SPN ${spn}`);
  const leaves = rules.committedLeaves(w, r);
  const index = leaves.findIndex((l) => l.account === account && l.asset === asset);
  if (index < 0) return fail('Spn.Proof.NO_SUCH_LEAF', `${account}/${asset} has no leaf in the committed state of ${spn}`);
  const proof = merkleProof(leaves.map((l) => leafHash(leafObject(l))), index);
  return proof.ok ? { ok: true, value: { leaf: leaves[index]!, proof: proof.value } } : proof;
};

/** The proof that an outbox entry is in the committed block of an SPN at `height`. @spec SPN-BRIDGE-WITHDRAW.1 SPN-MSG-ARCHIVE.1 */
export const proveOutbox = (w: World, spn: string, height: number, index: number): Result<{ readonly entry: OutboxEntry; readonly proof: MerkleProof }> => {
  const block = rules.committedBlockAt(w, spn, height);
  if (block === undefined) return fail('Spn.Proof.UNKNOWN_HEADER', `${spn} has no committed header at height ${height}`);
  const proof = merkleProof(block.outbox.map((e) => leafHash(outboxObject(e))), index);
  return proof.ok ? { ok: true, value: { entry: block.outbox[index]!, proof: proof.value } } : proof;
};
