/**
 * `pharos-spec check tla`: model-check every `spec/tla/MC_*.cfg` and compare each verdict and
 * distinct-state count with `spec/tla/expected.json`.
 *
 * A config is paired with its module by a `\* spec: Name.tla` line in the cfg when there is one,
 * otherwise by its file name: `MC_<Name>_<config>.cfg` and `MC_<Name>.cfg` check `<Name>.tla`
 * (so a module whose name contains `_` needs the `spec:` line). TLC runs when a tla2tools.jar is
 * given (`options.jar`, else the `TLA2TOOLS_JAR` environment variable) and `java` starts;
 * otherwise tla-checker runs. Before either runs, the cfg is checked against the module text: every
 * invariant it lists must be defined there, because tla-checker drops definitions it cannot parse
 * without a word.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Failure, type Result, ok, fail } from '../../model/encoding/result.js';
import { checkConfigAgainstModule, parseTlcConfig, tlaModuleName, type TlcConfig } from './cfg.js';
import {
  type CheckerRun,
  type TlaCheckerLimits,
  type TlaCheckerName,
  DEFAULT_LIMITS,
  javaAvailable,
  runTlaChecker,
  runTlc,
} from './checkers.js';
import { parseExpectations, type TlaExpectation, type TlaExpectations } from './expected.js';

export interface TlaCheckOptions {
  /** The repository root; configs are read from `<root>/spec/tla`. */
  readonly root: string;
  /** A tla2tools.jar; defaults to `TLA2TOOLS_JAR`. */
  readonly jar?: string;
  /** The java executable for TLC; defaults to `java` on the PATH. */
  readonly java?: string;
  /** `auto` (the default) uses TLC when it can and tla-checker otherwise. */
  readonly checker?: 'auto' | TlaCheckerName;
  /** Check only these cfg file names (all of them when absent). */
  readonly only?: readonly string[];
  /** Limits for tla-checker. */
  readonly limits?: TlaCheckerLimits;
  /** Per-config wall-clock limit for TLC. */
  readonly tlcTimeoutMs?: number;
}

export interface TlaCfgOutcome {
  readonly cfg: string;
  /** The module the cfg was paired with, when pairing succeeded. */
  readonly spec?: string;
  readonly checker: TlaCheckerName;
  readonly verdict: CheckerRun['verdict'];
  readonly distinctStates?: number;
  readonly statesAtStop?: number;
  readonly invariant?: string;
  readonly expected?: TlaExpectation;
  /** The checker's verdict, invariant and count all agree with the expectation. */
  readonly matched: boolean;
  /** Why it did not match, or what went wrong; empty when matched. */
  readonly failures: readonly Failure[];
  readonly trace?: string;
  readonly warnings: readonly string[];
}

export interface TlaReport {
  readonly checker: TlaCheckerName;
  /** Why this checker was chosen. */
  readonly checkerNote: string;
  readonly outcomes: readonly TlaCfgOutcome[];
  /** Problems not tied to one config run: unreadable expected.json, stale entries, no configs. */
  readonly problems: readonly Failure[];
  /** Every config matched and there were no problems. */
  readonly ok: boolean;
}

/**
 * The module a cfg checks: its `\* spec:` line, else the name after `MC_` up to the next `_` (or
 * up to `.cfg`).
 */
export const specFileFor = (cfgName: string, config: Pick<TlcConfig, 'specPragma'>): Result<string> => {
  if (config.specPragma !== undefined) {
    if (!/^[A-Za-z0-9_]+\.tla$/.test(config.specPragma)) {
      return fail('Tla.Pairing.BAD_PRAGMA', `${cfgName}: the "spec:" line must name a .tla file in the same directory, got ${JSON.stringify(config.specPragma)}`);
    }
    return ok(config.specPragma);
  }
  const m = /^MC_([A-Za-z0-9]+)(?:_[A-Za-z0-9_]*)?\.cfg$/.exec(cfgName);
  if (m === null) {
    return fail('Tla.Pairing.BAD_NAME', `${cfgName}: a cfg is named MC_<Module>_<config>.cfg or carries a "\\* spec: <Module>.tla" line`);
  }
  return ok(`${m[1]!}.tla`);
};

interface Chosen {
  readonly checker: TlaCheckerName;
  readonly note: string;
  readonly jar?: string;
  readonly java: string;
  readonly problem?: Failure;
}

