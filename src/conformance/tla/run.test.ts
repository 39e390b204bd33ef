import { chmod, cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfigAgainstModule, parseTlcConfig, stripTlaComments, tlaDefinitions } from './cfg.js';
import { parseTlcOutput, runTlaChecker, tlcArguments } from './checkers.js';
import { parseExpectations } from './expected.js';
import { formatTlaReport } from './report.js';
import { runTlaChecks, specFileFor, type TlaReport } from './run.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const N4F1 = 'MC_BVBroadcast_n4f1.cfg';
const BYZ2 = 'MC_BVBroadcast_n4byz2.cfg';
// Force tla-checker where a test edits files and only the verdicts matter; the full run below
// uses whichever checker the machine offers.
const FALLBACK = { checker: 'tla-checker' } as const;

const temps: string[] = [];
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

/** A scratch repository root holding a copy of spec/tla. */
const scratchRoot = async (): Promise<string> => {
  const root = await mkdtemp(join(tmpdir(), 'pharos-tla-test-'));
  temps.push(root);
  // Only the BVBroadcast module: the runner's behaviour is under test here, not every model.
  const dir = join(root, 'spec', 'tla');
  await cp(join(ROOT, 'spec', 'tla'), dir, { recursive: true, filter: (src) => !/MC_|\.tla$/.test(src) || /BVBroadcast/.test(src) });
  await editJson(root, (j) => {
    for (const key of Object.keys(j)) if (key.startsWith('MC_') && !key.startsWith('MC_BVBroadcast_')) delete j[key];
  });
  return root;
};

const editJson = async (root: string, edit: (json: Record<string, Record<string, unknown>>) => void): Promise<void> => {
  const path = join(root, 'spec', 'tla', 'expected.json');
  const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>;
  edit(json);
  await writeFile(path, JSON.stringify(json, null, 2));
};

const outcome = (report: TlaReport, cfg: string) => {
  const o = report.outcomes.find((x) => x.cfg === cfg);
  if (o === undefined) throw new Error(`no outcome for ${cfg}`);
  return o;
};

