/**
 * The overlapped, intra-block parallel pipeline with a tier-event subscription API.
 *
 * @module
 */
export { PipelineNode, runPipelined, type PipelineOptions, type Stage, type StageCounters, type Subscription, type Listener } from './pipeline.js';
export { BlockStm } from './stm.js';
