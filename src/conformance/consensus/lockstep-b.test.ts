import { defineLockstepPart } from './lockstep-part.js';

defineLockstepPart('B', 0xb22);
