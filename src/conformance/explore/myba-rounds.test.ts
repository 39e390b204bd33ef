import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTlcConfig } from '../tla/cfg.js';
import { parseExpectations } from '../tla/expected.js';
import { explore } from './explore.js';
import { roundsConfig, roundsFromConstants, roundsMachine } from './myba-rounds.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'spec', 'tla');
const expectations = parseExpectations(readFileSync(join(dir, 'expected.json'), 'utf8'));

const machineOf = (cfgName: string) => {
  const cfg = parseTlcConfig(readFileSync(join(dir, cfgName), 'utf8'));
  if (!cfg.ok) throw new Error(cfg.error.message);
  const m = roundsFromConstants(cfg.value.constants);
  if (!m.ok) throw new Error(m.error.message);
  const invariants = cfg.value.invariants.map((name) => m.value.invariants.find((i) => i.name === name)!);
  expect(invariants.every((i) => i !== undefined)).toBe(true);
  return { ...m.value, invariants };
};

const config = (maxRound: number, promLock = true, byzantine = [4]) => {
  const c = roundsConfig({ n: 4, f: 1, byzantine, hashes: [1, 2], maxRound, promLock });
  if (!c.ok) throw new Error(c.error.message);
  return c.value;
};

describe('MyBARounds twin (TS) of spec/tla/MyBARounds.tla', () => {
  // @spec CONS-MC-ROUNDS.1
  it.each(['MC_MyBARounds_n4f1.cfg', 'MC_MyBARounds_n4byz2.cfg', 'MC_MyBARounds_nolock.cfg'])('%s gives the verdict and count of expected.json', (cfgName) => {
    if (!expectations.ok) throw new Error(expectations.error.message);
    const expected = expectations.value.get(cfgName)!;
    const r = explore(machineOf(cfgName), { onProgress: () => {} });
    if (expected.verdict === 'pass') {
      expect(r.verdict).toBe('pass');
      expect(r.distinctStates).toBe(expected.distinctStates);
    } else {
      expect(r.verdict).toBe('violation');
      expect(r.violation?.invariant).toBe(expected.verdict === 'violation' ? expected.invariant : '');
    }
  }, 60_000);

  it('agrees with tla-checker on the smaller bounds (1004 states for round 0, 8147 for rounds 0..1)', () => {
    // Counts measured with tla-checker on MyBARounds.tla with MaxRound = 0 and 1.
    expect(explore(roundsMachine(config(0)), { onProgress: () => {} }).distinctStates).toBe(1004);
    expect(explore(roundsMachine(config(1)), { onProgress: () => {} }).distinctStates).toBe(8147);
  }, 60_000);

  it('without the PROM lock Agreement itself fails, not only PromiseLock', () => {
    const m = roundsMachine(config(1, false));
    const r = explore({ ...m, invariants: m.invariants.filter((i) => i.name === 'Agreement') }, { onProgress: () => {} });
    expect(r.verdict).toBe('violation');
    expect(r.violation?.trace.at(-1)?.state.coin.length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('explores every coin sequence: rounds 0..2 open with all 8', () => {
    const m = roundsMachine(config(2));
    const seen = new Set<string>();
    const r = explore({ ...m, invariants: [{ name: 'record', holds: (s) => (s.coin.length === 3 && seen.add(s.coin.join('')), true) }] }, { onProgress: () => {} });
    expect(r.verdict).toBe('pass');
    expect([...seen].sort()).toEqual(['000', '001', '010', '011', '100', '101', '110', '111']);
  }, 60_000);

  it('rejects bad constants with a stable code', () => {
    expect(roundsConfig({ n: 4, f: 1, byzantine: [5], hashes: [1], maxRound: 1, promLock: true })).toMatchObject({ ok: false, error: { code: 'Consensus.MybaRounds.BAD_BYZANTINE' } });
    expect(roundsConfig({ n: 4, f: 1, byzantine: [4], hashes: [1], maxRound: 9, promLock: true })).toMatchObject({ ok: false, error: { code: 'Consensus.MybaRounds.BAD_MAX_ROUND' } });
    expect(roundsFromConstants(new Map()).ok).toBe(false);
  });
});

describe('MyBARounds is the counter abstraction of MyBA.tla', () => {
  /**
   * Round 0 only: the bag of the correct validators' local states of every state tla-checker
   * reaches in MyBA.tla (MC_MyBA_n4f1.cfg) must be exactly the set of states of MyBARounds with
   * MaxRound = 0. That checks the counter abstraction state by state; the sequentialization of
   * rounds is argued in the chapter.
   */
  // @spec CONS-MC-ROUNDS.1
  it('the bags of MyBA.tla\'s 4856 round-0 states are MyBARounds\' 1004 states', async () => {
    const { tlaCheckerReachableStates } = await import('../tla/checkers.js');
    const spec = readFileSync(join(dir, 'MyBA.tla'), 'utf8');
    const cfg = readFileSync(join(dir, 'MC_MyBA_n4f1.cfg'), 'utf8');
    const states = tlaCheckerReachableStates(spec, cfg, { checkDeadlock: false });
    if (!states.ok) throw new Error(states.error.message);
    expect(states.value.length).toBe(4856);
    // tla-checker prints a state as lines `coin=(0 :> c)`, `bv=<<(0 :> {..}), ...>>`, `vote=<<(0 :> n), ...>>`.
    const field = (text: string, name: string): string => new RegExp(`^${name}=(.*)$`, 'm').exec(text)![1]!;
    const bags = new Set(states.value.map((text) => {
      const coin = /:> (\d)\)/.exec(field(text, 'coin'))![1]!;
      const own = [...field(text, 'bv').matchAll(/:> \{([^}]*)\}\)/g)].map((m) => m[1]!.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number).sort((a, b) => a - b));
      const vote = [...field(text, 'vote').matchAll(/:> (\d+)\)/g)].map((m) => Number(m[1]));
      expect(own.length).toBe(3);
      const locals = own.map((o, i) => `${o.join(',')}/${vote[i]}/9/`).sort();
      const counts = new Map<string, number>();
      for (const l of locals) counts.set(l, (counts.get(l) ?? 0) + 1);
      return `${coin}|${[...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([l, k]) => `${l}*${k}`).join(';')}`;
    }));
    const m = roundsMachine(config(0));
    const twin = new Set<string>();
    explore({ ...m, invariants: [{ name: 'record', holds: (s) => (twin.add(m.key(s)), true) }] }, { onProgress: () => {} });
    expect(twin.size).toBe(1004);
    expect([...bags].sort()).toEqual([...twin].sort());
  }, 300_000);
});
