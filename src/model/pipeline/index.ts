/**
 * Pipeline: the serial reference of the block lifecycle (ordering, execution, state commit) and
 * the finality tier events it emits.
 *
 * @module
 */
export * from './tx.js';
export * from './serial.js';
export * from './tiers.js';
export * from './contracts.js';
export * from './evm-contracts.js';
