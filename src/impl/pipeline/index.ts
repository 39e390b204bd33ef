/**
 * The overlapped, intra-block parallel pipeline with a tier-event subscription API.
 *
 * @module
 */
export { PipelineNode, runPipelined, type PipelineOptions, type Stage, type StageCounters, type Subscription, type Listener } from './pipeline.js';
export { BlockStm } from './stm.js';
export { ThreadedPipeline, PipelineThreads, runThreaded, type ThreadedOptions, type StageTimes, type ThreadedCounters, type BlockTiming } from './threaded.js';
export { MemoryJournal, FileJournal, type Journal, type JournalRecord } from './journal.js';
export { callContract, contractTiers, type ContractOutcome } from './contracts.js';
export { Commitment } from './trie.js';
