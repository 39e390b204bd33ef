/**
 * Breadth-first state-space exploration of TypeScript model state machines.
 *
 * @module
 */
export * from './explore.js';