const chooseChecker = (options: TlaCheckOptions): Chosen => {
  const java = options.java ?? 'java';
  const jar = options.jar ?? process.env['TLA2TOOLS_JAR'];
  const mode = options.checker ?? 'auto';
  if (mode === 'tla-checker') return { checker: 'tla-checker', note: 'tla-checker 0.9.0 (requested)', java };
  const jarOk = jar !== undefined && jar !== '' && existsSync(jar);
  const javaOk = jarOk && javaAvailable(java);
  if (jarOk && javaOk) return { checker: 'tlc', note: `TLC from ${jar}`, jar, java };
  const why =
    jar === undefined || jar === ''
      ? 'no tla2tools.jar given (TLA2TOOLS_JAR is unset)'
      : !jarOk
        ? `tla2tools.jar ${jar} does not exist`
        : `${java} does not start`;
  if (mode === 'tlc') {
    return { checker: 'tlc', note: `TLC requested, but ${why}`, java, problem: { code: 'Tla.Tlc.UNAVAILABLE', message: `TLC requested, but ${why}` } };
  }
  return { checker: 'tla-checker', note: `tla-checker 0.9.0 (${why})`, java };
};

/** Compares a checker's answer with the expectation; returns why they differ. */
export const compareWithExpectation = (run: CheckerRun, spec: string, expected: TlaExpectation | undefined, cfg: string): readonly Failure[] => {
  if (run.error !== undefined) return [run.error];
  if (expected === undefined) {
    return [{ code: 'Tla.Expected.MISSING_ENTRY', message: `${cfg} has no entry in expected.json` }];
  }
  const out: Failure[] = [];
  if (expected.spec !== spec) {
    out.push({ code: 'Tla.Expect.SPEC_MISMATCH', message: `${cfg} checks ${spec}, but expected.json says ${expected.spec}` });
  }
  if (run.verdict !== expected.verdict) {
    const what = run.verdict === 'violation' ? `violation of ${run.invariant ?? '?'}` : run.verdict;
    out.push({ code: 'Tla.Expect.VERDICT_MISMATCH', message: `${cfg}: expected ${expected.verdict}, got ${what}` });
    return out;
  }
  if (expected.verdict === 'violation' && run.invariant !== expected.invariant) {
    out.push({
      code: 'Tla.Expect.INVARIANT_MISMATCH',
      message: `${cfg}: expected ${expected.invariant} to be violated, but ${run.invariant ?? '?'} was`,
    });
  }
  if (expected.verdict === 'pass' && run.distinctStates !== expected.distinctStates) {
    out.push({
      code: 'Tla.Expect.STATES_MISMATCH',
      message: `${cfg}: expected ${expected.distinctStates} distinct states, found ${run.distinctStates ?? '?'}`,
    });
  }
  return out;
};

const errorOutcome = (cfg: string, checker: TlaCheckerName, failure: Failure, extra: { spec?: string; expected?: TlaExpectation } = {}): TlaCfgOutcome => ({
  cfg,
  ...(extra.spec !== undefined ? { spec: extra.spec } : {}),
  ...(extra.expected !== undefined ? { expected: extra.expected } : {}),
  checker,
  verdict: 'error',
  matched: false,
  failures: [failure],
  warnings: [],
});