describe('runTlaChecks on spec/tla', () => {
  // @spec CONS-BVB-JUSTIFY.1 CONS-BVB-RELAY-JUSTIFY.1 CONS-BVB-DELIVERY-SUPPORT.1
  it('every config matches expected.json; the must-fail config violates BVJustification', async () => {
    const report = await runTlaChecks({ root: ROOT });
    expect(report.problems).toEqual([]);
    expect(report.outcomes.map((o) => [o.cfg, o.matched, o.failures])).toEqual(
      report.outcomes.map((o) => [o.cfg, true, []]),
    );
    expect(report.ok).toBe(true);
    const expected = JSON.parse(await readFile(join(ROOT, 'spec', 'tla', 'expected.json'), 'utf8')) as Record<string, { distinctStates?: number }>;
    expect(outcome(report, N4F1).distinctStates).toBe(expected[N4F1]!.distinctStates);
    expect(outcome(report, BYZ2)).toMatchObject({ verdict: 'violation', invariant: 'BVJustification' });
    expect(outcome(report, BYZ2).trace).toContain('binValues');
    // Every cfg in the directory has an expectation, and at least one of them must fail.
    expect(report.outcomes.some((o) => o.expected?.verdict === 'violation')).toBe(true);
    const table = formatTlaReport(report);
    expect(table).toContain(`${N4F1}`);
    expect(table).toMatch(/matched, 0 failed -- OK/);
  }, 600_000);

  it('reports a wrong expected distinct-state count as a mismatch', async () => {
    const root = await scratchRoot();
    await editJson(root, (j) => {
      j[N4F1]!['distinctStates'] = 4643;
    });
    const report = await runTlaChecks({ root, only: [N4F1], ...FALLBACK });
    const o = outcome(report, N4F1);
    expect(o.matched).toBe(false);
    expect(o.failures.map((f) => f.code)).toEqual(['Tla.Expect.STATES_MISMATCH']);
    expect(o.failures[0]!.message).toContain('expected 4643 distinct states, found 4644');
    expect(report.ok).toBe(false);
    expect(formatTlaReport(report)).toMatch(/MISMATCH[\s\S]*Tla\.Expect\.STATES_MISMATCH[\s\S]*FAILED/);
  });

  it('catches a must-fail config that passes', async () => {
    const root = await scratchRoot();
    // With only one Byzantine process the "broken" config becomes a correct one and passes.
    const path = join(root, 'spec', 'tla', BYZ2);
    await writeFile(path, (await readFile(path, 'utf8')).replace('Byzantine = {3, 4}', 'Byzantine = {4}'));
    const report = await runTlaChecks({ root, only: [BYZ2], ...FALLBACK });
    const o = outcome(report, BYZ2);
    expect(o.verdict).toBe('pass');
    expect(o.matched).toBe(false);
    expect(o.failures.map((f) => f.code)).toEqual(['Tla.Expect.VERDICT_MISMATCH']);
    expect(report.ok).toBe(false);
  });

  it('catches a violation of a different invariant than the expected one', async () => {
    const root = await scratchRoot();
    await editJson(root, (j) => {
      j[BYZ2]!['invariant'] = 'TypeOK';
    });
    const report = await runTlaChecks({ root, only: [BYZ2], ...FALLBACK });
    expect(outcome(report, BYZ2).failures.map((f) => f.code)).toEqual(['Tla.Expect.INVARIANT_MISMATCH']);
  });

  it('refuses a cfg naming an invariant the module does not define, before any checker runs', async () => {
    const root = await scratchRoot();
    const cfg = 'MC_BVBroadcast_typo.cfg';
    const text = (await readFile(join(root, 'spec', 'tla', N4F1), 'utf8')).replace('    BVJustification\n', '    BVJustificaton\n');
    await writeFile(join(root, 'spec', 'tla', cfg), text);
    await editJson(root, (j) => {
      j[cfg] = { spec: 'BVBroadcast.tla', verdict: 'pass', distinctStates: 4644 };
    });
    const report = await runTlaChecks({ root, only: [cfg], ...FALLBACK });
    const o = outcome(report, cfg);
    expect(o.verdict).toBe('error');
    expect(o.failures[0]!.code).toBe('Tla.Config.INVARIANT_UNDEFINED');
    expect(o.failures[0]!.message).toContain('INVARIANT BVJustificaton is not defined in the module');
  });

  it('reports an invariant tla-checker silently dropped as an error, not a pass', async () => {
    const root = await scratchRoot();
    const dir = join(root, 'spec', 'tla');
    // Multi-argument functions are outside tla-checker's subset: it drops the whole definition.
    await writeFile(
      join(dir, 'Dropped.tla'),
      [
        '---- MODULE Dropped ----',
        'EXTENDS Naturals',
        'VARIABLES x',
        'vars == <<x>>',
        'Init == x = 0',
        "Next == x < 3 /\\ x' = x + 1",
        'Spec == Init /\\ [][Next]_vars',
        'Inv == [a \\in 0..1, b \\in 0..1 |-> a + b] # x',
        '====',
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'MC_Dropped.cfg'), 'SPECIFICATION Spec\nINVARIANT Inv\nCHECK_DEADLOCK FALSE\n');
    await editJson(root, (j) => {
      j['MC_Dropped.cfg'] = { spec: 'Dropped.tla', verdict: 'pass', distinctStates: 4 };
    });
    const report = await runTlaChecks({ root, only: ['MC_Dropped.cfg'], ...FALLBACK });
    const o = outcome(report, 'MC_Dropped.cfg');
    expect(o.verdict).toBe('error');
    expect(o.matched).toBe(false);
    expect(o.failures[0]!.code).toBe('Tla.Checker.DEFINITION_DROPPED');
  });

  it('reports missing and stale expected.json entries and a missing directory', async () => {
    const root = await scratchRoot();
    await editJson(root, (j) => {
      delete j[N4F1];
      j['MC_Gone_x.cfg'] = { spec: 'Gone.tla', verdict: 'pass', distinctStates: 1 };
    });
    await rm(join(root, 'spec', 'tla', 'MC_BVBroadcast_n4honest.cfg'));
    const report = await runTlaChecks({ root, ...FALLBACK });
    expect(report.problems.map((p) => p.code).sort()).toEqual(['Tla.Expected.STALE_ENTRY', 'Tla.Expected.STALE_ENTRY']);
    expect(outcome(report, N4F1).failures.map((f) => f.code)).toEqual(['Tla.Expected.MISSING_ENTRY']);
    expect(report.ok).toBe(false);
    const none = await runTlaChecks({ root: join(root, 'nowhere') });
    expect(none.problems.map((p) => p.code)).toEqual(['Tla.Dir.NOT_FOUND']);
    expect(none.ok).toBe(false);
  });

  // @spec MC-TLA-MUST-FAIL.1
  it('fails a module that has no must-fail config', async () => {
    const root = await scratchRoot();
    const dir = join(root, 'spec', 'tla');
    for (const cfg of (await readdir(dir)).filter((f) => f.startsWith('MC_') && f !== N4F1)) await rm(join(dir, cfg));
    await editJson(root, (j) => {
      for (const key of Object.keys(j)) if (key.startsWith('MC_') && key !== N4F1) delete j[key];
    });
    const report = await runTlaChecks({ root, ...FALLBACK });
    expect(report.problems.map((p) => p.code)).toContain('Tla.Expected.NO_MUST_FAIL');
    expect(report.ok).toBe(false);
  });

  it('falls back to tla-checker, saying why, when the jar does not exist', async () => {
    const report = await runTlaChecks({ root: ROOT, jar: join(tmpdir(), 'no-such-tla2tools.jar'), only: [BYZ2] });
    expect(report.checker).toBe('tla-checker');
    expect(report.checkerNote).toContain('does not exist');
    expect(report.ok).toBe(true);
    const forced = await runTlaChecks({ root: ROOT, jar: join(tmpdir(), 'no-such-tla2tools.jar'), only: [BYZ2], checker: 'tlc' });
    expect(outcome(forced, BYZ2).failures[0]!.code).toBe('Tla.Tlc.UNAVAILABLE');
  });

  it('runs TLC with the documented command line when a jar and java are there', async () => {
    // A stand-in for java that records its arguments and prints what TLC prints.
    const dir = await mkdtemp(join(tmpdir(), 'pharos-fake-java-'));
    temps.push(dir);
    const jar = join(dir, 'tla2tools.jar');
    await writeFile(jar, '');
    const log = join(dir, 'args.log');
    const java = join(dir, 'java');
    await writeFile(
      java,
      [
        '#!/bin/sh',
        'if [ "$1" = "-version" ]; then exit 0; fi',
        `echo "$PWD $*" >> '${log}'`,
        'case "$*" in',
        `  *${N4F1}*) echo "Model checking completed. No error has been found."; echo "18,854 states generated, 4,644 distinct states found, 0 states left on queue."; exit 0;;`,
        '  *) echo "Error: Invariant BVJustification is violated."; echo "Error: The behavior up to this point is:"; echo "State 1: <Initial predicate>"; echo "305 states generated, 201 distinct states found, 60 states left on queue."; exit 12;;',
        'esac',
        '',
      ].join('\n'),
    );
    await chmod(java, 0o755);
    const report = await runTlaChecks({ root: ROOT, jar, java, only: [BYZ2, N4F1] });
    expect(report.checker).toBe('tlc');
    expect(report.outcomes.map((o) => [o.cfg, o.checker, o.verdict, o.matched])).toEqual([
      [BYZ2, 'tlc', 'violation', true],
      [N4F1, 'tlc', 'pass', true],
    ]);
    expect(outcome(report, N4F1).distinctStates).toBe(4644);
    expect(outcome(report, BYZ2).statesAtStop).toBe(201);
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call).toContain(`-XX:+UseParallelGC -cp ${jar} tlc2.TLC -config MC_BVBroadcast_`);
      expect(call).toContain('-workers 1 -deadlock -metadir');
      expect(call).toMatch(/ BVBroadcast$/);
      // TLC ran in a scratch directory, not in spec/tla.
      expect(call.startsWith(join(ROOT, 'spec'))).toBe(false);
    }
  });
});

