/**
 * A standard small world for tests, vectors and benchmarks: two SPNs `alpha` and `beta`, each
 * secured by three honest validators and one Byzantine validator with a small stake, and users
 * `alice`, `bob` and `carol` holding two assets on mainnet.
 *
 * @module
 */
import type { Genesis, SpnAction, SpnGlobalParams } from './types.js';

export const SCENARIO_PARAMS: SpnGlobalParams = { incDeadline: 3, liveDeadline: 6, paramDelay: 2, msgTimeout: 4, slashBps: 5000, stakeAsset: 'p' };

export const SCENARIO_USERS = ['alice', 'bob', 'carol'] as const;
export const SCENARIO_ASSETS = ['usd', 'eth'] as const;
export const SCENARIO_SPNS = ['alpha', 'beta'] as const;
export const SCENARIO_HONEST = ['v1', 'v2', 'v3'] as const;
export const SCENARIO_BYZANTINE = ['v4'] as const;
/** The SPN parameters of the scenario's SPNs. */
export const SCENARIO_SPN_PARAMS = { targetValidators: 3, softCap: 300n, hardCap: 2000n, unrestakeDelay: 6, evidenceWindow: 6, epochLength: 5 } as const;
export const SCENARIO_OPERATOR = (spn: string): string => `op-${spn}`;

export const scenarioGenesis = (params: SpnGlobalParams = SCENARIO_PARAMS): Genesis => ({
  params,
  balances: [
    ...SCENARIO_USERS.flatMap((account) => SCENARIO_ASSETS.map((asset) => ({ account, asset, amount: 1000n }))),
    ...[...SCENARIO_HONEST, ...SCENARIO_BYZANTINE].map((account) => ({ account, asset: 'p', amount: 1000n })),
  ],
  byzantine: [...SCENARIO_BYZANTINE],
});

/**
 * The actions that bring both SPNs to active: stake, register, restake 100 per honest validator
 * and 20 for the Byzantine one (well under a third of the restaked stP).
 */
export const scenarioSetup = (): readonly SpnAction[] => [
  ...[...SCENARIO_HONEST, ...SCENARIO_BYZANTINE].map((validator): SpnAction => ({ type: 'stake', validator, amount: 500n })),
  ...SCENARIO_SPNS.map((spn): SpnAction => ({ type: 'register', by: SCENARIO_OPERATOR(spn), spn, params: SCENARIO_SPN_PARAMS })),
  ...SCENARIO_SPNS.flatMap((spn) => [
    // The Byzantine validator restakes first so that it is in the validator set of the first epoch.
    ...SCENARIO_BYZANTINE.map((validator): SpnAction => ({ type: 'restake', validator, spn, amount: 20n })),
    ...SCENARIO_HONEST.map((validator): SpnAction => ({ type: 'restake', validator, spn, amount: 100n })),
  ]),
];
