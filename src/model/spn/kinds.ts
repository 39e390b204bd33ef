/**
 * The model's answers to the SPN vector kinds: run an action sequence from genesis and report
 * each action's result and the final projection; verify a state proof.
 *
 * @module
 */
import { fail, ok, type Result } from '../encoding/index.js';
import { leafHash, leafObject, verifyMerkleProof } from './merkle.js';
import { step } from './step.js';
import type { Genesis, Leaf, MerkleProof, SpnAction } from './types.js';
import { genesisWorld, isValidId, projectWorld, type WorldProjection } from './world.js';

export interface ActionsInput {
  readonly genesis: Genesis;
  readonly actions: readonly SpnAction[];
}

export interface ActionsOutput {
  /** `ok` or the error code of each action, in order. */
  readonly results: readonly string[];
  readonly final: WorldProjection;
}

/**
 * Runs the actions in order from genesis; a failed action leaves the world unchanged and the run
 * goes on. Only a bad genesis fails the whole case.
 *
 * @spec SPN-ACTORS.1 SPN-STATE-PROJECTION.1
 */
export const runActions = (input: ActionsInput): Result<ActionsOutput> => {
  const g = genesisWorld(input.genesis);
  if (!g.ok) return g;
  let w = g.value;
  const results: string[] = [];
  for (const a of input.actions) {
    const r = step(w, a);
    if (r.ok) {
      w = r.value;
      results.push('ok');
    } else results.push(r.error.code);
  }
  return ok({ results, final: projectWorld(w) });
};

export interface ProofInput {
  readonly root: string;
  readonly leaf: Leaf;
  readonly proof: MerkleProof;
}

/** Verifies a balance leaf against a state root. @spec SPN-STATE-PROOF.1 SPN-STATE-LEAF.1 */
export const verifyStateProof = (input: ProofInput): Result<{ readonly leafHash: string }> => {
  if (!isValidId(input.leaf.account) || !isValidId(input.leaf.asset)) return fail('Spn.Input.BAD_ID', 'leaf account and asset must be valid ids');
  const h = leafHash(leafObject(input.leaf));
  const v = verifyMerkleProof(input.root, h, input.proof);
  return v.ok ? ok({ leafHash: h }) : v;
};
