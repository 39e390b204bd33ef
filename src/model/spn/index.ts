/**
 * SPNs: registry and lifecycle, restaking, header relay, mailbox and bridge, and the escape hatch,
 * as one pure state machine.
 *
 * @module
 */
export * from './types.js';
export * from './merkle.js';
export * from './world.js';
export * from './rules.js';
export * from './step.js';
export * from './invariants.js';
export * from './kinds.js';
