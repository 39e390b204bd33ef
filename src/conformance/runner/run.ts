import { readFile } from 'node:fs/promises';
import { Either, Schema } from 'effect';
import { canonicalJson } from '../../model/encoding/canonical.js';
import { parseJson } from '../../model/encoding/json.js';
import { type Result, ok, fail } from '../../model/encoding/result.js';
import type { VectorCase } from '../vectors/format.js';
import type { LoadedSuite } from '../vectors/load.js';
import type { Client, ClientAnswer, ClientInfo } from './client.js';

/** @spec VEC-CLIENT-VERDICTS.1 */
export const VERDICTS = ['pass', 'fail', 'wrong_error', 'unsupported', 'skipped', 'timeout', 'crash'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Verdicts that make a run fail. Unsupported and skipped are reported but never count as passes. */
export const FAILING_VERDICTS: readonly Verdict[] = ['fail', 'wrong_error', 'timeout', 'crash'];

export interface CaseResult {
  /** `<kind>/<suite>/<case id>`, the name skip files and reports use. */
  readonly id: string;
  readonly kind: string;
  readonly suite: string;
  readonly verdict: Verdict;
  readonly requirements: readonly string[];
  readonly durationMs: number;
  readonly message?: string;
  readonly stderr?: string;
}

export interface RunReport {
  readonly client: ClientInfo;
  readonly results: readonly CaseResult[];
  readonly counts: Readonly<Record<Verdict, number>>;
  /** Cases the client actually ran: everything but unsupported and skipped. */
  readonly executed: number;
  readonly ok: boolean;
}

export const fullCaseId = (suite: LoadedSuite, c: VectorCase): string => `${suite.header.kind}/${suite.header.suite}/${c.id}`;

/** The first place two JSON values differ, as a JSON pointer with both sides. */
export const firstDifference = (expected: unknown, actual: unknown, pointer = ''): { pointer: string; expected: unknown; actual: unknown } | undefined => {
  const e = canonicalJson(expected);
  const a = canonicalJson(actual);
  if (e.ok && a.ok && e.value === a.value) return undefined;
  const bothObjects = typeof expected === 'object' && expected !== null && typeof actual === 'object' && actual !== null && Array.isArray(expected) === Array.isArray(actual);
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    for (const k of keys) {
      const d = firstDifference((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], `${pointer}/${k}`);
      if (d) return d;
    }
  }
  return { pointer, expected, actual };
};

/**
 * Judges one answer against a case's expectation: a valid case passes only with an equal output
 * (compared as canonical JSON), an invalid case only with one of the listed error codes.
 *
 * @spec VEC-CLIENT-VERDICTS.1
 */
export const judge = (c: VectorCase, answer: ClientAnswer): { verdict: Verdict; message?: string } => {
  if (answer.type === 'timeout' || answer.type === 'crash') return { verdict: answer.type, message: answer.message };
  if (c.expected.result === 'valid') {
    if (answer.type === 'error') return { verdict: 'fail', message: `expected a valid result, client rejected the input with ${answer.code}: ${answer.message}` };
    const d = firstDifference(c.expected.output, answer.output);
    return d === undefined
      ? { verdict: 'pass' }
      : { verdict: 'fail', message: `output differs at ${d.pointer || '/'}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}` };
  }
  if (answer.type === 'ok') return { verdict: 'fail', message: `expected rejection with ${c.expected.error.join(' or ')}, client accepted the input and returned ${JSON.stringify(answer.output)}` };
  return c.expected.error.includes(answer.code)
    ? { verdict: 'pass' }
    : { verdict: 'wrong_error', message: `expected ${c.expected.error.join(' or ')}, got ${answer.code}: ${answer.message}` };
};

export interface SkipRule { readonly pattern: string; readonly reason: string }

const SkipFile = Schema.Struct({ skip: Schema.Array(Schema.Struct({ id: Schema.String, reason: Schema.NonEmptyTrimmedString })) });

/**
 * Reads a skip file: `{"skip": [{"id": "<kind>/<suite>/<case>", "reason": "..."}]}`; `*` in an id
 * matches any run of characters. Every entry needs a reason. @spec VEC-CLIENT-SKIP.1
 */
export const readSkipFile = async (path: string): Promise<Result<readonly SkipRule[]>> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return fail('Cli.SKIP_FILE_UNREADABLE', `cannot read skip file ${path}: ${(e as Error).message}`);
  }
  const parsed = parseJson(text);
  if (!parsed.ok) return fail('Cli.SKIP_FILE_INVALID', `skip file ${path}: ${parsed.error.message}`);
  const decoded = Schema.decodeUnknownEither(SkipFile)(parsed.value);
  if (Either.isLeft(decoded)) return fail('Cli.SKIP_FILE_INVALID', `skip file ${path} must be {"skip": [{"id", "reason"}]}: ${decoded.left.message}`);
  return ok(decoded.right.skip.map((s) => ({ pattern: s.id, reason: s.reason })));
};

const matchesPattern = (pattern: string, id: string): boolean =>
  new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(id);

export interface RunOptions {
  readonly timeoutMs: number;
  readonly skips?: readonly SkipRule[];
  readonly onResult?: (r: CaseResult) => void;
}

/** Runs every case of the suites through one client and collects verdicts. @spec VEC-CLIENT-RUN.1 */
export const runSuites = async (client: Client, info: ClientInfo, suites: readonly LoadedSuite[], options: RunOptions): Promise<RunReport> => {
  const results: CaseResult[] = [];
  const record = (r: CaseResult): void => {
    results.push(r);
    options.onResult?.(r);
  };
  for (const suite of suites) {
    for (const c of suite.cases) {
      const id = fullCaseId(suite, c);
      const base = { id, kind: suite.header.kind, suite: suite.header.suite, requirements: c.requirements };
      const skip = options.skips?.find((s) => matchesPattern(s.pattern, id));
      if (skip) {
        record({ ...base, verdict: 'skipped', durationMs: 0, message: skip.reason });
        continue;
      }
      if (!info.kinds.includes(suite.header.kind)) {
        record({ ...base, verdict: 'unsupported', durationMs: 0, message: `client does not declare kind ${suite.header.kind}` });
        continue;
      }
      const started = performance.now();
      const { answer, stderr } = await client.run(suite.header.kind, c.id, c.input, options.timeoutMs);
      const judged = judge(c, answer);
      record({
        ...base, verdict: judged.verdict, durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        ...(judged.message !== undefined ? { message: judged.message } : {}),
        ...(stderr ? { stderr } : {}),
      });
    }
  }
  return summarize(info, results);
};

export const summarize = (client: ClientInfo, results: readonly CaseResult[]): RunReport => {
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, results.filter((r) => r.verdict === v).length])) as Record<Verdict, number>;
  const executed = results.length - counts.unsupported - counts.skipped;
  return { client, results, counts, executed, ok: executed > 0 && FAILING_VERDICTS.every((v) => counts[v] === 0) };
};
