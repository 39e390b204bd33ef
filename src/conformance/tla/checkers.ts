/**
 * The two model checkers `pharos-spec check tla` can use: TLC (tla2tools.jar, when one is supplied)
 * and tla-checker 0.9.0 (the npm package, always available). Both are run on one module and one
 * cfg and their answers are brought to one shape.
 *
 * How the state counts compare. TLC's "distinct states found" is the number of states in its seen
 * set: every reachable state (one per symmetry orbit), initial states included. tla-checker's
 * `states_explored` is the number of states it has taken off its BFS queue. When a run completes
 * without error every stored state is dequeued exactly once, so on a pass the two numbers are the
 * same number. When a run stops early they are not: TLC checks invariants when it generates a
 * state and counts what it has stored, tla-checker checks them when it dequeues a state and counts
 * what it has dequeued (stopping at the violating state); on `MaxStatesExceeded` it reports the
 * limit plus one. So counts are compared for passing configs only, and a stopped run's count is
 * reported as `statesAtStop`, not as a distinct-state count.
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { check_spec_with_cfg, initSync } from 'tla-checker';
import { type Failure, type Result, ok, fail } from '../../model/encoding/result.js';

export type TlaCheckerName = 'tlc' | 'tla-checker';

/** What one checker said about one config. */
export interface CheckerRun {
  readonly checker: TlaCheckerName;
  readonly verdict: 'pass' | 'violation' | 'deadlock' | 'error';
  /** Every reachable state was counted: set on `pass` only. */
  readonly distinctStates?: number;
  /** The checker's own count when it stopped early (see the module comment). */
  readonly statesAtStop?: number;
  /** The violated invariant, by name. */
  readonly invariant?: string;
  /** The counterexample as the checker printed it. */
  readonly trace?: string;
  readonly error?: Failure;
  readonly warnings: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// tla-checker

let wasmReady = false;

/** Loads the WASM module once; `init()` would try to fetch a file: URL, which Node refuses. */
const ensureTlaChecker = (): void => {
  if (wasmReady) return;
  const require = createRequire(import.meta.url);
  initSync({ module: readFileSync(require.resolve('tla-checker/tla_checker_bg.wasm')) });
  wasmReady = true;
};

interface WasmResult {
  readonly success: boolean;
  readonly error_type: string | null;
  readonly error_message: string | null;
  readonly states_explored: number;
  readonly trace: readonly string[] | null;
  readonly dot: string | null;
  readonly warnings: readonly string[];
}

export interface TlaCheckerLimits {
  readonly maxStates: number;
  readonly maxDepth: number;
}

export const DEFAULT_LIMITS: TlaCheckerLimits = { maxStates: 2_000_000, maxDepth: 100_000 };

const callTlaChecker = (specText: string, cfgText: string, allowDeadlock: boolean, limits: TlaCheckerLimits, dot: boolean): WasmResult => {
  ensureTlaChecker();
  return JSON.parse(
    check_spec_with_cfg(specText, cfgText, '{}', limits.maxStates, limits.maxDepth, allowDeadlock, dot),
  ) as WasmResult;
};

/**
 * Runs tla-checker. `invariants` is the cfg's INVARIANT list in order: tla-checker reports a
 * violation by its index in that list ("Invariant 1 violated"), and this maps it back to a name.
 */
export const runTlaChecker = (
  specText: string,
  cfgText: string,
  options: { readonly invariants: readonly string[]; readonly checkDeadlock: boolean; readonly limits?: TlaCheckerLimits },
): CheckerRun => {
  const r = callTlaChecker(specText, cfgText, !options.checkDeadlock, options.limits ?? DEFAULT_LIMITS, false);
  const base = { checker: 'tla-checker' as const, warnings: r.warnings };
  const trace = r.trace !== null && r.trace.length > 0 ? { trace: r.trace.join('\n') } : {};
  if (r.success) return { ...base, verdict: 'pass', distinctStates: r.states_explored };
  const message = r.error_message ?? '';
  switch (r.error_type) {
    case 'InvariantViolation': {
      const index = /Invariant (\d+) violated/.exec(message)?.[1];
      const name = index === undefined ? undefined : options.invariants[Number(index)];
      if (name === undefined) {
        return {
          ...base,
          verdict: 'error',
          error: { code: 'Tla.Checker.UNKNOWN_INVARIANT', message: `tla-checker reported "${message}", which names no listed invariant` },
        };
      }
      return { ...base, ...trace, verdict: 'violation', invariant: name, statesAtStop: r.states_explored };
    }
    case 'Deadlock':
      return { ...base, ...trace, verdict: 'deadlock', statesAtStop: r.states_explored };
    case 'MaxStatesExceeded':
    case 'MaxDepthExceeded':
      return {
        ...base,
        verdict: 'error',
        statesAtStop: r.states_explored,
        error: { code: 'Tla.Checker.LIMIT', message: `tla-checker stopped: ${message}` },
      };
    case 'ConfigError': {
      // The runner has already found the name defined in the module text, so "not found" here
      // means tla-checker could not parse that definition and dropped it.
      const dropped = /definition '([A-Za-z0-9_]+)' not found/.exec(message)?.[1];
      if (dropped !== undefined) {
        return {
          ...base,
          verdict: 'error',
          error: {
            code: 'Tla.Checker.DEFINITION_DROPPED',
            message: `tla-checker could not parse the definition of ${dropped} and dropped it; rewrite it within tla-checker's subset (${message})`,
          },
        };
      }
      return { ...base, verdict: 'error', error: { code: 'Tla.Checker.ERROR', message: `tla-checker: ConfigError: ${message}` } };
    }
    default:
      return {
        ...base,
        ...trace,
        verdict: 'error',
        error: { code: 'Tla.Checker.ERROR', message: `tla-checker: ${r.error_type ?? 'error'}: ${message}` },
      };
  }
};

/**
 * Every reachable state as tla-checker prints it (`var=value` lines joined by newlines), read from
 * its state-graph export. Used to compare a TS model's reachable set with a module's, state by
 * state, not only by count.
 */
export const tlaCheckerReachableStates = (
  specText: string,
  cfgText: string,
  options: { readonly checkDeadlock: boolean; readonly limits?: TlaCheckerLimits },
): Result<readonly string[]> => {
  const r = callTlaChecker(specText, cfgText, !options.checkDeadlock, options.limits ?? DEFAULT_LIMITS, true);
  if (!r.success || r.dot === null) {
    return fail('Tla.Checker.ERROR', `tla-checker did not complete: ${r.error_type ?? 'no state graph'}: ${r.error_message ?? ''}`);
  }
  const states: string[] = [];
  for (const m of r.dot.matchAll(/^\s*s\d+ \[label="((?:[^"\\]|\\.)*)"\];$/gm)) {
    states.push(m[1]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
  }
  return ok(states);
};

// ---------------------------------------------------------------------------------------------
// TLC

/** Whether `java` starts; TLC needs it. */
export const javaAvailable = (java: string): boolean => {
  const r = spawnSync(java, ['-version'], { stdio: 'ignore', timeout: 30_000 });
  return r.error === undefined && r.status === 0;
};

/**
 * Reads TLC's console output. TLC prints numbers with or without thousands separators depending on
 * version and message, so separators are dropped; the last "distinct states found" line is the
 * final count.
 */
export const parseTlcOutput = (output: string, exitCode: number | null): CheckerRun => {
  const base = { checker: 'tlc' as const, warnings: [] as readonly string[] };
  const counts = [...output.matchAll(/([\d,]+) distinct states? found/g)].map((m) => Number(m[1]!.replace(/,/g, '')));
  const last = counts.at(-1);
  const at = last !== undefined ? { statesAtStop: last } : {};
  const errorTrace = /Error: The behavior up to this point is:\n([\s\S]*?)(?:\n\d[\d,]* states generated|$)/.exec(output)?.[1];
  const trace = errorTrace !== undefined ? { trace: errorTrace.trimEnd() } : {};
  const violated = /Error: Invariant (\S+) is violated/.exec(output)?.[1];
  if (violated !== undefined) return { ...base, ...at, ...trace, verdict: 'violation', invariant: violated };
  if (/Error: Deadlock reached/.test(output)) return { ...base, ...at, ...trace, verdict: 'deadlock' };
  if (/Model checking completed\. No error has been found\./.test(output) && last !== undefined) {
    return { ...base, verdict: 'pass', distinctStates: last };
  }
  const tail = output.trim().split('\n').slice(-12).join('\n');
  return {
    ...base,
    verdict: 'error',
    error: { code: 'Tla.Tlc.FAILED', message: `TLC did not finish with a verdict (exit code ${exitCode ?? 'none'}):\n${tail}` },
  };
};

export interface TlcInvocation {
  readonly java: string;
  readonly jar: string;
  /** The directory holding the module and its cfg; every .tla in it is copied, for EXTENDS. */
  readonly dir: string;
  readonly cfgFile: string;
  readonly specFile: string;
  readonly checkDeadlock: boolean;
  readonly timeoutMs: number;
}

/** The java command line for one TLC run; `-deadlock` turns deadlock checking off. */
export const tlcArguments = (jar: string, cfgName: string, moduleName: string, checkDeadlock: boolean, metaDir: string): readonly string[] => [
  '-XX:+UseParallelGC',
  '-cp',
  jar,
  'tlc2.TLC',
  '-config',
  cfgName,
  '-workers',
  '1',
  ...(checkDeadlock ? [] : ['-deadlock']),
  '-metadir',
  metaDir,
  moduleName,
];

const runProcess = (
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ readonly output: string; readonly code: number | null; readonly failure?: string }> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ output, code: null, failure: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(signal === 'SIGKILL' ? { output, code, failure: `killed after ${timeoutMs} ms` } : { output, code });
    });
  });

/**
 * Runs TLC on one cfg in a fresh temporary directory (TLC writes its state files next to the
 * model), with one worker so the run is reproducible, and removes the directory afterwards.
 */
export const runTlc = async (inv: TlcInvocation): Promise<CheckerRun> => {
  const work = await mkdtemp(join(tmpdir(), 'pharos-tlc-'));
  try {
    for (const f of await readdir(inv.dir)) {
      if (f.endsWith('.tla')) await copyFile(join(inv.dir, f), join(work, f));
    }
    const cfgName = basename(inv.cfgFile);
    await copyFile(inv.cfgFile, join(work, cfgName));
    const moduleName = basename(inv.specFile).replace(/\.tla$/, '');
    const args = tlcArguments(inv.jar, cfgName, moduleName, inv.checkDeadlock, join(work, 'states'));
    const r = await runProcess(inv.java, args, work, inv.timeoutMs);
    if (r.failure !== undefined) {
      return {
        checker: 'tlc',
        verdict: 'error',
        warnings: [],
        error: { code: 'Tla.Tlc.FAILED', message: `could not run TLC: ${r.failure}` },
      };
    }
    return parseTlcOutput(r.output, r.code);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
};
