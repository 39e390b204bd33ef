import { describe, expect, it, vi } from 'vitest';
import { explore, type Machine } from './explore.js';

/** Die Hard's jugs (3 and 5 gallons): the classic first TLA+ example. */
interface Jugs {
  readonly small: number;
  readonly big: number;
}
const jugs = (target: number): Machine<Jugs> => ({
  init: [{ small: 0, big: 0 }],
  actions: [
    { name: 'FillSmall', next: (s) => [{ ...s, small: 3 }] },
    { name: 'FillBig', next: (s) => [{ ...s, big: 5 }] },
    { name: 'EmptySmall', next: (s) => [{ ...s, small: 0 }] },
    { name: 'EmptyBig', next: (s) => [{ ...s, big: 0 }] },
    {
      name: 'SmallToBig',
      next: (s) => {
        const pour = Math.min(s.small, 5 - s.big);
        return [{ small: s.small - pour, big: s.big + pour }];
      },
    },
    {
      name: 'BigToSmall',
      next: (s) => {
        const pour = Math.min(s.big, 3 - s.small);
        return [{ small: s.small + pour, big: s.big - pour }];
      },
    },
  ],
  invariants: [
    { name: 'TypeOK', holds: (s) => s.small >= 0 && s.small <= 3 && s.big >= 0 && s.big <= 5 },
    { name: 'NotSolved', holds: (s) => s.big !== target },
  ],
  key: (s) => `${s.small},${s.big}`,
});

/** n switches that can only be turned on; every process is interchangeable with every other. */
const switches = (n: number): Machine<readonly boolean[]> => ({
  init: [Array.from({ length: n }, () => false)],
  actions: Array.from({ length: n }, (_, i) => ({
    name: `On(${i})`,
    next: (s: readonly boolean[]) => (s[i] === true ? [] : [s.map((b, j) => (j === i ? true : b))]),
  })),
  invariants: [],
  key: (s) => s.map((b) => (b ? '1' : '0')).join(''),
});

const permutationsOf = (n: number): readonly (readonly number[])[] =>
  n === 0
    ? [[]]
    : permutationsOf(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));

const noProgress = { onProgress: () => {} };

describe('explore', () => {
  it('passes and counts every reachable state once (Die Hard without a target: 16 states, as TLC)', () => {
    const r = explore(jugs(-1), noProgress);
    expect(r.verdict).toBe('pass');
    expect(r.distinctStates).toBe(16);
    expect(r.violation).toBeUndefined();
    expect(r.transitions).toBe(16 * 6);
  });

  it('returns a shortest counterexample trace starting from Init', () => {
    const r = explore(jugs(4), noProgress);
    expect(r.verdict).toBe('violation');
    expect(r.violation?.invariant).toBe('NotSolved');
    const trace = r.violation!.trace;
    // The well-known shortest Die Hard solution has 6 steps after the initial state.
    expect(trace).toHaveLength(7);
    expect(trace[0]).toEqual({ action: 'Init', state: { small: 0, big: 0 } });
    expect(trace.at(-1)!.state.big).toBe(4);
    // Each step of the trace is a real step of the named action.
    const machine = jugs(4);
    for (let i = 1; i < trace.length; i++) {
      const action = machine.actions.find((a) => a.name === trace[i]!.action)!;
      expect(action.next(trace[i - 1]!.state)).toContainEqual(trace[i]!.state);
    }
  });

  it('reports a violating initial state with a one-step trace', () => {
    const r = explore({ ...jugs(0), init: [{ small: 0, big: 0 }] }, noProgress);
    expect(r.verdict).toBe('violation');
    expect(r.violation?.trace).toEqual([{ action: 'Init', state: { small: 0, big: 0 } }]);
    expect(r.depth).toBe(1);
  });

  it('checks invariants in the order given', () => {
    const m = jugs(4);
    const r = explore({ ...m, invariants: [{ name: 'First', holds: (s) => s.big !== 4 }, ...m.invariants] }, noProgress);
    expect(r.violation?.invariant).toBe('First');
  });

  it('reports depth as breadth-first levels, initial states being level 1', () => {
    const r = explore(switches(3), noProgress);
    expect(r.verdict).toBe('pass');
    expect(r.distinctStates).toBe(8);
    expect(r.depth).toBe(4);
  });

  it('symmetry by canonical representative counts orbits', () => {
    const canonical = (s: readonly boolean[]): readonly boolean[] => [...s].sort((a, b) => Number(b) - Number(a));
    const r = explore({ ...switches(4), symmetry: { kind: 'canonical', canonical } }, noProgress);
    // 16 states, 5 orbits (how many switches are on).
    expect(r.verdict).toBe('pass');
    expect(r.distinctStates).toBe(5);
  });

  it('symmetry by a list of permutations counts the same orbits', () => {
    const perms = permutationsOf(4).map((p) => (s: readonly boolean[]) => p.map((j) => s[j]!));
    expect(perms).toHaveLength(24);
    const r = explore({ ...switches(4), symmetry: { kind: 'permutations', permutations: perms } }, noProgress);
    expect(r.distinctStates).toBe(5);
    // A symmetric invariant is violated at the same depth with or without the reduction.
    const allOn = { name: 'NotAllOn', holds: (s: readonly boolean[]) => s.some((b) => !b) };
    const full = explore({ ...switches(4), invariants: [allOn] }, noProgress);
    const reduced = explore({ ...switches(4), invariants: [allOn], symmetry: { kind: 'permutations', permutations: perms } }, noProgress);
    expect(reduced.violation!.trace).toHaveLength(full.violation!.trace.length);
  });

  it('stops at the state limit with verdict limit, and passes when the limit is exactly the state count', () => {
    const limited = explore(switches(3), { ...noProgress, maxStates: 5 });
    expect(limited.verdict).toBe('limit');
    expect(limited.distinctStates).toBe(5);
    expect(explore(switches(3), { ...noProgress, maxStates: 8 }).verdict).toBe('pass');
  });

  it('calls the progress callback and is deterministic', () => {
    const seen: number[] = [];
    const a = explore(switches(6), { onProgress: (p) => seen.push(p.distinctStates), progressEvery: 16 });
    expect(seen).toEqual([16, 32, 48, 64]);
    const b = explore(switches(6), noProgress);
    expect(b).toEqual(a);
  });

  it('draws a progress line on a terminal and writes nothing otherwise', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const had = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    try {
      Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
      explore(switches(11));
      expect(write).not.toHaveBeenCalled();
      Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
      explore(switches(11));
      const lines = write.mock.calls.map((c) => String(c[0]));
      expect(lines[0]).toMatch(/^\rexplore: 1000 distinct states/);
      expect(lines.at(-1)).toBe('\n');
    } finally {
      write.mockRestore();
      if (had === undefined) delete (process.stderr as { isTTY?: boolean }).isTTY;
      else Object.defineProperty(process.stderr, 'isTTY', had);
    }
  });
});
