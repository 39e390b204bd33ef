/**
 * Store: the executable reference of Pharos Store (LETUS): a versioned key-value map, its root
 * commitment and its proofs, all defined from the key-value set.
 *
 * @module
 */
export * from './commitment.js';
export * from './proof.js';
export * from './versioned.js';
