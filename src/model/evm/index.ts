/** The EVM profile model: Cancun semantics over immutable world state. */
export * from './rlp.js';
export * from './trie.js';
export * from './state.js';
export * from './gas.js';
export * from './precompiles.js';
export * from './interpreter.js';
export * from './transaction.js';
export * from './call.js';
export * from './crossvm.js';
