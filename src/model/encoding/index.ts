/**
 * Encoding: the byte, integer and JSON conventions every area of the specification uses.
 *
 * @module
 */
export * from './result.js';
export * from './hex.js';
export * from './json.js';
export * from './canonical.js';
export * from './case-hash.js';
export * from './hash.js';
export * from './codec.js';
export * from './kinds.js';
