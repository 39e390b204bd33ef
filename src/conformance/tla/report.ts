/**
 * The TLA+ check report as a plain-text table for terminals and CI logs.
 *
 * @module
 */
import type { TlaCfgOutcome, TlaReport } from './run.js';

const verdictText = (o: TlaCfgOutcome): string => (o.verdict === 'violation' ? `violation ${o.invariant ?? '?'}` : o.verdict);

const statesText = (o: TlaCfgOutcome): string =>
  o.distinctStates !== undefined ? String(o.distinctStates) : o.statesAtStop !== undefined ? `(${o.statesAtStop} at stop)` : '-';

const expectedText = (o: TlaCfgOutcome): string => {
  const e = o.expected;
  if (e === undefined) return '-';
  if (e.verdict === 'pass') return `pass ${e.distinctStates}`;
  if (e.verdict === 'violation') return `violation ${e.invariant}`;
  return e.verdict;
};

const resultText = (o: TlaCfgOutcome): string => (o.matched ? 'ok' : o.verdict === 'error' ? 'ERROR' : 'MISMATCH');

/**
 * One row per config (config, module, checker, verdict, distinct states, expected, result), then
 * every failure with its code, then a one-line summary. A count shown in parentheses is where a
 * checker stopped, not a distinct-state count.
 */
export const formatTlaReport = (report: TlaReport): string => {
  const header = ['config', 'module', 'checker', 'verdict', 'states', 'expected', 'result'] as const;
  const rows = report.outcomes.map((o) => [o.cfg, o.spec ?? '-', o.checker, verdictText(o), statesText(o), expectedText(o), resultText(o)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [
    `checker: ${report.checkerNote}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ];
  const failures = [
    ...report.problems.map((p) => `  ${p.code}: ${p.message}`),
    ...report.outcomes.flatMap((o) => o.failures.map((f) => `  ${f.code}: ${f.message}`)),
  ];
  if (failures.length > 0) out.push('', 'failures:', ...failures);
  const matched = report.outcomes.filter((o) => o.matched).length;
  out.push(
    '',
    `${report.outcomes.length} config(s): ${matched} matched, ${report.outcomes.length - matched} failed` +
      (report.problems.length > 0 ? `, ${report.problems.length} other problem(s)` : '') +
      ` -- ${report.ok ? 'OK' : 'FAILED'}`,
  );
  return `${out.join('\n')}\n`;
};
