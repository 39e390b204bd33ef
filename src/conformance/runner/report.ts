import { VERDICTS, type CaseResult, type RunReport } from './run.js';
import { CLIENT_PROTOCOL } from './protocol.js';

/** Renders rows as an aligned text table. */
export const textTable = (header: readonly string[], rows: readonly (readonly (string | number)[])[]): string => {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
};

/** One row per suite with a count per verdict, then the failing cases with their messages. */
export const formatRunTable = (report: RunReport): string => {
  const suites = [...new Set(report.results.map((r) => `${r.kind}/${r.suite}`))];
  const rows = suites.map((s) => {
    const rs = report.results.filter((r) => `${r.kind}/${r.suite}` === s);
    return [s, ...VERDICTS.map((v) => rs.filter((r) => r.verdict === v).length)];
  });
  rows.push(['total', ...VERDICTS.map((v) => report.counts[v])]);
  const problems = report.results.filter((r) => r.verdict !== 'pass' && r.verdict !== 'skipped' && r.verdict !== 'unsupported');
  const details = problems.slice(0, 50).map((r) => `  ${r.verdict.toUpperCase()} ${r.id}: ${r.message ?? ''}${r.stderr ? `\n    stderr: ${r.stderr.trim().split('\n').slice(-5).join('\n    ')}` : ''}`);
  if (problems.length > 50) details.push(`  ... and ${problems.length - 50} more (see --report)`);
  const verdictLine = report.executed === 0
    ? 'FAILED: no case was executed'
    : report.ok ? `OK: ${report.counts.pass} of ${report.executed} executed cases passed` : `FAILED: ${report.executed - report.counts.pass} of ${report.executed} executed cases did not pass`;
  return [
    `client: ${report.client.name} ${report.client.version}`,
    textTable(['suite', ...VERDICTS], rows),
    ...(details.length ? ['', ...details] : []),
    '',
    verdictLine,
  ].join('\n');
};

export const reportToJson = (report: RunReport): unknown => ({
  protocol: CLIENT_PROTOCOL,
  client: report.client,
  ok: report.ok,
  executed: report.executed,
  counts: report.counts,
  cases: report.results,
});

const xmlEscape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    // XML 1.0 cannot carry most control characters even escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** JUnit XML as CI systems read it: a testsuite per vector suite. @spec VEC-CLIENT-REPORTS.1 */
export const reportToJUnit = (report: RunReport): string => {
  const bySuite = new Map<string, CaseResult[]>();
  for (const r of report.results) bySuite.set(`${r.kind}/${r.suite}`, [...(bySuite.get(`${r.kind}/${r.suite}`) ?? []), r]);
  const suites = [...bySuite].map(([name, rs]) => {
    const failures = rs.filter((r) => r.verdict === 'fail' || r.verdict === 'wrong_error').length;
    const errors = rs.filter((r) => r.verdict === 'timeout' || r.verdict === 'crash').length;
    const skipped = rs.filter((r) => r.verdict === 'skipped' || r.verdict === 'unsupported').length;
    const time = rs.reduce((t, r) => t + r.durationMs, 0) / 1000;
    const cases = rs.map((r) => {
      const open = `    <testcase classname="${xmlEscape(name)}" name="${xmlEscape(r.id.slice(name.length + 1))}" time="${(r.durationMs / 1000).toFixed(6)}"`;
      const msg = xmlEscape(r.message ?? '');
      const body =
        r.verdict === 'pass' ? ''
          : r.verdict === 'fail' || r.verdict === 'wrong_error' ? `<failure type="${r.verdict}" message="${msg}"/>`
          : r.verdict === 'timeout' || r.verdict === 'crash' ? `<error type="${r.verdict}" message="${msg}"/>`
          : `<skipped message="${xmlEscape(`${r.verdict}: ${r.message ?? ''}`)}"/>`;
      const stderr = r.stderr ? `<system-err>${xmlEscape(r.stderr)}</system-err>` : '';
      return body || stderr ? `${open}>${body}${stderr}</testcase>` : `${open}/>`;
    });
    return `  <testsuite name="${xmlEscape(name)}" tests="${rs.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time.toFixed(6)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(`pharos-spec conform: ${report.client.name}`)}" tests="${report.results.length}">\n${suites.join('\n')}\n</testsuites>\n`;
};
