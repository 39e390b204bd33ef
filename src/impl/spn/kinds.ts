/**
 * The implementation's answers to the SPN vector kinds (same shapes as the model's).
 *
 * @module
 */
import type { Result } from '../../model/encoding/result.js';
import type { ActionsInput, ActionsOutput, ProofInput } from '../../model/spn/kinds.js';
import { leafBytes, toHex, verifyProof } from './merkle.js';
import { genesisWorld, projectWorld, step } from './world.js';

export const runActions = (input: ActionsInput): Result<ActionsOutput> => {
  const g = genesisWorld(input.genesis);
  if (!g.ok) return g;
  const w = g.value;
  const results = input.actions.map((a) => {
    const r = step(w, a);
    return r.ok ? 'ok' : r.error.code;
  });
  return { ok: true, value: { results, final: projectWorld(w) } };
};

const ID = /^[a-z0-9][a-z0-9._-]{0,31}$/;

export const verifyStateProof = (input: ProofInput): Result<{ readonly leafHash: string }> => {
  if (!ID.test(input.leaf.account) || !ID.test(input.leaf.asset)) return { ok: false, error: { code: 'Spn.Input.BAD_ID', message: 'bad leaf id' } };
  const h = toHex(leafBytes(input.leaf));
  const v = verifyProof(input.root, h, input.proof);
  return v.ok ? { ok: true, value: { leafHash: h } } : v;
};