const checkOne = async (
  dir: string,
  cfg: string,
  chosen: Chosen,
  expectations: TlaExpectations,
  options: TlaCheckOptions,
): Promise<TlaCfgOutcome> => {
  const expected = expectations.get(cfg);
  const withExpected = expected !== undefined ? { expected } : {};
  const cfgText = await readFile(join(dir, cfg), 'utf8');
  const config = parseTlcConfig(cfgText);
  if (!config.ok) return errorOutcome(cfg, chosen.checker, { ...config.error, message: `${cfg}: ${config.error.message}` }, withExpected);
  const spec = specFileFor(cfg, config.value);
  if (!spec.ok) return errorOutcome(cfg, chosen.checker, spec.error, withExpected);
  const ctx = { spec: spec.value, ...withExpected };
  const specPath = join(dir, spec.value);
  if (!existsSync(specPath)) {
    return errorOutcome(cfg, chosen.checker, { code: 'Tla.Spec.NOT_FOUND', message: `${cfg}: its module ${spec.value} does not exist` }, ctx);
  }
  const specText = await readFile(specPath, 'utf8');
  const moduleName = tlaModuleName(specText);
  if (`${moduleName ?? ''}.tla` !== spec.value) {
    return errorOutcome(cfg, chosen.checker, {
      code: 'Tla.Spec.MODULE_NAME_MISMATCH',
      message: `${spec.value} declares MODULE ${moduleName ?? '(none)'}; TLC needs the module name to match the file name`,
    }, ctx);
  }
  const consistent = checkConfigAgainstModule(config.value, specText);
  if (!consistent.ok) {
    return errorOutcome(cfg, chosen.checker, { ...consistent.error, message: `${cfg}: ${consistent.error.message}` }, ctx);
  }
  if (chosen.problem !== undefined) return errorOutcome(cfg, chosen.checker, chosen.problem, ctx);

  const run =
    chosen.checker === 'tlc'
      ? await runTlc({
          java: chosen.java,
          jar: chosen.jar ?? '',
          dir,
          cfgFile: join(dir, cfg),
          specFile: specPath,
          checkDeadlock: config.value.checkDeadlock,
          timeoutMs: options.tlcTimeoutMs ?? 600_000,
        })
      : runTlaChecker(specText, cfgText, {
          invariants: config.value.invariants,
          checkDeadlock: config.value.checkDeadlock,
          limits: options.limits ?? DEFAULT_LIMITS,
        });
  const failures = compareWithExpectation(run, spec.value, expected, cfg);
  return {
    cfg,
    spec: spec.value,
    checker: run.checker,
    verdict: run.verdict,
    ...(run.distinctStates !== undefined ? { distinctStates: run.distinctStates } : {}),
    ...(run.statesAtStop !== undefined ? { statesAtStop: run.statesAtStop } : {}),
    ...(run.invariant !== undefined ? { invariant: run.invariant } : {}),
    ...withExpected,
    matched: failures.length === 0,
    failures,
    ...(run.trace !== undefined ? { trace: run.trace } : {}),
    warnings: run.warnings,
  };
};

/**
 * Checks every `MC_*.cfg` under `<root>/spec/tla` (in file-name order) and compares the results
 * with `expected.json`. Never throws for a bad spec, cfg or expectation: everything that goes
 * wrong is in the report.
 *
 * @spec MC-TLA-EXPECTED.1 MC-TLA-MUST-FAIL.1
 */
export const runTlaChecks = async (options: TlaCheckOptions): Promise<TlaReport> => {
  const dir = join(options.root, 'spec', 'tla');
  const chosen = chooseChecker(options);
  const base = { checker: chosen.checker, checkerNote: chosen.note };
  if (!existsSync(dir)) {
    return { ...base, outcomes: [], problems: [{ code: 'Tla.Dir.NOT_FOUND', message: `there is no spec/tla directory under ${options.root}` }], ok: false };
  }
  const problems: Failure[] = [];
  const expectedPath = join(dir, 'expected.json');
  let expectations: TlaExpectations = new Map();
  if (!existsSync(expectedPath)) {
    problems.push({ code: 'Tla.Expected.NOT_FOUND', message: 'spec/tla/expected.json does not exist' });
  } else {
    const parsed = parseExpectations(await readFile(expectedPath, 'utf8'));
    if (parsed.ok) expectations = parsed.value;
    else problems.push(parsed.error);
  }
  const all = (await readdir(dir)).filter((f) => /^MC_.*\.cfg$/.test(f)).sort();
  const only = options.only;
  for (const name of only ?? []) {
    if (!all.includes(name)) problems.push({ code: 'Tla.Config.NOT_FOUND', message: `there is no spec/tla/${name}` });
  }
  const selected = only === undefined ? all : all.filter((f) => only.includes(f));
  if (all.length === 0) problems.push({ code: 'Tla.Config.NONE', message: 'spec/tla holds no MC_*.cfg' });
  if (only === undefined) {
    for (const key of expectations.keys()) {
      if (!all.includes(key)) problems.push({ code: 'Tla.Expected.STALE_ENTRY', message: `expected.json lists ${key}, which does not exist` });
    }
    // A module whose every config passes could have invariants no checker really evaluates.
    const present = [...expectations].filter(([cfg]) => all.includes(cfg)).map(([, e]) => e);
    for (const spec of new Set(present.map((e) => e.spec))) {
      if (!present.some((e) => e.spec === spec && e.verdict === 'violation')) {
        problems.push({ code: 'Tla.Expected.NO_MUST_FAIL', message: `${spec} has no config that must violate an invariant` });
      }
    }
  }
  const outcomes: TlaCfgOutcome[] = [];
  for (const cfg of selected) outcomes.push(await checkOne(dir, cfg, chosen, expectations, options));
  return { ...base, outcomes, problems, ok: problems.length === 0 && outcomes.every((o) => o.matched) };
};
