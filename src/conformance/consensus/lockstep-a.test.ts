import { defineLockstepPart } from './lockstep-part.js';

defineLockstepPart('A', 0xa11);
