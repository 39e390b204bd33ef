import { describe, expect, it } from 'vitest';
import { ZERO } from '../../model/consensus/certificate.js';
import { type Message, type NodeConfig, initialNodeState, nodeStep } from '../../model/consensus/node.js';
import { createEngine, engineStep } from '../../impl/consensus/engine.js';
import { equalSet } from './lockstep.js';

// A round-0 certificate for ZERO that is not pure PROM: with coin(0) = 1 it decides nothing and
// takes its receiver to round 1 with estimate ZERO.
const qc = { round: 0, value: ZERO, signers: [1, 2, 3] };
const cert: Message = { type: 'mainvote', seq: 1, proposer: 0, cert: { round: 0, proms: [{ value: ZERO, signers: [2, 3], qc }], auxes: [{ value: ZERO, signers: [0], qc }] } };

describe('a certificate received from another validator is forwarded on moving to the next round', () => {
  it('on the normal path the receiver broadcasts the certificate, then its round-1 BVAL; model and engine alike (CONS-MYBA-NEXT-ROUND-FORWARD.1, CONS-MYBA-NEXT-ROUND.1)', () => {
    const config: NodeConfig = { validators: equalSet([0, 1, 2, 3]), me: 1, coin: () => 1, routing: 'normal' };
    const event = { kind: 'deliver', from: 0, msg: cert } as const;
    const m = nodeStep(config, initialNodeState(), event);
    expect(m.sends.map((s) => [s.to, s.msg.type, 'round' in s.msg ? s.msg.round : undefined])).toEqual([['all', 'mainvote', undefined], ['all', 'bval', 1]]);
    expect(m.sends[0]!.msg).toEqual(cert);
    expect(m.state.instances.get(0)?.round).toBe(1);
    expect(engineStep(createEngine(config), event).sends).toEqual(m.sends);
  });

  it('a certificate the validator formed itself is not sent again (control)', () => {
    const config: NodeConfig = { validators: equalSet([0, 1, 2, 3]), me: 1, coin: () => 1, routing: 'normal' };
    // Delivered as if from itself: the forwarding rule applies to certificates of other validators only.
    const m = nodeStep(config, initialNodeState(), { kind: 'deliver', from: 1, msg: cert });
    expect(m.sends.filter((s) => s.msg.type === 'mainvote')).toEqual([]);
  });
});
