/**
 * The TLA+ runner behind `pharos-spec check tla`.
 *
 * @module
 */
export * from './cfg.js';
export * from './checkers.js';
export * from './expected.js';
export * from './run.js';
export * from './report.js';
