import { runTlaChecks, formatTlaReport } from './tla/index.js';
import { runExplorerTwins } from './explore/twins.js';
import { textTable } from './runner/report.js';

/** The outcome of one family of model checks, with counts per area for the verify summary. */
export interface ModelCheckResult {
  readonly name: 'tla' | 'explore';
  readonly ok: boolean;
  readonly byArea: readonly { readonly area: string; readonly passed: number; readonly total: number }[];
  readonly details: string;
}

/** The area each TLA+ module specifies, for the per-area summary. */
const AREA_OF_MODULE: Readonly<Record<string, string>> = { BVBroadcast: 'consensus', MyBA: 'consensus', MyBARounds: 'consensus', Tumbler: 'consensus', TumblerLedger: 'consensus', EscapeHatch: 'spn', SpnMailbox: 'spn', Pipeline: 'pipeline' };

const countByArea = (items: readonly { area: string; ok: boolean }[]): ModelCheckResult['byArea'] =>
  [...new Set(items.map((i) => i.area))].map((area) => ({
    area,
    passed: items.filter((i) => i.area === area && i.ok).length,
    total: items.filter((i) => i.area === area).length,
  }));

/**
 * Runs the TLA+ configs (TLC or tla-checker) and the explorer twins of the TS model, each held to
 * spec/tla/expected.json.
 */
export const runModelChecks = async (root: string, which: readonly ('tla' | 'explore')[], options: { readonly jar?: string }): Promise<readonly ModelCheckResult[]> => {
  const results: ModelCheckResult[] = [];
  if (which.includes('tla')) {
    const report = await runTlaChecks({ root, ...(options.jar !== undefined ? { jar: options.jar } : {}) });
    results.push({
      name: 'tla',
      ok: report.ok,
      byArea: countByArea(report.outcomes.map((o) => ({ area: AREA_OF_MODULE[(o.spec ?? '').replace(/\.tla$/, '')] ?? 'other', ok: o.matched }))),
      details: formatTlaReport(report),
    });
  }
  if (which.includes('explore')) {
    const outcomes = await runExplorerTwins(root);
    const ok = outcomes.length > 0 && outcomes.every((o) => o.matched);
    results.push({
      name: 'explore',
      ok,
      byArea: countByArea(outcomes.map((o) => ({ area: o.area, ok: o.matched }))),
      details: [
        'TS model explorer against spec/tla/expected.json',
        textTable(['config', 'area', 'verdict', 'states', 'expected', 'result'],
          outcomes.map((o) => [o.cfg, o.area, o.verdict === 'violation' ? `violation ${o.invariant}` : o.verdict, o.distinctStates ?? '-', o.expected, o.matched ? 'ok' : `MISMATCH: ${o.message ?? ''}`])),
        ok ? `explorer: all ${outcomes.length} configs match` : 'explorer: FAILED',
      ].join('\n'),
    });
  }
  return results;
};
