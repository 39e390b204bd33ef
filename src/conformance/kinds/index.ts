import type { KindDefinition } from './kind.js';
import { encodingKinds } from './encoding.js';
import { consensusKinds } from './consensus.js';
import { storeKinds } from './store.js';
import { spnKinds } from './spn.js';
import { dmirKinds } from './dmir.js';
import { pipelineKinds } from './pipeline.js';
import { evmKinds } from './evm.js';

export type { KindDefinition, CaseDraft, SuiteGenerator } from './kind.js';

/** Every vector kind the specification defines, in the order they are reported. */
export const allKinds: readonly KindDefinition[] = [...encodingKinds, ...consensusKinds, ...storeKinds, ...spnKinds, ...dmirKinds, ...pipelineKinds, ...evmKinds];

export const kindByName = (name: string): KindDefinition | undefined => allKinds.find((k) => k.kind === name);

/** The areas in report order: the five protocol areas after the shared encoding conventions. */
export const AREAS = ['encoding', 'consensus', 'dmir', 'evm', 'store', 'pipeline', 'spn'] as const;
