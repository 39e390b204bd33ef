import type { KindDefinition } from './kind.js';
import { encodingKinds } from './encoding.js';
import { consensusKinds } from './consensus.js';
import { storeKinds } from './store.js';
import { spnKinds } from './spn.js';
import { dmirKinds } from './dmir.js';

export type { KindDefinition, CaseDraft, SuiteGenerator } from './kind.js';

/** Every vector kind the specification defines, in the order they are reported. */
export const allKinds: readonly KindDefinition[] = [...encodingKinds, ...consensusKinds, ...storeKinds, ...spnKinds, ...dmirKinds];

export const kindByName = (name: string): KindDefinition | undefined => allKinds.find((k) => k.kind === name);

/** The areas in report order: the five protocol areas after the shared encoding conventions. */
export const AREAS = ['encoding', 'consensus', 'dmir', 'store', 'pipeline', 'spn'] as const;
