/**
 * The indexed SPN implementation and its adversarial simulator.
 *
 * @module
 */
export * from './world.js';
export { IncrementalTree, rootOf, headerHashOf, genesisHashOf } from './merkle.js';
export { runActions, verifyStateProof } from './kinds.js';