describe('cfg and module reading', () => {
  it('parses constants, sections, comments and the spec pragma', () => {
    const r = parseTlcConfig(
      [
        '\\* spec: Other.tla',
        '(* a block (* nested *) comment *)',
        'CONSTANTS N = 4 F = 1',
        '  Byzantine = {3, 4}  \\* two of them',
        '  Empty = {}  Name = "x"  Proc = p1  Def <- MyDef',
        'INIT Init NEXT Next',
        'INVARIANT A',
        'INVARIANTS B C',
        'CHECK_DEADLOCK FALSE',
      ].join('\n'),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.value;
    expect(c.specPragma).toBe('Other.tla');
    expect(c.invariants).toEqual(['A', 'B', 'C']);
    expect([c.init, c.next, c.checkDeadlock]).toEqual(['Init', 'Next', false]);
    expect(Object.fromEntries(c.constants)).toEqual({
      N: { kind: 'int', value: 4 },
      F: { kind: 'int', value: 1 },
      Byzantine: { kind: 'set', elements: [{ kind: 'int', value: 3 }, { kind: 'int', value: 4 }] },
      Empty: { kind: 'set', elements: [] },
      Name: { kind: 'string', value: 'x' },
      Proc: { kind: 'model', name: 'p1' },
      Def: { kind: 'substitution', definition: 'MyDef' },
    });
  });

  it('rejects malformed cfgs with a line number', () => {
    const bad = ['N = 4', 'CONSTANTS N 4', 'CONSTANTS S = {1, 2', 'CHECK_DEADLOCK maybe', 'INVARIANT 3', 'INIT @'];
    for (const text of bad) {
      const r = parseTlcConfig(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('Tla.Config.PARSE');
    }
  });

  it('pairs configs with modules by name or by the spec pragma', () => {
    expect(specFileFor('MC_BVBroadcast_n4f1.cfg', {})).toEqual({ ok: true, value: 'BVBroadcast.tla' });
    expect(specFileFor('MC_Foo.cfg', {})).toEqual({ ok: true, value: 'Foo.tla' });
    expect(specFileFor('MC_Foo_a_b.cfg', {})).toEqual({ ok: true, value: 'Foo.tla' });
    expect(specFileFor('MC_Foo_a.cfg', { specPragma: 'My_Module.tla' })).toEqual({ ok: true, value: 'My_Module.tla' });
    expect(specFileFor('MC_Foo_a.cfg', { specPragma: '../x.tla' })).toMatchObject({ ok: false, error: { code: 'Tla.Pairing.BAD_PRAGMA' } });
    expect(specFileFor('MC_.cfg', {})).toMatchObject({ ok: false, error: { code: 'Tla.Pairing.BAD_NAME' } });
  });

  it('finds definitions outside comments, with their parameter counts', () => {
    const text = 'Inv == TRUE\n(* Fake == 1 *)\n\\* Also == 2\nRelay(p, v) ==\n  x\n  Nested == 3\n';
    expect(stripTlaComments('a (* b (* c *) d *) e \\* f\ng')).toBe('a  e \ng');
    expect(Object.fromEntries(tlaDefinitions(text))).toEqual({ Inv: 0, Relay: 2, Nested: 0 });
    const cfg = (s: string) => {
      const r = parseTlcConfig(s);
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    };
    const module = 'Init == 1\nNext == 2\nInv == 3\nP(x) == 4\n';
    expect(checkConfigAgainstModule(cfg('INIT Init NEXT Next INVARIANT Inv'), module).ok).toBe(true);
    expect(checkConfigAgainstModule(cfg('INIT Init NEXT Next'), module)).toMatchObject({ error: { code: 'Tla.Config.NO_INVARIANTS' } });
    expect(checkConfigAgainstModule(cfg('INIT Init INVARIANT Inv'), module)).toMatchObject({ error: { code: 'Tla.Config.NO_BEHAVIOUR' } });
    expect(checkConfigAgainstModule(cfg('INIT Init NEXT Nxt INVARIANT Inv'), module)).toMatchObject({ error: { code: 'Tla.Config.NAME_UNDEFINED' } });
    expect(checkConfigAgainstModule(cfg('INIT Init NEXT Next INVARIANT P'), module)).toMatchObject({ error: { code: 'Tla.Config.NAME_HAS_PARAMETERS' } });
  });
});

describe('checker output', () => {
  it('reads TLC results, with or without thousands separators', () => {
    expect(parseTlcOutput('Model checking completed. No error has been found.\n1234 states generated, 1,000 distinct states found, 0 states left on queue.\n', 0)).toMatchObject({
      verdict: 'pass',
      distinctStates: 1000,
    });
    const v = parseTlcOutput('Error: Invariant Safe is violated by the initial state:\nx = 1\n\n1 states generated, 1 distinct states found, 0 states left on queue.\n', 12);
    expect(v).toMatchObject({ verdict: 'violation', invariant: 'Safe', statesAtStop: 1 });
    expect(v.distinctStates).toBeUndefined();
    expect(parseTlcOutput('Error: Deadlock reached.\n', 11)).toMatchObject({ verdict: 'deadlock' });
    expect(parseTlcOutput('***Parse Error***\n', 150)).toMatchObject({ verdict: 'error', error: { code: 'Tla.Tlc.FAILED' } });
    // A completion message without a count is not a pass.
    expect(parseTlcOutput('Model checking completed. No error has been found.\n', 0).verdict).toBe('error');
  });

  it('builds the TLC command line', () => {
    expect(tlcArguments('t.jar', 'MC_A_b.cfg', 'A', true, '/m')).toEqual(['-XX:+UseParallelGC', '-cp', 't.jar', 'tlc2.TLC', '-config', 'MC_A_b.cfg', '-workers', '1', '-metadir', '/m', 'A']);
    expect(tlcArguments('t.jar', 'MC_A_b.cfg', 'A', false, '/m')).toContain('-deadlock');
  });

  it("counts like TLC on a pass: tla-checker's states_explored is every reachable state", () => {
    // x in 0..5 and y in 0..1, all reachable: 12 states, 3 of them initial.
    const spec = [
      '---- MODULE C ----',
      'EXTENDS Naturals',
      'VARIABLES x, y',
      'vars == <<x, y>>',
      'Init == x \\in 0..2 /\\ y = 0',
      "Next == \\/ (x < 5 /\\ x' = x + 1 /\\ y' = y)",
      "        \\/ (y < 1 /\\ y' = y + 1 /\\ x' = x)",
      'Spec == Init /\\ [][Next]_vars',
      'Inv == x < 10',
      'Small == x < 4',
      '====',
    ].join('\n');
    const run = (cfg: string, invariants: readonly string[], checkDeadlock = false) =>
      runTlaChecker(spec, cfg, { invariants, checkDeadlock, limits: { maxStates: 100, maxDepth: 100 } });
    expect(run('SPECIFICATION Spec\nINVARIANT Inv\nCHECK_DEADLOCK FALSE\n', ['Inv'])).toMatchObject({ verdict: 'pass', distinctStates: 12 });
    // Stopped runs are reported by where they stopped, never as a distinct-state count.
    const stopped = run('SPECIFICATION Spec\nINVARIANTS Inv Small\nCHECK_DEADLOCK FALSE\n', ['Inv', 'Small']);
    expect(stopped).toMatchObject({ verdict: 'violation', invariant: 'Small' });
    expect(stopped.distinctStates).toBeUndefined();
    expect(run('SPECIFICATION Spec\nINVARIANT Inv\n', ['Inv'], true)).toMatchObject({ verdict: 'deadlock' });
    const limited = runTlaChecker(spec, 'SPECIFICATION Spec\nINVARIANT Inv\nCHECK_DEADLOCK FALSE\n', {
      invariants: ['Inv'],
      checkDeadlock: false,
      limits: { maxStates: 5, maxDepth: 100 },
    });
    expect(limited).toMatchObject({ verdict: 'error', statesAtStop: 6, error: { code: 'Tla.Checker.LIMIT' } });
  });

  it('validates expected.json entries', () => {
    expect(parseExpectations('{"$comment": "x", "MC_A_b.cfg": {"spec": "A.tla", "verdict": "pass", "distinctStates": 3}}').ok).toBe(true);
    const bad = [
      'not json',
      '[]',
      '{"MC_A_b.cfg": {"spec": "A.tla", "verdict": "pass"}}',
      '{"MC_A_b.cfg": {"spec": "A.tla", "verdict": "violation"}}',
      '{"MC_A_b.cfg": {"spec": "A.tla", "verdict": "maybe"}}',
      '{"MC_A_b.cfg": {"spec": "A", "verdict": "pass", "distinctStates": 3}}',
      '{"MC_A_b.cfg": {"spec": "A.tla", "verdict": "pass", "distinctStates": 3, "invariant": "X"}}',
      '{"A.json": {"spec": "A.tla", "verdict": "pass", "distinctStates": 3}}',
    ];
    for (const text of bad) expect(parseExpectations(text).ok, text).toBe(false);
  });
});
